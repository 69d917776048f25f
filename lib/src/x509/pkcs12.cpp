#include "kdf.hpp"
#include "ossl.hpp"

#include <certtool/error.hpp>
#include <certtool/pkcs12.hpp>

#include <fmt/core.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <future>
#include <limits>
#include <system_error>

namespace certtool {

namespace {

// A candidate password encoding: OpenSSL's PKCS#12 functions take (pass, passlen) and treat
// nullptr as "no password" (distinct from "" which encodes as a BMP NUL).
struct PasswordForm {
    const char* data;
    int len;
};

// OpenSSL 1.0.x converted each password byte to a BMP character (Latin-1 semantics). Feeding
// the UTF-8 encoding of "each byte as a code point" to the UTF-8 aware 3.x code reproduces it.
std::string latin1_as_utf8(std::string_view bytes) {
    std::string out;
    for (const char ch : bytes) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x80) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back(static_cast<char>(0xC0 | (c >> 6)));
            out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
        }
    }
    return out;
}

bool has_non_ascii(std::string_view s) {
    return std::any_of(
        s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

// Decrypts what PBES2 with PBKDF2-HMAC-SHA256 and AES-CBC protects (what modern writers use:
// ours, OpenSSL 3, GnuTLS) with kdf.hpp's PBKDF2, deriving once per password, salt and count
// for the whole file (our writer's key bag and certificate safe share one derivation). Anything
// else, and anything that does not decrypt and parse, is left to libcrypto (returns null), so
// its answers and messages stay the reference.
class FastPbes2 {
public:
    FastPbes2() = default;
    FastPbes2(const FastPbes2&) = delete;
    FastPbes2& operator=(const FastPbes2&) = delete;
    FastPbes2(FastPbes2&&) = delete;
    FastPbes2& operator=(FastPbes2&&) = delete;

    ~FastPbes2() {
        for (auto& d : m_derived) {
            OPENSSL_cleanse(d.key.data(), d.key.size());
        }
    }

    ossl::SafebagStackPtr safe_bags(const PKCS7* p7, const PasswordForm& form) {
        const PKCS7_ENC_CONTENT* enc = p7->d.encrypted->enc_data;
        Secret plain;
        if (enc == nullptr || !decrypt(enc->algorithm, enc->enc_data, form, plain)) {
            return nullptr;
        }
        const auto* p = reinterpret_cast<const unsigned char*>(plain.c_str());
        auto* bags = reinterpret_cast<STACK_OF(PKCS12_SAFEBAG)*>(ASN1_item_d2i(
            nullptr, &p, static_cast<long>(plain.size()), ASN1_ITEM_rptr(PKCS12_SAFEBAGS)));
        ossl::clear_errors();
        return ossl::SafebagStackPtr{bags};
    }

    ossl::Pkcs8InfoPtr key_info(const PKCS12_SAFEBAG* bag, const PasswordForm& form) {
        const X509_SIG* sig = PKCS12_SAFEBAG_get0_pkcs8(bag);
        if (sig == nullptr) {
            return nullptr;
        }
        const X509_ALGOR* alg = nullptr;
        const ASN1_OCTET_STRING* data = nullptr;
        X509_SIG_get0(sig, &alg, &data);
        Secret plain;
        if (!decrypt(alg, data, form, plain)) {
            return nullptr;
        }
        const auto* p = reinterpret_cast<const unsigned char*>(plain.c_str());
        ossl::Pkcs8InfoPtr info{
            d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(plain.size()))};
        ossl::clear_errors();
        return info;
    }

private:
    struct Derived {
        std::string salt;
        long iterations;
        const char* password;
        std::array<unsigned char, 32> key;
    };

    bool decrypt(const X509_ALGOR* alg,
                 const ASN1_OCTET_STRING* data,
                 const PasswordForm& form,
                 Secret& plain) {
        if (alg == nullptr || data == nullptr || form.data == nullptr) {
            return false;
        }
        const ASN1_OBJECT* oid = nullptr;
        int param_type = 0;
        const void* param = nullptr;
        X509_ALGOR_get0(&oid, &param_type, &param, alg);
        if (OBJ_obj2nid(oid) != NID_pbes2 || param_type != V_ASN1_SEQUENCE) {
            return false;
        }
        ASN1_TYPE wrapped{};
        wrapped.type = V_ASN1_SEQUENCE;
        // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): only read by the unpacker
        wrapped.value.sequence = const_cast<ASN1_STRING*>(static_cast<const ASN1_STRING*>(param));
        const ossl::Pbe2ParamPtr pbe2{static_cast<PBE2PARAM*>(
            ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), &wrapped))};
        if (!pbe2 || OBJ_obj2nid(pbe2->keyfunc->algorithm) != NID_id_pbkdf2 ||
            pbe2->keyfunc->parameter == nullptr ||
            pbe2->keyfunc->parameter->type != V_ASN1_SEQUENCE) {
            ossl::clear_errors();
            return false;
        }
        const ossl::Pbkdf2ParamPtr kdf{static_cast<PBKDF2PARAM*>(
            ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), pbe2->keyfunc->parameter))};
        if (!kdf || kdf->salt == nullptr || kdf->salt->type != V_ASN1_OCTET_STRING ||
            kdf->prf == nullptr || OBJ_obj2nid(kdf->prf->algorithm) != NID_hmacWithSHA256) {
            ossl::clear_errors();
            return false;
        }
        const EVP_CIPHER* cipher = nullptr;
        switch (OBJ_obj2nid(pbe2->encryption->algorithm)) {
            case NID_aes_128_cbc:
                cipher = EVP_aes_128_cbc();
                break;
            case NID_aes_192_cbc:
                cipher = EVP_aes_192_cbc();
                break;
            case NID_aes_256_cbc:
                cipher = EVP_aes_256_cbc();
                break;
            default:
                return false;
        }
        const auto key_len = static_cast<std::size_t>(EVP_CIPHER_get_key_length(cipher));
        const ASN1_TYPE* iv = pbe2->encryption->parameter;
        const long iterations = ASN1_INTEGER_get(kdf->iter);
        if (iv == nullptr || iv->type != V_ASN1_OCTET_STRING ||
            ASN1_STRING_length(iv->value.octet_string) != EVP_CIPHER_get_iv_length(cipher) ||
            iterations < 1 || iterations > std::numeric_limits<int>::max() ||
            (kdf->keylength != nullptr &&
             ASN1_INTEGER_get(kdf->keylength) != static_cast<long>(key_len))) {
            ossl::clear_errors();
            return false;
        }
        const ASN1_OCTET_STRING* salt = kdf->salt->value.octet_string;
        const std::string salt_bytes{reinterpret_cast<const char*>(ASN1_STRING_get0_data(salt)),
                                     static_cast<std::size_t>(ASN1_STRING_length(salt))};
        const unsigned char* key = derived_key(form, salt_bytes, iterations, key_len);
        ossl::EvpCipherCtxPtr ctx{ossl::check_ptr(EVP_CIPHER_CTX_new(), "EVP_CIPHER_CTX_new")};
        const int in_len = ASN1_STRING_length(data);
        plain.buffer().assign(static_cast<std::size_t>(in_len) + 32, '\0');
        auto* out = reinterpret_cast<unsigned char*>(plain.buffer().data());
        int n = 0;
        int tail = 0;
        const bool ok =
            EVP_DecryptInit_ex(
                ctx.get(), cipher, nullptr, key, ASN1_STRING_get0_data(iv->value.octet_string)) ==
                1 &&
            EVP_DecryptUpdate(ctx.get(), out, &n, ASN1_STRING_get0_data(data), in_len) == 1 &&
            EVP_DecryptFinal_ex(ctx.get(), out + n, &tail) == 1;
        ossl::clear_errors();
        if (!ok) {
            return false;
        }
        const std::size_t plain_len = static_cast<std::size_t>(n) + static_cast<std::size_t>(tail);
        OPENSSL_cleanse(out + plain_len, plain.size() - plain_len);
        plain.buffer().resize(plain_len);
        return true;
    }

    const unsigned char* derived_key(const PasswordForm& form,
                                     const std::string& salt,
                                     long iterations,
                                     std::size_t key_len) {
        for (const auto& d : m_derived) {
            if (d.password == form.data && d.salt == salt && d.iterations == iterations) {
                return d.key.data();  // 32 bytes: a prefix serves any AES key length
            }
        }
        Derived d{salt, iterations, form.data, {}};
        detail::pbkdf2_hmac_sha256(std::string_view{form.data, static_cast<std::size_t>(form.len)},
                                   reinterpret_cast<const unsigned char*>(salt.data()),
                                   salt.size(),
                                   static_cast<int>(iterations),
                                   d.key.data(),
                                   d.key.size());
        static_cast<void>(key_len);
        m_derived.push_back(std::move(d));
        return m_derived.back().key.data();
    }

    std::vector<Derived> m_derived;
};

