// Certificate files as import-signed, import and verify read them: Certificate::parse_all()
// (PEM with any number of CERTIFICATE / TRUSTED CERTIFICATE / PKCS7 blocks, DER X.509, DER
// PKCS#7), then what the commands ask of each certificate, the leaf of the bag (find_leaf, as
// verify does) and its chain (assemble_chain, as import-signed does). The same bytes as a CRL
// file (verify --crl): Crl::parse_all().
//
// Input: the file.
#include "error_queue.hpp"
#include "fuzz_input.hpp"

#include <certtool/certificate.hpp>
#include <certtool/chain.hpp>
#include <certtool/error.hpp>
#include <certtool/time.hpp>
#include <certtool/trust.hpp>

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <vector>

namespace {

using namespace certtool;

// Chain assembly checks signatures between every pair: a bag of at most this many.
constexpr std::size_t k_max_pool = 8;

std::size_t inspect(const Certificate& c) {
    std::size_t n = c.subject().size() + c.issuer().size() + c.serial_hex().size() +
                    c.sha256_fingerprint().size() + c.key_description().size() +
                    c.signature_algorithm().size() + c.to_pem().size() + c.to_der().size();
    const DistinguishedName dn = c.subject_name();
    n += dn.common_name.size() + dn.organization.size() + dn.country.size();
    for (const auto& san : c.subject_alt_names()) {
        n += san.to_string().size();
    }
    n += (c.is_self_issued() ? 1U : 0U) + (c.is_self_signed() ? 2U : 0U) + (c.is_ca() ? 4U : 0U);
    fuzz::attempt([&] {
        n += static_cast<std::size_t>(c.not_before().time_since_epoch().count() +
                                      c.not_after().time_since_epoch().count());
    });
    return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const fuzz::Input in{data, size};
    std::size_t seen = 0;
    fuzz::attempt([&] {
        std::vector<Certificate> certs = Certificate::parse_all(in.rest(), "fuzz.pem");
        certs.resize(std::min(certs.size(), k_max_pool), certs.front());
        for (const auto& c : certs) {
            seen += inspect(c);
            seen += c.same_as(certs.front()) ? 1U : 0U;
        }
        const auto now = parse_time("2024-06-01T00:00:00Z");
        fuzz::attempt([&] {
            const Certificate leaf = find_leaf(certs);
            const AssembledChain chain = assemble_chain(leaf, certs, now);
            seen += chain.intermediates.size() + chain.unrelated.size() + chain.findings.size();
        });
    });
    fuzz::attempt([&] { seen += Crl::parse_all(in.rest(), "fuzz.crl").size(); });
    fuzz::end_of_input();
    fuzz::keep(seen);
    return 0;
}
