// Chain verification: build a path to a trust anchor, validate it, and explain every problem
// with a stable finding code.
#pragma once

#include <certtool/certificate.hpp>
#include <certtool/finding.hpp>
#include <certtool/hostname.hpp>
#include <certtool/time.hpp>
#include <certtool/trust.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certtool {

enum class Purpose { server, client, any };

// How strict verification is: which rules make a chain invalid. Each profile includes the one
// before it; under `openssl` the rules of the other two are still checked and reported as
// warnings.
enum class Profile {
    openssl,  // the default: what an OpenSSL-based peer (Postfix, Dovecot, Exim with OpenSSL)
              //   decides: X509_verify_cert without X509_STRICT at `security_level`, trust
              //   settings honoured, a path ends at a self-signed root or at a certificate
              //   whose trust settings decide (no partial chains), CN fallback for host names
    rfc5280,  // + RFC 5280 rules OpenSSL leaves out (serial numbers, empty EKU, constraint
              //   criticality, name syntax, wildcards vs. excluded subtrees, X509_STRICT's
              //   checks), keys of min_security_bits; every trusted certificate is an anchor
    webpki,   // + CA/Browser Forum rules: SAN required (no CN fallback), CN among the SANs,
              //   EKU required on the leaf and not anyEKU, RSA >= 2048 and a multiple of 8,
              //   no DSA, v3 only, no EKU on roots, well-formed AKI/AIA
};
inline constexpr Profile k_default_profile = Profile::openssl;
[[nodiscard]] std::string_view profile_name(Profile p) noexcept;
[[nodiscard]] std::optional<Profile> parse_profile(std::string_view name) noexcept;

// RFC 5280 6.1.1 policy inputs; off unless enabled.
struct PolicyOptions {
    bool enabled{false};
    std::vector<std::string> initial_policies;  // dotted OIDs; empty means anyPolicy
    bool require_explicit{false};
    bool inhibit_mapping{false};
    bool inhibit_any{false};
};

struct VerifyOptions {
    std::optional<TimePoint> at;  // validation time; unset: clock()
    std::function<TimePoint()> clock{[] { return std::chrono::system_clock::now(); }};
    bool check_time{true};
    std::vector<SubjectAltName> names;  // every one must match the leaf
    Purpose purpose{Purpose::server};
    int max_depth{8};       // intermediates between leaf and anchor (self-issued ones not counted)
    std::vector<Crl> crls;  // given: every certificate must have a current CRL from its issuer
    Profile profile{k_default_profile};
    // OpenSSL's security level for the openssl profile (0-5; SSL_CTX_set_security_level): 1,
    // OpenSSL's default, rejects keys under 80 bits of security (RSA < 1024) and MD5 and SHA-1
    // signatures below the anchor; 2 (Debian's system default for TLS) keys under 112 bits.
    int security_level{1};
    // Cryptographic strength (rfc5280 and webpki profiles; warnings under openssl): SHA-1
    // signatures are rejected
    // unless allowed; so are keys below this many bits of security (112: RSA 2048, P-224).
    // MD5 and MD2 signatures are always rejected.
    bool allow_sha1{false};
    int min_security_bits{112};
    // Strict purpose (as Chromium's *_STRICT): the leaf must list the purpose in its EKU
    // (anyEKU does not count; no code/OCSP/time-stamp signing; not a CA), and with `chain` every
    // CA with an EKU must list the purpose itself. The webpki profile implies `leaf`.
    enum class StrictEku { off, leaf, chain };
    StrictEku strict_eku{StrictEku::off};
    // The subject CN counts as a DNS name when the certificate has no DNS SAN (RFC 6125 6.4.4).
    // Never under the webpki profile.
    bool common_name_fallback{true};
    // RFC 5280 treats a trust anchor as a name and a key. These apply its certificate's
    // validity period, and its CA/key-usage/EKU/path-length fields, too.
    bool anchor_validity{true};
    bool anchor_constraints{true};
    PolicyOptions policy;
    std::size_t max_paths{32};  // candidate paths tried before giving up
    Remedies remedies;          // how findings' messages tell the user to fix what they report
};

// One certificate of the verified path.
struct PathCertificate {
    Certificate certificate;
    bool trust_anchor{false};
    std::vector<FindingCode> problems;  // codes of the error findings about this certificate
};

struct ChainReport {
    bool valid{false};
    std::vector<PathCertificate> path;  // leaf first; ends at the anchor when one was reached
    bool reached_anchor{false};
    std::vector<ChainFinding> findings;
    std::vector<NameMatch> names;
    TimePoint validated_at;
    bool time_checked{true};
    Profile profile{k_default_profile};
    std::size_t paths_tried{0};
};

// Builds candidate paths from `leaf` through `untrusted` (any order, duplicates and strays
// allowed) to an anchor in `anchors`, trying alternative issuers until one path validates, and
// reports the valid path or the most complete failed one with every problem found. Never
// throws for an invalid chain; throws Error{crypto} only if OpenSSL itself fails.
[[nodiscard]] ChainReport verify_chain(const Certificate& leaf,
                                       const std::vector<Certificate>& untrusted,
                                       const TrustStore& anchors,
                                       const VerifyOptions& options);

}  // namespace certtool
