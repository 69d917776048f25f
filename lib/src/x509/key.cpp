#include "ossl.hpp"

#include <certtool/error.hpp>
#include <certtool/key.hpp>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <array>
#include <utility>

namespace certtool {

namespace {

struct KeyTypeInfo {
    KeyType type;
    std::string_view name;   // the --key-type spelling
    const char* algorithm;   // OpenSSL's key type name
    int rsa_bits;            // RSA: the modulus size
    std::string_view group;  // EC: OpenSSL's group name
};

constexpr std::array<KeyTypeInfo, 6> k_key_types{{
    {KeyType::rsa2048, "rsa2048", "RSA", 2048, {}},
    {KeyType::rsa3072, "rsa3072", "RSA", 3072, {}},
    {KeyType::rsa4096, "rsa4096", "RSA", 4096, {}},
    {KeyType::ec_p256, "ec-p256", "EC", 0, "prime256v1"},
    {KeyType::ec_p384, "ec-p384", "EC", 0, "secp384r1"},
    {KeyType::ed25519, "ed25519", "ED25519", 0, {}},
}};

// OpenSSL's name of an EC key's group ("prime256v1"), or nothing.
std::optional<std::string> ec_group_name(const EVP_PKEY* pkey) {
    std::array<char, 64> group{};
    std::size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(
            pkey, OSSL_PKEY_PARAM_GROUP_NAME, group.data(), group.size(), &len) != 1) {
        ossl::clear_errors();
        return std::nullopt;
    }
    return std::string{group.data(), len};
}

// The key type a PKCS#8 PrivateKeyInfo's algorithm names, as OpenSSL's decoders call it.
const char* pkcs8_key_type(const PKCS8_PRIV_KEY_INFO* p8) {
    const ASN1_OBJECT* oid = nullptr;
    if (PKCS8_pkey_get0(&oid, nullptr, nullptr, nullptr, p8) != 1) {
        return nullptr;
    }
    switch (OBJ_obj2nid(oid)) {
        case NID_X9_62_id_ecPublicKey:
            return "EC";
        case NID_rsaEncryption:
            return "RSA";
        case NID_rsassaPss:
            return "RSA-PSS";
        case NID_ED25519:
            return "ED25519";
        case NID_ED448:
            return "ED448";
        default:
            return nullptr;
    }
}

// An unencrypted PKCS#8 PEM block ("PRIVATE KEY", what the store and `export` write), decoded
// by the decoders of its own key type only. PEM_read_bio_PrivateKey tries every decoder of
// every type: 4.4 M instructions for a P-256 key against 1.2 M (callgrind, issue 18). Null,
// with the error queue clear, for anything else: the caller asks PEM_read_bio_PrivateKey,
// whose answer and message stay the reference.
EVP_PKEY* decode_pkcs8_pem(std::string_view pem) {
    auto bio = ossl::mem_bio(pem);
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* der = nullptr;
    long len = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &der, &len) != 1) {
        ossl::clear_errors();
        return nullptr;
    }
    const ossl::OpensslStringPtr name_owner{name};
    const ossl::OpensslStringPtr header_owner{header};
    const ossl::OpensslBytesPtr der_owner{der};

    struct Wipe {
        unsigned char* data;
        std::size_t size;

        Wipe(unsigned char* d, std::size_t n) : data(d), size(n) {}

        Wipe(const Wipe&) = delete;
        Wipe& operator=(const Wipe&) = delete;
        Wipe(Wipe&&) = delete;
        Wipe& operator=(Wipe&&) = delete;

        ~Wipe() { OPENSSL_cleanse(data, size); }
    } const wipe{der, static_cast<std::size_t>(len)};

    if (std::string_view{name} != "PRIVATE KEY" || *header != '\0') {
        return nullptr;
    }
    const unsigned char* p = der;
    const ossl::Pkcs8InfoPtr p8{d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, len)};
    const char* type = p8 ? pkcs8_key_type(p8.get()) : nullptr;
    if (type == nullptr || p != der + len) {
        ossl::clear_errors();
        return nullptr;
    }
    EVP_PKEY* raw = nullptr;
    const ossl::DecoderCtxPtr decoder{OSSL_DECODER_CTX_new_for_pkey(
        &raw, "DER", "PrivateKeyInfo", type, EVP_PKEY_KEYPAIR, nullptr, nullptr)};
    const unsigned char* in = der;
    auto left = static_cast<std::size_t>(len);
    const bool ok = decoder && OSSL_DECODER_from_data(decoder.get(), &in, &left) == 1 && left == 0;
    ossl::EvpPkeyPtr pkey{raw};
    ossl::clear_errors();
    return ok ? pkey.release() : nullptr;
}

}  // namespace

