#include "text.hpp"

#include <certtool/tls_policy.hpp>

#include <algorithm>
#include <cctype>

namespace certtool {

char outcome_letter(ProbeOutcome o) noexcept {
    switch (o) {
        case ProbeOutcome::verified:
            return 'V';
        case ProbeOutcome::unverified:
            return 'U';
        case ProbeOutcome::before_tls:
            return 'B';
        case ProbeOutcome::after_starttls:
            return 'A';
        case ProbeOutcome::no_session:
            return 'X';
    }
    return '?';
}

std::string_view outcome_description(ProbeOutcome o) noexcept {
    switch (o) {
        case ProbeOutcome::verified:
            return "TLS negotiated and verified";
        case ProbeOutcome::unverified:
            return "TLS negotiated, not verified (chain or name)";
        case ProbeOutcome::before_tls:
            return "no TLS before the 220 reply to STARTTLS";
        case ProbeOutcome::after_starttls:
            return "STARTTLS got its 220, then the handshake failed";
        case ProbeOutcome::no_session:
            return "no SMTP session";
    }
    return "?";
}

std::string_view tls_mode_name(TlsMode m) noexcept {
    switch (m) {
        case TlsMode::none:
            return "None";
        case TlsMode::preferred:
            return "Preferred";
        case TlsMode::required:
            return "Required";
        case TlsMode::preferred_verify:
            return "Preferred-Verify";
        case TlsMode::required_verify:
            return "Required-Verify";
    }
    return "?";
}

std::optional<TlsMode> parse_tls_mode(std::string_view text) {
    std::string key;
    for (const char c : text) {
        if (c != '-' && c != '_') {
            key += text::ascii_lower(c);
        }
    }
    for (const TlsMode m : k_tls_modes) {
        std::string name;
        for (const char c : tls_mode_name(m)) {
            if (c != '-') {
                name += text::ascii_lower(c);
            }
        }
        if (name == key) {
            return m;
        }
    }
    return std::nullopt;
}

std::string Delivery::text() const {
    if (!delivered) {
        return "not delivered";
    }
    if (!encrypted) {
        return "clear";
    }
    if (!verification_checked) {
        return "encrypted";
    }
    return verified ? "encrypted, verified" : "encrypted, unverified";
}

Delivery delivery(TlsMode mode, ProbeOutcome outcome) noexcept {
    constexpr Delivery lost{};
    constexpr Delivery clear{true, false, false, false, false};
    const bool tls = outcome == ProbeOutcome::verified || outcome == ProbeOutcome::unverified;
    const bool verified = outcome == ProbeOutcome::verified;
    Delivery d;  // NOLINT(misc-const-correctness)
    if (outcome == ProbeOutcome::no_session) {
        return lost;  // deferred whatever the mode
    }
    switch (mode) {
        case TlsMode::none:
            d = clear;
            d.as_demanded = true;
            return d;
        case TlsMode::preferred:
        case TlsMode::preferred_verify:
            if (outcome == ProbeOutcome::after_starttls) {
                return lost;  // no fallback to clear after the 220
            }
            if (!tls) {
                d = clear;
                d.as_demanded = true;
                return d;
            }
            if (mode == TlsMode::preferred_verify) {
                return {true, true, verified, true, true};
            }
            return {true, true, false, false, true};
        case TlsMode::required:
            return tls ? Delivery{true, true, false, false, true} : lost;
        case TlsMode::required_verify:
            return verified ? Delivery{true, true, true, true, true} : lost;
    }
    return lost;
}

}  // namespace certtool
