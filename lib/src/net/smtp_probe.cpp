#include "net.hpp"
#include "ossl.hpp"
#include "text.hpp"

#include <certtool/error.hpp>
#include <certtool/hostname.hpp>
#include <certtool/smtp_probe.hpp>

#include <fmt/core.h>
#include <openssl/err.h>

#include <netdb.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <functional>
#include <thread>

namespace certtool {

ProbeTarget ProbeTarget::parse(const std::string& text) {
    ProbeTarget t;
    std::string port;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string::npos || (close + 1 < text.size() && text[close + 1] != ':')) {
            throw Error(
                Errc::invalid_argument,
                fmt::format("'{}' is not HOST[:PORT]; write IPv6 as [2001:db8::1]:25", text));
        }
        t.host = text.substr(1, close - 1);
        port = close + 1 < text.size() ? text.substr(close + 2) : "";
    } else if (std::count(text.begin(), text.end(), ':') == 1) {
        t.host = text.substr(0, text.find(':'));
        port = text.substr(text.find(':') + 1);
    } else {
        t.host = text;  // a name, or a bare IPv6 address
    }
    if (t.host.empty()) {
        throw Error(Errc::invalid_argument,
                    fmt::format("'{}' has no host; give HOST[:PORT]", text));
    }
    if (!port.empty() || text.back() == ':') {
        unsigned p = 0;
        const auto* end = port.data() + port.size();
        if (const auto [ptr, ec] = std::from_chars(port.data(), end, p);
            ec != std::errc{} || ptr != end || p == 0 || p > 65535) {
            throw Error(
                Errc::invalid_argument,
                fmt::format("'{}' has a bad port; give HOST[:PORT] with PORT 1-65535", text));
        }
        t.port = static_cast<std::uint16_t>(p);
    }
    return t;
}

std::string_view probe_mode_name(ProbeMode m) noexcept {
    switch (m) {
        case ProbeMode::starttls:
            return "starttls";
        case ProbeMode::implicit_tls:
            return "tls";
        case ProbeMode::plain:
            return "plain";
    }
    return "?";
}

ProbeMode default_probe_mode(std::uint16_t port) noexcept {
    return port == 465 ? ProbeMode::implicit_tls : ProbeMode::starttls;
}

std::string_view step_status_name(StepStatus s) noexcept {
    switch (s) {
        case StepStatus::ok:
            return "ok";
        case StepStatus::failed:
            return "failed";
        case StepStatus::skipped:
            return "skipped";
    }
    return "?";
}

const ProbeStep* ProbeResult::step(std::string_view name) const {
    const auto it = std::find_if(
        steps.begin(), steps.end(), [&](const ProbeStep& s) { return s.name == name; });
    return it == steps.end() ? nullptr : &*it;
}

namespace {

using Clock = std::chrono::steady_clock;
using net::Millis;

constexpr std::size_t max_line = 4096;
constexpr std::size_t max_reply_lines = 200;

struct Reply {
    int code{0};
    std::vector<std::string> lines;  // text after "250-" / "250 "

    [[nodiscard]] std::string text() const {
        std::string out = std::to_string(code);
        for (std::size_t i = 0; i < lines.size(); ++i) {
            out += i == 0 ? " " : " | ";
            out += lines[i];
        }
        return out;
    }
};

// What the peer sent, printable and short, for "not an SMTP server" messages.
std::string printable(std::string_view s) {
    std::string out;
    for (const char c : s.substr(0, 60)) {
        const auto u = static_cast<unsigned char>(c);
        out += std::isprint(u) != 0 ? c : '?';
    }
    return out;
}

// An SMTP connection: plain, then (after STARTTLS, or from the start) TLS. Every read and
// write has the phase timeout; failures are Error{network} ("timed out ...", "closed ...")
// or Error{parse} (the peer does not speak SMTP).
class SmtpConnection {
public:
    SmtpConnection(net::Socket socket, Millis timeout)
        : m_socket(std::move(socket)), m_timeout(timeout) {}

