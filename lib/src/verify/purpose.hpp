// What each Purpose means to OpenSSL's purpose check and to the extKeyUsage lint rules.
#pragma once

#include <certtool/verify.hpp>

#include <openssl/obj_mac.h>
#include <openssl/x509v3.h>

#include <array>
#include <cstddef>
#include <string_view>

namespace certtool::detail {

struct PurposeInfo {
    Purpose purpose;
    int x509_purpose;        // X509_PURPOSE_*; 0: OpenSSL checks no purpose
    int eku_nid;             // the extKeyUsage that grants it; NID_undef for any
    int x509_trust;          // X509_TRUST_*: which trust setting of an anchor decides
    std::string_view label;  // as messages say "TLS server authentication"
};

// One row per Purpose, in declaration order.
inline constexpr std::array k_purposes{
    PurposeInfo{Purpose::server,
                X509_PURPOSE_SSL_SERVER,
                NID_server_auth,
                X509_TRUST_SSL_SERVER,
                "TLS server"},
    PurposeInfo{Purpose::client,
                X509_PURPOSE_SSL_CLIENT,
                NID_client_auth,
                X509_TRUST_SSL_CLIENT,
                "TLS client"},
    PurposeInfo{Purpose::any, 0, NID_undef, X509_TRUST_DEFAULT, ""},
};

static_assert(k_purposes[static_cast<std::size_t>(Purpose::server)].purpose == Purpose::server &&
                  k_purposes[static_cast<std::size_t>(Purpose::client)].purpose ==
                      Purpose::client &&
                  k_purposes[static_cast<std::size_t>(Purpose::any)].purpose == Purpose::any,
              "k_purposes: one row per Purpose, in declaration order");

[[nodiscard]] constexpr const PurposeInfo& purpose_info(Purpose p) noexcept {
    return k_purposes[static_cast<std::size_t>(p)];
}

}  // namespace certtool::detail
