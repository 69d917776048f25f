// OpenSSL's trust settings on anchors (the auxiliary data of a TRUSTED CERTIFICATE) and where a
// path may end.
#pragma once

#include <certtool/verify.hpp>

namespace certtool::detail {

enum class AnchorTrust {
    neutral,  // no trust settings for this purpose: the profile's rule decides
    trusted,  // trusted for the purpose (or for anyExtendedKeyUsage)
    rejected  // rejected for it, or trusted only for other purposes
};

// `anchor`'s trust settings for `purpose`, as OpenSSL's X509_check_trust reads them (without
// its rule that a self-signed certificate with no settings is trusted). `anchor` must be the
// trust store's copy (TrustStore::find), which carries the settings.
[[nodiscard]] AnchorTrust anchor_trust(const Certificate& anchor, Purpose purpose);

// Does a path end at this anchor (the store's copy)? Under rfc5280 and webpki every anchor ends
// it (RFC 5280: an anchor is a name and a key). Under openssl, as X509_verify_cert without
// partial chains decides: a self-signed root, or a certificate whose trust settings decide
// the purpose; another trusted certificate is only an intermediate on the way to its root.
[[nodiscard]] bool ends_path(const Certificate& anchor, const VerifyOptions& options);

}  // namespace certtool::detail
