#include "net.hpp"
#include "ossl.hpp"
#include "smtp.hpp"
#include "text.hpp"

#include <certtool/error.hpp>
#include <certtool/hostname.hpp>
#include <certtool/smtp_probe.hpp>

#include <fmt/core.h>

#include <netdb.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
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
using net::SmtpReply;

// The client side of every handshake in one check-tls run, created once and shared by all the
// run's probes (probe_mx's threads included: SSL_new on a configured SSL_CTX is thread-safe).
// A probing client: any protocol version and cipher the server may offer (we report weak ones
// rather than refuse them); no verification in the handshake (verify_chain does it).
class ProbeTlsContext {
public:
    ProbeTlsContext() : m_ctx(SSL_CTX_new(TLS_client_method())) {
        if (!m_ctx) {
            throw Error(Errc::crypto, "cannot create a TLS context: " + ossl::drain_errors());
        }
        SSL_CTX_set_security_level(m_ctx.get(), 0);
        SSL_CTX_set_min_proto_version(m_ctx.get(), TLS1_VERSION);
        // Everything a server might still run, except unauthenticated suites: like an MTA, the
        // probe expects a certificate (anonymous DH would hide a server with no usable one).
        SSL_CTX_set_cipher_list(m_ctx.get(), "ALL:!aNULL:!eNULL:@SECLEVEL=0");
        SSL_CTX_set_options(m_ctx.get(),
                            SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_IGNORE_UNEXPECTED_EOF);
        SSL_CTX_set_verify(m_ctx.get(), SSL_VERIFY_NONE, nullptr);
    }

    // Borrowed; valid while this context lives.
    [[nodiscard]] SSL_CTX* get() const noexcept { return m_ctx.get(); }

private:
    ossl::SslCtxPtr m_ctx;
};

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

// The record of the conversation: each `run` times one phase and records it as a step, with a
// finding when it fails. Once the probe's deadline has passed, the phase it cut (or the next one)
// fails with the deadline's finding and later phases are skipped.
class PhaseLog {
public:
    PhaseLog(ProbeResult& r, const net::TimeLimits& limits) : m_r(r), m_limits(limits) {}

    // Runs `body` as phase `name`; on failure records the step and the finding and returns false.
    bool run(const std::string& name,
             const std::function<std::string()>& body,
             std::optional<FindingCode> failure_code = std::nullopt) {
        if (m_limits.passed()) {
            return after_deadline(name, failure_code);
        }
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
                finding(code, Severity::error, fmt::format("{}: {}{}", name, e.what(), hint()));
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
    // Phase `name` was not started: the deadline had passed. The first such phase (unless one
    // was cut already) fails with the phase's finding; the rest are skipped.
    bool after_deadline(const std::string& name, std::optional<FindingCode> failure_code) {
        if (m_deadline_reported) {
            skip(name, "the probe's deadline had passed");
            return false;
        }
        const std::string why = m_limits.deadline_error("before " + name).what();
        m_r.steps.push_back({name, StepStatus::failed, 0, why});
        const std::string fix = hint();
        if (failure_code) {
            finding(*failure_code, Severity::error, fmt::format("{}: {}{}", name, why, fix));
        }
        m_deadline_reported = true;
        return false;
    }

    // Said once, on the failure the deadline caused.
    std::string hint() {
        if (m_deadline_reported || !m_limits.passed()) {
            return {};
        }
        m_deadline_reported = true;
        return "; the server answers too slowly for the whole conversation to fit: allow more "
               "with --deadline (default 3 x --timeout)";
    }

    ProbeResult& m_r;
    const net::TimeLimits& m_limits;
    bool m_deadline_reported{false};
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
        // No clear-text fallback on a TLS-only port (A). But a banner means the server greeted
        // in plaintext SMTP: a STARTTLS port, where this mode has no session at all (X).
        return r.banner.empty() ? ProbeOutcome::after_starttls : ProbeOutcome::no_session;
    }
    if (!r.summary.connect || !r.summary.helo) {
        return ProbeOutcome::no_session;
    }
    if (!r.tls_protocol.empty()) {
        return r.chain && r.chain->valid ? ProbeOutcome::verified : ProbeOutcome::unverified;
    }
    return handshake_failed ? ProbeOutcome::after_starttls : ProbeOutcome::before_tls;
}

