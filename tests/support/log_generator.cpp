#include "log_generator.hpp"

#include <array>
#include <cstdio>
#include <ctime>
#include <deque>

namespace certtool::test {

namespace {

constexpr std::array<const char*, 4> k_domains{
    "example.com", "example.org", "mail.example.net", "legacy.example"};
constexpr std::array<const char*, 3> k_protocols{"TLSv1.2", "TLSv1.3", "TLSv1"};
constexpr std::array<const char*, 3> k_ciphers{
    "ECDHE-RSA-AES256-GCM-SHA384", "TLS_AES_256_GCM_SHA384", "DES-CBC3-SHA"};
constexpr std::array<const char*, 3> k_failures{
    "(336109761, 'error:1408A0C1:SSL routines:ssl3_get_client_hello:no shared cipher')",
    "STARTTLS unexpected response",
    "(336151570, 'error:14094412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate')"};

// The appliance cuts long lines; keep the cut where the examples show it.
constexpr std::size_t k_cut = 100;

struct Gen {
    std::mt19937_64 rng;
    const std::function<void(const std::string&)>& sink;
    LogTruth truth;
    std::uint64_t clock{1713315473};  // Tue Apr 17 00:57:53 2018
    std::uint64_t next_icid{590000000};
    std::uint64_t next_dcid{41000000};
    std::uint64_t next_mid{179700000};

    std::uint64_t pick(std::uint64_t n) {
        return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng);
    }

    bool chance(double p) { return std::bernoulli_distribution(p)(rng); }

    std::string stamp() {
        clock += pick(3);
        const auto t = static_cast<std::time_t>(clock);
        std::tm tm{};
        gmtime_r(&t, &tm);
        std::array<char, 32> buf{};
        std::strftime(buf.data(), buf.size(), "%a %b %e %H:%M:%S %Y", &tm);
        return buf.data();
    }

    void line(const std::string& msg, bool cut = false) {
        std::string l = stamp() + " Info: " + msg;
        if (cut && l.size() > k_cut) {
            l.resize(k_cut);
        }
        ++truth.lines;
        sink(l);
    }

    // "... ICID 590000012" -> "... ICID 5900": the line ends inside its last id.
    std::string cut_id(const std::string& msg, std::size_t id_start) {
        const std::size_t id_end = msg.find(' ', id_start);
        const std::size_t len = (id_end == std::string::npos ? msg.size() : id_end) - id_start;
        return msg.substr(0, id_start + 1 + pick(len - 1));
    }

    void garbage() {
        ++truth.lines;
        ++truth.malformed;
        switch (pick(3)) {
            case 0:
                sink("Tue Apr 17 00:5");
                break;  // cut inside the time stamp
            case 1:
                sink("\x01\x02 binary noise");
                break;
            default:
                sink("--- log rotated ---");
                break;
        }
    }
};

// One connection as a sequence of steps, so several can interleave.
struct Conn {
    bool outbound{false};
    std::uint64_t id{0};
    int tls{0};  // 0 none, 1 success, 2 failed
    std::vector<std::uint64_t> mids;
    std::size_t step{0};
    bool closes{true};
    bool lost{false};
    std::string domain;
};

}  // namespace

