// check-tls: probes a live SMTP server the way a third-party checker does (connect, banner,
// EHLO, STARTTLS, handshake, chain and host-name verification through verify_chain, EHLO
// again, an optional MAIL FROM, QUIT), times every phase, and says what the appliance's
// outbound TLS modes would do (tls_policy.hpp). --mx probes every MX host of a domain at once.
#pragma once

#include <certtool/dns.hpp>
#include <certtool/tls_policy.hpp>
#include <certtool/verify.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace certtool {

// "host", "host:25", "192.0.2.1:25", "[2001:db8::1]:25", "2001:db8::1" (no port).
struct ProbeTarget {
    std::string host;
    std::optional<std::uint16_t> port;

    // Throws Error{invalid_argument} naming the problem and the expected form.
    [[nodiscard]] static ProbeTarget parse(const std::string& text);
};

enum class ProbeMode {
    starttls,      // SMTP, STARTTLS (ports 25 and 587, and any port but 465 by default)
    implicit_tls,  // TLS from the first byte, then SMTP (port 465)
    plain,         // SMTP in clear: never sends STARTTLS (reports whether it is offered)
};
[[nodiscard]] std::string_view probe_mode_name(ProbeMode m) noexcept;
[[nodiscard]] ProbeMode default_probe_mode(std::uint16_t port) noexcept;

// The default deadline of a whole probe, in timeouts: room for one phase that takes nearly the
// whole timeout (a greeting delay) and the others at a normal pace.
inline constexpr int k_deadline_timeouts = 3;

struct ProbeOptions {
    ProbeMode mode{ProbeMode::starttls};
    std::chrono::milliseconds timeout{10000};  // per phase
    // The whole probe ends by then: every phase, and with --mx the MX lookup and every host (in
    // parallel). Unset: k_deadline_timeouts x timeout. See effective_deadline().
    std::optional<std::chrono::milliseconds> deadline;
    // EHLO argument; empty = this host's FQDN, or the address literal "[192.0.2.1]" of our
    // end of the connection when the host has no FQDN (never "localhost").
    std::string ehlo_name;
    std::optional<std::string> mail_from;  // test MAIL FROM:<addr> (then RSET) when set
    std::vector<std::string> hostnames;    // more names the certificate must match (--hostname)
    VerifyOptions verify;                  // time, profile...; `names` is filled per host
    std::optional<DnsServer> dns_server;   // for --mx and host names (else the system resolver)

    [[nodiscard]] std::chrono::milliseconds effective_deadline() const noexcept {
        return deadline.value_or(k_deadline_timeouts * timeout);
    }
};

enum class StepStatus { ok, failed, skipped };
[[nodiscard]] std::string_view step_status_name(StepStatus s) noexcept;

// One phase of the conversation: "connect", "banner", "ehlo", "starttls", "tls-handshake",
// "verify", "ehlo-tls", "mail-from", "quit".
struct ProbeStep {
    std::string name;
    StepStatus status{StepStatus::skipped};
    double ms{0};
    std::string detail;  // the server's reply, or why the phase failed
};

// CheckTLS's columns for one host.
struct ProbeSummary {
    bool connect{false};       // TCP connection and a 220 banner
    bool helo{false};          // EHLO (or HELO) accepted
    bool tls{false};           // TLS negotiated
    bool cert{false};          // the served chain validates to a trust anchor
    bool secure{false};        // cert, the host name matches, TLS 1.2 or later, no weak cipher
    std::optional<bool> from;  // MAIL FROM accepted, when tested
};

struct ProbeResult {
    std::string host;     // as given (a name or an IP literal)
    std::string address;  // the address connected to, "" if none
    std::uint16_t port{25};
    std::uint16_t mx_preference{0};
    ProbeMode mode{ProbeMode::starttls};
    std::vector<ProbeStep> steps;
    std::string banner;
    bool esmtp{false};
    bool starttls_offered{false};
    std::vector<std::string> extensions;  // EHLO keywords before TLS, upper case
    std::string ehlo_name;                // what we said
    std::string tls_protocol;             // "TLSv1.3", "" without TLS
    std::string tls_cipher;
    int tls_bits{0};
    std::vector<Certificate> served;  // the chain as the server sent it, leaf first
    std::optional<ChainReport> chain;
    std::vector<ChainFinding> findings;  // the probe's own, then the chain's
    ProbeOutcome outcome{ProbeOutcome::no_session};
    ProbeSummary summary;
    int confidence{0};  // 0-100, see probe_confidence
    double total_ms{0};

    [[nodiscard]] const ProbeStep* step(std::string_view name) const;
};