// One probe of one host. Each SMTP/TLS phase is one method that records its step (PhaseLog) and
// says whether the conversation can go on; run() puts them in the conversation's order.
class ProbeSession {
public:
    ProbeSession(ProbeResult& r,
                 const TrustStore& trust,
                 const ProbeOptions& options,
                 const ProbeTlsContext& tls,
                 const net::TimeLimits& limits)
        : m_r(r),
          m_trust(trust),
          m_options(options),
          m_tls(tls),
          m_limits(limits),
          m_log(r, limits),
          m_names(expected_names(r, options)) {}

    ProbeSession(const ProbeSession&) = delete;
    ProbeSession& operator=(const ProbeSession&) = delete;
    ProbeSession(ProbeSession&&) = delete;
    ProbeSession& operator=(ProbeSession&&) = delete;
    ~ProbeSession() = default;

    // connect, [tls-handshake], banner, ehlo, starttls, [tls-handshake], verify, ehlo-tls,
    // mail-from, quit; a phase that ends the session skips the rest.
    void run(const std::vector<std::string>& addresses) {
        const bool implicit = m_options.mode == ProbeMode::implicit_tls;
        if (!connect(addresses) || (implicit && !handshake()) || !banner() || !ehlo()) {
            return;
        }
        bool tls = implicit;
        if (m_options.mode == ProbeMode::starttls) {
            const Upgrade upgrade = starttls();
            if (upgrade == Upgrade::ended) {
                return;
            }
            tls = upgrade == Upgrade::encrypted;
        } else if (m_options.mode == ProbeMode::plain) {
            stay_plain();
        } else {
            m_r.starttls_offered = false;  // implicit TLS: the EHLO was already over TLS
        }
        if (tls) {
            verify();
            if (!ehlo_tls()) {
                return;
            }
        } else {
            m_log.skip("verify", "no TLS");
            m_log.skip("ehlo-tls", "no TLS");
        }
        mail_from();
        quit();
    }

private:
    enum class Upgrade {
        clear,
        encrypted,
        ended
    };  // after STARTTLS: go on in clear, over TLS, stop

    // The first address that accepts a TCP connection (the given ones, else the host's).
    bool connect(const std::vector<std::string>& addresses) {
        return m_log.run(
            "connect",
            [&] {
                std::vector<net::Endpoint> endpoints;
                for (const auto& a : addresses) {
                    auto e = net::literal(a, m_r.port);
                    endpoints.insert(endpoints.end(), e.begin(), e.end());
                }
                if (endpoints.empty()) {
                    endpoints = net::resolve(m_r.host, m_r.port);
                }
                std::string last;
                for (const auto& e : endpoints) {
                    try {
                        m_stream.emplace(net::connect(e, m_limits.step_left()), m_limits);
                        m_smtp.emplace(*m_stream);
                        m_r.address = e.address();
                        return fmt::format("connected to {} port {}", m_r.address, m_r.port);
                    } catch (const Error& err) {
                        last = err.what();
                    }
                }
                if (m_limits.passed()) {
                    throw m_limits.deadline_error("connecting");
                }
                throw Error(Errc::network, last.empty() ? "no address to connect to" : last);
            },
            FindingCode::connect_failed);
    }

    bool handshake() {
        return m_log.run(
            "tls-handshake",
            [&] {
                try {
                    m_stream->start_tls(m_tls.get(), sni_for(m_names));
                } catch (const Error&) {
                    refuse_plaintext_greeting();
                    throw;
                }
                SSL* ssl = m_stream->ssl();
                m_r.tls_protocol = SSL_get_version(ssl);
                const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
                m_r.tls_cipher = cipher != nullptr ? SSL_CIPHER_get_name(cipher) : "";
                m_r.tls_bits = cipher != nullptr ? SSL_CIPHER_get_bits(cipher, nullptr) : 0;
                return fmt::format(
                    "{} with {} ({} bits)", m_r.tls_protocol, m_r.tls_cipher, m_r.tls_bits);
            },
            FindingCode::handshake_failed);
    }

    // --tls against a port that speaks SMTP in clear: the server greeted instead of answering
    // the ClientHello. Throws what happened and the fix; returns if that was not the case.
    void refuse_plaintext_greeting() {
        const std::string& reply = m_stream->cleartext_reply();
        const std::string greeting = reply.substr(0, reply.find_first_of("\r\n"));
        if (m_options.mode != ProbeMode::implicit_tls || !net::is_reply_line(greeting)) {
            return;
        }
        m_r.banner = greeting;  // what makes classify() say X rather than A
        throw Error(Errc::network,
                    fmt::format("the server greeted in plaintext SMTP ('{}') instead of starting "
                                "TLS: this port speaks SMTP with STARTTLS, not implicit TLS; "
                                "probe it with --starttls smtp",
                                net::printable(greeting)));
    }

