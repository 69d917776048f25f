// Batch verification: shared intermediates validated once, leaves checked against their issuer,
// worker processes for throughput.
#include "batch_fast.hpp"
#include "ossl.hpp"

#include <certtool/batch.hpp>
#include <certtool/error.hpp>
#include <certtool/files.hpp>

#include <fmt/core.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>

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

// An intermediate whose own path was validated once, and under which leaves are checked alone.
struct Issuer {
    Certificate cert;
    ChainReport path;  // the issuer's own validation (purpose any, no names)
    TrustStore as_anchor;
    std::vector<unsigned char> subject_der;  // for the fast path
    std::vector<unsigned char> key_id;
    // Whether the fast path is confirmed for this issuer, and its signature accelerator.
    std::unique_ptr<detail::IssuerFastState> fast;
};

// Is `path` (an intermediate's own validation) one a leaf can be checked under alone: anchored,
// no error above the intermediate, no constraint a leaf could break, within max_depth?
bool simple_issuer_path(const ChainReport& path, int max_depth) {
    // Findings about the issuer itself are re-checked for every leaf (as the anchor of the
    // leaf's short path); only the rest of its path must be clean.
    const bool clean =
        path.reached_anchor &&
        std::none_of(path.findings.begin(), path.findings.end(), [](const ChainFinding& f) {
            return f.severity == Severity::error && f.position.value_or(0) > 0;
        });
    std::size_t counted = 1;  // the issuer itself
    bool simple = clean;
    for (std::size_t i = 0; i < path.path.size(); ++i) {
        const auto& c = path.path[i].certificate;
        simple = simple && !constrains_leaf(c);
        counted += i > 0 && !path.path[i].trust_anchor && !c.is_self_issued() ? 1U : 0U;
    }
    return simple && counted <= static_cast<std::size_t>(std::max(max_depth, 0));
}

// `inter` as an Issuer, its validation `path` taken.
Issuer make_issuer(const Certificate& inter, ChainReport path, std::size_t precompute_after) {
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
    return {inter,
            std::move(path),
            TrustStore::from_certificates({inter}, "issuer"),
            std::move(subject_der),
            std::move(key_id),
            std::make_unique<detail::IssuerFastState>(precompute_after)};
}

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

// One input on its way through the fast path.
struct Prepared {
    std::vector<unsigned char> buf;  // the DER, when decoded from PEM
    der::Bytes der;
    const Issuer* candidate{nullptr};
    std::optional<detail::FastLeaf> leaf;  // passed the fast path's checks but the signature
    bool signature_ok{false};
};

}  // namespace

struct BatchVerifier::Impl {
    Impl(TrustStore anchors_in,
         std::vector<Certificate> intermediates_in,
         VerifyOptions options_in,
         std::size_t precompute_after);

    [[nodiscard]] ChainReport verify(const Certificate& leaf) const;
    [[nodiscard]] Prepared prepare(std::string_view data) const;
    void check_signatures(std::span<Prepared> items) const;
    [[nodiscard]] BatchItem finish(Prepared& p,
                                   std::string_view data,
                                   std::string_view source) const;

    TrustStore anchors;
    std::vector<Certificate> intermediates;
    VerifyOptions options;
    std::vector<Issuer> issuers;
    mutable std::atomic<std::size_t> fast_hits{0};
};

BatchVerifier::Impl::Impl(TrustStore anchors_in,
                          std::vector<Certificate> intermediates_in,
                          VerifyOptions options_in,
                          std::size_t precompute_after)
    : anchors(std::move(anchors_in)),
      intermediates(std::move(intermediates_in)),
      options(std::move(options_in)) {
    if (!options.at) {
        options.at = options.clock();  // one validation time for the whole batch
    }
    VerifyOptions path_options = options;
    path_options.names.clear();
    path_options.purpose = Purpose::any;  // the issuer's own purpose is checked per leaf
    for (const auto& inter : intermediates) {
        if (!is_ca_cert(inter) || !options.crls.empty() || options.policy.enabled) {
            continue;
        }
        ChainReport path = verify_chain(inter, intermediates, anchors, path_options);
        if (simple_issuer_path(path, options.max_depth)) {
            issuers.push_back(make_issuer(inter, std::move(path), precompute_after));
        }
    }
}

