#include "tls_alpn01.hpp"

#include <certtool/certificate.hpp>
#include <certtool/error.hpp>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <string_view>

namespace certtool::detail {

namespace {

constexpr std::string_view k_alpn = "acme-tls/1";
constexpr const char* k_acme_identifier_oid = "1.3.6.1.5.5.7.1.31";

// ALPN (RFC 7301): the client must offer acme-tls/1, and the answer is that protocol or a
// fatal alert (RFC 8737 section 3: no challenge certificate without it).
int select_alpn(SSL* /*ssl*/,
                const unsigned char** out,
                unsigned char* outlen,
                const unsigned char* in,
                unsigned int inlen,
                void* /*arg*/) {
    for (unsigned int i = 0; i < inlen;) {
        const unsigned int len = in[i];
        if (i + 1 + len > inlen) {
            break;
        }
        if (std::string_view{reinterpret_cast<const char*>(in + i + 1), len} == k_alpn) {
            *out = in + i + 1;
            *outlen = static_cast<unsigned char>(len);
            return SSL_TLSEXT_ERR_OK;
        }
        i += 1 + len;
    }
    return SSL_TLSEXT_ERR_ALERT_FATAL;
}

}  // namespace

ossl::X509Ptr TlsAlpn01Responder::challenge_certificate(const PrivateKey& key,
                                                        const std::string& domain,
                                                        const std::string& digest) {
    const auto now = std::chrono::system_clock::now();
    DistinguishedName subject;
    subject.common_name = domain;
    const Certificate base = create_self_signed(
        key,
        SubjectRequest::make(subject, {}),
        Validity{now - std::chrono::hours{24}, now + std::chrono::hours{24 * 7}});
    ossl::X509Ptr cert{ossl::check_ptr(X509_dup(base.native()), "X509_dup")};
    // acmeIdentifier ::= OCTET STRING (SIZE (32)), DER-encoded as the extension's value.
    std::string der;
    der.push_back('\x04');
    der.push_back(static_cast<char>(digest.size()));
    der += digest;
    const ossl::Asn1ObjectPtr oid{
        ossl::check_ptr(OBJ_txt2obj(k_acme_identifier_oid, 1), "OBJ_txt2obj")};
    ossl::Asn1StringPtr value{ossl::check_ptr(ASN1_OCTET_STRING_new(), "ASN1_OCTET_STRING_new")};
    ossl::check1(ASN1_OCTET_STRING_set(value.get(),
                                       reinterpret_cast<const unsigned char*>(der.data()),
                                       static_cast<int>(der.size())),
                 "ASN1_OCTET_STRING_set");
    const ossl::X509ExtPtr ext{ossl::check_ptr(
        X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), 1, value.get()), "acmeIdentifier")};
    ossl::check1(X509_add_ext(cert.get(), ext.get(), -1), "X509_add_ext");
    if (X509_sign(cert.get(), key.native(), EVP_sha256()) <= 0) {
        ossl::throw_error(Errc::crypto, "signing the tls-alpn-01 certificate");
    }
    return cert;
}

// Configured before the listener's thread starts (members are initialised in order).
ossl::SslCtxPtr TlsAlpn01Responder::make_context() {
    ossl::SslCtxPtr ctx{ossl::check_ptr(SSL_CTX_new(TLS_server_method()), "SSL_CTX_new")};
    ossl::check1(static_cast<int>(SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION)),
                 "SSL_CTX_set_min_proto_version");
    SSL_CTX_set_alpn_select_cb(ctx.get(), select_alpn, nullptr);
    // SSL_CTX_set_tlsext_servername_callback/_arg, without the macros' C casts.
    SSL_CTX_callback_ctrl(ctx.get(),
                          SSL_CTRL_SET_TLSEXT_SERVERNAME_CB,
                          reinterpret_cast<void (*)()>(&TlsAlpn01Responder::on_server_name));
    SSL_CTX_ctrl(ctx.get(), SSL_CTRL_SET_TLSEXT_SERVERNAME_ARG, 0, this);
    return ctx;
}

TlsAlpn01Responder::TlsAlpn01Responder(const std::string& address, int port)
    : m_key{PrivateKey::generate(KeyType::ec_p256)},
      m_ctx{make_context()},
      m_listener{address, port, "tls-alpn-01", "--tls-port", [this](int fd) { answer(fd); }} {}

void TlsAlpn01Responder::add(const std::string& domain, const std::string& digest) {
    ossl::X509Ptr cert = challenge_certificate(m_key, domain, digest);
    const std::lock_guard lock{m_mutex};
    m_certificates[domain] = std::move(cert);
}

int TlsAlpn01Responder::answered() const {
    const std::lock_guard lock{m_mutex};
    return m_answered;
}

// SNI: the certificate of that name, or the handshake ends.
int TlsAlpn01Responder::on_server_name(SSL* ssl, int* alert, void* arg) {
    auto* self = static_cast<TlsAlpn01Responder*>(arg);
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    const std::lock_guard lock{self->m_mutex};
    const auto it = name == nullptr ? self->m_certificates.end() : self->m_certificates.find(name);
    if (it == self->m_certificates.end() || SSL_use_certificate(ssl, it->second.get()) != 1 ||
        SSL_use_PrivateKey(ssl, self->m_key.native()) != 1) {
        *alert = SSL_AD_UNRECOGNIZED_NAME;
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    return SSL_TLSEXT_ERR_OK;
}

void TlsAlpn01Responder::answer(int fd) noexcept {
    const ossl::SslPtr ssl{SSL_new(m_ctx.get())};
    if (ssl && SSL_set_fd(ssl.get(), fd) == 1 && SSL_accept(ssl.get()) == 1) {
        {
            const std::lock_guard lock{m_mutex};
            ++m_answered;
        }
        SSL_shutdown(ssl.get());
    }
    ossl::clear_errors();  // a refused handshake is an answer, not an error of certtool's
}

}  // namespace certtool::detail
