#include "id_map.hpp"
#include "line_splitter.hpp"
#include "log_generator.hpp"
#include "support.hpp"

#include <certtool/mail_log.hpp>

#include <catch2/catch.hpp>

#include <random>
#include <unordered_map>

using namespace certtool;
using namespace certtool::maillog;

namespace {

Report analyze_text(const std::string& text, Format format, Options options = {}) {
    Analyzer a{std::move(options)};
    std::uint64_t n = 0;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos) {
            end = text.size();
        }
        a.feed(std::string_view{text}.substr(start, end - start), format, ++n);
        start = end + 1;
    }
    return a.finish();
}

}  // namespace

TEST_CASE("mail-log: the issue's appliance lines, truncated ones included", "[maillog]") {
    const std::string text = test::read_file(std::filesystem::path{CERTTOOL_SOURCE_DIR} /
                                             "tests/data/esa-issue-example.log");
    CHECK(detect_format(text) == Format::esa);
    const Report r = analyze_text(text, Format::esa);
    CHECK(r.inbound.counts.connections == 2);
    CHECK(r.inbound.counts.tls_success == 1);
    CHECK(r.inbound.counts.tls_failed == 1);
    CHECK(r.inbound.counts.no_tls == 0);
    CHECK(r.inbound.protocols.at("TLSv1") == 1);
    CHECK(r.inbound.legacy_protocol == 1);
    CHECK(r.inbound.failures.size() == 1);
    CHECK(r.outbound.counts.connections == 2);
    CHECK(r.outbound.counts.tls_success == 1);
    CHECK(r.outbound.counts.tls_failed == 1);
    CHECK(r.outbound.failures.at("STARTTLS unexpected response") == 1);
    CHECK(r.outbound.domains.at("domain").counts.tls_failed == 1);
    CHECK(r.outbound.messages_without_tls == 0);
    CHECK(r.inbound.messages_without_tls == 0);
    CHECK(r.malformed == 0);
}

TEST_CASE("mail-log: a message delivered on a connection without TLS is reported", "[maillog]") {
    const std::string text =
        "Tue Apr 17 01:00:00 2018 Info: New SMTP DCID 7 interface 192.168.1.1 address 10.0.0.9 "
        "port 25\n"
        "Tue Apr 17 01:00:01 2018 Info: Delivery start DCID 7 MID 99 to RID [0]\n"
        "Tue Apr 17 01:00:02 2018 Info: Message done DCID 7 MID 99 to RID [0]\n"
        "Tue Apr 17 01:00:03 2018 Info: DCID 7 close\n";
    const Report r = analyze_text(text, Format::esa);
    CHECK(r.outbound.counts.no_tls == 1);
    CHECK(r.outbound.messages_without_tls == 1);
    CHECK(r.outbound.messages_without_tls_ids == std::vector<std::string>{"99"});
}

TEST_CASE("mail-log: weak ciphers and legacy protocols are flagged", "[maillog]") {
    CHECK(is_weak_cipher("DES-CBC3-SHA"));
    CHECK(is_weak_cipher("RC4-MD5"));
    CHECK_FALSE(is_weak_cipher("ECDHE-RSA-AES256-GCM-SHA384"));
    CHECK(is_legacy_protocol("TLSv1"));
    CHECK(is_legacy_protocol("TLSv1.1"));
    CHECK_FALSE(is_legacy_protocol("TLSv1.2"));
}

