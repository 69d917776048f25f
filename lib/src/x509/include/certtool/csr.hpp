// Certificate signing requests for a stored key.
#pragma once

#include <certtool/certificate.hpp>
#include <certtool/key.hpp>

#include <string>

namespace certtool {

enum class Encoding { pem, der };

// A PKCS#10 request signed by `key` with the request's subject, and an extensionRequest for
// subjectAltName (all SANs) and extendedKeyUsage serverAuth, clientAuth.
// Throws Error{crypto}.
[[nodiscard]] std::string create_csr(const PrivateKey& key,
                                     const SubjectRequest& request,
                                     Encoding encoding);

}  // namespace certtool
