// What an ACME server sends the client (lib/src/acme, white-box): a response body read as a
// problem document (RFC 7807, one line with its subproblems), as a directory and as a
// renewalInfo window (RFC 9773; a window accepted never ends before it starts), as base64url
// (decoding then encoding again must give the same text), and a Retry-After value.
//
// Input: a 16-bit HTTP status, then the body (also the Retry-After value, up to 64 bytes).
#include "acme_client.hpp"
#include "fuzz_input.hpp"
#include "jws.hpp"
#include "renewal.hpp"

#include <certtool/error.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace certtool;
    fuzz::Input in{data, size};
    const long status = in.u16();
    const std::string_view body = in.rest();
    std::size_t seen = 0;
    const detail::AcmeProblem problem = detail::parse_problem(status, body);
    seen += problem.text.size() + problem.type.size();
    fuzz::attempt([&] {
        const nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
        if (!j.is_discarded()) {
            const detail::AcmeDirectory d = detail::parse_directory(j, "https://fuzz/dir");
            seen += d.new_nonce.size() + d.terms_of_service.size();
        }
    });
    fuzz::attempt([&] {
        const nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
        if (!j.is_discarded()) {
            const detail::RenewalWindow w = detail::parse_renewal_info(j, "https://fuzz/dir");
            if (w.end <= w.start) {
                std::abort();
            }
            seen += w.explanation_url.size();
        }
    });
    if (const auto decoded = detail::base64url_decode(body)) {
        if (detail::base64url(*decoded) != body) {
            std::abort();  // the decoding accepted a text that is not the canonical encoding
        }
        seen += decoded->size();
    }
    const auto delay = detail::parse_retry_after(body.substr(0, 64), TimePoint{});
    seen += delay ? 1U : 0U;
    fuzz::keep(seen);
    return 0;
}