TEST_CASE("mail-log: synthetic interleaved logs match the generator's truth", "[maillog]") {
    for (std::uint64_t seed : {1U, 2U, 3U}) {
        INFO("seed " << seed);
        std::string text;
        const auto truth =
            test::generate_esa_log({seed, 3000, 150, true}, [&](const std::string& l) {
                text += l;
                text += '\n';
            });
        const Report r = analyze_text(text, Format::esa);
        CHECK(r.lines == truth.lines);
        CHECK(r.malformed == truth.malformed);
        CHECK(r.inbound.counts.connections == truth.inbound.connections);
        CHECK(r.inbound.counts.tls_success == truth.inbound.tls_success);
        CHECK(r.inbound.counts.tls_failed == truth.inbound.tls_failed);
        CHECK(r.inbound.counts.no_tls == truth.inbound.no_tls);
        CHECK(r.inbound.messages_without_tls == truth.inbound.messages_without_tls);
        CHECK(r.outbound.counts.connections == truth.outbound.connections);
        CHECK(r.outbound.counts.tls_success == truth.outbound.tls_success);
        CHECK(r.outbound.counts.tls_failed == truth.outbound.tls_failed);
        CHECK(r.outbound.counts.no_tls == truth.outbound.no_tls);
        CHECK(r.outbound.messages_without_tls == truth.outbound.messages_without_tls);
    }
}

TEST_CASE("mail-log: memory stays bounded when connections never close", "[maillog]") {
    Options o;
    o.max_open = 100;
    Analyzer a{o};
    for (std::uint64_t i = 0; i < 10000; ++i) {
        a.feed("Tue Apr 17 01:00:00 2018 Info: New SMTP ICID " + std::to_string(i) +
                   " interface Data 1 (192.168.1.1) address 10.0.0.1",
               Format::esa,
               i + 1);
    }
    const Report r = a.finish();
    CHECK(r.inbound.counts.connections == 10000);
    CHECK(r.evicted == 9900);
}

TEST_CASE("mail-log: Postfix TLS lines", "[maillog][postfix]") {
    const std::string text =
        "Nov 27 20:00:00 gw postfix/smtpd[100]: connect from client.example[192.0.2.10]\n"
        "Nov 27 20:00:00 gw postfix/smtpd[100]: Anonymous TLS connection established from "
        "client.example[192.0.2.10]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n"
        "Nov 27 20:00:01 gw postfix/smtpd[100]: 4ABC1: client=client.example[192.0.2.10]\n"
        "Nov 27 20:00:02 gw postfix/smtpd[100]: disconnect from client.example[192.0.2.10] ehlo=2 "
        "starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7\n"
        "Nov 27 20:00:03 gw postfix/smtpd[101]: connect from old.example[192.0.2.11]\n"
        "Nov 27 20:00:03 gw postfix/smtpd[101]: SSL_accept error from old.example[192.0.2.11]: -1\n"
        "Nov 27 20:00:03 gw postfix/smtpd[101]: disconnect from old.example[192.0.2.11]\n"
        "Nov 27 20:00:04 gw postfix/smtpd[102]: connect from plain.example[192.0.2.12]\n"
        "Nov 27 20:00:04 gw postfix/smtpd[102]: 4ABC2: client=plain.example[192.0.2.12]\n"
        "Nov 27 20:00:05 gw postfix/smtpd[102]: disconnect from plain.example[192.0.2.12]\n"
        "Nov 27 20:00:06 gw postfix/smtp[200]: Untrusted TLS connection established to "
        "mx.example.com[198.51.100.1]:25: TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 "
        "bits)\n"
        "Nov 27 20:00:07 gw postfix/smtp[200]: 4ABC1: to=<a@example.com>, "
        "relay=mx.example.com[198.51.100.1]:25, "
        "delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n"
        "Nov 27 20:00:08 gw postfix/smtp[201]: 4ABC2: to=<b@clear.example>, "
        "relay=mx.clear.example[198.51.100.2]:25, "
        "delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n"
        "Nov 27 20:00:09 gw postfix/smtp[202]: TLS is required, but was not offered by host "
        "mx.strict.example[198.51.100.3]\n"
        "Nov 27 20:00:09 gw postfix/smtp[202]: 4ABC3: to=<c@strict.example>, "
        "relay=mx.strict.example[198.51.100.3]:25, "
        "delay=1, dsn=4.7.4, status=deferred (TLS is required, but was not offered by host "
        "mx.strict.example[198.51.100.3])\n";
    CHECK(detect_format(text) == Format::postfix);
    const Report r = analyze_text(text, Format::postfix);
    CHECK(r.inbound.counts.connections == 3);
    CHECK(r.inbound.counts.tls_success == 1);
    CHECK(r.inbound.counts.tls_failed == 1);
    CHECK(r.inbound.counts.no_tls == 1);
    CHECK(r.inbound.messages_without_tls == 1);
    CHECK(r.outbound.counts.connections == 3);
    CHECK(r.outbound.counts.tls_success == 1);
    CHECK(r.outbound.counts.tls_failed == 1);
    CHECK(r.outbound.counts.no_tls == 1);
    CHECK(r.outbound.messages_without_tls == 1);
    CHECK(r.outbound.messages_without_tls_ids == std::vector<std::string>{"4ABC2"});
    CHECK(r.required_tls_failures == 1);
    CHECK(r.outbound.domains.at("strict.example").counts.tls_failed == 1);
}