ChainReport BatchVerifier::Impl::verify(const Certificate& leaf) const {
    const Issuer* issuer = nullptr;
    if (!is_ca_cert(leaf)) {
        for (const auto& is : issuers) {
            if (X509_check_issued(is.cert.native(), leaf.native()) == X509_V_OK) {
                issuer = &is;
                break;
            }
        }
        ossl::clear_errors();
    }
    if (issuer == nullptr) {
        return verify_chain(leaf, intermediates, anchors, options);
    }
    VerifyOptions o = options;
    o.anchor_validity = true;
    o.anchor_constraints = true;  // the issuer's CA, key usage and EKU apply to this leaf
    ChainReport r = verify_chain(leaf, {}, issuer->as_anchor, o);
    if (!r.reached_anchor || r.path.size() != 2) {
        return verify_chain(leaf, intermediates, anchors, options);
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
            f.code != FindingCode::unrelated_certificate && f.code != FindingCode::wrong_order) {
            ChainFinding g = f;
            g.position = *f.position + 1;
            r.findings.push_back(std::move(g));
        }
    }
    return r;
}

Prepared BatchVerifier::Impl::prepare(std::string_view data) const {
    Prepared p;
    if (!detail::fast_path_applies(options)) {
        return p;
    }
    p.der = first_certificate_der(data, p.buf);
    const auto name = p.der.empty() ? std::nullopt : detail::issuer_name_der(p.der);
    if (!name) {
        return p;
    }
    for (const auto& is : issuers) {
        if (der::equal(*name, {is.subject_der.data(), is.subject_der.size()})) {
            p.candidate = &is;
            break;
        }
    }
    if (p.candidate != nullptr) {
        const detail::FastIssuer fi{
            {p.candidate->subject_der.data(), p.candidate->subject_der.size()},
            {p.candidate->key_id.data(), p.candidate->key_id.size()},
            X509_get0_pubkey(p.candidate->cert.native())};
        p.leaf = detail::fast_check_leaf(p.der, fi, options);
    }
    ossl::clear_errors();
    return p;
}

void BatchVerifier::Impl::check_signatures(std::span<Prepared> items) const {
    // Leaves under a confirmed EC issuer whose precomputed table is ready: checked together.
    for (const auto& is : issuers) {
        if (!is.fast->confirmed.load(std::memory_order_relaxed)) {
            continue;
        }
        std::vector<Prepared*> mine;
        for (auto& p : items) {
            if (p.candidate == &is && p.leaf && p.leaf->key_type == EVP_PKEY_EC) {
                mine.push_back(&p);
            }
        }
        EVP_PKEY* key = X509_get0_pubkey(is.cert.native());
        const detail::FixedKeyEcdsa* ecdsa =
            mine.empty() ? nullptr : is.fast->accelerator(key, mine.size());
        if (ecdsa == nullptr) {
            continue;
        }
        std::vector<detail::FixedKeyEcdsa::Job> jobs;
        jobs.reserve(mine.size());
        for (const Prepared* p : mine) {
            jobs.push_back({p->leaf->md, p->leaf->tbs, p->leaf->signature});
        }
        const std::vector<bool> ok = ecdsa->verify_all(jobs);
        for (std::size_t i = 0; i < mine.size(); ++i) {
            mine[i]->signature_ok = ok[i];
            if (!ok[i]) {
                mine[i]->leaf.reset();
            }
        }
    }
    // The rest one by one.
    for (auto& p : items) {
        if (p.leaf && !p.signature_ok) {
            p.signature_ok =
                detail::fast_signature_ok(*p.leaf, X509_get0_pubkey(p.candidate->cert.native()));
            if (!p.signature_ok) {
                p.leaf.reset();
            }
        }
    }
}