    void start_tls(SSL_CTX* ctx, const std::string& sni) {
        m_ssl.reset(SSL_new(ctx));
        if (!m_ssl || SSL_set_fd(m_ssl.get(), m_socket.fd()) != 1) {
            throw Error(Errc::crypto, "cannot set up TLS: " + ossl::drain_errors());
        }
        if (!sni.empty()) {
            // SSL_set_tlsext_host_name without its C cast
            SSL_ctrl(m_ssl.get(),
                     SSL_CTRL_SET_TLSEXT_HOSTNAME,
                     TLSEXT_NAMETYPE_host_name,
                     const_cast<char*>(sni.c_str()));
        }
        SSL_set_connect_state(m_ssl.get());
        const auto deadline = Clock::now() + m_timeout;
        for (;;) {
            ossl::clear_errors();
            const int rc = SSL_do_handshake(m_ssl.get());
            if (rc == 1) {
                return;
            }
            wait_tls(SSL_get_error(m_ssl.get(), rc), deadline, "the TLS handshake");
        }
    }

    [[nodiscard]] SSL* ssl() const noexcept { return m_ssl.get(); }

    [[nodiscard]] int fd() const noexcept { return m_socket.fd(); }

    void send(const std::string& line, std::string_view what) {
        const std::string data = line + "\r\n";
        if (!m_ssl) {
            net::send_all(m_socket.fd(), data, m_timeout, what);
            return;
        }
        const auto deadline = Clock::now() + m_timeout;
        std::size_t done = 0;
        while (done < data.size()) {
            std::size_t n = 0;
            ossl::clear_errors();
            const int rc = SSL_write_ex(m_ssl.get(), data.data() + done, data.size() - done, &n);
            if (rc == 1) {
                done += n;
                continue;
            }
            wait_tls(SSL_get_error(m_ssl.get(), rc), deadline, what);
        }
    }

    Reply read_reply(std::string_view what) {
        const auto deadline = Clock::now() + m_timeout;
        Reply reply;
        for (;;) {
            const std::string line = read_line(deadline, what);
            if (line.size() < 3 ||
                !std::all_of(
                    line.begin(),
                    line.begin() + 3,
                    [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }) ||
                (line.size() > 3 && line[3] != ' ' && line[3] != '-')) {
                throw Error(Errc::parse,
                            fmt::format("not an SMTP reply to {}: '{}'", what, printable(line)));
            }
            const int code = std::stoi(line.substr(0, 3));
            if (reply.code != 0 && code != reply.code) {
                throw Error(
                    Errc::parse,
                    fmt::format(
                        "inconsistent multi-line reply to {}: '{}'", what, printable(line)));
            }
            reply.code = code;
            reply.lines.push_back(line.size() > 4 ? line.substr(4) : std::string{});
            if (line.size() == 3 || line[3] == ' ') {
                return reply;
            }
            if (reply.lines.size() > max_reply_lines) {
                throw Error(Errc::parse,
                            fmt::format("reply to {} has over {} lines", what, max_reply_lines));
            }
        }
    }

    // After STARTTLS's 220, nothing may be buffered: a server that pipelines plaintext past
    // it is attempting (or suffering) a STARTTLS injection.
    [[nodiscard]] bool has_buffered_input() const noexcept { return !m_buffer.empty(); }

private:
    std::string read_line(Clock::time_point deadline, std::string_view what) {
        for (;;) {
            if (const auto nl = m_buffer.find('\n'); nl != std::string::npos) {
                std::string line = m_buffer.substr(0, nl);
                m_buffer.erase(0, nl + 1);
                if (!line.empty() && line.back() == '\r') {
                    line.pop_back();
                }
                return line;
            }
            if (m_buffer.size() > max_line) {
                throw Error(Errc::parse,
                            fmt::format("not an SMTP reply to {}: a line over {} "
                                        "bytes starting '{}'",
                                        what,
                                        max_line,
                                        printable(m_buffer)));
            }
            const std::string chunk = receive(deadline, what);
            if (chunk.empty()) {
                if (!m_buffer.empty()) {
                    throw Error(Errc::parse,
                                fmt::format("not an SMTP reply to {}: '{}' then the "
                                            "connection closed",
                                            what,
                                            printable(m_buffer)));
                }
                throw Error(
                    Errc::network,
                    fmt::format("the server closed the connection instead of answering {}", what));
            }
            m_buffer += chunk;
        }
    }