std::string_view key_type_name(KeyType type) noexcept {
    for (const auto& info : k_key_types) {
        if (info.type == type) {
            return info.name;
        }
    }
    return "unknown";
}

std::optional<KeyType> parse_key_type(std::string_view name) noexcept {
    for (const auto& info : k_key_types) {
        if (info.name == name) {
            return info.type;
        }
    }
    return std::nullopt;
}

std::vector<std::string> key_type_names() {
    std::vector<std::string> out;
    out.reserve(k_key_types.size());
    for (const auto& info : k_key_types) {
        out.emplace_back(info.name);
    }
    return out;
}

PrivateKey PrivateKey::generate(KeyType type) {
    EVP_PKEY* raw = nullptr;
    switch (type) {
        case KeyType::rsa2048:
            raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048});
            break;
        case KeyType::rsa3072:
            raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{3072});
            break;
        case KeyType::rsa4096:
            raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{4096});
            break;
        case KeyType::ec_p256:
            raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
            break;
        case KeyType::ec_p384:
            raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
            break;
        case KeyType::ed25519:
            raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
            break;
    }
    ossl::check_ptr(raw, "generating a private key");
    return PrivateKey{ossl::share(raw)};
}

PrivateKey PrivateKey::from_pem(std::string_view pem, std::string_view source) {
    if (EVP_PKEY* fast = decode_pkcs8_pem(pem)) {
        return PrivateKey{ossl::share(fast)};
    }
    auto bio = ossl::mem_bio(pem);
    // An empty passphrase callback result makes encrypted PEM fail instead of prompting.
    EVP_PKEY* raw = PEM_read_bio_PrivateKey(
        bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr);
    if (raw == nullptr) {
        ossl::throw_error(Errc::parse,
                          std::string{"cannot read private key from "} + std::string{source});
    }
    return PrivateKey{ossl::share(raw)};
}

PrivateKey PrivateKey::parse(std::string_view data, std::string_view source) {
    if (data.find("-----BEGIN") != std::string_view::npos) {
        return from_pem(data, source);
    }
    const auto* begin = reinterpret_cast<const unsigned char*>(data.data());
    const unsigned char* p = begin;
    EVP_PKEY* raw = d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(data.size()));
    if (raw == nullptr) {
        ossl::throw_error(Errc::parse,
                          std::string{"cannot read private key from "} + std::string{source});
    }
    PrivateKey key{ossl::share(raw)};
    if (p != begin + data.size()) {
        throw Error(
            Errc::parse,
            std::string{"unexpected bytes after the private key in "} + std::string{source});
    }
    return key;
}

PrivateKey PrivateKey::adopt(EVP_PKEY* pkey) {
    ossl::check1(EVP_PKEY_up_ref(pkey), "EVP_PKEY_up_ref");
    return PrivateKey{ossl::share(pkey)};
}

Secret PrivateKey::to_pem() const {
    auto bio = ossl::mem_bio();
    ossl::check1(
        PEM_write_bio_PrivateKey(bio.get(), m_pkey.get(), nullptr, nullptr, 0, nullptr, nullptr),
        "writing private key");
    Secret out{ossl::bio_to_string(bio.get())};
    // The memory BIO's buffer is freed by BIO_free; wipe it first.
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    if (len > 0 && data != nullptr) {
        OPENSSL_cleanse(data, static_cast<std::size_t>(len));
    }
    return out;
}