// The MAC check with kdf.hpp's PKCS#12 KDF when the MAC is HMAC-SHA256 over a DER
// authenticated safe (re-encoding it gives the same bytes); false sends the caller to
// PKCS12_verify_mac, which decides (a wrong password, a BER file, another digest).
bool fast_mac_matches(PKCS12* p12, const PasswordForm& form) {
    if (form.data == nullptr) {
        return false;
    }
    const ASN1_OCTET_STRING* mac = nullptr;
    const X509_ALGOR* mac_alg = nullptr;
    const ASN1_OCTET_STRING* salt = nullptr;
    const ASN1_INTEGER* iter = nullptr;
    PKCS12_get0_mac(&mac, &mac_alg, &salt, &iter, p12);
    if (mac == nullptr || mac_alg == nullptr || salt == nullptr) {
        return false;
    }
    const ASN1_OBJECT* oid = nullptr;
    X509_ALGOR_get0(&oid, nullptr, nullptr, mac_alg);
    const long iterations = iter == nullptr ? 1 : ASN1_INTEGER_get(iter);
    if (OBJ_obj2nid(oid) != NID_sha256 || ASN1_STRING_length(mac) != 32 || iterations < 1 ||
        iterations > std::numeric_limits<int>::max()) {
        ossl::clear_errors();
        return false;
    }
    const ossl::Pkcs7StackPtr safes{PKCS12_unpack_authsafes(p12)};
    unsigned char* der = nullptr;
    const int der_len = safes ? ASN1_item_i2d(reinterpret_cast<const ASN1_VALUE*>(safes.get()),
                                              &der,
                                              ASN1_ITEM_rptr(PKCS12_AUTHSAFES))
                              : 0;
    const ossl::OpensslBytesPtr der_owner{der};
    unsigned char* uni = nullptr;
    int uni_len = 0;
    if (der_len <= 0 || OPENSSL_utf82uni(form.data, form.len, &uni, &uni_len) == nullptr) {
        ossl::clear_errors();
        return false;
    }
    std::array<unsigned char, 32> key{};
    detail::pkcs12_kdf_sha256(uni,
                              static_cast<std::size_t>(uni_len),
                              ASN1_STRING_get0_data(salt),
                              static_cast<std::size_t>(ASN1_STRING_length(salt)),
                              3,
                              static_cast<int>(iterations),
                              key.data(),
                              key.size());
    OPENSSL_cleanse(uni, static_cast<std::size_t>(uni_len));
    const ossl::OpensslBytesPtr uni_owner{uni};
    std::array<unsigned char, 32> computed{};
    detail::hmac_sha256(
        key.data(), key.size(), der, static_cast<std::size_t>(der_len), computed.data());
    OPENSSL_cleanse(key.data(), key.size());
    ossl::clear_errors();
    return CRYPTO_memcmp(computed.data(), ASN1_STRING_get0_data(mac), computed.size()) == 0;
}

