#include "ossl.hpp"
#include "text.hpp"
#include "x509_build.hpp"

#include <certtool/certificate.hpp>
#include <certtool/error.hpp>
#include <certtool/files.hpp>
#include <certtool/hostname.hpp>
#include <certtool/time.hpp>

#include <fmt/core.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>

namespace certtool {

namespace {

bool iequals_prefix(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && text::ascii_lower(s.substr(0, prefix.size())) == prefix;
}

// Host names as certificates may carry them: RFC 1123 labels, a whole-label wildcard allowed.
bool valid_dns_name(std::string_view name) {
    return is_valid_host_name(name, /*allow_wildcard=*/true);
}

std::string name_entry(const X509_NAME* name, int nid) {
    const int idx = X509_NAME_get_index_by_NID(name, nid, -1);
    if (idx < 0) {
        return {};
    }
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
    unsigned char* utf8 = nullptr;
    const int len = ASN1_STRING_to_UTF8(&utf8, data);
    if (len < 0) {
        ossl::clear_errors();
        return {};
    }
    ossl::OpensslBytesPtr owner{utf8};
    return {reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(len)};
}

TimePoint asn1_to_time(const ASN1_TIME* t) {
    std::tm tm{};
    if (ASN1_TIME_to_tm(t, &tm) != 1) {
        ossl::throw_error(Errc::parse, "invalid certificate time");
    }
    return from_seconds(timegm(&tm));
}

void add_ext(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
    ossl::X509ExtPtr ext{
        ossl::check_ptr(X509V3_EXT_conf_nid(nullptr, ctx, nid, value), "building extension")};
    ossl::check1(X509_add_ext(cert, ext.get(), -1), "adding extension");
}

std::vector<Certificate> from_pkcs7(PKCS7* p7, std::string_view source) {
    std::vector<Certificate> out;
    STACK_OF(X509)* certs = nullptr;
    if (PKCS7_type_is_signed(p7) && p7->d.sign != nullptr) {
        certs = p7->d.sign->cert;
    } else if (PKCS7_type_is_signedAndEnveloped(p7) && p7->d.signed_and_enveloped != nullptr) {
        certs = p7->d.signed_and_enveloped->cert;
    } else {
        throw Error(Errc::parse, fmt::format("'{}' is a PKCS#7 file without certificates", source));
    }
    out.reserve(static_cast<std::size_t>(std::max(sk_X509_num(certs), 0)));
    for (int i = 0; i < sk_X509_num(certs); ++i) {
        out.push_back(Certificate::adopt(sk_X509_value(certs, i)));
    }
    return out;
}

std::vector<Certificate> parse_pem(std::string_view data, std::string_view source) {
    std::vector<Certificate> out;
    auto bio = ossl::mem_bio(data);
    for (;;) {
        char* name_raw = nullptr;
        char* header_raw = nullptr;
        unsigned char* body_raw = nullptr;
        long len = 0;
        if (PEM_read_bio(bio.get(), &name_raw, &header_raw, &body_raw, &len) != 1) {
            ossl::clear_errors();  // end of input: "no start line"
            break;
        }
        ossl::OpensslStringPtr name{name_raw};
        ossl::OpensslStringPtr header{header_raw};
        ossl::OpensslBytesPtr body{body_raw};
        const std::string_view label{name.get()};
        const unsigned char* p = body.get();
        if (label == "CERTIFICATE" || label == "X509 CERTIFICATE" ||
            label == "TRUSTED CERTIFICATE") {
            const ossl::X509Ptr x{label == "TRUSTED CERTIFICATE" ? d2i_X509_AUX(nullptr, &p, len)
                                                                 : d2i_X509(nullptr, &p, len)};
            if (!x || p != body.get() + len) {
                ossl::throw_error(
                    Errc::parse,
                    fmt::format("cannot read certificate #{} in '{}'", out.size() + 1, source));
            }
            out.push_back(Certificate::adopt(x.get()));
        } else if (label == "PKCS7") {
            ossl::Pkcs7Ptr p7{d2i_PKCS7(nullptr, &p, len)};
            if (!p7) {
                ossl::throw_error(Errc::parse, fmt::format("cannot read PKCS#7 in '{}'", source));
            }
            auto certs = from_pkcs7(p7.get(), source);
            out.insert(out.end(), certs.begin(), certs.end());
        } else if (label.find("PRIVATE KEY") != std::string_view::npos && len > 0) {
            OPENSSL_cleanse(body.get(), static_cast<std::size_t>(len));  // not ours to keep
        }
    }
    return out;
}

}  // namespace

std::string SubjectAltName::to_string() const {
    switch (kind) {
        case Kind::dns:
            return "DNS:" + value;
        case Kind::ip:
            return "IP:" + value;
        case Kind::email:
            return "email:" + value;
    }
    return value;
}

SubjectAltName SubjectAltName::parse(std::string_view text) {
    std::optional<Kind> kind;
    std::string_view value = text;
    if (iequals_prefix(text, "dns:")) {
        kind = Kind::dns;
        value.remove_prefix(4);
    } else if (iequals_prefix(text, "ip:")) {
        kind = Kind::ip;
        value.remove_prefix(3);
    } else if (iequals_prefix(text, "email:")) {
        kind = Kind::email;
        value.remove_prefix(6);
    } else if (canonical_ip(text)) {
        kind = Kind::ip;
    } else if (text.find('@') != std::string_view::npos) {
        kind = Kind::email;
    } else if (const auto colon = text.find(':');
               colon != std::string_view::npos && colon > 0 &&
               std::all_of(
                   text.begin(), text.begin() + static_cast<std::ptrdiff_t>(colon), [](char c) {
                       return std::isalpha(static_cast<unsigned char>(c)) != 0;
                   })) {
        throw Error(Errc::invalid_argument,
                    fmt::format("SAN '{}': type '{}' is not supported: give DNS:name, IP:address "
                                "or email:address (URI, otherName and directory names are not "
                                "made)",
                                text,
                                text.substr(0, colon)));
    } else {
        kind = Kind::dns;
    }
    switch (*kind) {
        case Kind::ip: {
            auto ip = canonical_ip(value);
            if (!ip) {
                throw Error(Errc::invalid_argument,
                            fmt::format("SAN '{}' is not an IP address: write IP:192.0.2.25 or "
                                        "IP:2001:db8::25",
                                        text));
            }
            return {Kind::ip, *ip};
        }
        case Kind::email: {
            const auto at = value.find('@');
            if (at == 0 || at == std::string_view::npos || at + 1 >= value.size() ||
                value.find_first_of(" \t,") != std::string_view::npos) {
                throw Error(Errc::invalid_argument,
                            fmt::format("SAN '{}' is not an email address: write "
                                        "email:postmaster@example.com",
                                        text));
            }
            return {Kind::email, std::string{value}};
        }
        case Kind::dns: {
            // An internationalised name is kept in the A-label form certificates carry.
            std::string name = text::ascii_lower(to_a_label(value));
            if (!name.empty() && name.back() == '.') {
                name.pop_back();
            }
            if (!valid_dns_name(name)) {
                throw Error(Errc::invalid_argument,
                            fmt::format("SAN '{}' is not a valid DNS name: use letters, digits "
                                        "and hyphens in dot-separated labels (a wildcard only as "
                                        "the whole left-most label, e.g. DNS:*.example.com)",
                                        text));
            }
            return {Kind::dns, name};
        }
    }
    return {};
}

SubjectRequest SubjectRequest::make(DistinguishedName subject, std::vector<SubjectAltName> sans) {
    auto check_len = [](const std::string& value, std::size_t max, std::string_view option) {
        if (value.size() > max) {
            throw Error(Errc::invalid_argument,
                        fmt::format("{} is {} characters long; the limit is {}: shorten it",
                                    option,
                                    value.size(),
                                    max));
        }
    };
    if (subject.common_name.empty()) {
        throw Error(Errc::invalid_argument,
                    "--cn is required: give the server's host name, e.g. --cn mail.example.com");
    }
    check_len(subject.common_name, 64, "--cn");
    check_len(subject.organization, 64, "--org");
    check_len(subject.organizational_unit, 64, "--ou");
    check_len(subject.locality, 128, "--locality");
    check_len(subject.state, 128, "--state");
    if (!subject.country.empty()) {
        if (subject.country.size() != 2 ||
            std::isalpha(static_cast<unsigned char>(subject.country[0])) == 0 ||
            std::isalpha(static_cast<unsigned char>(subject.country[1])) == 0) {
            throw Error(Errc::invalid_argument,
                        fmt::format("--country '{}' is not a two-letter ISO 3166 code: write e.g. "
                                    "--country US",
                                    subject.country));
        }
        std::transform(subject.country.begin(),
                       subject.country.end(),
                       subject.country.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    }
    SubjectAltName cn_san;
    if (auto ip = canonical_ip(subject.common_name)) {
        cn_san = {SubjectAltName::Kind::ip, *ip};
    } else {
        try {
            cn_san = SubjectAltName::parse("DNS:" + subject.common_name);
        } catch (const Error&) {
            throw Error(Errc::invalid_argument,
                        fmt::format("--cn '{}' is not a host name: give the server's DNS name "
                                    "(e.g. mail.example.com) or IP address",
                                    subject.common_name));
        }
        subject.common_name = cn_san.value;
    }
    SubjectRequest out{std::move(subject), {cn_san}};
    for (auto& san : sans) {
        if (std::find(out.sans.begin(), out.sans.end(), san) == out.sans.end()) {
            out.sans.push_back(std::move(san));
        }
    }
    return out;
}

std::vector<Certificate> Certificate::parse_all(std::string_view data, std::string_view source) {
    if (data.empty()) {
        throw Error(Errc::parse,
                    fmt::format("'{}' is empty: give the certificate file the CA "
                                "sent (PEM, DER or PKCS#7)",
                                source));
    }
    std::vector<Certificate> out;
    if (data.find("-----BEGIN ") != std::string_view::npos) {
        out = parse_pem(data, source);
    } else if (static_cast<unsigned char>(data[0]) == 0x30) {
        const auto* begin = reinterpret_cast<const unsigned char*>(data.data());
        const long len = static_cast<long>(data.size());
        const unsigned char* p = begin;
        if (const ossl::X509Ptr x{d2i_X509(nullptr, &p, len)}) {
            const bool complete = p == begin + len;
            out.push_back(Certificate::adopt(x.get()));
            if (!complete) {
                throw Error(Errc::parse,
                            fmt::format("'{}' has {} unexpected bytes after the "
                                        "DER certificate: the file is corrupt",
                                        source,
                                        begin + len - p));
            }
        } else {
            ossl::clear_errors();
            p = begin;
            ossl::Pkcs7Ptr p7{d2i_PKCS7(nullptr, &p, len)};
            if (p7 && p == begin + len) {
                out = from_pkcs7(p7.get(), source);
            } else {
                ossl::clear_errors();
            }
        }
    }
    // d2i_X509 caches the extensions as it decodes: one that does not parse marks the
    // certificate invalid (verification reports it) and leaves its error queued.
    ossl::clear_errors();
    if (out.empty()) {
        throw Error(Errc::parse,
                    fmt::format("no certificate found in '{}': give a PEM, DER or PKCS#7 "
                                "(.p7b) certificate file",
                                source));
    }
    return out;
}

std::vector<Certificate> Certificate::load_all(const std::filesystem::path& file) {
    return parse_all(read_input_file(file, "certificate file"), file.string());
}

Certificate Certificate::parse(std::string_view data, std::string_view source) {
    return parse_all(data, source).front();
}

Certificate Certificate::adopt(X509* x509) {
    ossl::check1(X509_up_ref(x509), "X509_up_ref");
    return Certificate{ossl::share(x509)};
}

std::string Certificate::to_pem() const {
    auto bio = ossl::mem_bio();
    ossl::check1(PEM_write_bio_X509(bio.get(), m_x509.get()), "writing certificate");
    return ossl::bio_to_string(bio.get());
}

std::string Certificate::to_trusted_pem() const {
    if (X509_trusted(m_x509.get()) == 0 && X509_alias_get0(m_x509.get(), nullptr) == nullptr) {
        return to_pem();
    }
    auto bio = ossl::mem_bio();
    ossl::check1(PEM_write_bio_X509_AUX(bio.get(), m_x509.get()), "writing trusted certificate");
    return ossl::bio_to_string(bio.get());
}

namespace {

std::vector<std::string> purpose_names(const STACK_OF(ASN1_OBJECT) * objects) {
    std::vector<std::string> out;
    for (int i = 0; objects != nullptr && i < sk_ASN1_OBJECT_num(objects); ++i) {
        const ASN1_OBJECT* obj = sk_ASN1_OBJECT_value(objects, i);
        const int nid = OBJ_obj2nid(obj);
        if (const char* sn = nid == NID_undef ? nullptr : OBJ_nid2sn(nid); sn != nullptr) {
            out.emplace_back(sn);
            continue;
        }
        std::array<char, 128> buf{};
        const int n = OBJ_obj2txt(buf.data(), static_cast<int>(buf.size()), obj, 1);
        out.emplace_back(n > 0 ? std::string(buf.data()) : std::string("?"));
    }
    return out;
}

}  // namespace

TrustSettings Certificate::trust_settings() const {
    TrustSettings out;
    out.trusted = purpose_names(X509_get0_trust_objects(m_x509.get()));
    out.rejected = purpose_names(X509_get0_reject_objects(m_x509.get()));
    int len = 0;
    if (const unsigned char* alias = X509_alias_get0(m_x509.get(), &len);
        alias != nullptr && len > 0) {
        out.alias.assign(reinterpret_cast<const char*>(alias), static_cast<std::size_t>(len));
    }
    return out;
}

std::string Certificate::to_der() const {
    unsigned char* der = nullptr;
    const int len = i2d_X509(m_x509.get(), &der);
    if (len <= 0) {
        ossl::throw_error(Errc::crypto, "encoding certificate");
    }
    ossl::OpensslBytesPtr owner{der};
    return {reinterpret_cast<const char*>(der), static_cast<std::size_t>(len)};
}

std::string Certificate::subject() const {
    return ossl::name_to_string(X509_get_subject_name(m_x509.get()));
}

std::string Certificate::issuer() const {
    return ossl::name_to_string(X509_get_issuer_name(m_x509.get()));
}

DistinguishedName Certificate::subject_name() const {
    const X509_NAME* n = X509_get_subject_name(m_x509.get());
    return {name_entry(n, NID_commonName),
            name_entry(n, NID_organizationName),
            name_entry(n, NID_organizationalUnitName),
            name_entry(n, NID_localityName),
            name_entry(n, NID_stateOrProvinceName),
            name_entry(n, NID_countryName)};
}

std::vector<SubjectAltName> Certificate::subject_alt_names() const {
    std::vector<SubjectAltName> out;
    ossl::GeneralNamesPtr names{static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(m_x509.get(), NID_subject_alt_name, nullptr, nullptr))};
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
        if (gn->type == GEN_DNS || gn->type == GEN_EMAIL) {
            const ASN1_IA5STRING* s = gn->d.ia5;
            std::string value{reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                              static_cast<std::size_t>(ASN1_STRING_length(s))};
            out.push_back(
                {gn->type == GEN_DNS ? SubjectAltName::Kind::dns : SubjectAltName::Kind::email,
                 std::move(value)});
        } else if (gn->type == GEN_IPADD) {
            const ASN1_OCTET_STRING* s = gn->d.ip;
            std::array<char, INET6_ADDRSTRLEN> buf{};
            const int len = ASN1_STRING_length(s);
            const int af = len == 4 ? AF_INET : len == 16 ? AF_INET6 : 0;
            if (af != 0 &&
                inet_ntop(af, ASN1_STRING_get0_data(s), buf.data(), buf.size()) != nullptr) {
                out.push_back({SubjectAltName::Kind::ip, buf.data()});
            }
        }
    }
    ossl::clear_errors();
    return out;
}

