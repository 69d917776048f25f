// What the appliance's outbound TLS modes do with mail, given what a probe of the receiving
// server saw. One table, the README's "TLS policy outcomes".
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace certtool {

// What the probe saw, in the order the conversation reaches them.
enum class ProbeOutcome {
    verified,    // V: TLS negotiated, chain and host name verified
    unverified,  // U: TLS negotiated, chain or host name not verified
    before_tls,  // B: no TLS before the server's 220 to STARTTLS (no ESMTP, STARTTLS not
                 //    advertised, or STARTTLS answered with an error); the session goes on in clear
    after_starttls,  // A: STARTTLS got its 220, then the TLS handshake failed
    no_session,      // X: no SMTP session at all (connection failed, no banner, not SMTP, refused)
};
[[nodiscard]] char outcome_letter(ProbeOutcome o) noexcept;  // 'V', 'U', 'B', 'A', 'X'
[[nodiscard]] std::string_view outcome_description(ProbeOutcome o) noexcept;

enum class TlsMode { none, preferred, required, preferred_verify, required_verify };
inline constexpr std::array<TlsMode, 5> k_tls_modes{TlsMode::none,
                                                    TlsMode::preferred,
                                                    TlsMode::required,
                                                    TlsMode::preferred_verify,
                                                    TlsMode::required_verify};
[[nodiscard]] std::string_view tls_mode_name(TlsMode m) noexcept;  // "Preferred-Verify"
// Case-insensitive, '-' or '_' optional: "required-verify", "RequiredVerify".
[[nodiscard]] std::optional<TlsMode> parse_tls_mode(std::string_view text);

struct Delivery {
    bool delivered{false};
    bool encrypted{false};
    bool verified{false};
    bool verification_checked{false};  // a -Verify mode: says "verified" or "unverified"
    // Did the mode get what it demands? (Delivered, and encrypted/verified where required.)
    bool as_demanded{false};
    [[nodiscard]] std::string text()
        const;  // "encrypted, verified", "encrypted", "clear", "not delivered"
};

// The appliance's behaviour: "None" never sends STARTTLS; "Preferred" falls back to clear only
// before the 220 to STARTTLS; "Required" needs encryption; the -Verify modes also a verified peer.
[[nodiscard]] Delivery delivery(TlsMode mode, ProbeOutcome outcome) noexcept;

}  // namespace certtool