class Reader {
public:
    // `forms`: the password encodings to try for each encrypted part, preferred first. Some
    // writers (OpenSSL 1.0.x with a non-ASCII password) encode the MAC and the encryption
    // passwords differently, so each part may need a different one.
    Reader(PKCS12* p12, std::vector<PasswordForm> forms, std::string_view source)
        : m_p12(p12), m_forms(std::move(forms)), m_source(source) {}

    Pkcs12Contents read() {
        Pkcs12Contents out;
        ossl::Pkcs7StackPtr safes{PKCS12_unpack_authsafes(m_p12)};
        if (!safes) {
            ossl::throw_error(Errc::parse,
                              fmt::format("'{}' is not a valid PKCS#12 file "
                                          "(unreadable contents)",
                                          m_source));
        }
        for (int i = 0; i < sk_PKCS7_num(safes.get()); ++i) {
            PKCS7* p7 = sk_PKCS7_value(safes.get(), i);
            const int nid = OBJ_obj2nid(p7->type);
            ossl::SafebagStackPtr bags;
            if (nid == NID_pkcs7_data) {
                bags.reset(PKCS12_unpack_p7data(p7));
            } else if (nid == NID_pkcs7_encrypted) {
                for (const auto& form : m_forms) {
                    bags = m_fast.safe_bags(p7, form);
                    if (bags) {
                        break;
                    }
                    bags.reset(PKCS12_unpack_p7encdata(p7, form.data, form.len));
                    if (bags) {
                        ossl::clear_errors();
                        break;
                    }
                }
            } else {
                continue;  // enveloped (public-key privacy mode): not supported, skip
            }
            if (!bags) {
                decrypt_failed("certificates");
            }
            walk(bags.get(), out, 0);
        }
        return out;
    }

private:
    [[noreturn]] void decrypt_failed(std::string_view what) {
        // Unsupported algorithm or wrong password: the caller knows which (it has the MAC).
        throw Error(
            Errc::unsupported,
            fmt::format("cannot decrypt the {} in '{}': {}", what, m_source, ossl::drain_errors()));
    }

    // NOLINTNEXTLINE(misc-no-recursion): nested SafeContents, bounded by depth
    void walk(const STACK_OF(PKCS12_SAFEBAG) * bags, Pkcs12Contents& out, int depth) {
        if (depth > 4) {
            throw Error(Errc::parse, fmt::format("'{}' nests safe contents too deeply", m_source));
        }
        for (int i = 0; i < sk_PKCS12_SAFEBAG_num(bags); ++i) {
            const PKCS12_SAFEBAG* bag = sk_PKCS12_SAFEBAG_value(bags, i);
            switch (PKCS12_SAFEBAG_get_nid(bag)) {
                case NID_keyBag:
                    add_key(PKCS12_SAFEBAG_get0_p8inf(bag), bag, out);
                    break;
                case NID_pkcs8ShroudedKeyBag: {
                    ossl::Pkcs8InfoPtr p8;
                    for (const auto& form : m_forms) {
                        p8 = m_fast.key_info(bag, form);
                        if (p8) {
                            break;
                        }
                        p8.reset(PKCS12_decrypt_skey(bag, form.data, form.len));
                        if (p8) {
                            ossl::clear_errors();
                            break;
                        }
                    }
                    if (!p8) {
                        decrypt_failed("private key");
                    }
                    add_key(p8.get(), bag, out);
                    break;
                }
                case NID_certBag: {
                    if (PKCS12_SAFEBAG_get_bag_nid(bag) != NID_x509Certificate) {
                        break;  // SDSI certificates and the like
                    }
                    ossl::X509Ptr x{PKCS12_SAFEBAG_get1_cert(bag)};
                    if (!x) {
                        ossl::throw_error(
                            Errc::parse,
                            fmt::format("cannot read a certificate in '{}'", m_source));
                    }
                    out.certs.push_back(Certificate::adopt(x.get()));
                    break;
                }
                case NID_safeContentsBag:
                    walk(PKCS12_SAFEBAG_get0_safes(bag), out, depth + 1);
                    break;
                default:
                    break;  // CRL and secret bags carry nothing we store
            }
        }
    }

