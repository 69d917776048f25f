#include "batch_fast.hpp"

#include "ossl.hpp"

#include <certtool/hostname.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>

namespace certtool::detail {

namespace {

using der::Bytes;
using der::Reader;
using der::Tlv;
namespace tag = der::tag;

// OID contents.
constexpr unsigned char k_oid_ec_public_key[] = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01};
constexpr unsigned char k_oid_p256[] = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
constexpr unsigned char k_oid_p384[] = {0x2B, 0x81, 0x04, 0x00, 0x22};
constexpr unsigned char k_oid_p521[] = {0x2B, 0x81, 0x04, 0x00, 0x23};
constexpr unsigned char k_oid_rsa[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01};
constexpr unsigned char k_oid_ecdsa_sha256[] = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02};
constexpr unsigned char k_oid_ecdsa_sha384[] = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x03};
constexpr unsigned char k_oid_ecdsa_sha512[] = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x04};
constexpr unsigned char k_oid_rsa_sha256[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B};
constexpr unsigned char k_oid_rsa_sha384[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0C};
constexpr unsigned char k_oid_rsa_sha512[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0D};
constexpr unsigned char k_oid_ski[] = {0x55, 0x1D, 0x0E};
constexpr unsigned char k_oid_key_usage[] = {0x55, 0x1D, 0x0F};
constexpr unsigned char k_oid_san[] = {0x55, 0x1D, 0x11};
constexpr unsigned char k_oid_basic_constraints[] = {0x55, 0x1D, 0x13};
constexpr unsigned char k_oid_crl_dp[] = {0x55, 0x1D, 0x1F};
constexpr unsigned char k_oid_policies[] = {0x55, 0x1D, 0x20};
constexpr unsigned char k_oid_aki[] = {0x55, 0x1D, 0x23};
constexpr unsigned char k_oid_eku[] = {0x55, 0x1D, 0x25};
constexpr unsigned char k_oid_aia[] = {0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01};
constexpr unsigned char k_oid_sct_list[] = {
    0x2B, 0x06, 0x01, 0x04, 0x01, 0xD6, 0x79, 0x02, 0x04, 0x02};
constexpr unsigned char k_oid_server_auth[] = {0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01};
constexpr unsigned char k_oid_client_auth[] = {0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02};

