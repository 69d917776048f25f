// PKCS#12 files as import-pkcs12 reads them: read_pkcs12() with a fixed password (the seeds are
// encrypted with it, so mutations reach the decrypted bags), then what the import asks of the
// contents: each key and certificate, and the chain of the certificate matching a key.
//
// Input: the .p12 file. The password is "1234".
#include "error_queue.hpp"
#include "fuzz_input.hpp"

#include <certtool/chain.hpp>
#include <certtool/error.hpp>
#include <certtool/pkcs12.hpp>
#include <certtool/secret.hpp>
#include <certtool/time.hpp>

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace certtool;
    const fuzz::Input in{data, size};
    const Secret password{std::string{"1234"}};
    std::size_t seen = 0;
    fuzz::attempt([&] {
        const Pkcs12Contents p12 = read_pkcs12(in.rest(), password, "fuzz.p12");
        seen += p12.friendly_name.value_or("").size() + (p12.mac_present ? 1U : 0U);
        for (const auto& cert : p12.certs) {
            seen += cert.subject().size() + cert.sha256_fingerprint().size();
        }
        const auto now = parse_time("2024-06-01T00:00:00Z");
        for (const auto& key : p12.keys) {
            seen += key.describe().size() + (key.type() ? 1U : 0U);
            fuzz::attempt([&] { seen += assemble_chain(key, p12.certs, now).findings.size(); });
        }
    });
    fuzz::end_of_input();
    fuzz::keep(seen);
    return 0;
}