    void add_key(const PKCS8_PRIV_KEY_INFO* p8, const PKCS12_SAFEBAG* bag, Pkcs12Contents& out) {
        if (p8 == nullptr) {
            ossl::throw_error(Errc::parse, fmt::format("empty key bag in '{}'", m_source));
        }
        ossl::EvpPkeyPtr pkey{EVP_PKCS82PKEY(p8)};
        if (!pkey) {
            ossl::throw_error(Errc::unsupported,
                              fmt::format("cannot use the private key in '{}'", m_source));
        }
        out.keys.push_back(PrivateKey::adopt(pkey.get()));
        if (!out.friendly_name) {
            // PKCS12_get_friendlyname takes a non-const bag in OpenSSL 3.0 but only reads it.
            // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast)
            if (char* name = PKCS12_get_friendlyname(const_cast<PKCS12_SAFEBAG*>(bag))) {
                ossl::OpensslStringPtr owner{name};
                out.friendly_name = std::string{name};
            }
        }
    }

    PKCS12* m_p12;
    std::vector<PasswordForm> m_forms;
    std::string_view m_source;
    FastPbes2 m_fast;
};

// Which of the password encodings opens the file? For a file with a MAC, the MAC answers
// (a wrong password is certain); without one, the first form that decrypts everything wins.
Pkcs12Contents read_with_password(PKCS12* p12, const Secret& password, std::string_view source) {
    const Secret fixed_up{has_non_ascii(password.view()) ? latin1_as_utf8(password.view())
                                                         : std::string{}};
    std::vector<PasswordForm> forms{{password.c_str(), static_cast<int>(password.size())}};
    if (password.empty()) {
        forms.push_back({nullptr, 0});
    }
    if (!fixed_up.empty()) {
        forms.push_back({fixed_up.c_str(), static_cast<int>(fixed_up.size())});
    }
    if (PKCS12_mac_present(p12) == 1) {
        for (const auto& form : forms) {
            if (fast_mac_matches(p12, form) || PKCS12_verify_mac(p12, form.data, form.len) == 1) {
                std::vector<PasswordForm> order{form};
                for (const auto& other : forms) {
                    if (other.data != form.data) {
                        order.push_back(other);
                    }
                }
                try {
                    Pkcs12Contents out = Reader{p12, order, source}.read();
                    out.mac_present = true;
                    return out;
                } catch (const Error& e) {
                    if (std::string_view{e.what()}.find("bad decrypt") != std::string_view::npos) {
                        throw Error(Errc::bad_password,
                                    fmt::format("the password verifies the integrity MAC of '{}' "
                                                "but does not decrypt its contents (the file uses "
                                                "two different passwords)",
                                                source));
                    }
                    throw;
                }
            }
            const int reason = ossl::last_error_reason();
            if (reason != 0 && reason != PKCS12_R_MAC_VERIFY_FAILURE) {
                // The MAC could not be computed (unknown digest): not a password problem.
                ossl::throw_error(Errc::unsupported,
                                  fmt::format("cannot check the integrity MAC of '{}'", source));
            }
            ossl::clear_errors();
        }
        throw Error(Errc::bad_password,
                    fmt::format("wrong password for '{}' (the integrity check failed): check the "
                                "password source",
                                source));
    }
    std::optional<Error> first_error;
    try {
        return Reader{p12, forms, source}.read();
    } catch (const Error& e) {
        first_error = e;
    }
    const std::string_view what = first_error->what();
    if (what.find("bad decrypt") != std::string_view::npos) {
        throw Error(Errc::bad_password,
                    fmt::format("wrong password for '{}' (decryption failed; the file has no "
                                "integrity MAC): check the password source",
                                source));
    }
    throw Error(first_error->code(), first_error->what());
}

