// probe_tls (tls_probe.hpp): a handshake from the first byte, the served chain kept.
#include "net.hpp"

#include <certtool/error.hpp>
#include <certtool/tls_probe.hpp>

#include <fmt/core.h>
#include <openssl/ssl.h>

namespace certtool {

namespace {

// A client that takes whatever the server offers: the probe reports, it does not judge.
ossl::SslCtxPtr probe_context() {
    ossl::SslCtxPtr ctx{SSL_CTX_new(TLS_client_method())};
    if (!ctx) {
        throw Error(Errc::crypto, "cannot create a TLS context: " + ossl::drain_errors());
    }
    SSL_CTX_set_security_level(ctx.get(), 0);
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_VERSION);
    SSL_CTX_set_options(ctx.get(), SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
    return ctx;
}

}  // namespace

ServedChain probe_tls(const std::string& host,
                      std::uint16_t port,
                      const std::string& sni,
                      std::chrono::milliseconds timeout) {
    auto endpoints = net::literal(host, port);
    if (endpoints.empty()) {
        endpoints = net::resolve(host, port);
    }
    if (endpoints.empty()) {
        throw Error(Errc::network, fmt::format("{} has no address", host));
    }
    const auto limits = net::TimeLimits::starting_now(timeout, timeout * 2);
    net::Stream stream{net::connect(endpoints.front(), timeout), limits};
    const auto ctx = probe_context();
    stream.start_tls(ctx.get(), sni);
    ServedChain served;
    if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(stream.ssl()); chain != nullptr) {
        for (int i = 0; i < sk_X509_num(chain); ++i) {
            served.certificates.push_back(Certificate::adopt(sk_X509_value(chain, i)));
        }
    }
    if (served.certificates.empty()) {
        throw Error(
            Errc::parse,
            fmt::format("{} port {} sent no certificate", endpoints.front().address(), port));
    }
    served.protocol = SSL_get_version(stream.ssl());
    SSL_shutdown(stream.ssl());
    return served;
}

}  // namespace certtool