    std::string receive(Clock::time_point deadline, std::string_view what) {
        if (!m_ssl) {
            if (!net::wait_for(m_socket.fd(), POLLIN, left(deadline))) {
                throw Error(
                    Errc::network,
                    fmt::format("timed out after {} ms waiting for {}", m_timeout.count(), what));
            }
            return net::receive_some(m_socket.fd(), 4096, m_timeout, what);
        }
        std::array<char, 4096> buf{};
        for (;;) {
            std::size_t n = 0;
            ossl::clear_errors();
            const int rc = SSL_read_ex(m_ssl.get(), buf.data(), buf.size(), &n);
            if (rc == 1) {
                return {buf.data(), n};
            }
            const int err = SSL_get_error(m_ssl.get(), rc);
            if (err == SSL_ERROR_ZERO_RETURN) {
                return {};
            }
            wait_tls(err, deadline, what);
        }
    }

    [[nodiscard]] static Millis left(Clock::time_point deadline) {
        return std::max(Millis{0}, std::chrono::duration_cast<Millis>(deadline - Clock::now()));
    }

    // Waits as OpenSSL asks, or throws with the reason the TLS operation failed.
    void wait_tls(int err, Clock::time_point deadline, std::string_view what) {
        short events = 0;
        if (err == SSL_ERROR_WANT_READ) {
            events = POLLIN;
        } else if (err == SSL_ERROR_WANT_WRITE) {
            events = POLLOUT;
        } else {
            const int saved_errno = errno;
            std::string reason = ossl::drain_errors();
            if (reason.empty()) {
                reason = err == SSL_ERROR_SYSCALL && saved_errno != 0
                             ? std::strerror(saved_errno)
                             : "the server closed the connection";
            }
            throw Error(Errc::network, fmt::format("{} failed: {}", what, reason));
        }
        if (!net::wait_for(m_socket.fd(), events, left(deadline))) {
            throw Error(Errc::network,
                        fmt::format("timed out after {} ms during {}", m_timeout.count(), what));
        }
    }

    net::Socket m_socket;
    ossl::SslPtr m_ssl;
    std::string m_buffer;
    Millis m_timeout;
};

// A probing client: any protocol version and cipher the server may offer (we report weak
// ones rather than refuse them); no verification in the handshake (verify_chain does it).
ossl::SslCtxPtr make_client_context() {
    ossl::SslCtxPtr ctx{SSL_CTX_new(TLS_client_method())};
    if (!ctx) {
        throw Error(Errc::crypto, "cannot create a TLS context: " + ossl::drain_errors());
    }
    SSL_CTX_set_security_level(ctx.get(), 0);
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_VERSION);
    // Everything a server might still run, except unauthenticated suites: like an MTA, the
    // probe expects a certificate (anonymous DH would hide a server with no usable one).
    SSL_CTX_set_cipher_list(ctx.get(), "ALL:!aNULL:!eNULL:@SECLEVEL=0");
    SSL_CTX_set_options(ctx.get(), SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
    return ctx;
}

// This host's fully qualified name, if it has one that is not "localhost".
std::optional<std::string> host_fqdn() {
    std::array<char, 256> buf{};
    if (::gethostname(buf.data(), buf.size() - 1) != 0) {
        return std::nullopt;
    }
    std::string name{buf.data()};
    if (name.find('.') == std::string::npos) {
        addrinfo hints{};
        hints.ai_flags = AI_CANONNAME;
        addrinfo* res = nullptr;
        if (::getaddrinfo(name.c_str(), nullptr, &hints, &res) == 0 && res != nullptr) {
            if (res->ai_canonname != nullptr) {
                name = res->ai_canonname;
            }
            ::freeaddrinfo(res);
        }
    }
    const std::string lower = text::ascii_lower(name);
    if (lower.find('.') == std::string::npos || lower.rfind("localhost", 0) == 0 ||
        !is_valid_host_name(lower, false)) {
        return std::nullopt;
    }
    return name;
}

// "[192.0.2.1]" / "[IPv6:2001:db8::1]" for our end of the connection (RFC 5321 4.1.3).
std::string local_address_literal(int fd) {
    net::Endpoint local;
    local.length = sizeof(local.addr);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local.addr), &local.length) != 0) {
        return "[127.0.0.1]";
    }
    return local.addr.ss_family == AF_INET6 ? "[IPv6:" + local.address() + "]"
                                            : "[" + local.address() + "]";
}