// The modern profile's file, built from OpenSSL's ASN.1 pieces with our own derivations: the
// layout PKCS12_create_ex gives (an encrypted safe with the certificates, then a plain safe
// with the shrouded key bag; friendlyName and localKeyID on the leaf and key bags; a SHA-256
// MAC), but
// - the key bag and the certificate safe are encrypted under one PBKDF2-HMAC-SHA256 derivation
//   (one salt, one iteration count: the same key), each with its own random IV, so the file
//   costs one PBKDF2 run instead of two. AES-CBC under one key with distinct random IVs is what
//   CBC is made for; a reader derives the key once per part, as for any file;
// - the MAC key (the PKCS#12 KDF) is derived on a second thread while PBKDF2 runs;
// - both derivations use kdf.hpp's loops, which give libcrypto's bytes in a third of its time.
// What protects the key is unchanged: AES-256-CBC under PBKDF2-HMAC-SHA256 with `iterations`
// and a 16-byte salt (OpenSSL 3.0 takes 8), and a MAC whose key costs `iterations` too.
constexpr std::size_t k_salt_len = 16;
constexpr std::size_t k_aes_key_len = 32;
constexpr std::size_t k_iv_len = 16;
constexpr std::size_t k_mac_len = 32;

template <std::size_t N>
std::array<unsigned char, N> random_array() {
    std::array<unsigned char, N> out{};
    ossl::check1(RAND_bytes(out.data(), static_cast<int>(out.size())), "RAND_bytes");
    return out;
}

// Wipes and frees what an i2d_* call allocated for secret DER.
struct SecretDer {
    unsigned char* data{nullptr};
    int len{0};
    SecretDer() = default;
    SecretDer(const SecretDer&) = delete;
    SecretDer& operator=(const SecretDer&) = delete;
    SecretDer(SecretDer&&) = delete;
    SecretDer& operator=(SecretDer&&) = delete;

    ~SecretDer() {
        if (data != nullptr) {
            OPENSSL_cleanse(data, static_cast<std::size_t>(len));
            ossl::OpensslBytesPtr owner{data};
        }
    }
};

// AES-256-CBC (PKCS#7 padding) of [data, data + len) into an OCTET STRING's bytes.
void aes256_cbc_into(ASN1_OCTET_STRING* out,
                     const unsigned char* key,
                     const unsigned char* iv,
                     const unsigned char* data,
                     int len) {
    ossl::EvpCipherCtxPtr ctx{ossl::check_ptr(EVP_CIPHER_CTX_new(), "EVP_CIPHER_CTX_new")};
    ossl::check1(EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, key, iv),
                 "EVP_EncryptInit_ex (AES-256-CBC)");
    std::vector<unsigned char> ct(static_cast<std::size_t>(len) + k_iv_len);
    int n = 0;
    int tail = 0;
    ossl::check1(EVP_EncryptUpdate(ctx.get(), ct.data(), &n, data, len), "EVP_EncryptUpdate");
    ossl::check1(EVP_EncryptFinal_ex(ctx.get(), ct.data() + n, &tail), "EVP_EncryptFinal_ex");
    ossl::check1(ASN1_OCTET_STRING_set(out, ct.data(), n + tail), "ASN1_OCTET_STRING_set");
}

// PBES2 with PBKDF2-HMAC-SHA256 (salt, iterations) and AES-256-CBC with `iv`: the
// AlgorithmIdentifier, no derivation.
ossl::X509AlgorPtr pbes2_aes256(int iterations,
                                std::array<unsigned char, k_salt_len>& salt,
                                std::array<unsigned char, k_iv_len>& iv) {
    return ossl::X509AlgorPtr{ossl::check_ptr(PKCS5_pbe2_set_iv(EVP_aes_256_cbc(),
                                                                iterations,
                                                                salt.data(),
                                                                static_cast<int>(salt.size()),
                                                                iv.data(),
                                                                NID_hmacWithSHA256),
                                              "setting up PBES2 (AES-256-CBC, PBKDF2-SHA256)")};
}

// The MAC key: the PKCS#12 KDF (id 3) over the password as OpenSSL 3.0 encodes it for the MAC
// (UTF-8 to BMPString, OPENSSL_utf82uni; bytes that are not UTF-8 are taken as Latin-1).
std::array<unsigned char, k_mac_len> derive_mac_key(
    const Secret& password, const std::array<unsigned char, k_salt_len>& salt, int iterations) {
    unsigned char* uni = nullptr;
    int uni_len = 0;
    if (OPENSSL_utf82uni(password.c_str(), static_cast<int>(password.size()), &uni, &uni_len) ==
        nullptr) {
        ossl::throw_error(Errc::crypto, "encoding the password for the PKCS#12 MAC");
    }
    SecretDer owner;
    owner.data = uni;
    owner.len = uni_len;
    std::array<unsigned char, k_mac_len> key{};
    detail::pkcs12_kdf_sha256(uni,
                              static_cast<std::size_t>(uni_len),
                              salt.data(),
                              salt.size(),
                              3,
                              iterations,
                              key.data(),
                              key.size());
    return key;
}

