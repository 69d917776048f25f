// Host name rules: what a valid name is, and whether a certificate is for a given name
// (RFC 6125 as the web PKI applies it).
#pragma once

#include <certtool/certificate.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace certtool {

// An RFC 1123 host name (letters, digits, hyphens; labels of 1-63 characters; 253 in all),
// optionally with a whole-label wildcard on the left ("*.example.com") when allowed. A wildcard
// must leave at least two labels ("*.com" would cover a whole top-level domain).
[[nodiscard]] bool is_valid_host_name(std::string_view name, bool allow_wildcard);

// An internationalised host name ("müller.example.com", UTF-8) in its ASCII form, the A-labels
// certificates carry ("xn--mller-kva.example.com"), by IDNA2008 with UTS #46 mapping (libidn2);
// a left-most "*." wildcard is kept. An ASCII name is returned as it is. Throws
// Error{invalid_argument} naming the name and libidn2's reason.
[[nodiscard]] std::string to_a_label(std::string_view name);

// The canonical text form of an IPv4 or IPv6 address (RFC 5952 for IPv6), or nothing.
[[nodiscard]] std::optional<std::string> canonical_ip(std::string_view text);

// Does the presented DNS name (from a certificate) cover the reference name? Case-insensitive;
// a trailing dot on the reference is ignored; a wildcard matches exactly one whole left-most
// label ("*.example.com" covers "mail.example.com", not "example.com" or "a.b.example.com");
// partial wildcards ("f*.example.com", "*x.example.com") never match; nor does a wildcard over
// a single label ("*.com").
[[nodiscard]] bool dns_name_matches(std::string_view presented, std::string_view reference);

// When the subject CN may stand in for a DNS name.
enum class CnFallback {
    never,             // web PKI: only subjectAltName entries count
    when_no_dns_name,  // RFC 6125 6.4.4: only if the certificate has no DNS SAN at all
};

struct NameMatch {
    SubjectAltName reference;  // the name asked for
    bool matched{false};
    std::string presented;  // what matched ("DNS:*.example.com", "CN=mail.example.com"), or ""
};

// Matches one reference name (DNS, IP or email) against the certificate's identities: DNS
// names against DNS SANs (then the CN per `fallback`), IP addresses against IP SANs only,
// email addresses against rfc822Name SANs (the domain part case-insensitively).
[[nodiscard]] NameMatch match_name(const Certificate& cert,
                                   const SubjectAltName& reference,
                                   CnFallback fallback);

}  // namespace certtool