    bool banner() {
        return m_log.run(
            "banner",
            [&] {
                const SmtpReply banner = m_smtp->read_reply("the banner");
                m_r.banner = banner.text();
                if (banner.code != 220) {
                    throw Error(Errc::unsupported,
                                "the server refused the session: " + banner.text());
                }
                return banner.text();
            },
            FindingCode::no_banner);
    }

    // EHLO, or HELO when EHLO is not understood; records the extensions.
    bool ehlo() {
        m_r.ehlo_name =
            !m_options.ehlo_name.empty() ? m_options.ehlo_name : host_fqdn().value_or("");
        if (m_r.ehlo_name.empty()) {
            m_r.ehlo_name = local_address_literal(m_stream->fd());
        }
        return m_log.run(
            "ehlo",
            [&] {
                const SmtpReply reply = command("EHLO " + m_r.ehlo_name, "EHLO");
                if (reply.code == 250) {
                    record_extensions(reply);
                    return reply.text();
                }
                if (reply.code < 500) {
                    throw Error(Errc::unsupported, "EHLO was rejected: " + reply.text());
                }
                return helo(reply);  // no ESMTP: fall back to HELO, as an MTA would
            },
            FindingCode::session_refused);
    }

    void record_extensions(const SmtpReply& reply) {
        m_r.esmtp = true;
        m_r.extensions = net::ehlo_keywords(reply);
        m_r.starttls_offered =
            std::find(m_r.extensions.begin(), m_r.extensions.end(), "STARTTLS") !=
            m_r.extensions.end();
    }

    std::string helo(const SmtpReply& ehlo_reply) {
        const SmtpReply reply = command("HELO " + m_r.ehlo_name, "HELO");
        if (reply.code != 250) {
            throw Error(
                Errc::unsupported,
                fmt::format(
                    "EHLO ({}) and HELO ({}) were rejected", ehlo_reply.text(), reply.text()));
        }
        m_log.finding(FindingCode::no_esmtp,
                      Severity::error,
                      fmt::format("the server does not understand EHLO ({}), so it cannot offer "
                                  "STARTTLS: the MTA has no ESMTP; upgrade or reconfigure it",
                                  ehlo_reply.text()));
        return "HELO: " + reply.text();
    }

    // STARTTLS if offered, then the handshake after its 220.
    Upgrade starttls() {
        if (!m_r.esmtp) {
            m_log.skip("starttls", "no ESMTP");
            return Upgrade::clear;
        }
        if (!m_r.starttls_offered) {
            m_log.skip("starttls", "STARTTLS is not among the EHLO extensions");
            m_log.finding(FindingCode::starttls_not_offered,
                          Severity::error,
                          "STARTTLS is not advertised after EHLO: TLS is off on this server; "
                          "enable it (Postfix: smtpd_tls_security_level = may)");
            return Upgrade::clear;
        }
        const bool got_220 = m_log.run(
            "starttls",
            [&] {
                const SmtpReply reply = command("STARTTLS", "STARTTLS");
                if (reply.code != 220) {
                    throw Error(Errc::unsupported,
                                "STARTTLS was answered with an error: " + reply.text());
                }
                if (m_smtp->has_buffered_input()) {
                    throw Error(Errc::parse,
                                "the server sent data after its 220 to STARTTLS (plaintext "
                                "injection); refusing to continue");
                }
                return reply.text();
            },
            FindingCode::starttls_refused);
        if (!got_220) {
            return Upgrade::clear;
        }
        return handshake() ? Upgrade::encrypted : Upgrade::ended;
    }

    void stay_plain() {
        m_log.skip("starttls", "plain mode never sends STARTTLS");
        if (m_r.starttls_offered) {
            m_log.finding(FindingCode::starttls_not_tried,
                          Severity::info,
                          "STARTTLS is advertised but plain mode does not try it; drop --plain");
        }
    }