BatchItem BatchVerifier::Impl::finish(Prepared& p,
                                      std::string_view data,
                                      std::string_view source) const {
    BatchItem item{0, std::string{source}, false, {}, {}, {}, false};
    std::optional<std::string> fast;
    if (p.leaf && p.signature_ok) {
        fast = detail::fast_subject(*p.leaf);
        if (fast && p.candidate->fast->confirmed.load(std::memory_order_relaxed)) {
            fast_hits.fetch_add(1, std::memory_order_relaxed);
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
        X509_cmp(r.path[1].certificate.native(), p.candidate->cert.native()) == 0 &&
        *fast == item.subject) {
        p.candidate->fast->confirmed.store(true, std::memory_order_relaxed);
    }
    return item;
}

BatchVerifier::BatchVerifier(TrustStore anchors,
                             std::vector<Certificate> intermediates,
                             VerifyOptions options,
                             std::size_t precompute_after)
    : m_impl(std::make_shared<Impl>(
          std::move(anchors), std::move(intermediates), std::move(options), precompute_after)) {}

ChainReport BatchVerifier::verify(const Certificate& leaf) const {
    return m_impl->verify(leaf);
}

std::size_t BatchVerifier::fast_path_hits() const noexcept {
    return m_impl->fast_hits.load();
}

BatchItem BatchVerifier::verify_encoded(std::string_view data, std::string_view source) const {
    Prepared p = m_impl->prepare(data);
    m_impl->check_signatures({&p, 1});
    return m_impl->finish(p, data, source);
}

std::vector<BatchItem> BatchVerifier::verify_encoded_all(std::span<const Encoded> inputs) const {
    std::vector<Prepared> prepared;
    prepared.reserve(inputs.size());
    for (const auto& in : inputs) {
        prepared.push_back(m_impl->prepare(in.data));
    }
    m_impl->check_signatures(prepared);
    std::vector<BatchItem> out;
    out.reserve(inputs.size());
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        try {
            out.push_back(m_impl->finish(prepared[i], inputs[i].data, inputs[i].source));
        } catch (const Error& e) {
            out.push_back({i, std::string{inputs[i].source}, false, {}, {}, e.what(), true});
        }
    }
    return out;
}