bool weak_protocol(std::string_view v) {
    return v == "SSLv3" || v == "TLSv1" || v == "TLSv1.1";
}

bool weak_cipher(std::string_view name, int bits) {
    for (const std::string_view bad :
         {"RC4", "DES-CBC3", "3DES", "NULL", "EXP", "ADH", "AECDH", "anon", "MD5"}) {
        if (name.find(bad) != std::string_view::npos) {
            return true;
        }
    }
    return bits < 128;
}

// The conversation, step by step. Each `run` records one phase.
class Probe {
public:
    explicit Probe(ProbeResult& r) : m_r(r) {}

    // Runs `body` as phase `name`; on failure records the step and the finding and returns false.
    bool run(const std::string& name,
             const std::function<std::string()>& body,
             std::optional<FindingCode> failure_code = std::nullopt) {
        ProbeStep step{name, StepStatus::ok, 0, {}};
        const auto start = Clock::now();
        bool ok = true;
        try {
            step.detail = body();
        } catch (const Error& e) {
            ok = false;
            step.status = StepStatus::failed;
            step.detail = e.what();
            if (failure_code) {
                // The peer answered, but not in SMTP; or it answered the banner with a refusal.
                const bool greeting = name == "banner" || name == "ehlo";
                const FindingCode code = e.code() == Errc::parse && greeting ? FindingCode::not_smtp
                                         : e.code() == Errc::unsupported && name == "banner"
                                             ? FindingCode::session_refused
                                             : *failure_code;
                finding(code, Severity::error, fmt::format("{}: {}", name, e.what()));
            }
        }
        step.ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
        m_r.steps.push_back(std::move(step));
        return ok;
    }

    void skip(const std::string& name, std::string why) {
        m_r.steps.push_back({name, StepStatus::skipped, 0, std::move(why)});
    }

    void finding(FindingCode code, Severity severity, std::string message) {
        m_r.findings.push_back({code, severity, std::move(message), {}, std::nullopt});
    }

private:
    ProbeResult& m_r;
};

// The names the certificate must match for this host. A host name that is not a valid DNS name
// (an MX record may hold anything) becomes a finding instead of an expected name.
std::vector<SubjectAltName> expected_names(ProbeResult& r, const ProbeOptions& options) {
    std::vector<SubjectAltName> names;
    // An address, or a loopback name, says where to connect, not who the server is.
    const bool locator = !net::literal(r.host, 25).empty() || r.host == "localhost" ||
                         r.host.ends_with(".localhost");
    if (!locator || options.hostnames.empty()) {
        try {
            names.push_back(SubjectAltName::parse(r.host));
        } catch (const Error& e) {
            r.findings.push_back(
                {FindingCode::invalid_host_name,
                 Severity::error,
                 fmt::format("'{}' cannot be matched against a certificate: {}", r.host, e.what()),
                 {},
                 std::nullopt});
        }
    }
    for (const auto& h : options.hostnames) {
        auto n = SubjectAltName::parse(h);  // checked by the caller
        if (std::find_if(names.begin(), names.end(), [&](const SubjectAltName& x) {
                return x.value == n.value && x.kind == n.kind;
            }) == names.end()) {
            names.push_back(std::move(n));
        }
    }
    return names;
}