std::string PrivateKey::to_encrypted_pem(const Secret& password, int iterations) const {
    if (password.empty()) {
        throw Error(Errc::invalid_argument, "cannot encrypt a private key with an empty password");
    }
    if (iterations < 1) {
        throw Error(Errc::invalid_argument, "the PBKDF2 iteration count must be at least 1");
    }
    const ossl::Pkcs8InfoPtr info{
        ossl::check_ptr(EVP_PKEY2PKCS8(m_pkey.get()), "encoding the private key as PKCS#8")};
    // OpenSSL 3.0 would pick an 8-byte salt; 16 bytes as NIST SP 800-132 recommends.
    std::array<unsigned char, 16> salt{};
    ossl::check1(RAND_bytes(salt.data(), static_cast<int>(salt.size())), "RAND_bytes");
    ossl::X509AlgorPtr pbe{ossl::check_ptr(PKCS5_pbe2_set_iv(EVP_aes_256_cbc(),
                                                             iterations,
                                                             salt.data(),
                                                             static_cast<int>(salt.size()),
                                                             nullptr,
                                                             NID_hmacWithSHA256),
                                           "setting up PBES2 (AES-256-CBC, PBKDF2-HMAC-SHA256)")};
    // PKCS8_set0_pbe takes the algorithm only when it succeeds.
    const ossl::X509SigPtr encrypted{ossl::check_ptr(
        PKCS8_set0_pbe(password.c_str(), static_cast<int>(password.size()), info.get(), pbe.get()),
        "encrypting the private key")};
    static_cast<void>(pbe.release());
    auto bio = ossl::mem_bio();
    ossl::check1(PEM_write_bio_PKCS8(bio.get(), encrypted.get()),
                 "writing the encrypted private key");
    return ossl::bio_to_string(bio.get());
}

PrivateKey PrivateKey::from_encrypted_pem(std::string_view pem,
                                          const Secret& password,
                                          std::string_view source) {
    auto bio = ossl::mem_bio(pem);
    const ossl::X509SigPtr encrypted{PEM_read_bio_PKCS8(bio.get(), nullptr, nullptr, nullptr)};
    if (encrypted == nullptr) {
        ossl::throw_error(Errc::parse, "no encrypted PKCS#8 private key in " + std::string{source});
    }
    const ossl::Pkcs8InfoPtr info{
        PKCS8_decrypt(encrypted.get(), password.c_str(), static_cast<int>(password.size()))};
    if (info == nullptr) {
        ossl::clear_errors();
        throw Error(Errc::bad_password,
                    "wrong password for the private key in " + std::string{source});
    }
    EVP_PKEY* raw = EVP_PKCS82PKEY(info.get());
    if (raw == nullptr) {
        ossl::throw_error(Errc::parse, "cannot read the private key in " + std::string{source});
    }
    return PrivateKey{ossl::share(raw)};
}

std::string PrivateKey::describe() const {
    return describe_key(m_pkey.get());
}

std::optional<KeyType> PrivateKey::type() const {
    const EVP_PKEY* pkey = m_pkey.get();
    if (pkey == nullptr || ossl::is_a(pkey, "RSA-PSS")) {
        return std::nullopt;
    }
    const auto group = ossl::is_a(pkey, "EC") ? ec_group_name(pkey) : std::nullopt;
    for (const auto& k : k_key_types) {
        if (ossl::is_a(pkey, k.algorithm) &&
            (k.rsa_bits == 0 || EVP_PKEY_get_bits(pkey) == k.rsa_bits) &&
            (k.group.empty() || group == k.group)) {
            return k.type;
        }
    }
    return std::nullopt;
}

