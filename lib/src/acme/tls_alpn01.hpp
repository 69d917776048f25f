// The tls-alpn-01 challenge's standalone responder (RFC 8737): certtool itself listens on the
// port the CA validates (443 in production) and, to a TLS client that offers only the
// "acme-tls/1" protocol and names an added domain (SNI), presents a self-signed certificate for
// that name alone carrying the critical acmeIdentifier extension: the SHA-256 of the key
// authorization. Any other handshake is refused. One connection at a time (listener.hpp).
#pragma once

#include "listener.hpp"

#include <certtool/key.hpp>

#include <map>
#include <mutex>
#include <ossl.hpp>
#include <string>

namespace certtool::detail {

class TlsAlpn01Responder {
public:
    // Listens on address:port at once; throws as StandaloneListener, Error{crypto}.
    TlsAlpn01Responder(const std::string& address, int port);
    TlsAlpn01Responder(const TlsAlpn01Responder&) = delete;
    TlsAlpn01Responder& operator=(const TlsAlpn01Responder&) = delete;
    TlsAlpn01Responder(TlsAlpn01Responder&&) = delete;
    TlsAlpn01Responder& operator=(TlsAlpn01Responder&&) = delete;
    ~TlsAlpn01Responder() = default;

    // The challenge certificate for `domain`, its extension holding `digest` (32 bytes).
    void add(const std::string& domain, const std::string& digest);

    // Handshakes completed with a challenge certificate so far.
    [[nodiscard]] int answered() const;

    // The certificate add() makes (exposed for the unit tests).
    [[nodiscard]] static ossl::X509Ptr challenge_certificate(const PrivateKey& key,
                                                             const std::string& domain,
                                                             const std::string& digest);

private:
    ossl::SslCtxPtr make_context();
    void answer(int fd) noexcept;
    static int on_server_name(SSL* ssl, int* alert, void* arg);

    PrivateKey m_key;
    ossl::SslCtxPtr m_ctx;
    mutable std::mutex m_mutex;
    std::map<std::string, ossl::X509Ptr> m_certificates;
    int m_answered{0};
    StandaloneListener m_listener;  // last: its thread stops before the members above go
};

}  // namespace certtool::detail
