// Pieces shared by the certificate and CSR builders.
#pragma once

#include "ossl.hpp"

#include <certtool/certificate.hpp>

namespace certtool::detail {

[[nodiscard]] ossl::X509NamePtr make_name(const DistinguishedName& dn);
[[nodiscard]] ossl::GeneralNamesPtr make_general_names(const std::vector<SubjectAltName>& sans);
// SHA-256 (SHA-384 for P-384), or none for EdDSA, which signs the message itself.
[[nodiscard]] const EVP_MD* signing_digest(const PrivateKey& key);
// keyUsage suited to a TLS endpoint with this key.
[[nodiscard]] const char* tls_key_usage(const PrivateKey& key);

}  // namespace certtool::detail
