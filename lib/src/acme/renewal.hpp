// When an ACME certificate is due (acme renew): the CA's ACME Renewal Information (RFC 9773)
// when its directory offers renewalInfo, else a third of the lifetime left; a revoked
// certificate at once. Pure functions, for the unit tests.
#pragma once

#include <certtool/acme.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace certtool::detail {

// RFC 9773 4.1: base64url(the authority key identifier's keyIdentifier) "." base64url(the
// serial number's DER content octets). nullopt when the certificate has no keyIdentifier.
[[nodiscard]] std::optional<std::string> ari_certificate_id(const Certificate& certificate);

struct RenewalWindow {
    TimePoint start;
    TimePoint end;
    std::string explanation_url;
};

// A renewalInfo response body. Throws Error{network} naming the server when it is not one
// (no suggestedWindow, times unreadable, end before start).
[[nodiscard]] RenewalWindow parse_renewal_info(const nlohmann::json& body, std::string_view server);

// The decision: `window` the CA's (nullopt: the lifetime rule), `point` in [0, 1) where in the
// window this run renews (RFC 9773 4.2: a uniformly random point; a window already over is due
// now).
[[nodiscard]] AcmeRenewalDue renewal_due(const Certificate& certificate,
                                         const std::optional<RenewalWindow>& window,
                                         bool revoked,
                                         TimePoint now,
                                         double point);

}  // namespace certtool::detail
