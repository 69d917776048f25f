// DNS answers as check-tls reads them from --dns-server: net::lookup_mx_via() and
// lookup_addresses_via() (dns.cpp's queries and answer handling, the same as with sockets) with
// a server made of the input: UDP datagrams, then a TCP stream. A truncated (TC) datagram makes
// the resolver ask again over TCP, so the length framing and the TCP answer are read too.
//
// Input:
//   byte     options: bit 0 addresses (A, then AAAA) instead of MX; bit 1 keep each reply's ID
//            as given (else it is set to the query's, which the fuzzer cannot guess)
//   byte     TCP read size (0: the whole stream in one read)
//   byte     number of datagrams (0-7), then each as a 16-bit length and its bytes
//   rest     the TCP stream: each message after its 16-bit length, as a server sends them
#include "dns_transport.hpp"
#include "fuzz_input.hpp"

#include <certtool/dns.hpp>
#include <certtool/error.hpp>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

namespace {

using namespace certtool;

// The server: what it answers, consumed as the resolver asks.
struct FakeServer {
    bool keep_ids{false};
    std::size_t tcp_read{0};
    std::deque<std::string> datagrams;
    std::string stream;
    std::size_t stream_pos{0};

    // The query's ID (its first two octets) on `reply`, as a real server would answer.
    void answer_id(std::string& reply, std::size_t at, std::string_view query) const {
        if (!keep_ids && reply.size() >= at + 2 && query.size() >= 2) {
            reply[at] = query[0];
            reply[at + 1] = query[1];
        }
    }

    std::string udp(std::string_view query, const std::function<bool(std::string_view)>& is_reply) {
        while (!datagrams.empty()) {
            std::string d = std::move(datagrams.front());
            datagrams.pop_front();
            answer_id(d, 0, query);
            if (is_reply(d)) {
                return d;
            }
        }
        throw Error(Errc::network, "no reply from the fuzz server");
    }

    std::string tcp(std::string_view framed,
                    std::size_t max_reply,
                    const std::function<std::size_t(std::string_view)>& reply_size) {
        std::string rest = stream.substr(stream_pos);
        answer_id(rest, 2, framed.substr(2));
        std::string in;
        std::size_t pos = 0;
        while (in.size() < std::min(reply_size(in), max_reply)) {
            const std::size_t want =
                tcp_read == 0 ? max_reply - in.size() : std::min(tcp_read, max_reply - in.size());
            const std::string_view more = std::string_view{rest}.substr(pos, want);
            if (more.empty()) {
                stream_pos = stream.size();
                throw Error(Errc::network, "the fuzz server closed the connection");
            }
            in += more;
            pos += more.size();
        }
        stream_pos += pos;
        return in;
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Input in{data, size};
    const std::uint8_t options = in.byte();
    FakeServer server;
    server.keep_ids = (options & 2U) != 0;
    server.tcp_read = in.byte();
    const unsigned count = in.byte() & 7U;
    for (unsigned i = 0; i < count; ++i) {
        server.datagrams.emplace_back(in.part());
    }
    server.stream = std::string{in.rest()};

    net::DnsTransport transport;
    transport.udp = [&](std::string_view query,
                        const std::function<bool(std::string_view)>& is_reply) {
        return server.udp(query, is_reply);
    };
    transport.tcp = [&](std::string_view framed,
                        std::size_t max_reply,
                        const std::function<std::size_t(std::string_view)>& reply_size) {
        return server.tcp(framed, max_reply, reply_size);
    };
    std::size_t seen = 0;
    fuzz::attempt([&] {
        if ((options & 1U) != 0) {
            for (const auto& address : net::lookup_addresses_via("mx.example.com", transport)) {
                seen += address.size();
            }
        } else {
            const MxLookup mx = net::lookup_mx_via("example.com", transport);
            for (const auto& host : mx.hosts) {
                seen += host.host.size() + host.preference;
            }
        }
    });
    fuzz::keep(seen);
    return 0;
}