std::string sni_for(const std::vector<SubjectAltName>& names) {
    for (const auto& n : names) {
        if (n.kind == SubjectAltName::Kind::dns) {
            return n.value;
        }
    }
    return {};
}

void summarise(ProbeResult& r) {
    auto& s = r.summary;
    const auto* banner = r.step("banner");
    s.connect = banner != nullptr && banner->status == StepStatus::ok;
    const auto* ehlo = r.step("ehlo");
    s.helo = ehlo != nullptr && ehlo->status == StepStatus::ok;
    s.tls = !r.tls_protocol.empty();
    if (r.chain) {
        const auto& f = r.chain->findings;
        s.cert = std::none_of(f.begin(), f.end(), [](const ChainFinding& x) {
            return x.severity == Severity::error && x.code != FindingCode::hostname_mismatch;
        });
        const bool names_ok = std::all_of(r.chain->names.begin(),
                                          r.chain->names.end(),
                                          [](const NameMatch& m) { return m.matched; });
        s.secure = s.cert && names_ok && r.chain->valid && !weak_protocol(r.tls_protocol) &&
                   !weak_cipher(r.tls_cipher, r.tls_bits);
    }
    if (const auto* from = r.step("mail-from");
        from != nullptr && from->status != StepStatus::skipped) {
        s.from = from->status == StepStatus::ok;
    }
    r.confidence = probe_confidence(r);
}

ProbeOutcome classify(const ProbeResult& r) {
    const auto* handshake = r.step("tls-handshake");
    const bool handshake_failed = handshake != nullptr && handshake->status == StepStatus::failed;
    if (r.mode == ProbeMode::implicit_tls && handshake_failed) {
        return ProbeOutcome::after_starttls;  // no clear-text fallback on a TLS-only port
    }
    if (!r.summary.connect || !r.summary.helo) {
        return ProbeOutcome::no_session;
    }
    if (!r.tls_protocol.empty()) {
        return r.chain && r.chain->valid ? ProbeOutcome::verified : ProbeOutcome::unverified;
    }
    return handshake_failed ? ProbeOutcome::after_starttls : ProbeOutcome::before_tls;
}