// "YYMMDDHHMMSSZ" or "YYYYMMDDHHMMSSZ" as seconds since the epoch.
std::optional<std::int64_t> parse_time(const Tlv& t) {
    const Bytes v = t.value;
    std::size_t pos = 0;
    auto digits = [&](std::size_t n) -> std::optional<int> {
        int x = 0;
        for (std::size_t i = 0; i < n; ++i, ++pos) {
            if (pos >= v.size() || v[pos] < '0' || v[pos] > '9') {
                return std::nullopt;
            }
            x = x * 10 + (v[pos] - '0');
        }
        return x;
    };
    std::optional<int> year;
    if (t.tag == tag::utc_time && v.size() == 13) {
        year = digits(2);
        if (year) {
            *year += *year >= 50 ? 1900 : 2000;
        }
    } else if (t.tag == tag::generalized_time && v.size() == 15) {
        year = digits(4);
    } else {
        return std::nullopt;
    }
    const auto mon = digits(2);
    const auto day = digits(2);
    const auto hour = digits(2);
    const auto min = digits(2);
    const auto sec = digits(2);
    if (!year || !mon || !day || !hour || !min || !sec || v[pos] != 'Z' || *mon < 1 || *mon > 12 ||
        *day < 1 || *day > 31 || *hour > 23 || *min > 59 || *sec > 59) {
        return std::nullopt;
    }
    // days from civil (Howard Hinnant); day-of-month overflow (Feb 30) is left to OpenSSL.
    static constexpr std::array<int, 12> month_days{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (*day > month_days.at(static_cast<std::size_t>(*mon - 1))) {
        return std::nullopt;
    }
    const int y = *year - (*mon <= 2 ? 1 : 0);
    const int era = (y >= 0 ? y : y - 399) / 400;
    const int yoe = y - era * 400;
    const int mp = (*mon + 9) % 12;
    const int doy = (153 * mp + 2) / 5 + *day - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    const std::int64_t days = static_cast<std::int64_t>(era) * 146097 + doe - 719468;
    return days * 86400 + *hour * 3600 + *min * 60 + *sec;
}

struct Signature {
    const EVP_MD* md{nullptr};
    int key_type{EVP_PKEY_NONE};
};

std::optional<Signature> signature_algorithm(Bytes alg_seq) {
    Reader r{alg_seq};
    const auto oid = r.next(tag::oid);
    if (!oid) {
        return std::nullopt;
    }
    const Bytes o = oid->value;
    if (der::is_oid(o, k_oid_ecdsa_sha256) || der::is_oid(o, k_oid_ecdsa_sha384) ||
        der::is_oid(o, k_oid_ecdsa_sha512)) {
        if (!r.empty()) {
            return std::nullopt;  // ECDSA takes no parameters
        }
        return Signature{der::is_oid(o, k_oid_ecdsa_sha256)   ? EVP_sha256()
                         : der::is_oid(o, k_oid_ecdsa_sha384) ? EVP_sha384()
                                                              : EVP_sha512(),
                         EVP_PKEY_EC};
    }
    if (der::is_oid(o, k_oid_rsa_sha256) || der::is_oid(o, k_oid_rsa_sha384) ||
        der::is_oid(o, k_oid_rsa_sha512)) {
        const auto null = r.next(tag::null);
        if (!null || !null->value.empty() || !r.empty()) {
            return std::nullopt;
        }
        return Signature{der::is_oid(o, k_oid_rsa_sha256)   ? EVP_sha256()
                         : der::is_oid(o, k_oid_rsa_sha384) ? EVP_sha384()
                                                            : EVP_sha512(),
                         EVP_PKEY_RSA};
    }
    return std::nullopt;
}

// Security bits of a subjectPublicKeyInfo the fast path understands, else nullopt.
std::optional<int> key_security_bits(Bytes spki) {
    Reader r{spki};
    const auto alg = r.next(tag::sequence);
    const auto bits = r.next(tag::bit_string);
    if (!alg || !bits || !r.empty() || bits->value.empty() || bits->value[0] != 0) {
        return std::nullopt;
    }
    Reader a{alg->value};
    const auto oid = a.next(tag::oid);
    if (!oid) {
        return std::nullopt;
    }
    const Bytes key = bits->value.subspan(1);
    if (der::is_oid(oid->value, k_oid_ec_public_key)) {
        const auto curve = a.next(tag::oid);
        if (!curve || !a.empty() || key.empty() || key[0] != 0x04) {
            return std::nullopt;  // named curves, uncompressed points only
        }
        if (der::is_oid(curve->value, k_oid_p256) && key.size() == 65) {
            return 128;
        }
        if (der::is_oid(curve->value, k_oid_p384) && key.size() == 97) {
            return 192;
        }
        if (der::is_oid(curve->value, k_oid_p521) && key.size() == 133) {
            return 256;
        }
        return std::nullopt;
    }
    if (der::is_oid(oid->value, k_oid_rsa)) {
        const auto null = a.next(tag::null);
        if (!null || !null->value.empty() || !a.empty()) {
            return std::nullopt;
        }
        Reader k{key};
        const auto seq = k.next(tag::sequence);
        if (!seq || !k.empty()) {
            return std::nullopt;
        }
        Reader ne{seq->value};
        const auto n = ne.next(tag::integer);
        const auto e = ne.next(tag::integer);
        if (!n || !e || !ne.empty() || n->value.size() < 2 || n->value[0] != 0 ||
            (n->value[1] & 0x80U) == 0) {
            return std::nullopt;  // a positive, minimally encoded modulus with its top bit set
        }
        const std::size_t modulus_bits = (n->value.size() - 1) * 8;
        if (modulus_bits >= 15360) {
            return 256;
        }
        if (modulus_bits >= 7680) {
            return 192;
        }
        if (modulus_bits >= 3072) {
            return 128;
        }
        if (modulus_bits >= 2048) {
            return 112;
        }
        return std::nullopt;
    }
    return std::nullopt;
}

// A positive INTEGER of 1-20 octets, minimally encoded and not zero.
bool serial_ok(Bytes v) {
    if (v.empty() || v.size() > 20 || (v[0] & 0x80U) != 0) {
        return false;
    }
    if (v.size() == 1) {
        return v[0] != 0;
    }
    return v[0] != 0 || (v[1] & 0x80U) != 0;
}

struct Extensions {
    bool key_usage_ok{true};
    bool eku_ok{true};
    Bytes aki_key_id;
    bool has_aki_key_id{false};
};

// Does `value` parse completely as what d2i reads? (OpenSSL would flag a malformed one.)
template <typename Ptr, typename T>
bool parses_as(Bytes value, T* (*d2i)(T**, const unsigned char**, long)) {
    return ossl::decodes_whole<Ptr>(value.data(), value.size(), d2i);
}

// The contents of `v` when it is exactly one non-empty SEQUENCE (an extension value such as
// extKeyUsage or subjectAltName), else nullopt.
std::optional<Bytes> only_sequence(Bytes v) {
    Reader r{v};
    const auto seq = r.next(tag::sequence);
    if (!seq || !r.empty() || seq->value.empty()) {
        return std::nullopt;
    }
    return seq->value;
}

// Walks the extensions; false if any is outside the subset or not acceptable for `purpose`.
bool extensions_ok(Bytes exts_seq, Purpose purpose, Extensions& out) {
    Reader list{exts_seq};
    unsigned seen = 0;  // one bit per known extension: duplicates fall back
    if (list.empty()) {
        return false;
    }
    while (!list.empty()) {
        const auto ext = list.next(tag::sequence);
        if (!ext) {
            return false;
        }
        Reader e{ext->value};
        const auto oid = e.next(tag::oid);
        bool critical = false;
        if (e.peek_tag() == tag::boolean) {
            const auto b = e.next();
            if (!b || b->value.size() != 1 || b->value[0] != 0xFF) {
                return false;  // DER: DEFAULT FALSE is omitted, TRUE is 0xFF
            }
            critical = true;
        }
        const auto value = e.next(tag::octet_string);
        if (!oid || !value || !e.empty()) {
            return false;
        }
        const Bytes o = oid->value;
        const Bytes v = value->value;
        unsigned bit = 0;
        if (der::is_oid(o, k_oid_basic_constraints)) {
            bit = 1U;
            if (v.size() != 2 || v[0] != tag::sequence || v[1] != 0) {
                return false;  // only an empty SEQUENCE: cA FALSE, no pathLen
            }
        } else if (der::is_oid(o, k_oid_key_usage)) {
            bit = 2U;
            Reader r{v};
            const auto bits = r.next(tag::bit_string);
            if (!bits || !r.empty() || bits->value.size() < 2 || bits->value.size() > 3 ||
                bits->value[0] > 7) {
                return false;
            }
            const unsigned first = bits->value[1];
            if ((first & 0x06U) != 0) {
                return false;  // keyCertSign or cRLSign on a leaf: let OpenSSL judge
            }
            // digitalSignature | keyEncipherment | keyAgreement (server); no keyEncipherment
            // for a client (OpenSSL's KU_SSL_CLIENT)
            const unsigned wanted = purpose == Purpose::client ? 0x88U : 0xA8U;
            out.key_usage_ok = purpose == Purpose::any || (first & wanted) != 0;
            if (first == 0 && (bits->value.size() == 2 || bits->value[2] == 0)) {
                return false;
            }
        } else if (der::is_oid(o, k_oid_eku)) {
            bit = 4U;
            const auto purposes = only_sequence(v);
            if (!purposes) {
                return false;
            }
            Reader ids{*purposes};
            bool server = false;
            bool client = false;
            while (!ids.empty()) {
                const auto id = ids.next(tag::oid);
                if (!id) {
                    return false;
                }
                server = server || der::is_oid(id->value, k_oid_server_auth);
                client = client || der::is_oid(id->value, k_oid_client_auth);
                if (!der::is_oid(id->value, k_oid_server_auth) &&
                    !der::is_oid(id->value, k_oid_client_auth)) {
                    return false;  // other purposes: strict-EKU rules apply, let the full path
                }
            }
            out.eku_ok = purpose == Purpose::any || (purpose == Purpose::server ? server : client);
        } else if (der::is_oid(o, k_oid_san)) {
            bit = 8U;
            const auto general_names = only_sequence(v);
            if (!general_names) {
                return false;
            }
            Reader names{*general_names};
            while (!names.empty()) {
                const auto gn = names.next();
                if (!gn) {
                    return false;
                }
                if (gn->tag == 0x82) {  // dNSName
                    const std::string_view name{reinterpret_cast<const char*>(gn->value.data()),
                                                gn->value.size()};
                    if (!is_valid_host_name(name, true)) {
                        return false;
                    }
                } else if (gn->tag != 0x87 || (gn->value.size() != 4 && gn->value.size() != 16)) {
                    return false;  // only DNS names and IP addresses
                }
            }
        } else if (der::is_oid(o, k_oid_ski)) {
            bit = 16U;
            Reader r{v};
            const auto id = r.next(tag::octet_string);
            if (!id || !r.empty() || id->value.empty()) {
                return false;
            }
        } else if (der::is_oid(o, k_oid_aki)) {
            bit = 32U;
            const auto aki = only_sequence(v);
            if (!aki) {
                return false;
            }
            Reader parts{*aki};
            const auto id = parts.next(0x80);
            if (!id || !parts.empty() || id->value.empty()) {
                return false;  // keyIdentifier only
            }
            out.aki_key_id = id->value;
            out.has_aki_key_id = true;
        } else if (der::is_oid(o, k_oid_crl_dp)) {
            bit = 64U;
            if (!parses_as<ossl::CrlDistPointsPtr>(v, d2i_CRL_DIST_POINTS)) {
                return false;
            }
        } else if (der::is_oid(o, k_oid_aia)) {
            bit = 128U;
            if (!parses_as<ossl::AuthorityInfoAccessPtr>(v, d2i_AUTHORITY_INFO_ACCESS)) {
                return false;
            }
        } else if (der::is_oid(o, k_oid_policies)) {
            bit = 256U;
            if (!parses_as<ossl::CertificatePoliciesPtr>(v, d2i_CERTIFICATEPOLICIES)) {
                return false;
            }
        } else if (der::is_oid(o, k_oid_sct_list)) {
            bit = 512U;
        } else {
            return false;
        }
        if ((seen & bit) != 0) {
            return false;
        }
        seen |= bit;
        // Only basicConstraints, keyUsage, extKeyUsage and subjectAltName may be critical here.
        if (critical && bit > 8U) {
            return false;
        }
    }
    return out.key_usage_ok && out.eku_ok;
}

}  // namespace