std::string Certificate::serial_hex() const {
    ossl::BignumPtr bn{ASN1_INTEGER_to_BN(X509_get0_serialNumber(m_x509.get()), nullptr)};
    if (!bn) {
        ossl::clear_errors();
        return {};
    }
    ossl::OpensslStringPtr hex{BN_bn2hex(bn.get())};
    return hex ? std::string{hex.get()} : std::string{};
}

TimePoint Certificate::not_before() const {
    return asn1_to_time(X509_get0_notBefore(m_x509.get()));
}

TimePoint Certificate::not_after() const {
    return asn1_to_time(X509_get0_notAfter(m_x509.get()));
}

std::string Certificate::sha256_fingerprint() const {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    ossl::check1(X509_digest(m_x509.get(), EVP_sha256(), md.data(), &len), "X509_digest");
    std::string out;
    for (const auto* it = md.begin(); it != md.begin() + len; ++it) {
        out += fmt::format("{}{:02X}", it == md.begin() ? "" : ":", *it);
    }
    return out;
}

std::string Certificate::key_description() const {
    const EVP_PKEY* key = X509_get0_pubkey(m_x509.get());
    ossl::clear_errors();  // a key that does not decode is "none", and leaves an error queued
    return describe_key(key);
}

std::string Certificate::signature_algorithm() const {
    const int nid = X509_get_signature_nid(m_x509.get());
    const char* ln = OBJ_nid2ln(nid);
    return ln != nullptr ? ln : "unknown";
}

