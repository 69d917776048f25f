// SMTP replies as the check-tls probe reads them from a server: net::ReplyParser (the framing
// under SmtpChannel: lines, multi-line replies, the bounds) with the bytes split into reads
// where the input says, then the EHLO keywords and the text the probe reports.
//
// Input: one byte, the read size (0: everything in one read), then what the server sends.
#include "fuzz_input.hpp"
#include "smtp.hpp"

#include <certtool/error.hpp>

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace certtool;
    fuzz::Input in{data, size};
    const std::size_t read_size = in.byte();
    std::size_t seen = 0;
    fuzz::attempt([&] {
        net::ReplyParser parser;
        while (!in.empty()) {
            parser.push(in.take(read_size == 0 ? in.rest().size() : read_size));
            while (auto reply = parser.next("EHLO")) {
                seen += reply->text().size() + static_cast<std::size_t>(reply->code);
                for (const auto& keyword : net::ehlo_keywords(*reply)) {
                    seen += keyword.size();
                }
            }
        }
        seen += net::printable(parser.buffered()).size();
        seen += net::is_reply_line(parser.buffered()) ? 1U : 0U;
    });
    fuzz::keep(seen);
    return 0;
}