void converse(ProbeResult& r,
              const TrustStore& trust,
              const ProbeOptions& options,
              const std::vector<std::string>& addresses) {
    Probe p{r};
    const auto names = expected_names(r, options);
    std::optional<SmtpConnection> conn;

    // connect: the first address that accepts
    const bool connected = p.run(
        "connect",
        [&] {
            std::vector<net::Endpoint> endpoints;
            for (const auto& a : addresses) {
                auto e = net::literal(a, r.port);
                endpoints.insert(endpoints.end(), e.begin(), e.end());
            }
            if (endpoints.empty()) {
                endpoints = net::resolve(r.host, r.port);
            }
            std::string last;
            for (const auto& e : endpoints) {
                try {
                    conn.emplace(net::connect(e, options.timeout), options.timeout);
                    r.address = e.address();
                    return fmt::format("connected to {} port {}", r.address, r.port);
                } catch (const Error& err) {
                    last = err.what();
                }
            }
            throw Error(Errc::network, last.empty() ? "no address to connect to" : last);
        },
        FindingCode::connect_failed);
    if (!connected) {
        return;
    }
    static const ossl::SslCtxPtr ctx = make_client_context();  // thread-safe after creation

    const auto handshake = [&] {
        return p.run(
            "tls-handshake",
            [&] {
                conn->start_tls(ctx.get(), sni_for(names));
                r.tls_protocol = SSL_get_version(conn->ssl());
                const SSL_CIPHER* cipher = SSL_get_current_cipher(conn->ssl());
                r.tls_cipher = cipher != nullptr ? SSL_CIPHER_get_name(cipher) : "";
                r.tls_bits = cipher != nullptr ? SSL_CIPHER_get_bits(cipher, nullptr) : 0;
                return fmt::format(
                    "{} with {} ({} bits)", r.tls_protocol, r.tls_cipher, r.tls_bits);
            },
            FindingCode::handshake_failed);
    };
    if (options.mode == ProbeMode::implicit_tls && !handshake()) {
        return;
    }

    const bool banner_ok = p.run(
        "banner",
        [&] {
            const Reply banner = conn->read_reply("the banner");
            r.banner = banner.text();
            if (banner.code != 220) {
                throw Error(Errc::unsupported, "the server refused the session: " + banner.text());
            }
            return banner.text();
        },
        FindingCode::no_banner);
    if (!banner_ok) {
        return;
    }
    r.ehlo_name = !options.ehlo_name.empty() ? options.ehlo_name : host_fqdn().value_or("");
    if (r.ehlo_name.empty()) {
        r.ehlo_name = local_address_literal(conn->fd());
    }
    const auto ehlo = [&](const std::string& step, bool record_extensions) {
        return p.run(
            step,
            [&] {
                conn->send("EHLO " + r.ehlo_name, "EHLO");
                const Reply reply = conn->read_reply("EHLO");
                if (reply.code == 250) {
                    if (record_extensions) {
                        r.esmtp = true;
                        r.extensions.clear();
                        for (std::size_t i = 1; i < reply.lines.size(); ++i) {
                            std::string kw = reply.lines[i].substr(0, reply.lines[i].find(' '));
                            std::transform(kw.begin(), kw.end(), kw.begin(), [](unsigned char c) {
                                return static_cast<char>(std::toupper(c));
                            });
                            r.extensions.push_back(kw);
                        }
                        r.starttls_offered =
                            std::find(r.extensions.begin(), r.extensions.end(), "STARTTLS") !=
                            r.extensions.end();
                    }
                    return reply.text();
                }
                if (reply.code < 500 || !record_extensions) {
                    throw Error(Errc::unsupported, "EHLO was rejected: " + reply.text());
                }
                // No ESMTP: fall back to HELO, as an MTA would.
                conn->send("HELO " + r.ehlo_name, "HELO");
                const Reply helo = conn->read_reply("HELO");
                if (helo.code != 250) {
                    throw Error(
                        Errc::unsupported,
                        fmt::format(
                            "EHLO ({}) and HELO ({}) were rejected", reply.text(), helo.text()));
                }
                p.finding(
                    FindingCode::no_esmtp,
                    Severity::error,
                    fmt::format("the server does not understand EHLO ({}), so it cannot offer "
                                "STARTTLS: the MTA has no ESMTP; upgrade or reconfigure it",
                                reply.text()));
                return "HELO: " + helo.text();
            },
            FindingCode::session_refused);
    };
    if (!ehlo("ehlo", true)) {
        return;
    }

    bool tls = options.mode == ProbeMode::implicit_tls;
    if (options.mode == ProbeMode::starttls) {
        if (!r.esmtp) {
            p.skip("starttls", "no ESMTP");
        } else if (!r.starttls_offered) {
            p.skip("starttls", "STARTTLS is not among the EHLO extensions");
            p.finding(FindingCode::starttls_not_offered,
                      Severity::error,
                      "STARTTLS is not advertised after EHLO: TLS is off on this server; enable "
                      "it (Postfix: smtpd_tls_security_level = may)");
        } else {
            const bool got_220 = p.run(
                "starttls",
                [&] {
                    conn->send("STARTTLS", "STARTTLS");
                    const Reply reply = conn->read_reply("STARTTLS");
                    if (reply.code != 220) {
                        throw Error(Errc::unsupported,
                                    "STARTTLS was answered with an error: " + reply.text());
                    }
                    if (conn->has_buffered_input()) {
                        throw Error(Errc::parse,
                                    "the server sent data after its 220 to STARTTLS "
                                    "(plaintext injection); refusing to continue");
                    }
                    return reply.text();
                },
                FindingCode::starttls_refused);
            if (got_220) {
                if (!handshake()) {
                    return;
                }
                tls = true;
            }
        }
    } else if (options.mode == ProbeMode::plain) {
        p.skip("starttls", "plain mode never sends STARTTLS");
        if (r.starttls_offered) {
            p.finding(FindingCode::starttls_not_tried,
                      Severity::info,
                      "STARTTLS is advertised but plain mode does not try it; drop --plain");
        }
    }
    if (options.mode == ProbeMode::implicit_tls) {
        r.starttls_offered = false;
    }

    if (tls) {
        p.run(
            "verify",
            [&] {
                if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(conn->ssl());
                    chain != nullptr) {
                    for (int i = 0; i < sk_X509_num(chain); ++i) {
                        r.served.push_back(Certificate::adopt(sk_X509_value(chain, i)));
                    }
                }
                if (r.served.empty()) {
                    throw Error(Errc::parse, "the server sent no certificate");
                }
                VerifyOptions vo = options.verify;
                vo.names = names;
                vo.purpose = Purpose::server;
                const std::vector<Certificate> rest(r.served.begin() + 1, r.served.end());
                r.chain = verify_chain(r.served.front(), rest, trust, vo);
                return r.chain->valid ? std::string{"chain and host name verified"}
                                      : std::string{"not verified"};
            },
            FindingCode::no_certificate);
        if (r.chain && !r.chain->valid) {
            r.steps.back().status = StepStatus::failed;
        }
        if (weak_protocol(r.tls_protocol)) {
            p.finding(FindingCode::weak_protocol,
                      Severity::warning,
                      fmt::format("{} is obsolete (RFC 8996); enable TLS 1.2 or 1.3 on the server",
                                  r.tls_protocol));
        }
        if (weak_cipher(r.tls_cipher, r.tls_bits)) {
            p.finding(FindingCode::weak_cipher,
                      Severity::warning,
                      fmt::format("cipher {} ({} bits) is weak; prefer AES-GCM or ChaCha20",
                                  r.tls_cipher,
                                  r.tls_bits));
        }
        if (options.mode == ProbeMode::implicit_tls) {
            p.skip("ehlo-tls", "implicit TLS: the first EHLO was already over TLS");
        } else if (!ehlo("ehlo-tls", false)) {
            return;
        }
    } else {
        p.skip("verify", "no TLS");
        p.skip("ehlo-tls", "no TLS");
    }

    if (options.mail_from) {
        p.run(
            "mail-from",
            [&] {
                conn->send("MAIL FROM:<" + *options.mail_from + ">", "MAIL FROM");
                const Reply reply = conn->read_reply("MAIL FROM");
                if (reply.code != 250) {
                    throw Error(Errc::unsupported, "MAIL FROM was rejected: " + reply.text());
                }
                conn->send("RSET", "RSET");
                (void)conn->read_reply("RSET");
                return reply.text();
            },
            FindingCode::mail_from_rejected);
        if (!r.findings.empty() && r.findings.back().code == FindingCode::mail_from_rejected) {
            r.findings.back().severity = Severity::warning;
        }
    } else {
        p.skip("mail-from", "no --from");
    }
    p.run("quit", [&] {
        conn->send("QUIT", "QUIT");
        return conn->read_reply("QUIT").text();
    });
}

}  // namespace