bool Certificate::is_self_issued() const {
    return X509_NAME_cmp(X509_get_subject_name(m_x509.get()), X509_get_issuer_name(m_x509.get())) ==
           0;
}

bool Certificate::is_self_signed() const {
    const int rc = X509_self_signed(m_x509.get(), 1);
    ossl::clear_errors();
    return rc == 1;
}

bool Certificate::is_ca() const {
    const int rc = X509_check_ca(m_x509.get());
    return rc == 1 || rc == 3 || rc == 4 || rc == 5;
}

bool Certificate::matches_key(const PrivateKey& key) const {
    const EVP_PKEY* pub = X509_get0_pubkey(m_x509.get());
    ossl::clear_errors();  // a key that does not decode matches nothing
    return key.matches_public(pub);
}

bool Certificate::is_issued_by(const Certificate& issuer) const {
    if (X509_check_issued(issuer.native(), m_x509.get()) != X509_V_OK) {
        ossl::clear_errors();
        return false;
    }
    EVP_PKEY* pub = X509_get0_pubkey(issuer.native());
    const bool ok = pub != nullptr && X509_verify(m_x509.get(), pub) == 1;
    ossl::clear_errors();
    return ok;
}

bool Certificate::same_as(const Certificate& other) const {
    return X509_cmp(m_x509.get(), other.m_x509.get()) == 0;
}

