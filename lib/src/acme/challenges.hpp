// The ways certtool proves control of a name to the CA (RFC 8555 section 8, RFC 8737), each a
// ChallengeSolver: http-01 answered by certtool's own listener (http01.hpp) or by a file in a
// web server's document root (webroot), dns-01 through the user's hook command, tls-alpn-01
// answered by certtool's own TLS listener (tls_alpn01.hpp). A solver is set up before any
// challenge is answered (a port in use, a missing webroot fail before the CA is asked for
// anything) and takes down what it presented when it goes (cleanup()).
#pragma once

#include <certtool/acme.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace certtool::detail {

class ChallengeSolver {
public:
    ChallengeSolver() = default;
    ChallengeSolver(const ChallengeSolver&) = delete;
    ChallengeSolver& operator=(const ChallengeSolver&) = delete;
    ChallengeSolver(ChallengeSolver&&) = delete;
    ChallengeSolver& operator=(ChallengeSolver&&) = delete;
    virtual ~ChallengeSolver() = default;

    // The ACME challenge type answered: "http-01", "dns-01" or "tls-alpn-01".
    [[nodiscard]] virtual std::string_view type() const = 0;

    // Makes the proof for `domain` (an authorization's identifier, without "*.") available.
    // Throws Error{io} naming what failed and the fix.
    virtual void present(const std::string& domain,
                         const std::string& token,
                         const std::string& key_authorization) = 0;

    // Withdraws everything presented. Returns what could not be withdrawn, one line each (a
    // hook that failed, a file that could not be removed): the certificate is issued anyway.
    virtual std::vector<std::string> cleanup() noexcept = 0;

    // Challenge requests answered by certtool itself (the standalone listeners), else 0.
    [[nodiscard]] virtual int answered() const { return 0; }
};

// The solver for the settings, ready: listening (standalone), the webroot checked. Throws
// Error{io} (a port in use or not allowed, a webroot that is not a directory),
// Error{invalid_argument} (the settings lack what the challenge needs: --webroot, --dns-hook).
[[nodiscard]] std::unique_ptr<ChallengeSolver> make_solver(const AcmeChallengeSettings& settings);

// dns-01's TXT value: base64url(SHA-256(key authorization)) (RFC 8555 8.4).
[[nodiscard]] std::string dns01_value(std::string_view key_authorization);

// tls-alpn-01's acmeIdentifier extension value: SHA-256 of the key authorization (RFC 8737).
[[nodiscard]] std::string tls_alpn01_digest(std::string_view key_authorization);

}  // namespace certtool::detail
