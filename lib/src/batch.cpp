// Batch verification: shared intermediates validated once, leaves checked against their issuer,
// worker processes for throughput.
#include "batch_fast.hpp"
#include "ossl/ossl.hpp"

#include <certtool/chain.hpp>
#include <certtool/error.hpp>
#include <certtool/files.hpp>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>

namespace certtool {

namespace {

// Extensions that make a CA's constraints depend on the leaf below it.
bool constrains_leaf(const Certificate& c) {
    X509* x = c.native();
    for (const int nid : {NID_name_constraints,
                          NID_policy_constraints,
                          NID_policy_mappings,
                          NID_inhibit_any_policy}) {
        if (X509_get_ext_by_NID(x, nid, -1) >= 0) {
            return true;
        }
    }
    return false;
}

bool is_ca_cert(const Certificate& c) {
    return (X509_get_extension_flags(c.native()) & EXFLAG_CA) != 0;
}

}  // namespace

BatchVerifier::BatchVerifier(TrustStore anchors,
                             std::vector<Certificate> intermediates,
                             VerifyOptions options,
                             std::size_t precompute_after)
    : m_anchors(std::move(anchors)),
      m_intermediates(std::move(intermediates)),
      m_options(std::move(options)),
      m_precompute_after(precompute_after) {
    if (!m_options.at) {
        m_options.at = m_options.clock();  // one validation time for the whole batch
    }
    VerifyOptions path_options = m_options;
    path_options.names.clear();
    path_options.purpose = Purpose::any;  // the issuer's own purpose is checked per leaf
    for (const auto& inter : m_intermediates) {
        if (!is_ca_cert(inter) || !m_options.crls.empty() || m_options.policy.enabled) {
            continue;
        }
        ChainReport path = verify_chain(inter, m_intermediates, m_anchors, path_options);
        // Findings about the issuer itself are re-checked for every leaf (as the anchor of the
        // leaf's short path); only the rest of its path must be clean.
        const bool clean = path.reached_anchor &&
                           std::none_of(path.findings.begin(),
                                        path.findings.end(),
                                        [](const ChainFinding& f) {
                                            return f.severity == Severity::error &&
                                                   f.position.value_or(0) > 0;
                                        });
        std::size_t counted = 1;  // the issuer itself
        bool simple = clean;
        for (std::size_t i = 0; i < path.path.size(); ++i) {
            const auto& c = path.path[i].certificate;
            simple = simple && !constrains_leaf(c);
            counted += i > 0 && !path.path[i].trust_anchor && !c.is_self_issued() ? 1U : 0U;
        }
        simple = simple && counted <= static_cast<std::size_t>(std::max(m_options.max_depth, 0));
        if (!simple) {
            continue;
        }
        std::vector<unsigned char> subject_der;
        unsigned char* raw = nullptr;
        const int len = i2d_X509_NAME(X509_get_subject_name(inter.native()), &raw);
        const ossl::OpensslBytesPtr der{raw};
        if (len > 0) {
            subject_der.assign(der.get(), der.get() + len);
        }
        std::vector<unsigned char> key_id;
        if (const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(inter.native())) {
            key_id.assign(ASN1_STRING_get0_data(ski),
                          ASN1_STRING_get0_data(ski) + ASN1_STRING_length(ski));
        }
        ossl::clear_errors();
        m_issuers.push_back({inter, std::move(path), true,
                             TrustStore::from_certificates({inter}, "issuer"),
                             std::move(subject_der), std::move(key_id),
                             std::make_shared<detail::IssuerFastState>(m_precompute_after)});
    }
}

ChainReport BatchVerifier::verify(const Certificate& leaf) const {
    const Issuer* issuer = nullptr;
    if (!is_ca_cert(leaf)) {
        for (const auto& is : m_issuers) {
            if (X509_check_issued(is.cert.native(), leaf.native()) == X509_V_OK) {
                issuer = &is;
                break;
            }
        }
        ossl::clear_errors();
    }
    if (issuer == nullptr) {
        return verify_chain(leaf, m_intermediates, m_anchors, m_options);
    }
    VerifyOptions o = m_options;
    o.anchor_validity = true;
    o.anchor_constraints = true;  // the issuer's CA, key usage and EKU apply to this leaf
    ChainReport r = verify_chain(leaf, {}, issuer->as_anchor, o);
    if (!r.reached_anchor || r.path.size() != 2) {
        return verify_chain(leaf, m_intermediates, m_anchors, m_options);
    }
    // Splice in the issuer's own path above it.
    r.path.back().trust_anchor = false;
    for (std::size_t i = 1; i < issuer->path.path.size(); ++i) {
        PathCertificate pc = issuer->path.path[i];
        pc.problems.clear();
        r.path.push_back(std::move(pc));
    }
    r.reached_anchor = true;
    for (const auto& f : issuer->path.findings) {
        if (f.severity != Severity::error && f.position.value_or(0) > 0 &&
            f.code != "unrelated-certificate" && f.code != "wrong-order") {
            ChainFinding g = f;
            g.position = *f.position + 1;
            r.findings.push_back(std::move(g));
        }
    }
    return r;
}

namespace {

// The DER of the first certificate in `data`: DER as is, or the first PEM CERTIFICATE block
// decoded into `buf`. Empty if it is neither (the full parser then explains).
der::Bytes first_certificate_der(std::string_view data, std::vector<unsigned char>& buf) {
    if (!data.empty() && static_cast<unsigned char>(data[0]) == der::tag::sequence) {
        return {reinterpret_cast<const unsigned char*>(data.data()), data.size()};
    }
    constexpr std::string_view begin = "-----BEGIN CERTIFICATE-----";
    constexpr std::string_view end = "-----END CERTIFICATE-----";
    const auto b = data.find(begin);
    const auto e = b == std::string_view::npos ? b : data.find(end, b);
    if (e == std::string_view::npos) {
        return {};
    }
    buf.clear();
    std::uint32_t acc = 0;
    int n = 0;
    int pad = 0;
    for (const char ch : data.substr(b + begin.size(), e - b - begin.size())) {
        int v = -1;
        if (ch >= 'A' && ch <= 'Z') {
            v = ch - 'A';
        } else if (ch >= 'a' && ch <= 'z') {
            v = ch - 'a' + 26;
        } else if (ch >= '0' && ch <= '9') {
            v = ch - '0' + 52;
        } else if (ch == '+') {
            v = 62;
        } else if (ch == '/') {
            v = 63;
        } else if (ch == '=') {
            ++pad;
            v = 0;
        } else if (ch == '\n' || ch == '\r' || ch == ' ' || ch == '\t') {
            continue;
        } else {
            return {};  // PEM headers or garbage: the full parser decides
        }
        if (pad > 0 && ch != '=') {
            return {};
        }
        acc = (acc << 6U) | static_cast<std::uint32_t>(v);
        if (++n == 4) {
            buf.push_back(static_cast<unsigned char>(acc >> 16U));
            buf.push_back(static_cast<unsigned char>(acc >> 8U));
            buf.push_back(static_cast<unsigned char>(acc));
            acc = 0;
            n = 0;
        }
    }
    if (n != 0 || pad > 2 || buf.size() < static_cast<std::size_t>(pad)) {
        return {};
    }
    buf.resize(buf.size() - static_cast<std::size_t>(pad));
    return {buf.data(), buf.size()};
}

}  // namespace

BatchItem BatchVerifier::verify_encoded(std::string_view data, std::string_view source) const {
    BatchItem item{0, std::string{source}, false, {}, {}, {}, false};
    const Issuer* candidate = nullptr;
    std::vector<unsigned char> buf;
    const der::Bytes der = detail::fast_path_applies(m_options)
                               ? first_certificate_der(data, buf)
                               : der::Bytes{};
    if (!der.empty()) {
        if (const auto name = detail::issuer_name_der(der)) {
            for (const auto& is : m_issuers) {
                if (der::equal(*name, {is.subject_der.data(), is.subject_der.size()})) {
                    candidate = &is;
                    break;
                }
            }
        }
    }
    std::optional<std::string> fast;
    if (candidate != nullptr) {
        EVP_PKEY* key = X509_get0_pubkey(candidate->cert.native());
        const bool confirmed = candidate->fast->confirmed.load(std::memory_order_relaxed);
        const detail::FastIssuer fi{{candidate->subject_der.data(), candidate->subject_der.size()},
                                    {candidate->key_id.data(), candidate->key_id.size()},
                                    key,
                                    confirmed ? candidate->fast->accelerator(key) : nullptr};
        ossl::clear_errors();
        fast = detail::fast_valid_leaf(der, fi, m_options);
        if (fast && confirmed) {
            m_fast_hits->fetch_add(1, std::memory_order_relaxed);
            item.valid = true;
            item.subject = std::move(*fast);
            return item;
        }
    }
    const auto certs = Certificate::parse_all(data, source);
    const ChainReport r = verify(certs.front());
    item.valid = r.valid;
    item.subject = certs.front().subject();
    for (const auto& f : r.findings) {
        if (f.severity == Severity::error) {
            if (item.message.empty()) {
                item.message = f.message;
            }
            if (std::find(item.codes.begin(), item.codes.end(), f.code) == item.codes.end()) {
                item.codes.push_back(f.code);
            }
        }
    }
    // Both paths agree on a leaf under this very issuer: later ones may take the fast path.
    if (fast && r.valid && r.path.size() >= 2 &&
        X509_cmp(r.path[1].certificate.native(), candidate->cert.native()) == 0 &&
        *fast == item.subject) {
        candidate->fast->confirmed.store(true, std::memory_order_relaxed);
    }
    return item;
}

namespace {

BatchItem verify_one(const BatchVerifier& verifier,
                     const std::filesystem::path& file,
                     std::size_t index) {
    BatchItem item{index, file.string(), false, {}, {}, {}, false};
    try {
        item = verifier.verify_encoded(read_input_file(file, "certificate file"), file.string());
        item.index = index;
    } catch (const Error& e) {
        item.read_error = true;
        item.message = e.what();
    }
    return item;
}

std::string encode(const BatchItem& item) {
    return nlohmann::json{{"i", item.index},
                          {"v", item.valid},
                          {"s", item.subject},
                          {"c", item.codes},
                          {"m", item.message},
                          {"r", item.read_error}}
               .dump() +
           "\n";
}

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

}  // namespace

void verify_batch(const BatchVerifier& verifier,
                  const std::vector<std::filesystem::path>& files,
                  unsigned jobs,
                  const std::function<void(const BatchItem&)>& sink) {
    jobs = std::clamp(jobs, 1U, 64U);
    if (jobs == 1 || files.size() < 2 * jobs) {
        for (std::size_t i = 0; i < files.size(); ++i) {
            sink(verify_one(verifier, files[i], i));
        }
        return;
    }
    // Worker w takes files w, w + jobs, ...; results come back as JSON lines on a pipe and are
    // handed to the sink in input order.
    struct Worker {
        pid_t pid;
        int fd;
        std::string buffer;
    };
    std::vector<Worker> workers;
    for (unsigned w = 0; w < jobs; ++w) {
        std::array<int, 2> fds{};
        if (::pipe(fds.data()) != 0) {
            throw Error(Errc::io, "cannot create a pipe for batch workers");
        }
        const pid_t pid = ::fork();
        if (pid < 0) {
            throw Error(Errc::io, "cannot start a batch worker process");
        }
        if (pid == 0) {
            ::close(fds[0]);
            std::string out;
            for (std::size_t i = w; i < files.size(); i += jobs) {
                out += encode(verify_one(verifier, files[i], i));
                if (out.size() > 1 << 16) {
                    if (!write_all(fds[1], out)) {
                        ::_exit(1);
                    }
                    out.clear();
                }
            }
            ::_exit(write_all(fds[1], out) ? 0 : 1);
        }
        ::close(fds[1]);
        workers.push_back({pid, fds[0], {}});
    }
    std::map<std::size_t, BatchItem> pending;
    std::size_t next = 0;
    std::array<char, 1 << 16> buf{};
    // Read round-robin until every pipe is closed.
    std::size_t open = workers.size();
    while (open > 0) {
        for (auto& w : workers) {
            if (w.fd < 0) {
                continue;
            }
            const ssize_t n = ::read(w.fd, buf.data(), buf.size());
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                ::close(w.fd);
                w.fd = -1;
                --open;
                continue;
            }
            w.buffer.append(buf.data(), static_cast<std::size_t>(n));
            std::size_t start = 0;
            for (std::size_t nl = w.buffer.find('\n'); nl != std::string::npos;
                 nl = w.buffer.find('\n', start)) {
                const auto j = nlohmann::json::parse(w.buffer.substr(start, nl - start));
                BatchItem item{j["i"], {}, j["v"], j["s"], j["c"], j["m"], j["r"]};
                item.file = files[item.index].string();
                pending.emplace(item.index, std::move(item));
                start = nl + 1;
            }
            w.buffer.erase(0, start);
            for (auto it = pending.find(next); it != pending.end(); it = pending.find(next)) {
                sink(it->second);
                pending.erase(it);
                ++next;
            }
        }
    }
    bool failed = false;
    for (auto& w : workers) {
        int status = 0;
        while (::waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
        }
        failed = failed || !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    }
    if (failed || next != files.size()) {
        throw Error(Errc::io, "a batch worker process failed");
    }
}

}  // namespace certtool