LogTruth generate_esa_log(const LogGeneratorOptions& options,
                          const std::function<void(const std::string&)>& sink) {
    Gen g{std::mt19937_64{options.seed}, sink, {}};
    g.next_icid += options.id_base;
    g.next_dcid += options.id_base;
    g.next_mid += options.id_base;
    std::deque<Conn> open;
    std::uint64_t started = 0;
    const std::uint64_t total = options.connections * 2;
    auto start_one = [&] {
        Conn c;
        c.outbound = g.chance(0.5);
        c.id = c.outbound ? g.next_dcid++ : g.next_icid++;
        const auto r = g.pick(100);
        c.tls = r < 70 ? 1 : r < 85 ? 2 : 0;
        c.closes = !g.chance(0.01);  // a few never close before the log ends
        c.lost = g.chance(0.03);
        c.domain = k_domains[g.pick(k_domains.size())];
        const std::uint64_t messages = c.tls == 2 && c.outbound ? 0 : g.pick(4);
        for (std::uint64_t i = 0; i < messages; ++i) {
            c.mids.push_back(g.next_mid++);
        }
        auto& side = c.outbound ? g.truth.outbound : g.truth.inbound;
        ++side.connections;
        (c.tls == 1 ? side.tls_success : c.tls == 2 ? side.tls_failed : side.no_tls)++;
        if (c.tls != 1) {
            side.messages_without_tls += c.mids.size();
        }
        open.push_back(std::move(c));
        ++started;
    };
    while (started < total || !open.empty()) {
        while (started < total && open.size() < options.concurrency) {
            start_one();
        }
        if (options.garbage && g.chance(0.002)) {
            g.garbage();
        }
        const auto idx = static_cast<std::size_t>(g.pick(open.size()));
        Conn& c = open[idx];
        const std::string kind = c.outbound ? "DCID" : "ICID";
        const std::string id = std::to_string(c.id);
        bool done = false;
        // step 0: open; 1: TLS; 2..: messages; then close
        if (c.step == 0) {
            std::string open_line =
                c.outbound
                    ? "New SMTP DCID " + id + " interface 192.168.1.1 address 10.0.0." +
                          std::to_string(g.pick(250)) + " port 25"
                    : "New SMTP ICID " + id + " interface Data 1 (192.168.1.1) address 10.0.0." +
                          std::to_string(g.pick(250)) + " reverse dns host mx.example verified yes";
            // Only a connection with later events of its own can be counted without its open.
            if (options.cut_ids > 0 && c.closes && g.chance(options.cut_ids)) {
                open_line = g.cut_id(open_line, 14);
            }
            g.line(open_line);
            if (!c.outbound) {
                g.line("ICID " + id + " ACCEPT SG UNKNOWNLIST match sbrs[none] SBRS 3.5", true);
            }
        } else if (c.step == 1) {
            if (c.tls == 1) {
                g.line(kind + " " + id + " TLS success protocol " + k_protocols[g.pick(3)] +
                           " cipher " + k_ciphers[g.pick(3)],
                       true);
            } else if (c.tls == 2) {
                if (c.outbound) {
                    g.line("Connection Error: DCID " + id + " domain: " + c.domain +
                           " IP:10.0.0.1 port: 25 details: 'temporary reason' interface: "
                           "192.168.1.1 reason: unexpected SMTP response");
                }
                g.line(kind + " " + id + " TLS failed: " + k_failures[g.pick(3)], true);
            }
        } else if (c.step - 2 < c.mids.size()) {
            const std::string mid = std::to_string(c.mids[c.step - 2]);
            if (c.outbound) {
                g.line("Delivery start DCID " + id + " MID " + mid + " to RID [0]");
                g.line("Message done DCID " + id + " MID " + mid +
                           " to RID [0] [('X-IPAS-Result', "
                           "'A0GaAQDq...')]",
                       true);
                g.line("Message finished MID " + mid + " done");
            } else {
                const std::string start = "Start MID " + mid + " ICID " + id;
                if (options.cut_ids > 0 && g.chance(options.cut_ids)) {
                    g.line(g.cut_id(start, start.size() - id.size()));
                    if (c.tls != 1) {
                        --g.truth.inbound.messages_without_tls;
                    }
                } else {
                    g.line(start);
                }
                g.line("MID " + mid + " ICID " + id + " From: <sender@" + c.domain + ">");
                g.line("MID " + mid + " ICID " + id + " RID 0 To: <user@" +
                       std::string{k_domains[g.pick(k_domains.size())]} + ">");
                g.line("MID " + mid +
                           " Subject 'quarterly report with a long subject line that "
                           "the appliance will cut short at the usual place'",
                       true);
                g.line("MID " + mid + " ready 2048 bytes from <sender@" + c.domain + ">");
            }
        } else {
            if (c.lost) {
                g.line(kind + " " + id + " lost");
            }
            if (c.closes) {
                g.line(kind + " " + id + " close");
            }
            done = true;
        }
        ++c.step;
        if (done) {
            open.erase(open.begin() + static_cast<std::ptrdiff_t>(idx));
        }
    }
    return g.truth;
}

}  // namespace certtool::test