    // The served chain and names through verify_chain, then the negotiated protocol and cipher.
    void verify() {
        m_log.run(
            "verify",
            [&] {
                if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(m_stream->ssl());
                    chain != nullptr) {
                    for (int i = 0; i < sk_X509_num(chain); ++i) {
                        m_r.served.push_back(Certificate::adopt(sk_X509_value(chain, i)));
                    }
                }
                if (m_r.served.empty()) {
                    throw Error(Errc::parse, "the server sent no certificate");
                }
                VerifyOptions vo = m_options.verify;
                vo.names = m_names;
                vo.purpose = Purpose::server;
                const std::vector<Certificate> rest(m_r.served.begin() + 1, m_r.served.end());
                m_r.chain = verify_chain(m_r.served.front(), rest, m_trust, vo);
                return m_r.chain->valid ? std::string{"chain and host name verified"}
                                        : std::string{"not verified"};
            },
            FindingCode::no_certificate);
        if (m_r.chain && !m_r.chain->valid) {
            m_r.steps.back().status = StepStatus::failed;
        }
        if (weak_protocol(m_r.tls_protocol)) {
            m_log.finding(
                FindingCode::weak_protocol,
                Severity::warning,
                fmt::format("{} is obsolete (RFC 8996); enable TLS 1.2 or 1.3 on the server",
                            m_r.tls_protocol));
        }
        if (weak_cipher(m_r.tls_cipher, m_r.tls_bits)) {
            m_log.finding(FindingCode::weak_cipher,
                          Severity::warning,
                          fmt::format("cipher {} ({} bits) is weak; prefer AES-GCM or ChaCha20",
                                      m_r.tls_cipher,
                                      m_r.tls_bits));
        }
    }

    // EHLO again over TLS after STARTTLS (RFC 3207 4.2); implicit TLS already said it.
    bool ehlo_tls() {
        if (m_options.mode == ProbeMode::implicit_tls) {
            m_log.skip("ehlo-tls", "implicit TLS: the first EHLO was already over TLS");
            return true;
        }
        return m_log.run(
            "ehlo-tls",
            [&] {
                const SmtpReply reply = command("EHLO " + m_r.ehlo_name, "EHLO");
                if (reply.code != 250) {
                    throw Error(Errc::unsupported, "EHLO was rejected: " + reply.text());
                }
                return reply.text();
            },
            FindingCode::session_refused);
    }

    // MAIL FROM:<--from>, then RSET: nothing is ever sent. A refusal is a warning.
    void mail_from() {
        if (!m_options.mail_from) {
            m_log.skip("mail-from", "no --from");
            return;
        }
        m_log.run(
            "mail-from",
            [&] {
                const SmtpReply reply =
                    command("MAIL FROM:<" + *m_options.mail_from + ">", "MAIL FROM");
                if (reply.code != 250) {
                    throw Error(Errc::unsupported, "MAIL FROM was rejected: " + reply.text());
                }
                (void)command("RSET", "RSET");
                return reply.text();
            },
            FindingCode::mail_from_rejected);
        if (!m_r.findings.empty() && m_r.findings.back().code == FindingCode::mail_from_rejected) {
            m_r.findings.back().severity = Severity::warning;
        }
    }

    void quit() {
        m_log.run("quit", [&] { return command("QUIT", "QUIT").text(); });
    }

    SmtpReply command(const std::string& line, std::string_view what) {
        m_smtp->send(line, what);
        return m_smtp->read_reply(what);
    }

    ProbeResult& m_r;
    const TrustStore& m_trust;
    const ProbeOptions& m_options;
    const ProbeTlsContext& m_tls;
    const net::TimeLimits& m_limits;
    PhaseLog m_log;
    std::vector<SubjectAltName> m_names;  // what the certificate must match; SNI is the first
    std::optional<net::Stream> m_stream;
    std::optional<net::SmtpChannel> m_smtp;  // on m_stream, declared after it
};