Validity validity_for_days(int days, TimePoint now) {
    if (days < 1 || days > 36500) {
        throw Error(Errc::invalid_argument,
                    fmt::format("--days {} is out of range: give 1 to 36500", days));
    }
    const auto secs = std::chrono::system_clock::to_time_t(now);
    const auto start = std::chrono::system_clock::from_time_t(secs);  // whole seconds
    return {start, start + std::chrono::hours(24) * days};
}

Certificate create_self_signed(const PrivateKey& key,
                               const SubjectRequest& request,
                               const Validity& validity) {
    ossl::X509Ptr cert{ossl::check_ptr(X509_new(), "X509_new")};
    ossl::check1(X509_set_version(cert.get(), X509_VERSION_3), "X509_set_version");

    // 20 random bytes with the top bit clear: a positive 159-bit serial (RFC 5280 allows 20
    // octets; CA/B asks for at least 64 random bits).
    std::array<unsigned char, 20> serial{};
    ossl::check1(RAND_bytes(serial.data(), static_cast<int>(serial.size())), "RAND_bytes");
    serial[0] = static_cast<unsigned char>((serial[0] & 0x7F) | 0x40);
    ossl::BignumPtr bn{ossl::check_ptr(
        BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr), "BN_bin2bn")};
    ossl::check_ptr(BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())),
                    "setting serial");

    auto name = detail::make_name(request.subject);
    ossl::check1(X509_set_subject_name(cert.get(), name.get()), "X509_set_subject_name");
    ossl::check1(X509_set_issuer_name(cert.get(), name.get()), "X509_set_issuer_name");
    ossl::check_ptr(ASN1_TIME_set(X509_getm_notBefore(cert.get()),
                                  std::chrono::system_clock::to_time_t(validity.not_before)),
                    "setting notBefore");
    ossl::check_ptr(ASN1_TIME_set(X509_getm_notAfter(cert.get()),
                                  std::chrono::system_clock::to_time_t(validity.not_after)),
                    "setting notAfter");
    ossl::check1(X509_set_pubkey(cert.get(), key.native()), "X509_set_pubkey");

    X509V3_CTX ctx{};
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    add_ext(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(cert.get(), &ctx, NID_key_usage, detail::tls_key_usage(key));
    add_ext(cert.get(), &ctx, NID_ext_key_usage, "serverAuth,clientAuth");
    add_ext(cert.get(), &ctx, NID_subject_key_identifier, "hash");
    add_ext(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always");
    auto gens = detail::make_general_names(request.sans);
    ossl::check1(
        X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, gens.get(), 0, X509V3_ADD_DEFAULT),
        "adding subjectAltName");

    if (X509_sign(cert.get(), key.native(), detail::signing_digest(key)) <= 0) {
        ossl::throw_error(Errc::crypto, "signing certificate");
    }
    return Certificate::adopt(cert.get());
}

