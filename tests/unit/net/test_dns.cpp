// MX and address lookups (lib/src/net/dns.cpp) against a dnsmasq of the test's own on
// 127.0.0.1 (a high port, a tiny zone under .test, nothing forwarded): preference order, the
// implicit MX, RFC 7505's null MX, a domain that does not exist, a truncated answer retried over
// TCP, and a server that never answers. Skipped, saying so, where dnsmasq is not installed.
#include "dns_transport.hpp"
#include "support.hpp"

#include <certtool/dns.hpp>
#include <certtool/error.hpp>

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

using namespace certtool;
namespace fs = std::filesystem;

namespace {

std::optional<fs::path> find_dnsmasq() {
    for (const char* dir : {"/usr/sbin", "/sbin", "/usr/local/sbin", "/usr/bin"}) {
        const fs::path p = fs::path{dir} / "dnsmasq";
        if (::access(p.c_str(), X_OK) == 0) {
            return p;
        }
    }
    return std::nullopt;
}

// A socket bound to 127.0.0.1 on a port the kernel picks; closed on destruction.
class BoundSocket {
public:
    explicit BoundSocket(int type) : m_fd(::socket(AF_INET, type | SOCK_CLOEXEC, 0)) {
        REQUIRE(m_fd >= 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(m_fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
        socklen_t len = sizeof(a);
        REQUIRE(::getsockname(m_fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
        m_port = ntohs(a.sin_port);
    }

    BoundSocket(const BoundSocket&) = delete;
    BoundSocket& operator=(const BoundSocket&) = delete;
    BoundSocket(BoundSocket&&) = delete;
    BoundSocket& operator=(BoundSocket&&) = delete;

    ~BoundSocket() { ::close(m_fd); }

    [[nodiscard]] std::uint16_t port() const noexcept { return m_port; }

private:
    int m_fd;
    std::uint16_t m_port{0};
};

// dnsmasq serving `config` on 127.0.0.1 (UDP and TCP) until destroyed.
class Dnsmasq {
public:
    Dnsmasq(const fs::path& binary, const std::string& config) {
        test::write_file(m_dir / "dnsmasq.conf", config);
        const passwd* user = ::getpwuid(::geteuid());
        REQUIRE(user != nullptr);
        // The port is free when chosen and taken a moment later: try again if another
        // process got there first.
        for (int attempt = 0; attempt < 5 && m_pid <= 0; ++attempt) {
            m_port = BoundSocket{SOCK_DGRAM}.port();
            const test::RunResult r = test::run({binary.string(),
                                                 "--conf-file=" + (m_dir / "dnsmasq.conf").string(),
                                                 "--no-resolv",
                                                 "--no-hosts",
                                                 "--no-poll",
                                                 "--listen-address=127.0.0.1",
                                                 "--bind-interfaces",
                                                 "--port=" + std::to_string(m_port),
                                                 "--pid-file=" + (m_dir / "pid").string(),
                                                 "--user=" + std::string{user->pw_name},
                                                 "--local=/test/"});
            INFO("dnsmasq: " << r.err);
            if (r.exit_code == 0) {
                m_pid = std::stoi(test::read_file(m_dir / "pid"));
            } else {
                CHECK_THAT(r.err, Catch::Contains("in use"));
            }
        }
        REQUIRE(m_pid > 0);
    }

    Dnsmasq(const Dnsmasq&) = delete;
    Dnsmasq& operator=(const Dnsmasq&) = delete;
    Dnsmasq(Dnsmasq&&) = delete;
    Dnsmasq& operator=(Dnsmasq&&) = delete;

    ~Dnsmasq() {
        if (m_pid > 0) {
            ::kill(m_pid, SIGTERM);
        }
    }

    [[nodiscard]] DnsOptions options() const {
        return {DnsServer{"127.0.0.1", m_port}, std::chrono::milliseconds{3000}};
    }

private:
    test::TempDir m_dir;
    std::uint16_t m_port{0};
    int m_pid{-1};
};

std::string zone() {
    std::string z;
    // Listed out of preference order: the lookup sorts.
    z += "mx-host=example.test,mx2.example.test,20\n";
    z += "mx-host=example.test,MX1.Example.TEST,10\n";
    z += "mx-host=example.test,mx3.example.test,30\n";
    z += "host-record=mx1.example.test,127.0.0.2\n";
    z += "host-record=dual.example.test,127.0.0.9,2001:db8::9\n";
    z += "host-record=nomx.example.test,127.0.0.3\n";
    z += "dns-rr=nullmx.example.test,15,000000\n";  // MX 0 "." (RFC 7505)
    for (int i = 1; i <= 40; ++i) {                 // too many for a 512-octet UDP answer
        z += "mx-host=many.example.test,mx" + std::to_string(i) + ".many.example.test," +
             std::to_string(100 - i) + "\n";
    }
    return z;
}

std::vector<std::string> hosts_of(const MxLookup& m) {
    std::vector<std::string> out;
    for (const auto& h : m.hosts) {
        out.push_back(std::to_string(h.preference) + " " + h.host);
    }
    return out;
}

Error error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e;
    }
    FAIL("no error");
    throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("dns: MX lookups against a local dnsmasq", "[dns][net]") {
    const auto binary = find_dnsmasq();
    if (!binary) {
        // tests/CMakeLists.txt marks a test that prints this as skipped (SKIP_REGULAR_EXPRESSION).
        std::cout << "CERTTOOL_TEST_SKIPPED: dnsmasq is not installed "
                     "(scripts/install-deps.sh installs dnsmasq-base)\n";
        return;
    }
    const Dnsmasq server{*binary, zone()};
    const DnsOptions o = server.options();

    SECTION("by preference, lower-cased, without the trailing dot, in any case") {
        const MxLookup m = lookup_mx("example.test", o);
        CHECK_FALSE(m.implicit);
        CHECK(hosts_of(m) == std::vector<std::string>{"10 mx1.example.test",
                                                      "20 mx2.example.test",
                                                      "30 mx3.example.test"});
        CHECK(hosts_of(lookup_mx("EXAMPLE.Test", o)) == hosts_of(m));
    }
    SECTION("a domain with no MX is its own mail host (RFC 5321 5.1)") {
        const MxLookup m = lookup_mx("nomx.example.test", o);
        CHECK(m.implicit);
        CHECK(hosts_of(m) == std::vector<std::string>{"0 nomx.example.test"});
    }
    SECTION("a truncated UDP answer is asked again over TCP") {
        const MxLookup m = lookup_mx("many.example.test", o);
        REQUIRE(m.hosts.size() == 40);
        CHECK(hosts_of(m).front() == "60 mx40.many.example.test");
        CHECK(hosts_of(m).back() == "99 mx1.many.example.test");
    }
    SECTION("a null MX accepts no mail") {
        const Error e = error_of([&] { static_cast<void>(lookup_mx("nullmx.example.test", o)); });
        CHECK(e.code() == Errc::network);
        CHECK_THAT(e.what(), Catch::Contains("null MX (RFC 7505)"));
    }
    SECTION("a domain that does not exist") {
        const Error e = error_of([&] { static_cast<void>(lookup_mx("gone.example.test", o)); });
        CHECK(e.code() == Errc::network);
        CHECK_THAT(e.what(), Catch::Contains("'gone.example.test' does not exist"));
    }
    SECTION("not a domain name: refused before any query") {
        const Error e = error_of([&] { static_cast<void>(lookup_mx("bad name.test", o)); });
        CHECK(e.code() == Errc::invalid_argument);
    }
}

TEST_CASE("dns: address lookups against a local dnsmasq", "[dns][net]") {
    const auto binary = find_dnsmasq();
    if (!binary) {
        std::cout << "CERTTOOL_TEST_SKIPPED: dnsmasq is not installed "
                     "(scripts/install-deps.sh installs dnsmasq-base)\n";
        return;
    }
    const Dnsmasq server{*binary, zone()};
    const DnsOptions o = server.options();
    CHECK(lookup_addresses("mx1.example.test", o) == std::vector<std::string>{"127.0.0.2"});
    CHECK(lookup_addresses("dual.example.test", o) ==
          std::vector<std::string>{"127.0.0.9", "2001:db8::9"});  // A first, then AAAA
    const Error gone =
        error_of([&] { static_cast<void>(lookup_addresses("gone.example.test", o)); });
    CHECK(gone.code() == Errc::network);
    CHECK_THAT(gone.what(), Catch::Contains("host 'gone.example.test' does not exist"));
    // The domain exists (it has MX records) but no address.
    const Error none = error_of([&] { static_cast<void>(lookup_addresses("example.test", o)); });
    CHECK_THAT(none.what(), Catch::Contains("has no A or AAAA record"));
}

// Needs no dnsmasq: a UDP socket that never answers.
TEST_CASE("dns: a server that does not answer is a network error within the timeout",
          "[dns][net]") {
    const BoundSocket silent{SOCK_DGRAM};
    const DnsOptions o{DnsServer{"127.0.0.1", silent.port()}, std::chrono::milliseconds{300}};
    const auto start = std::chrono::steady_clock::now();
    const Error e = error_of([&] { static_cast<void>(lookup_mx("example.test", o)); });
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(e.code() == Errc::network);
    CHECK_THAT(
        e.what(),
        Catch::Contains("no answer from DNS server 127.0.0.1:" + std::to_string(silent.port())));
    CHECK(took < std::chrono::seconds{3});  // two tries of 300 ms, not the 5 s default
}

TEST_CASE("dns: a TCP answer is read up to the length its prefix gives", "[dns][net]") {
    // Through the transport seam (dns_transport.hpp, as fuzz/dns_answer drives it): a truncated
    // datagram, then over TCP the answer followed by bytes the same read brought. Those were
    // handed to ns_initparse with the message, which rejects trailing bytes: "no answer".
    const auto bytes = [](std::string_view hex) {
        std::string out;
        for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
            out.push_back(static_cast<char>(std::stoi(std::string{hex.substr(i, 2)}, nullptr, 16)));
        }
        return out;
    };
    const std::string question = bytes("076578616d706c6503636f6d00000f0001");  // example.com MX
    const std::string truncated = bytes("000083800001000000000000") + question;
    const std::string answer = bytes("000081800001000100000000") + question +
                               bytes("c00c000f000100000e100008000a036d7831c00c");  // 10 mx1
    const auto with_id = [](std::string message, std::string_view query) {
        message[0] = query[0];
        message[1] = query[1];
        return message;
    };
    net::DnsTransport server;
    server.udp = [&](std::string_view query, const std::function<bool(std::string_view)>& ok) {
        std::string d = with_id(truncated, query);
        REQUIRE(ok(d));
        return d;
    };
    server.tcp = [&](std::string_view framed,
                     std::size_t max_reply,
                     const std::function<std::size_t(std::string_view)>& reply_size) {
        const std::string m = with_id(answer, framed.substr(2));
        std::string in{static_cast<char>(m.size() >> 8U), static_cast<char>(m.size() & 0xFFU)};
        in += m;
        CHECK(reply_size(in) == in.size());
        CHECK(max_reply >= in.size());
        return in + "and the next message";
    };
    const MxLookup m = net::lookup_mx_via("example.com", server);
    CHECK_FALSE(m.implicit);
    CHECK(hosts_of(m) == std::vector<std::string>{"10 mx1.example.com"});
}