// probe_smtp with the run's TLS context.
ProbeResult probe_host(const std::string& host,
                       std::uint16_t port,
                       const TrustStore& trust,
                       const ProbeOptions& options,
                       const ProbeTlsContext& tls,
                       const net::TimeLimits& limits,
                       const std::vector<std::string>& addresses) {
    ProbeResult r;
    r.host = host;
    r.port = port;
    r.mode = options.mode;
    const auto start = Clock::now();
    std::vector<std::string> addrs = addresses;
    if (addrs.empty() && options.dns_server && net::literal(host, port).empty()) {
        try {
            addrs = lookup_addresses(host, {options.dns_server, limits.step_left()});
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
        ProbeSession{r, trust, options, tls, limits}.run(addrs);
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
    const auto limits =
        net::TimeLimits::starting_now(options.timeout, options.effective_deadline());
    const ProbeTlsContext tls;
    return probe_host(host, port, trust, options, tls, limits, addresses);
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
    const auto limits =
        net::TimeLimits::starting_now(options.timeout, options.effective_deadline());
    report.mx = lookup_mx(domain, {options.dns_server, limits.step_left()});
    report.hosts.resize(report.mx.hosts.size());
    const ProbeTlsContext tls;  // one for every host
    {
        std::vector<std::jthread> workers;
        workers.reserve(report.mx.hosts.size());
        for (std::size_t i = 0; i < report.mx.hosts.size(); ++i) {
            workers.emplace_back([&, i] {
                const auto& mx = report.mx.hosts[i];
                try {
                    report.hosts[i] = probe_host(mx.host, port, trust, options, tls, limits, {});
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
            static_cast<int>(std::lround(confidence / static_cast<double>(report.hosts.size())));
        report.mean_ms /= static_cast<double>(report.hosts.size());
    }
    return report;
}

TlsCheckPlan TlsCheckPlan::from(const TlsCheckRequest& request) {
    if (request.target.empty() == request.mx_domain.empty()) {
        throw Error(Errc::invalid_argument,
                    "give HOST[:PORT] or --mx DOMAIN (not both): certtool check-tls "
                    "mail.example.com, or certtool check-tls --mx example.com");
    }
    if (!request.starttls.empty() && request.starttls != "smtp") {
        throw Error(
            Errc::invalid_argument,
            fmt::format("--starttls {} is not supported; use --starttls smtp", request.starttls));
    }
    TlsCheckPlan plan;
    if (!request.policy.empty()) {
        plan.policy = parse_tls_mode(request.policy);
        if (!plan.policy) {
            throw Error(Errc::invalid_argument,
                        fmt::format("--policy '{}' is not a TLS mode; use none, preferred, "
                                    "required, preferred-verify or required-verify",
                                    request.policy));
        }
    }
    const ProbeTarget target = request.mx_domain.empty()
                                   ? ProbeTarget::parse(request.target)
                                   : ProbeTarget{request.mx_domain, std::nullopt};
    plan.host = target.host;
    plan.mx = !request.mx_domain.empty();
    plan.port = request.port.value_or(target.port.value_or(25));
    plan.options = request.options;
    plan.options.mode = request.implicit_tls        ? ProbeMode::implicit_tls
                        : request.plain             ? ProbeMode::plain
                        : !request.starttls.empty() ? ProbeMode::starttls
                                                    : default_probe_mode(plan.port);
    for (const auto& h : plan.options.hostnames) {
        (void)SubjectAltName::parse(h);  // reject a bad --hostname before connecting
    }
    return plan;
}

std::vector<const ProbeResult*> TlsCheckReport::results() const {
    std::vector<const ProbeResult*> out;
    if (host) {
        out.push_back(&*host);
    }
    if (mx) {
        for (const auto& h : mx->hosts) {
            out.push_back(&h);
        }
    }
    return out;
}

std::optional<Delivery> TlsCheckReport::policy_delivery() const {
    if (!policy) {
        return std::nullopt;
    }
    if (mx) {
        return mx->delivery(*policy);
    }
    return host ? std::optional<Delivery>{delivery(*policy, host->outcome)} : std::nullopt;
}

bool TlsCheckReport::passed() const {
    if (const auto d = policy_delivery()) {
        return d->as_demanded;
    }
    const auto all = results();
    return std::all_of(
        all.begin(), all.end(), [](const ProbeResult* r) { return probe_passed(*r); });
}

TlsCheckReport check_tls(const TlsCheckPlan& plan,
                         const TrustStore& trust,
                         const std::optional<ExpectedCertificate>& expected) {
    TlsCheckReport report;
    report.policy = plan.policy;
    if (plan.mx) {
        report.mx = probe_mx(plan.host, plan.port, trust, plan.options);
    } else {
        report.host = probe_smtp(plan.host, plan.port, trust, plan.options);
    }
    if (expected) {
        const auto check = [&](ProbeResult& r) {
            check_expected_certificate(r, expected->certificate, expected->entry_name);
        };
        if (report.host) {
            check(*report.host);
        }
        if (report.mx) {
            std::for_each(report.mx->hosts.begin(), report.mx->hosts.end(), check);
        }
    }
    return report;
}

}  // namespace certtool