TEST_CASE("mail-log: repeated failures per domain and the failure verdict", "[maillog]") {
    std::string text;
    for (const char* id : {"11", "12", "13"}) {
        const std::string dcid{id};
        text += "Tue Apr 17 01:00:00 2018 Info: New SMTP DCID " + dcid +
                " interface 192.168.1.1 address 10.0.0.9 port 25\n";
        const std::string domain = dcid == "13" ? "once.example" : "twice.example";
        text += "Tue Apr 17 01:00:01 2018 Info: Connection Error: DCID " + dcid +
                " domain: " + domain +
                " IP:10.0.0.9 port: 25 details: x interface: 192.168.1.1 reason: y\n";
        text += "Tue Apr 17 01:00:01 2018 Info: DCID " + dcid +
                " TLS failed: STARTTLS unexpected response\n";
        text += "Tue Apr 17 01:00:02 2018 Info: DCID " + dcid + " close\n";
    }
    const Report r = analyze_text(text, Format::esa);
    CHECK(repeated_failure_domains(r) == std::vector<std::string>{"twice.example"});
    CHECK(tls_failure_seen(r));
    const Report clean = analyze_text(
        "Tue Apr 17 01:00:00 2018 Info: New SMTP ICID 1 interface Data 1 (192.168.1.1) address "
        "10.0.0.1\nTue Apr 17 01:00:01 2018 Info: ICID 1 close\n",
        Format::esa);
    CHECK_FALSE(tls_failure_seen(clean));
    CHECK(repeated_failure_domains(clean).empty());
}

TEST_CASE("IdMap behaves like std::unordered_map under random inserts, finds and erases",
          "[maillog]") {
    certtool::maillog::IdMap<std::string> map;
    std::unordered_map<std::uint64_t, std::string> model;
    std::mt19937_64 rng{42};
    for (int step = 0; step < 200000; ++step) {
        // Keys from a small range so that probe runs collide, wrap and get erased often.
        const std::uint64_t key = rng() % 5000 + (step % 7 == 0 ? (1ULL << 63) : 0);
        switch (rng() % 3) {
            case 0: {
                auto [it, inserted] = map.try_emplace(key);
                const bool model_inserted = model.try_emplace(key, std::to_string(key)).second;
                REQUIRE(inserted == model_inserted);
                if (inserted) {
                    it->second = std::to_string(key);
                }
                break;
            }
            case 1: {
                const auto it = map.find(key);
                const auto m = model.find(key);
                REQUIRE((it == map.end()) == (m == model.end()));
                if (m != model.end()) {
                    REQUIRE(it->second == m->second);
                }
                break;
            }
            default:
                REQUIRE(map.erase(key) == model.erase(key));
        }
        REQUIRE(map.size() == model.size());
    }
    std::size_t seen = 0;
    for (const auto& [key, value] : map) {
        REQUIRE(model.at(key) == value);
        ++seen;
    }
    CHECK(seen == model.size());
    map.clear();
    CHECK(map.empty());
    CHECK(map.find(1) == map.end());
}