std::string PrivateKey::sign(std::string_view data, SignatureEncoding encoding) const {
    EVP_PKEY* pkey = m_pkey.get();
    const bool ec = ossl::is_a(pkey, "EC");
    const char* digest = nullptr;  // Ed25519 hashes the message itself
    if (ec) {
        const int bits = EVP_PKEY_get_bits(pkey);
        digest = bits > 384 ? "SHA512" : bits > 256 ? "SHA384" : "SHA256";
    } else if (ossl::is_a(pkey, "RSA")) {
        digest = "SHA256";
    } else if (!ossl::is_a(pkey, "ED25519")) {
        throw Error(Errc::unsupported,
                    "cannot sign with a " + describe() + " key: use RSA, ECDSA or Ed25519");
    }
    const ossl::EvpMdCtxPtr ctx{ossl::check_ptr(EVP_MD_CTX_new(), "EVP_MD_CTX_new")};
    ossl::check1(EVP_DigestSignInit_ex(ctx.get(), nullptr, digest, nullptr, nullptr, pkey, nullptr),
                 "setting up a signature");
    const auto* in = reinterpret_cast<const unsigned char*>(data.data());
    std::size_t len = 0;
    ossl::check1(EVP_DigestSign(ctx.get(), nullptr, &len, in, data.size()), "signing");
    std::string sig(len, '\0');
    auto* out = reinterpret_cast<unsigned char*>(sig.data());
    ossl::check1(EVP_DigestSign(ctx.get(), out, &len, in, data.size()), "signing");
    sig.resize(len);
    if (!ec || encoding == SignatureEncoding::der) {
        return sig;
    }
    // DER SEQUENCE { r INTEGER, s INTEGER } to r||s, each left-padded to the group's size.
    const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
    const ossl::EcdsaSigPtr parsed{ossl::check_ptr(
        d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())), "reading the ECDSA signature")};
    const BIGNUM* r = nullptr;
    const BIGNUM* s = nullptr;
    ECDSA_SIG_get0(parsed.get(), &r, &s);
    const int size = (EVP_PKEY_get_bits(pkey) + 7) / 8;
    std::string fixed(2 * static_cast<std::size_t>(size), '\0');
    auto* f = reinterpret_cast<unsigned char*>(fixed.data());
    if (BN_bn2binpad(r, f, size) != size || BN_bn2binpad(s, f + size, size) != size) {
        ossl::throw_error(Errc::crypto, "encoding the ECDSA signature as r||s");
    }
    return fixed;
}

bool PrivateKey::matches_public(const EVP_PKEY* public_key) const {
    if (public_key == nullptr) {
        return false;
    }
    const int rc = EVP_PKEY_eq(m_pkey.get(), public_key);
    ossl::clear_errors();  // type mismatches leave errors in the queue
    return rc == 1;
}

std::string describe_key(const EVP_PKEY* pkey) {
    if (pkey == nullptr) {
        return "none";
    }
    const int bits = EVP_PKEY_get_bits(pkey);
    if (ossl::is_a(pkey, "RSA") || ossl::is_a(pkey, "RSA-PSS")) {
        return (ossl::is_a(pkey, "RSA-PSS") ? "RSA-PSS " : "RSA ") + std::to_string(bits);
    }
    if (ossl::is_a(pkey, "EC")) {
        if (auto name = ec_group_name(pkey)) {
            if (*name == "prime256v1") {
                *name = "P-256";
            } else if (*name == "secp384r1") {
                *name = "P-384";
            } else if (*name == "secp521r1") {
                *name = "P-521";
            }
            return "EC " + *name;
        }
        return "EC " + std::to_string(bits);
    }
    if (ossl::is_a(pkey, "ED25519")) {
        return "Ed25519";
    }
    if (ossl::is_a(pkey, "ED448")) {
        return "Ed448";
    }
    if (ossl::is_a(pkey, "DSA")) {
        return "DSA " + std::to_string(bits);
    }
    const char* name = EVP_PKEY_get0_type_name(pkey);
    return std::string{name != nullptr ? name : "unknown"} + " " + std::to_string(bits);
}

}  // namespace certtool