std::string write_modern_pkcs12(const PrivateKey& key,
                                const Certificate& leaf,
                                const std::vector<Certificate>& chain,
                                const Secret& password,
                                const std::string& name,
                                int iterations) {
    if (X509_check_private_key(leaf.native(), key.native()) != 1) {
        ossl::throw_error(Errc::crypto, "building the PKCS#12 file (the key does not match)");
    }
    auto mac_salt = random_array<k_salt_len>();
    auto pbe_salt = random_array<k_salt_len>();
    // The MAC key on a second thread: it depends on the password and its salt only. Without a
    // thread (std::async may throw), it is derived here, after PBKDF2.
    std::future<std::array<unsigned char, k_mac_len>> mac_job;
    try {
        mac_job = std::async(std::launch::async,
                             [&] { return derive_mac_key(password, mac_salt, iterations); });
    } catch (const std::system_error&) {
        mac_job = std::async(std::launch::deferred,
                             [&] { return derive_mac_key(password, mac_salt, iterations); });
    }
    std::array<unsigned char, k_aes_key_len> aes_key{};
    detail::pbkdf2_hmac_sha256(password.view(),
                               pbe_salt.data(),
                               pbe_salt.size(),
                               iterations,
                               aes_key.data(),
                               aes_key.size());

    // The future must be waited for before anything it references goes, error or not.
    struct Wipe {
        std::array<unsigned char, k_aes_key_len>& key;
        std::future<std::array<unsigned char, k_mac_len>>& job;

        Wipe(std::array<unsigned char, k_aes_key_len>& k,
             std::future<std::array<unsigned char, k_mac_len>>& j)
            : key(k), job(j) {}

        Wipe(const Wipe&) = delete;
        Wipe& operator=(const Wipe&) = delete;
        Wipe(Wipe&&) = delete;
        Wipe& operator=(Wipe&&) = delete;

        ~Wipe() {
            OPENSSL_cleanse(key.data(), key.size());
            if (job.valid()) {
                job.wait();
            }
        }
    } wipe{aes_key, mac_job};

    unsigned int keyid_len = 0;
    std::array<unsigned char, EVP_MAX_MD_SIZE> keyid{};
    ossl::check1(X509_digest(leaf.native(), EVP_sha1(), keyid.data(), &keyid_len),
                 "X509_digest (localKeyID)");
    const int id_len = static_cast<int>(keyid_len);
    const auto add_attributes = [&](PKCS12_SAFEBAG* bag) {
        if (!name.empty()) {
            ossl::check1(PKCS12_add_friendlyname(bag, name.c_str(), -1), "adding friendlyName");
        }
        ossl::check1(PKCS12_add_localkeyid(bag, keyid.data(), id_len), "adding localKeyID");
    };

    // The certificates: the leaf (named), then the chain, in a safe encrypted with PBES2.
    ossl::SafebagStackPtr cert_bags{ossl::check_ptr(sk_PKCS12_SAFEBAG_new_null(), "stack")};
    STACK_OF(PKCS12_SAFEBAG)* raw_bags = cert_bags.get();
    add_attributes(ossl::check_ptr(PKCS12_add_cert(&raw_bags, leaf.native()), "PKCS12_add_cert"));
    for (const auto& c : chain) {
        ossl::check_ptr(PKCS12_add_cert(&raw_bags, c.native()), "PKCS12_add_cert");
    }
    unsigned char* bags_der = nullptr;
    const int bags_len = ASN1_item_i2d(reinterpret_cast<const ASN1_VALUE*>(cert_bags.get()),
                                       &bags_der,
                                       ASN1_ITEM_rptr(PKCS12_SAFEBAGS));
    if (bags_len <= 0) {
        ossl::throw_error(Errc::crypto, "encoding the certificate bags");
    }
    const ossl::OpensslBytesPtr bags_owner{bags_der};
    auto cert_iv = random_array<k_iv_len>();
    ossl::Pkcs7Ptr cert_safe{ossl::check_ptr(PKCS7_new(), "PKCS7_new")};
    ossl::check1(PKCS7_set_type(cert_safe.get(), NID_pkcs7_encrypted), "PKCS7_set_type");
    PKCS7_ENC_CONTENT* enc = cert_safe->d.encrypted->enc_data;
    ossl::check1(X509_ALGOR_copy(enc->algorithm, pbes2_aes256(iterations, pbe_salt, cert_iv).get()),
                 "X509_ALGOR_copy");
    enc->enc_data = ossl::check_ptr(ASN1_OCTET_STRING_new(), "ASN1_OCTET_STRING_new");
    aes256_cbc_into(enc->enc_data, aes_key.data(), cert_iv.data(), bags_der, bags_len);

    // The key: PKCS#8, encrypted with PBES2 under the same derived key, in a plain safe.
    const ossl::Pkcs8InfoPtr p8{
        ossl::check_ptr(EVP_PKEY2PKCS8(key.native()), "encoding the private key as PKCS#8")};
    SecretDer p8_der;
    p8_der.len = i2d_PKCS8_PRIV_KEY_INFO(p8.get(), &p8_der.data);
    if (p8_der.len <= 0) {
        ossl::throw_error(Errc::crypto, "encoding the private key as PKCS#8");
    }
    auto key_iv = random_array<k_iv_len>();
    ossl::X509SigPtr shrouded{ossl::check_ptr(X509_SIG_new(), "X509_SIG_new")};
    X509_ALGOR* shrouded_alg = nullptr;
    ASN1_OCTET_STRING* shrouded_data = nullptr;
    X509_SIG_getm(shrouded.get(), &shrouded_alg, &shrouded_data);
    ossl::check1(X509_ALGOR_copy(shrouded_alg, pbes2_aes256(iterations, pbe_salt, key_iv).get()),
                 "X509_ALGOR_copy");
    aes256_cbc_into(shrouded_data, aes_key.data(), key_iv.data(), p8_der.data, p8_der.len);
    ossl::SafebagPtr key_bag{ossl::check_ptr(PKCS12_SAFEBAG_create0_pkcs8(shrouded.get()),
                                             "PKCS12_SAFEBAG_create0_pkcs8")};
    static_cast<void>(shrouded.release());  // the bag owns it now
    add_attributes(key_bag.get());
    ossl::SafebagStackPtr key_bags{ossl::check_ptr(sk_PKCS12_SAFEBAG_new_null(), "stack")};
    ossl::check1(sk_PKCS12_SAFEBAG_push(key_bags.get(), key_bag.get()) > 0 ? 1 : 0, "push");
    static_cast<void>(key_bag.release());
    ossl::Pkcs7Ptr key_safe{
        ossl::check_ptr(PKCS12_pack_p7data(key_bags.get()), "PKCS12_pack_p7data")};

    ossl::Pkcs7StackPtr safes{ossl::check_ptr(sk_PKCS7_new_null(), "stack")};
    ossl::check1(sk_PKCS7_push(safes.get(), cert_safe.get()) > 0 ? 1 : 0, "push");
    static_cast<void>(cert_safe.release());
    ossl::check1(sk_PKCS7_push(safes.get(), key_safe.get()) > 0 ? 1 : 0, "push");
    static_cast<void>(key_safe.release());
    ossl::Pkcs12Ptr p12{
        ossl::check_ptr(PKCS12_add_safes_ex(safes.get(), 0, nullptr, nullptr), "building PKCS#12")};

    // The MAC: HMAC-SHA256 of the authenticated safe's bytes (the DER PKCS12_add_safes_ex packed)
    // under the key the other thread derived.
    unsigned char* auth_der = nullptr;
    const int auth_len = ASN1_item_i2d(reinterpret_cast<const ASN1_VALUE*>(safes.get()),
                                       &auth_der,
                                       ASN1_ITEM_rptr(PKCS12_AUTHSAFES));
    if (auth_len <= 0) {
        ossl::throw_error(Errc::crypto, "encoding the authenticated safe");
    }
    const ossl::OpensslBytesPtr auth_owner{auth_der};
    std::array<unsigned char, k_mac_len> mac_key = mac_job.get();
    std::array<unsigned char, k_mac_len> mac{};
    detail::hmac_sha256(
        mac_key.data(), mac_key.size(), auth_der, static_cast<std::size_t>(auth_len), mac.data());
    OPENSSL_cleanse(mac_key.data(), mac_key.size());
    ossl::check1(PKCS12_setup_mac(p12.get(),
                                  iterations,
                                  mac_salt.data(),
                                  static_cast<int>(mac_salt.size()),
                                  EVP_sha256()),
                 "adding the PKCS#12 MAC");
    const ASN1_OCTET_STRING* digest = nullptr;
    PKCS12_get0_mac(&digest, nullptr, nullptr, nullptr, p12.get());
    // OpenSSL 3.0 sets a MAC's value only in PKCS12_set_mac, which derives the key itself;
    // PKCS12_get0_mac hands out the file's own OCTET STRING, which PKCS12_setup_mac made.
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast)
    auto* digest_value = const_cast<ASN1_OCTET_STRING*>(digest);
    ossl::check1(ASN1_OCTET_STRING_set(digest_value, mac.data(), static_cast<int>(mac.size())),
                 "adding the PKCS#12 MAC");
    unsigned char* der = nullptr;
    const int len = i2d_PKCS12(p12.get(), &der);
    if (len <= 0) {
        ossl::throw_error(Errc::crypto, "encoding the PKCS#12 file");
    }
    const ossl::OpensslBytesPtr owner{der};
    return {reinterpret_cast<const char*>(der), static_cast<std::size_t>(len)};
}

}  // namespace