TEST_CASE("issue: mail-log lines are capped, across chunk boundaries too", "[maillog]") {
    std::vector<std::string> lines;
    std::vector<std::pair<std::string, std::uint64_t>> over;
    certtool::maillog::LineSplitter split{8};
    const auto on_line = [&](std::string_view l, std::uint64_t) { lines.emplace_back(l); };
    const auto on_over = [&](std::string_view head, std::uint64_t n) {
        over.emplace_back(std::string{head}, n);
    };
    for (const char* chunk : {"ab\n1234", "5678\n", "123456789", "0123\nxy", "z\nlast"}) {
        split.push(chunk, on_line, on_over);
    }
    split.finish(on_line, on_over);
    CHECK(lines == std::vector<std::string>{"ab", "12345678", "xyz", "last"});
    REQUIRE(over.size() == 1);
    CHECK(over[0].first == "1234567890123");  // its head (up to 300 bytes), line 3
    CHECK(over[0].second == 3);
    CHECK(split.line_number() == 5);
}

TEST_CASE("issue: mail-log names tallied are bounded whatever the input", "[maillog]") {
    Analyzer a{Options{}};
    const std::string reason(1000, 'r');
    for (std::uint64_t i = 0; i < 150000; ++i) {
        const std::string id = std::to_string(i + 1);
        a.feed("Tue Apr 17 01:00:00 2018 Info: ICID " + id + " TLS failed: " + id + reason,
               Format::esa,
               i + 1);
        a.feed("Tue Apr 17 01:00:00 2018 Info: ICID " + id + " close", Format::esa, i + 1);
    }
    const Report r = a.finish();
    CHECK(r.inbound.counts.tls_failed == 150000);
    CHECK(r.inbound.failures.size() <= 100000);  // then "(other)"
    CHECK(r.inbound.failures.at("(other)") > 50000);
    CHECK(r.inbound.failures.begin()->first.size() <= 256);
}

TEST_CASE("issue: a line cut inside its connection id creates no connection", "[maillog]") {
    std::string text;
    test::LogGeneratorOptions o{11, 20000, 200, true};
    o.cut_ids = 0.01;
    const auto truth = test::generate_esa_log(o, [&](const std::string& l) {
        text += l;
        text += '\n';
    });
    const Report r = analyze_text(text, Format::esa);
    CHECK(r.inbound.counts.connections == truth.inbound.connections);
    CHECK(r.outbound.counts.connections == truth.outbound.connections);
    CHECK(r.inbound.counts.no_tls == truth.inbound.no_tls);
    CHECK(r.inbound.messages_without_tls == truth.inbound.messages_without_tls);
    CHECK(r.truncated > 0);  // the open lines cut after "ICID 59..."
    const Report one = analyze_text(
        "Tue Apr 17 00:57:55 2018 Info: Start MID 190011863 ICID 7000\n"
        "Tue Apr 17 00:57:55 2018 Info: New SMTP ICID 5901\n"
        "Tue Apr 17 00:57:55 2018 Info: ICID 5902\n",
        Format::esa);
    CHECK(one.inbound.counts.connections == 0);
    CHECK(one.inbound.messages_without_tls == 0);
    CHECK(one.truncated == 2);
}

