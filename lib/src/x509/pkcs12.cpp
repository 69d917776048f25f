#include "ossl.hpp"

#include <certtool/error.hpp>
#include <certtool/pkcs12.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <array>

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
            if (PKCS12_verify_mac(p12, form.data, form.len) == 1) {
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