bool probe_passed(const ProbeResult& r) noexcept {
    return r.outcome == ProbeOutcome::verified &&
           std::none_of(r.findings.begin(), r.findings.end(), [](const ChainFinding& f) {
               return f.severity == Severity::error;
           });
}

int probe_confidence(const ProbeResult& r) noexcept {
    const auto& s = r.summary;
    int score = 0;
    score += s.connect ? 20 : 0;
    score += s.helo ? (r.esmtp ? 20 : 10) : 0;
    score += s.tls ? 20 : 0;
    score += s.cert ? 20 : 0;
    score += s.secure ? 20 : 0;
    return score;
}

ProbeResult probe_smtp(const std::string& host,
                       std::uint16_t port,
                       const TrustStore& trust,
                       const ProbeOptions& options,
                       const std::vector<std::string>& addresses) {
    ProbeResult r;
    r.host = host;
    r.port = port;
    r.mode = options.mode;
    const auto start = Clock::now();
    std::vector<std::string> addrs = addresses;
    if (addrs.empty() && options.dns_server && net::literal(host, port).empty()) {
        try {
            addrs = lookup_addresses(host, {options.dns_server, options.timeout});
        } catch (const Error& e) {
            r.steps.push_back({"connect", StepStatus::failed, 0, e.what()});
            r.findings.push_back({FindingCode::connect_failed,
                                  Severity::error,
                                  fmt::format("connect: {}", e.what()),
                                  {},
                                  std::nullopt});
        }
    }
    if (r.steps.empty()) {
        converse(r, trust, options, addrs);
    }
    if (r.chain) {
        for (const auto& f : r.chain->findings) {
            r.findings.push_back(f);
        }
    }
    summarise(r);
    r.outcome = classify(r);
    r.total_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    return r;
}