TEST_CASE("issue: values cut short at the end of a line are kept out of the report", "[maillog]") {
    const std::string text = test::read_file(std::filesystem::path{CERTTOOL_SOURCE_DIR} /
                                             "tests/data/esa-issue-example.log");
    const Report r = analyze_text(text, Format::esa);
    CHECK(r.truncated == 2);  // the cipher "ECDHE-RSA-AES256-GCM-S" and the reason "...:SSL3"
    CHECK(r.outbound.counts.tls_success == 1);
    CHECK(r.outbound.ciphers.empty());
    CHECK(r.outbound.protocols.at("TLSv1.2") == 1);
    CHECK(r.inbound.failures.count("SSL routines:SSL3") == 0);
    CHECK(r.inbound.counts.tls_failed == 1);
    CHECK(r.malformed == 0);
    for (const char* whole : {"ECDHE-RSA-AES256-GCM-SHA384",
                              "TLS_AES_256_GCM_SHA384",
                              "DHE-RSA-AES256-SHA",
                              "RC4-MD5",
                              "ECDHE-RSA-CHACHA20-POLY1305",
                              "TLS_AES_128_CCM_8_SHA256"}) {
        const Report ok = analyze_text(
            std::string{"Tue Apr 17 00:58:02 2018 Info: DCID 1 TLS success protocol TLSv1.2 "
                        "cipher "} +
                whole,
            Format::esa);
        CHECK(ok.outbound.ciphers.count(whole) == 1);
        CHECK(ok.truncated == 0);
    }
}

TEST_CASE("issue: an OpenSSL error code names the reason when the text is cut", "[maillog]") {
    const std::string text = test::read_file(std::filesystem::path{CERTTOOL_SOURCE_DIR} /
                                             "tests/data/esa-issue-example.log");
    CHECK(analyze_text(text, Format::esa).inbound.failures ==
          std::map<std::string, std::uint64_t>{{"no shared cipher", 1}});
    const auto reason_of = [](const std::string& tuple) {
        const Report r =
            analyze_text("Tue Apr 17 00:58:02 2018 Info: ICID 1 TLS failed: " + tuple, Format::esa);
        return r.inbound.failures.begin()->first;
    };
    CHECK(reason_of("(336151570, 'error:14094412:SSL rout") == "sslv3 alert bad certificate");
    CHECK(reason_of("(336151570, 'err") == "sslv3 alert bad certificate");  // the decimal code
    CHECK(reason_of("(0, 'error:0A000086:SSL routines::certif") == "certificate verify failed");
    CHECK(reason_of("(1, 'error:0480006C:PEM rou") == "(reason cut short in the log)");
}

TEST_CASE("issue #13: time stamps beyond the clock's years are clamped (fuzz/maillog)",
          "[maillog]") {
    // fuzz/maillog's crash: option byte 0x0d (esa, tight bounds, this window), then one line
    // stamped in the year 812, which overflowed the nanosecond clock (UBSan).
    const std::string input = test::read_file(std::filesystem::path{CERTTOOL_SOURCE_DIR} /
                                              "tests/data/fuzz/maillog-year-812");
    Options o;
    o.max_open = 3;
    o.max_line = 160;
    o.max_examples = 2;
    o.since = parse_time("2018-04-16T00:00:00Z");
    o.until = parse_time("2024-11-28T00:00:00Z");
    const Report r = analyze_text(input.substr(1), Format::esa, o);
    CHECK(r.recognized == 1);
    CHECK(r.malformed == 0);
    // 2300 is after --until (clamped to 2262); day 99 is no time (kept, as unreadable stamps
    // are); the same for Postfix's classic stamps.
    const Report esa = analyze_text(
        "Tue Apr 17 00:57:55 2300 Info: New SMTP ICID 5 interface Data 1\n"
        "Tue Apr 99 00:57:55 2018 Info: New SMTP ICID 6 interface Data 1\n",
        Format::esa,
        o);
    CHECK(esa.inbound.counts.connections == 1);
    const Report postfix = analyze_text(
        "Nov 99 20:00:00 gw postfix/smtpd[100]: connect from client.example[192.0.2.10]\n"
        "Nov 27 20:00:00 gw postfix/smtpd[101]: connect from client.example[192.0.2.10]\n",
        Format::postfix,
        o);
    CHECK(postfix.inbound.counts.connections == 2);
}
