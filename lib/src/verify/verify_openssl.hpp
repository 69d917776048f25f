// OpenSSL's X509_verify_cert run over exactly one candidate path, every error collected.
#pragma once

#include "verify_errors.hpp"

#include <certtool/verify.hpp>

#include <vector>

namespace certtool::detail {

// Runs OpenSSL over exactly `path` (leaf first): the top certificate is the only trusted one.
// `strict`: with X509_V_FLAG_X509_STRICT (RFC 5280's MUSTs for conforming CAs).
// With CRLs, the other `pool` certificates follow the path's (OpenSSL takes the first issuer
// that fits, so the path is still preferred): a CRL may be signed by a certificate off the
// path. Returns every error the verify callback saw, in order. Throws Error{crypto} if OpenSSL
// itself fails, Error{invalid_argument} for a policy that is not a dotted OID.
[[nodiscard]] std::vector<RawError> run_openssl(const std::vector<Certificate>& path,
                                                const std::vector<Certificate>& pool,
                                                const VerifyOptions& options,
                                                TimePoint at,
                                                bool strict);

}  // namespace certtool::detail