const FixedKeyEcdsa* IssuerFastState::accelerator(EVP_PKEY* key, std::size_t leaves) {
    if (const FixedKeyEcdsa* ready = ecdsa.load(std::memory_order_acquire)) {
        return ready;
    }
    if (hits.fetch_add(leaves, std::memory_order_relaxed) + leaves < table_after) {
        return nullptr;
    }
    std::call_once(table_once, [&] {
        table = FixedKeyEcdsa::create(key);
        ecdsa.store(table.get(), std::memory_order_release);
    });
    return ecdsa.load(std::memory_order_acquire);
}

bool fast_path_applies(const VerifyOptions& options) {
    return options.names.empty() && options.crls.empty() && !options.policy.enabled &&
           options.at.has_value() && options.strict_eku == VerifyOptions::StrictEku::off &&
           (options.profile == Profile::openssl || options.profile == Profile::rfc5280);
}

std::optional<Bytes> issuer_name_der(Bytes der) {
    Reader outer{der};
    const auto cert = outer.next(tag::sequence);
    if (!cert) {
        return std::nullopt;
    }
    Reader c{cert->value};
    const auto tbs = c.next(tag::sequence);
    if (!tbs) {
        return std::nullopt;
    }
    Reader t{tbs->value};
    if (!t.next(0xA0) || !t.next(tag::integer) || !t.next(tag::sequence)) {
        return std::nullopt;
    }
    const auto issuer = t.next(tag::sequence);
    if (!issuer) {
        return std::nullopt;
    }
    return issuer->whole;
}