namespace detail {

ossl::X509NamePtr make_name(const DistinguishedName& dn) {
    ossl::X509NamePtr name{ossl::check_ptr(X509_NAME_new(), "X509_NAME_new")};
    auto add = [&](const char* field, const std::string& value) {
        if (value.empty()) {
            return;
        }
        ossl::check1(
            X509_NAME_add_entry_by_txt(name.get(),
                                       field,
                                       MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char*>(value.data()),
                                       static_cast<int>(value.size()),
                                       -1,
                                       0),
            fmt::format("setting subject {}", field),
            Errc::invalid_argument);
    };
    add("C", dn.country);
    add("ST", dn.state);
    add("L", dn.locality);
    add("O", dn.organization);
    add("OU", dn.organizational_unit);
    add("CN", dn.common_name);
    return name;
}

ossl::GeneralNamesPtr make_general_names(const std::vector<SubjectAltName>& sans) {
    ossl::GeneralNamesPtr gens{ossl::check_ptr(sk_GENERAL_NAME_new_null(), "GENERAL_NAMES")};
    for (const auto& san : sans) {
        ossl::GeneralNamePtr gn;
        if (san.kind == SubjectAltName::Kind::ip) {
            gn.reset(ossl::check_ptr(
                a2i_GENERAL_NAME(nullptr, nullptr, nullptr, GEN_IPADD, san.value.c_str(), 0),
                "encoding IP SAN"));
        } else {
            gn.reset(ossl::check_ptr(GENERAL_NAME_new(), "GENERAL_NAME_new"));
            ossl::Asn1StringPtr s{ossl::check_ptr(ASN1_IA5STRING_new(), "ASN1_IA5STRING_new")};
            ossl::check1(
                ASN1_STRING_set(s.get(), san.value.data(), static_cast<int>(san.value.size())),
                "encoding SAN");
            // set0: the GENERAL_NAME owns the string from here on.
            GENERAL_NAME_set0_value(
                gn.get(), san.kind == SubjectAltName::Kind::dns ? GEN_DNS : GEN_EMAIL, s.release());
        }
        if (sk_GENERAL_NAME_push(gens.get(), gn.get()) <= 0) {
            ossl::throw_error(Errc::crypto, "sk_GENERAL_NAME_push");
        }
        static_cast<void>(gn.release());  // owned by the stack now
    }
    return gens;
}

const EVP_MD* signing_digest(const PrivateKey& key) {
    EVP_PKEY* pkey = key.native();
    if (ossl::is_a(pkey, "ED25519") || ossl::is_a(pkey, "ED448")) {
        return nullptr;
    }
    if (ossl::is_a(pkey, "EC") && EVP_PKEY_get_bits(pkey) >= 384) {
        return EVP_sha384();
    }
    return EVP_sha256();
}

const char* tls_key_usage(const PrivateKey& key) {
    return ossl::is_a(key.native(), "RSA") ? "critical,digitalSignature,keyEncipherment"
                                           : "critical,digitalSignature";
}

}  // namespace detail

}  // namespace certtool