void check_expected_certificate(ProbeResult& r,
                                const Certificate& expected,
                                const std::string& entry_name) {
    if (r.served.empty()) {
        return;
    }
    const Certificate& leaf = r.served.front();
    if (leaf.sha256_fingerprint() == expected.sha256_fingerprint()) {
        r.findings.push_back({FindingCode::certificate_current,
                              Severity::info,
                              fmt::format("the server presents the certificate of store entry "
                                          "'{}'",
                                          entry_name),
                              leaf.subject(),
                              0});
        return;
    }
    r.findings.push_back(
        {FindingCode::stale_certificate,
         Severity::error,
         fmt::format("the server presents '{}' (SHA-256 {}, serial {}), not the certificate of "
                     "store entry '{}' (SHA-256 {}, serial {}): install the entry's certificate "
                     "on the server (certtool export {} ...) and reload the service",
                     leaf.subject(),
                     leaf.sha256_fingerprint(),
                     leaf.serial_hex(),
                     entry_name,
                     expected.sha256_fingerprint(),
                     expected.serial_hex(),
                     entry_name),
         leaf.subject(),
         0});
}

Delivery MxReport::delivery(TlsMode mode) const {
    for (const auto& h : hosts) {
        if (const Delivery d = certtool::delivery(mode, h.outcome); d.as_demanded) {
            return d;
        }
    }
    return hosts.empty() ? Delivery{} : certtool::delivery(mode, hosts.front().outcome);
}

MxReport probe_mx(const std::string& domain,
                  std::uint16_t port,
                  const TrustStore& trust,
                  const ProbeOptions& options) {
    MxReport report;
    report.domain = domain;
    report.mx = lookup_mx(domain, {options.dns_server, options.timeout});
    report.hosts.resize(report.mx.hosts.size());
    {
        std::vector<std::jthread> workers;
        workers.reserve(report.mx.hosts.size());
        for (std::size_t i = 0; i < report.mx.hosts.size(); ++i) {
            workers.emplace_back([&, i] {
                const auto& mx = report.mx.hosts[i];
                try {
                    report.hosts[i] = probe_smtp(mx.host, port, trust, options);
                } catch (const std::exception& e) {  // never let a thread end the process
                    report.hosts[i].host = mx.host;
                    report.hosts[i].port = port;
                    report.hosts[i].findings.push_back(
                        {FindingCode::connect_failed, Severity::error, e.what(), {}, std::nullopt});
                }
                report.hosts[i].mx_preference = mx.preference;
            });
        }
    }
    double confidence = 0;
    for (const auto& h : report.hosts) {
        confidence += h.confidence;
        report.mean_ms += h.total_ms;
    }
    if (!report.hosts.empty()) {
        report.confidence =
            static_cast<int>(confidence / static_cast<double>(report.hosts.size()) + 0.5);
        report.mean_ms /= static_cast<double>(report.hosts.size());
    }
    return report;
}

}  // namespace certtool