// Probes one host. `host` is a name or an IP literal; `addresses`, if given, are tried in
// order instead of resolving it. The expected names are `host` (unless it is an IP literal or
// localhost and --hostname names were given) plus options.hostnames. Never throws for what the
// server does: failures are steps, findings and the outcome.
[[nodiscard]] ProbeResult probe_smtp(const std::string& host,
                                     std::uint16_t port,
                                     const TrustStore& trust,
                                     const ProbeOptions& options,
                                     const std::vector<std::string>& addresses = {});

// The probe's answer to "is this host fine?": TLS negotiated and verified (V), and no finding
// of severity error (a stale certificate, for one).
[[nodiscard]] bool probe_passed(const ProbeResult& r) noexcept;

// Connect 20 + HELO 20 (10 if only HELO) + TLS 20 + Cert 20 + Secure 20; From is reported but
// not weighed (it tests the sender address, not the transport).
[[nodiscard]] int probe_confidence(const ProbeResult& r) noexcept;

// Compares the served leaf with the certificate a store entry holds: a finding
// "stale-certificate" (error) or "certificate-current" (info).
void check_expected_certificate(ProbeResult& r,
                                const Certificate& expected,
                                const std::string& entry_name);

struct MxReport {
    std::string domain;
    MxLookup mx;
    std::vector<ProbeResult> hosts;  // in preference order
    int confidence{0};               // the mean of the hosts' confidence
    double mean_ms{0};
    // Outcome for the domain under `mode`: the first host (in preference order) where mail
    // would go as the mode demands; else the most preferred host's outcome.
    [[nodiscard]] Delivery delivery(TlsMode mode) const;
};

// Looks up the MX hosts of `domain` and probes them all concurrently. Throws Error{network}
// for a domain without mail hosts or when DNS cannot be reached.
[[nodiscard]] MxReport probe_mx(const std::string& domain,
                                std::uint16_t port,
                                const TrustStore& trust,
                                const ProbeOptions& options);

// check-tls as a command line states it: one HOST[:PORT] or every MX host of a domain, the
// port and mode flags, and the policy that decides the verdict. Strings are as given; plan()
// checks them.
struct TlsCheckRequest {
    std::string target;                 // HOST[:PORT]; exactly one of target and mx_domain
    std::string mx_domain;              // --mx DOMAIN
    std::optional<std::uint16_t> port;  // --port: wins over HOST:PORT; else 25
    std::string starttls;               // --starttls PROTOCOL ("smtp" only), "" if not given
    bool implicit_tls{false};           // --tls
    bool plain{false};                  // --plain
    std::string policy;                 // --policy MODE (a TlsMode name), "" if not given
    ProbeOptions options;               // `mode` is decided by plan()
};

// A checked request: what to probe, where and how.
struct TlsCheckPlan {
    std::string host;        // the host to probe, or the domain whose MX hosts to probe
    bool mx{false};          // probe every MX host of `host`
    std::uint16_t port{25};  // --port, else the one in HOST:PORT, else 25
    ProbeOptions options;    // mode: --starttls/--tls/--plain, else default_probe_mode(port)
    std::optional<TlsMode> policy;

    // Throws Error{invalid_argument} naming the problem and the fix: neither or both of target
    // and mx_domain, a --starttls protocol other than smtp, an unknown policy, a bad
    // HOST[:PORT] or --hostname.
    [[nodiscard]] static TlsCheckPlan from(const TlsCheckRequest& request);
};

// The certificate a store entry holds, for check_expected_certificate.
struct ExpectedCertificate {
    Certificate certificate;
    std::string entry_name;
};

struct TlsCheckReport {
    std::optional<ProbeResult> host;  // the probe of one host, or
    std::optional<MxReport> mx;       // those of a domain's MX hosts
    std::optional<TlsMode> policy;

    // Every probed host (pointers into this report).
    [[nodiscard]] std::vector<const ProbeResult*> results() const;
    // What mail would get under `policy` (the domain's delivery for --mx), if one was given.
    [[nodiscard]] std::optional<Delivery> policy_delivery() const;
    // The verdict: with a policy, mail is delivered as it demands; without, every probed host
    // passed (probe_passed).
    [[nodiscard]] bool passed() const;
};

// Runs the plan: probe_smtp or probe_mx, then check_expected_certificate on every host when
// `expected` is given. Throws as probe_mx does (DNS failures); a server's behaviour is an answer.
[[nodiscard]] TlsCheckReport check_tls(const TlsCheckPlan& plan,
                                       const TrustStore& trust,
                                       const std::optional<ExpectedCertificate>& expected = {});

}  // namespace certtool
