// The only place raw OpenSSL handles are owned and freed: unique_ptr aliases with deleters,
// plus helpers that turn OpenSSL's 1/NULL conventions into certtool::Error with the drained
// error queue in the message.
#pragma once

#include <certtool/error.hpp>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>

namespace certtool::ossl {

template <auto FreeFn>
struct Deleter {
    template <typename T>
    void operator()(T* p) const noexcept {
        FreeFn(p);
    }
};

using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using BnCtxPtr = std::unique_ptr<BN_CTX, Deleter<BN_CTX_free>>;
using EcGroupPtr = std::unique_ptr<EC_GROUP, Deleter<EC_GROUP_free>>;
using EcPointPtr = std::unique_ptr<EC_POINT, Deleter<EC_POINT_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG_free>>;
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, Deleter<ASN1_INTEGER_free>>;
using Asn1TimePtr = std::unique_ptr<ASN1_TIME, Deleter<ASN1_TIME_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using Asn1StringPtr = std::unique_ptr<ASN1_STRING, Deleter<ASN1_STRING_free>>;
using X509ReqPtr = std::unique_ptr<X509_REQ, Deleter<X509_REQ_free>>;
using X509NamePtr = std::unique_ptr<X509_NAME, Deleter<X509_NAME_free>>;
using X509ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES_free>>;
using GeneralNamePtr = std::unique_ptr<GENERAL_NAME, Deleter<GENERAL_NAME_free>>;
using Asn1ObjectPtr = std::unique_ptr<ASN1_OBJECT, Deleter<ASN1_OBJECT_free>>;
using X509CrlPtr = std::unique_ptr<X509_CRL, Deleter<X509_CRL_free>>;
using NameConstraintsPtr = std::unique_ptr<NAME_CONSTRAINTS, Deleter<NAME_CONSTRAINTS_free>>;
using ExtKeyUsagePtr = std::unique_ptr<EXTENDED_KEY_USAGE, Deleter<EXTENDED_KEY_USAGE_free>>;
using AuthorityKeyIdPtr = std::unique_ptr<AUTHORITY_KEYID, Deleter<AUTHORITY_KEYID_free>>;
using AuthorityInfoAccessPtr =
    std::unique_ptr<AUTHORITY_INFO_ACCESS, Deleter<AUTHORITY_INFO_ACCESS_free>>;
using BasicConstraintsPtr = std::unique_ptr<BASIC_CONSTRAINTS, Deleter<BASIC_CONSTRAINTS_free>>;
using PolicyConstraintsPtr = std::unique_ptr<POLICY_CONSTRAINTS, Deleter<POLICY_CONSTRAINTS_free>>;
using Pkcs7Ptr = std::unique_ptr<PKCS7, Deleter<PKCS7_free>>;
using CrlDistPointsPtr = std::unique_ptr<CRL_DIST_POINTS, Deleter<CRL_DIST_POINTS_free>>;
using CertificatePoliciesPtr =
    std::unique_ptr<CERTIFICATEPOLICIES, Deleter<CERTIFICATEPOLICIES_free>>;
using Pkcs12Ptr = std::unique_ptr<PKCS12, Deleter<PKCS12_free>>;
using Pkcs8InfoPtr = std::unique_ptr<PKCS8_PRIV_KEY_INFO, Deleter<PKCS8_PRIV_KEY_INFO_free>>;
using X509SigPtr = std::unique_ptr<X509_SIG, Deleter<X509_SIG_free>>;  // encrypted PKCS#8
using X509AlgorPtr = std::unique_ptr<X509_ALGOR, Deleter<X509_ALGOR_free>>;
using SafebagPtr = std::unique_ptr<PKCS12_SAFEBAG, Deleter<PKCS12_SAFEBAG_free>>;
using Pbe2ParamPtr = std::unique_ptr<PBE2PARAM, Deleter<PBE2PARAM_free>>;
using Pbkdf2ParamPtr = std::unique_ptr<PBKDF2PARAM, Deleter<PBKDF2PARAM_free>>;
using DecoderCtxPtr = std::unique_ptr<OSSL_DECODER_CTX, Deleter<OSSL_DECODER_CTX_free>>;
using EvpCipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, Deleter<EVP_CIPHER_CTX_free>>;
void openssl_free(void* p) noexcept;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM_free>>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, Deleter<SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, Deleter<SSL_free>>;
using OpensslStringPtr = std::unique_ptr<char, Deleter<openssl_free>>;
using OpensslBytesPtr = std::unique_ptr<unsigned char, Deleter<openssl_free>>;

struct X509StackFree {
    void operator()(STACK_OF(X509) * s) const noexcept;
};

using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackFree>;

struct SafebagStackFree {
    void operator()(STACK_OF(PKCS12_SAFEBAG) * s) const noexcept;
};

struct X509CrlStackFree {
    void operator()(STACK_OF(X509_CRL) * s) const noexcept;
};

using X509CrlStackPtr = std::unique_ptr<STACK_OF(X509_CRL), X509CrlStackFree>;

using SafebagStackPtr = std::unique_ptr<STACK_OF(PKCS12_SAFEBAG), SafebagStackFree>;

struct Pkcs7StackFree {
    void operator()(STACK_OF(PKCS7) * s) const noexcept;
};

using Pkcs7StackPtr = std::unique_ptr<STACK_OF(PKCS7), Pkcs7StackFree>;

struct ExtensionStackFree {
    void operator()(STACK_OF(X509_EXTENSION) * s) const noexcept;
};

using ExtensionStackPtr = std::unique_ptr<STACK_OF(X509_EXTENSION), ExtensionStackFree>;

// Shared ownership for the handles value types hold (Certificate, PrivateKey, TrustStore, Crl):
// takes `p` (owned; null gives an empty pointer) and frees it with its *_free when the last copy
// goes. The deleter is bound here, so no code outside ossl/ names a free function.
template <typename T, auto FreeFn>
[[nodiscard]] std::shared_ptr<T> share(std::unique_ptr<T, Deleter<FreeFn>> p) {
    return std::shared_ptr<T>{std::move(p)};
}

[[nodiscard]] inline std::shared_ptr<X509> share(X509* p) {
    return share(X509Ptr{p});
}

[[nodiscard]] inline std::shared_ptr<EVP_PKEY> share(EVP_PKEY* p) {
    return share(EvpPkeyPtr{p});
}

[[nodiscard]] inline std::shared_ptr<X509_STORE> share(X509_STORE* p) {
    return share(X509StorePtr{p});
}

[[nodiscard]] inline std::shared_ptr<X509_CRL> share(X509_CRL* p) {
    return share(X509CrlPtr{p});
}

// Drains OpenSSL's thread error queue into one "; "-joined string (empty if the queue is empty).
// A distinguished name as certtool prints it everywhere ("CN=mail.example.com, O=Example").
[[nodiscard]] std::string name_to_string(const X509_NAME* name);

[[nodiscard]] std::string drain_errors();

// Discards the error queue (after an expected failure such as a probe of the input format).
void clear_errors() noexcept;

// Does the whole of [data, data + size) decode with `d2i` into what `Ptr` owns? The decoded
// object is freed at once and the error queue cleared (a malformed input is an answer here).
template <typename Ptr, typename T = typename Ptr::element_type>
[[nodiscard]] bool decodes_whole(const unsigned char* data,
                                 std::size_t size,
                                 T* (*d2i)(T**, const unsigned char**, long)) {
    const unsigned char* p = data;
    const Ptr obj{d2i(nullptr, &p, static_cast<long>(size))};
    clear_errors();
    return obj != nullptr && p == data + size;
}

// The reason code of the newest error in the queue (0 if empty), left in the queue.
[[nodiscard]] int last_error_reason() noexcept;

// Throws Error{code, what + ": " + drained queue}.
[[noreturn]] void throw_error(Errc code, std::string_view what);

// Success in OpenSSL is rc == 1; anything else throws.
inline void check1(int rc, std::string_view what, Errc code = Errc::crypto) {
    if (rc != 1) {
        throw_error(code, what);
    }
}

template <typename T>
T* check_ptr(T* p, std::string_view what, Errc code = Errc::crypto) {
    if (p == nullptr) {
        throw_error(code, what);
    }
    return p;
}

// EVP_PKEY_is_a() as a bool.
[[nodiscard]] inline bool is_a(const EVP_PKEY* pkey, const char* name) {
    return EVP_PKEY_is_a(pkey, name) == 1;
}

// A read-only memory BIO over data (which must outlive the BIO).
[[nodiscard]] BioPtr mem_bio(std::string_view data);
[[nodiscard]] BioPtr mem_bio();
// The contents of a memory BIO.
[[nodiscard]] std::string bio_to_string(BIO* bio);

// A distinguished name in OpenSSL's one-line form ("CN = mail.example.com, O = Example"), unlike
// name_to_string(); only the no-CRL-number finding prints it, which keeps its message unchanged.
[[nodiscard]] std::string name_to_oneline(const X509_NAME* name);

// SHA-256 of `data`: the 32 bytes, and as 64 lower-case hex digits.
[[nodiscard]] std::string sha256(std::string_view data);
// Bytes as lower-case hex digits.
[[nodiscard]] std::string to_hex(std::string_view bytes);
// HMAC-SHA256(key, data), the 32 bytes, into `out` (a Secret's buffer when the result is a key).
void hmac_sha256(std::string_view key, std::string_view data, std::string& out);
[[nodiscard]] std::string sha256_hex(std::string_view data);

// Loads the "legacy" provider (RC2, RC4, DES, IDEA, ...) next to "default", once per process.
// Returns false if it is not installed.
bool load_legacy_provider() noexcept;

}  // namespace certtool::ossl