namespace {

// Verifies files[first], files[first + step], ... up to `count` of them, in one
// verify_encoded_all call (so their signatures share work); unreadable files become items
// with read_error set.
std::vector<BatchItem> verify_chunk(const BatchVerifier& verifier,
                                    const std::vector<std::filesystem::path>& files,
                                    std::size_t first,
                                    std::size_t step,
                                    std::size_t count) {
    std::vector<BatchItem> items;
    std::vector<std::string> data;
    std::vector<std::string> names;
    std::vector<std::size_t> read_index;  // item position of each readable file
    for (std::size_t k = 0, i = first; k < count && i < files.size(); ++k, i += step) {
        items.push_back({i, files[i].string(), false, {}, {}, {}, false});
        try {
            data.push_back(read_input_file(files[i], "certificate file"));
            names.push_back(files[i].string());
            read_index.push_back(items.size() - 1);
        } catch (const Error& e) {
            items.back().read_error = true;
            items.back().message = e.what();
        }
    }
    std::vector<BatchVerifier::Encoded> inputs;
    inputs.reserve(data.size());
    for (std::size_t j = 0; j < data.size(); ++j) {
        inputs.push_back({data[j], names[j]});
    }
    auto verdicts = verifier.verify_encoded_all(inputs);
    for (std::size_t j = 0; j < verdicts.size(); ++j) {
        BatchItem& slot = items[read_index[j]];
        verdicts[j].index = slot.index;
        slot = std::move(verdicts[j]);
    }
    return items;
}

constexpr std::size_t k_chunk = 64;  // certificates per verify_encoded_all call

// Worker results travel to the parent as length-prefixed binary records (the parent decodes
// one per certificate, so this is on the serial part of a batch): index (8 octets), flags,
// subject, code count, codes, message; each string as a 4-octet length and its bytes.
template <typename T>
void put(std::string& out, T v) {
    out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

void put_string(std::string& out, std::string_view v) {
    put(out, static_cast<std::uint32_t>(v.size()));
    out.append(v);
}

void encode(const BatchItem& item, std::string& out) {
    put(out, static_cast<std::uint64_t>(item.index));
    put(out, static_cast<std::uint8_t>((item.valid ? 1U : 0U) | (item.read_error ? 2U : 0U)));
    put_string(out, item.subject);
    put(out, static_cast<std::uint32_t>(item.codes.size()));
    for (const FindingCode c : item.codes) {
        put(out, static_cast<std::uint8_t>(c));
    }
    put_string(out, item.message);
}

// Reads records from `data`; returns how many bytes were consumed (a record cut at the end is
// left for the next read).
class RecordReader {
public:
    explicit RecordReader(std::string_view data) : m_data(data) {}

    std::optional<BatchItem> next() {
        const std::size_t start = m_pos;
        BatchItem item;
        std::uint64_t index = 0;
        std::uint8_t flags = 0;
        std::uint32_t codes = 0;
        // Each code takes one octet: more codes than octets left is a cut record.
        if (!get(index) || !get(flags) || !get_string(item.subject) || !get(codes) ||
            codes > m_data.size() - m_pos) {
            m_pos = start;
            return std::nullopt;
        }
        item.codes.resize(codes);
        for (auto& c : item.codes) {
            std::uint8_t octet = 0;
            if (!get(octet)) {
                m_pos = start;
                return std::nullopt;
            }
            // Written by our own worker from a FindingCode; anything else cannot be named.
            c = octet < finding_codes().size() ? static_cast<FindingCode>(octet)
                                               : FindingCode::invalid_certificate;
        }
        if (!get_string(item.message)) {
            m_pos = start;
            return std::nullopt;
        }
        item.index = static_cast<std::size_t>(index);
        item.valid = (flags & 1U) != 0;
        item.read_error = (flags & 2U) != 0;
        return item;
    }

    [[nodiscard]] std::size_t consumed() const { return m_pos; }

private:
    template <typename T>
    bool get(T& v) {
        if (m_data.size() - m_pos < sizeof v) {
            return false;
        }
        std::memcpy(&v, m_data.data() + m_pos, sizeof v);
        m_pos += sizeof v;
        return true;
    }

    bool get_string(std::string& v) {
        std::uint32_t len = 0;
        if (!get(len) || m_data.size() - m_pos < len) {
            return false;
        }
        v.assign(m_data.substr(m_pos, len));
        m_pos += len;
        return true;
    }

    std::string_view m_data;
    std::size_t m_pos{0};
};

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
    if (jobs == 1 || files.size() < std::size_t{2} * jobs) {
        for (std::size_t first = 0; first < files.size(); first += k_chunk) {
            for (const auto& item : verify_chunk(verifier, files, first, 1, k_chunk)) {
                sink(item);
            }
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
            for (std::size_t i = w; i < files.size(); i += jobs * k_chunk) {
                for (const auto& item : verify_chunk(verifier, files, i, jobs, k_chunk)) {
                    encode(item, out);
                }
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
            RecordReader records{w.buffer};
            while (auto item = records.next()) {
                if (item->index >= files.size()) {
                    throw Error(Errc::io, "a batch worker process sent a corrupt result");
                }
                item->file = files[item->index].string();
                pending.emplace(item->index, std::move(*item));
            }
            w.buffer.erase(0, records.consumed());
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