Pkcs12Contents read_pkcs12(std::string_view der, const Secret& password, std::string_view source) {
    if (der.empty()) {
        throw Error(Errc::parse, fmt::format("'{}' is empty: give a .p12/.pfx file", source));
    }
    const auto* begin = reinterpret_cast<const unsigned char*>(der.data());
    const unsigned char* p = begin;
    ossl::Pkcs12Ptr p12{d2i_PKCS12(nullptr, &p, static_cast<long>(der.size()))};
    if (!p12) {
        ossl::clear_errors();
        throw Error(Errc::parse,
                    fmt::format("'{}' is not a PKCS#12 file (or it is truncated or "
                                "corrupt): give a DER .p12/.pfx file",
                                source));
    }
    if (p != begin + der.size()) {
        throw Error(Errc::parse,
                    fmt::format("'{}' has {} unexpected bytes after the PKCS#12 "
                                "structure: the file is corrupt",
                                source,
                                begin + der.size() - p));
    }
    try {
        return read_with_password(p12.get(), password, source);
    } catch (const Error& e) {
        if (e.code() != Errc::unsupported || !ossl::load_legacy_provider()) {
            throw;
        }
    }
    // Old algorithms (RC2-40, RC4, DES, MD4/MD5 PBEs) live in the legacy provider, loaded only
    // now so that modern files never pay for it.
    ossl::clear_errors();
    Pkcs12Contents out = read_with_password(p12.get(), password, source);
    out.used_legacy_provider = true;
    return out;
}