std::optional<FastLeaf> fast_check_leaf(Bytes der,
                                        const FastIssuer& issuer,
                                        const VerifyOptions& options) {
    if (!fast_path_applies(options) || issuer.key == nullptr) {
        return std::nullopt;
    }
    Reader outer{der};
    const auto cert = outer.next(tag::sequence);
    if (!cert || !outer.empty()) {
        return std::nullopt;  // bytes after the certificate: the full parser rejects the file
    }
    Reader c{cert->value};
    const auto tbs = c.next(tag::sequence);
    const auto sig_alg = c.next(tag::sequence);
    const auto sig = c.next(tag::bit_string);
    if (!tbs || !sig_alg || !sig || !c.empty() || sig->value.empty() || sig->value[0] != 0) {
        return std::nullopt;
    }
    Reader t{tbs->value};
    const auto version = t.next(0xA0);
    const auto serial = t.next(tag::integer);
    const auto inner_alg = t.next(tag::sequence);
    const auto issuer_name = t.next(tag::sequence);
    const auto validity = t.next(tag::sequence);
    const auto subject = t.next(tag::sequence);
    const auto spki = t.next(tag::sequence);
    const auto exts = t.next(0xA3);
    if (!version || version->value.size() != 3 || version->value[0] != tag::integer ||
        version->value[1] != 1 || version->value[2] != 2 || !serial || !serial_ok(serial->value) ||
        !inner_alg || !der::equal(inner_alg->whole, sig_alg->whole) || !issuer_name || !validity ||
        !subject || subject->value.empty() || !spki || !exts || !t.empty()) {
        return std::nullopt;  // v3 only, no unique ids, a non-empty subject, extensions
    }
    if (!der::equal(issuer_name->whole, issuer.subject_der)) {
        return std::nullopt;
    }
    Reader v{validity->value};
    const auto nb = v.next();
    const auto na = v.next();
    if (!nb || !na || !v.empty()) {
        return std::nullopt;
    }
    const auto not_before = parse_time(*nb);
    const auto not_after = parse_time(*na);
    const auto at =
        std::chrono::duration_cast<std::chrono::seconds>(options.at->time_since_epoch()).count();
    if (!not_before || !not_after || !(*not_before < at && at < *not_after)) {
        return std::nullopt;  // outside (or on the edge of) its validity: the full path words it
    }
    const auto bits = key_security_bits(spki->value);
    if (!bits || *bits < options.min_security_bits) {
        return std::nullopt;
    }
    Reader e{exts->value};
    const auto ext_seq = e.next(tag::sequence);
    Extensions found;
    if (!ext_seq || !e.empty() || !extensions_ok(ext_seq->value, options.purpose, found)) {
        return std::nullopt;
    }
    if (found.has_aki_key_id && !issuer.key_id.empty() &&
        !der::equal(found.aki_key_id, issuer.key_id)) {
        return std::nullopt;
    }
    const auto alg = signature_algorithm(sig_alg->value);
    if (!alg || EVP_PKEY_get_base_id(issuer.key) != alg->key_type) {
        return std::nullopt;
    }
    return FastLeaf{alg->md, alg->key_type, tbs->whole, sig->value.subspan(1), subject->whole};
}

bool fast_signature_ok(const FastLeaf& leaf, EVP_PKEY* issuer_key) {
    ossl::EvpMdCtxPtr ctx{EVP_MD_CTX_new()};
    const bool verified =
        ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, leaf.md, nullptr, issuer_key) == 1 &&
        EVP_DigestVerify(ctx.get(),
                         leaf.signature.data(),
                         leaf.signature.size(),
                         leaf.tbs.data(),
                         leaf.tbs.size()) == 1;
    ossl::clear_errors();
    return verified;
}

std::optional<std::string> fast_subject(const FastLeaf& leaf) {
    const unsigned char* p = leaf.subject.data();
    ossl::X509NamePtr name{d2i_X509_NAME(nullptr, &p, static_cast<long>(leaf.subject.size()))};
    if (!name || p != leaf.subject.data() + leaf.subject.size()) {
        ossl::clear_errors();
        return std::nullopt;
    }
    return ossl::name_to_string(name.get());
}

}  // namespace certtool::detail
