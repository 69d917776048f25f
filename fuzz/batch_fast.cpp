// Batch verification's DER fast path (lib/src/verify/batch_fast.*): the strict DER reader and
// every check of detail::fast_check_leaf(), the issuer-name probe, the subject and the
// signature, under an issuer made as batch.cpp's make_issuer() makes one.
//
// And the promise batch.cpp builds on it: once a leaf has passed both the fast path and the full
// verification under an issuer (the issuer is "confirmed"), any other leaf the fast path passes
// under it is valid for the full verification too, with the same subject. The input carries
// that confirming leaf and the leaf under test; when both pass the fast path and the first
// confirms the issuer, a full verdict on the second other than "valid" aborts.
//
// Input:
//   byte     options: bits 0-1 purpose (0 server, 1 client, else any); bit 2 min_security_bits
//            128 instead of 112; bit 3 the openssl profile instead of rfc5280
//   4 bytes  the validation time, seconds since 1970 (big-endian)
//   2 bytes  length, then the issuer certificate (DER)
//   2 bytes  length, then the confirming leaf (DER)
//   rest     the leaf under test (DER)
#include "batch_fast.hpp"

#include "error_queue.hpp"
#include "fuzz_input.hpp"
#include "ossl.hpp"

#include <certtool/certificate.hpp>
#include <certtool/error.hpp>
#include <certtool/finding.hpp>
#include <certtool/time.hpp>
#include <certtool/trust.hpp>
#include <certtool/verify.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace certtool;

der::Bytes bytes(std::string_view s) {
    return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};  // NOLINT
}

// The issuer as make_issuer() sees it: its subject Name as encoded, its subjectKeyIdentifier.
class Issuer {
public:
    explicit Issuer(Certificate cert) : m_cert(std::move(cert)) {
        unsigned char* raw = nullptr;
        const int len = i2d_X509_NAME(X509_get_subject_name(m_cert.native()), &raw);
        const ossl::OpensslBytesPtr der{raw};
        if (len > 0) {
            m_subject.assign(der.get(), der.get() + len);
        }
        if (const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(m_cert.native())) {
            m_key_id.assign(ASN1_STRING_get0_data(ski),
                            ASN1_STRING_get0_data(ski) + ASN1_STRING_length(ski));
        }
        ossl::clear_errors();
    }

    [[nodiscard]] const Certificate& cert() const noexcept { return m_cert; }

    [[nodiscard]] EVP_PKEY* key() const noexcept { return X509_get0_pubkey(m_cert.native()); }

    // prepare(), check_signatures() and finish() of batch.cpp: the subject the fast path
    // reports if it says "valid", else nullopt.
    [[nodiscard]] std::optional<std::string> fast_verdict(std::string_view leaf,
                                                          const VerifyOptions& options) const {
        const detail::FastIssuer fast{
            {m_subject.data(), m_subject.size()}, {m_key_id.data(), m_key_id.size()}, key()};
        const auto checked = detail::fast_check_leaf(bytes(leaf), fast, options);
        ossl::clear_errors();
        if (!checked || !detail::fast_signature_ok(*checked, key())) {
            return std::nullopt;
        }
        return detail::fast_subject(*checked);
    }

    // verify() of batch.cpp for a leaf under this issuer.
    [[nodiscard]] ChainReport full_verdict(const Certificate& leaf, VerifyOptions options) const {
        options.anchor_validity = true;
        options.anchor_constraints = true;
        return verify_chain(
            leaf, {}, TrustStore::from_certificates({m_cert}, "issuer"), std::move(options));
    }

private:
    Certificate m_cert;
    std::vector<unsigned char> m_subject;
    std::vector<unsigned char> m_key_id;
};

[[noreturn]] void disagree(const std::string& why) {
    std::fprintf(stderr, "the fast path says valid, the full verification: %s\n", why.c_str());
    std::abort();
}

// The leaf under test passed the fast path: the full verification must say the same.
void check_agreement(const Issuer& issuer,
                     std::string_view leaf_der,
                     const std::string& fast_subject,
                     const VerifyOptions& options) {
    std::optional<Certificate> leaf;
    try {
        leaf = Certificate::parse(leaf_der, "leaf.der");
    } catch (const Error& e) {
        disagree(e.what());
    }
    const ChainReport r = issuer.full_verdict(*leaf, options);
    for (const auto& f : r.findings) {
        if (f.severity == Severity::error) {
            disagree(std::string{finding_name(f.code)} + ": " + f.message);
        }
    }
    if (!r.valid || leaf->subject() != fast_subject) {
        disagree("subject '" + leaf->subject() + "', fast path '" + fast_subject + "'");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Input in{data, size};
    const std::uint8_t flags = in.byte();
    VerifyOptions options;
    options.purpose = (flags & 3U) == 0   ? Purpose::server
                      : (flags & 3U) == 1 ? Purpose::client
                                          : Purpose::any;
    options.min_security_bits = (flags & 4U) != 0 ? 128 : 112;
    options.profile = (flags & 8U) != 0 ? Profile::openssl : Profile::rfc5280;
    options.at = from_seconds(static_cast<std::time_t>(in.u32()));
    const std::string_view issuer_der = in.part();
    const std::string_view confirming_der = in.part();
    const std::string_view leaf_der = in.rest();

    std::size_t seen = 0;
    if (const auto name = detail::issuer_name_der(bytes(leaf_der))) {
        seen += name->size();
    }
    fuzz::attempt([&] {
        const Issuer issuer{Certificate::parse(issuer_der, "issuer.der")};
        const auto fast = issuer.fast_verdict(leaf_der, options);
        if (!fast) {
            return;
        }
        seen += fast->size();
        // Is the issuer confirmed, as finish() confirms it?
        const auto confirming_fast = issuer.fast_verdict(confirming_der, options);
        if (!confirming_fast) {
            return;
        }
        const Certificate confirming = Certificate::parse(confirming_der, "confirming.der");
        const ChainReport r = issuer.full_verdict(confirming, options);
        if (r.valid && r.path.size() >= 2 && r.path[1].certificate.same_as(issuer.cert()) &&
            *confirming_fast == confirming.subject()) {
            check_agreement(issuer, leaf_der, *fast, options);
        }
    });
    fuzz::end_of_input();
    fuzz::keep(seen);
    return 0;
}