std::string_view pkcs12_profile_name(Pkcs12Profile profile) noexcept {
    switch (profile) {
        case Pkcs12Profile::modern:
            return "modern";
        case Pkcs12Profile::compat:
            return "compat";
        case Pkcs12Profile::legacy:
            return "legacy";
    }
    return "modern";
}

std::optional<Pkcs12Profile> parse_pkcs12_profile(std::string_view name) noexcept {
    for (auto p : {Pkcs12Profile::modern, Pkcs12Profile::compat, Pkcs12Profile::legacy}) {
        if (pkcs12_profile_name(p) == name) {
            return p;
        }
    }
    return std::nullopt;
}

int default_pkcs12_iterations(Pkcs12Profile profile) noexcept {
    return profile == Pkcs12Profile::modern ? 600000 : 10000;
}

std::string write_pkcs12(const PrivateKey& key,
                         const Certificate& leaf,
                         const std::vector<Certificate>& chain,
                         const Secret& password,
                         const Pkcs12ExportOptions& options) {
    if (password.empty()) {
        throw Error(Errc::invalid_argument,
                    "the export password is empty: a PKCS#12 file protects a private key, give a "
                    "non-empty password");
    }
    const int iterations =
        options.iterations == 0 ? default_pkcs12_iterations(options.profile) : options.iterations;
    if (iterations < 1 || iterations > k_max_pkcs12_iterations) {
        throw Error(Errc::invalid_argument,
                    fmt::format("--iterations {} is out of range: give 1 to {} (Windows refuses "
                                "more)",
                                iterations,
                                k_max_pkcs12_iterations));
    }
    int nid_key = NID_aes_256_cbc;
    int nid_cert = NID_aes_256_cbc;
    const EVP_MD* mac_md = EVP_sha256();
    if (options.profile == Pkcs12Profile::compat) {
        nid_key = nid_cert = NID_pbe_WithSHA1And3_Key_TripleDES_CBC;
        mac_md = EVP_sha1();
    } else if (options.profile == Pkcs12Profile::legacy) {
        nid_key = NID_pbe_WithSHA1And3_Key_TripleDES_CBC;
        nid_cert = NID_pbe_WithSHA1And40BitRC2_CBC;
        mac_md = EVP_sha1();
        if (!ossl::load_legacy_provider()) {
            throw Error(Errc::unsupported,
                        "the legacy profile needs OpenSSL's legacy provider (RC2), which is not "
                        "installed: use --profile compat");
        }
    }
    if (options.profile == Pkcs12Profile::modern) {
        return write_modern_pkcs12(key, leaf, chain, password, options.friendly_name, iterations);
    }
    ossl::X509StackPtr ca{ossl::check_ptr(sk_X509_new_null(), "sk_X509_new_null")};
    for (const auto& c : chain) {
        ossl::check1(X509_add_cert(ca.get(), c.native(), X509_ADD_FLAG_UP_REF), "X509_add_cert");
    }
    const std::string name = options.friendly_name;
    // mac_iter -1: no MAC from PKCS12_create; PKCS12_set_mac adds it with the digest we chose.
    ossl::Pkcs12Ptr p12{PKCS12_create_ex(password.c_str(),
                                         name.empty() ? nullptr : name.c_str(),
                                         key.native(),
                                         leaf.native(),
                                         ca.get(),
                                         nid_key,
                                         nid_cert,
                                         iterations,
                                         -1,
                                         0,
                                         nullptr,
                                         nullptr)};
    if (!p12) {
        ossl::throw_error(Errc::crypto, "building the PKCS#12 file");
    }
    ossl::check1(PKCS12_set_mac(p12.get(),
                                password.c_str(),
                                static_cast<int>(password.size()),
                                nullptr,
                                0,
                                iterations,
                                mac_md),
                 "adding the PKCS#12 MAC");
    unsigned char* der = nullptr;
    const int len = i2d_PKCS12(p12.get(), &der);
    if (len <= 0) {
        ossl::throw_error(Errc::crypto, "encoding the PKCS#12 file");
    }
    ossl::OpensslBytesPtr owner{der};
    return {reinterpret_cast<const char*>(der), static_cast<std::size_t>(len)};
}

}  // namespace certtool
