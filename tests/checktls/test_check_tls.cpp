// certtool check-tls against real peers: one private Postfix instance with a listener per
// scenario and a dnsmasq for --mx (tests/postfix/tls-fixture.sh, started once per test run as
// a CTest fixture), plus scripted loopback servers for what Postfix will not do (no banner, a
// garbage banner, no ESMTP). Validation time is fixed; nothing depends on today's date.
#include "ossl.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <thread>

using namespace certtool;
using namespace certtool::test;
using nlohmann::json;

namespace {

const std::string k_at = "2026-06-01T00:00:00Z";
const std::filesystem::path k_fixture_dir = CHECK_TLS_FIXTURE_DIR;

// fixture.env as written by tls-fixture.sh.
struct Fixture {
    std::string port;
    std::string dns;  // 127.0.0.1:PORT
    std::filesystem::path pki;
    std::string dns6;  // [::1]:PORT, or empty if the machine has no IPv6 loopback
};

// KEY=VALUE lines (fixture.env).
std::map<std::string, std::string> read_env(const std::filesystem::path& file) {
    std::ifstream in(file);
    REQUIRE(in.good());
    std::map<std::string, std::string> env;
    for (std::string line; std::getline(in, line);) {
        if (const auto eq = line.find('='); eq != std::string::npos) {
            env[line.substr(0, eq)] = line.substr(eq + 1);
        }
    }
    return env;
}

const Fixture& fixture() {
    static const Fixture f = [] {
        INFO("no Postfix fixture at " << k_fixture_dir
                                      << ": run the tests through ctest (fixture check_tls.start)");
        auto env = read_env(k_fixture_dir / "fixture.env");
        return Fixture{env["PORT"],
                       "127.0.0.1:" + env["DNS_PORT"],
                       env["PKI"],
                       env["DNS_IPV6"] == "1" ? "[::1]:" + env["DNS_PORT"] : ""};
    }();
    return f;
}

std::string listener(int last_octet, int port_offset = 0) {
    return fmt::format("127.0.0.{}:{}", last_octet, std::stoi(fixture().port) + port_offset);
}

std::string root_pem() {
    return (fixture().pki / "root.pem").string();
}

struct Probe {
    RunResult run;
    json report;
};

// check-tls --json with the fixed time and the test root; extra arguments appended.
Probe check(std::vector<std::string> args) {
    args.insert(args.begin(), "check-tls");
    args.insert(args.end(), {"--trust", root_pem(), "--at", k_at, "--json"});
    if (std::find(args.begin(), args.end(), "--timeout") == args.end()) {
        args.insert(args.end(), {"--timeout", "5"});
    }
    Probe p{run_certtool(args), {}};
    INFO("certtool " << fmt::format("{}", fmt::join(args, " ")) << "\nstderr: " << p.run.err);
    REQUIRE((p.run.exit_code == 0 || p.run.exit_code == 1));
    p.report = json::parse(p.run.out);
    return p;
}

std::set<std::string> codes(const json& host) {
    std::set<std::string> out;
    for (const auto& f : host["findings"]) {
        out.insert(f["code"].get<std::string>());
    }
    return out;
}

const json& step(const json& host, const std::string& name) {
    for (const auto& s : host["steps"]) {
        if (s["name"] == name) {
            return s;
        }
    }
    FAIL("no step " << name << " in " << host["steps"].dump());
    throw std::logic_error("unreachable");
}

std::string policy(const json& host, const std::string& mode) {
    return host["policy"][mode]["result"].get<std::string>();
}

int exit_for_policy(const std::string& target,
                    const std::string& mode,
                    std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"check-tls",
                                  target,
                                  "--trust",
                                  root_pem(),
                                  "--at",
                                  k_at,
                                  "--timeout",
                                  "5",
                                  "--policy",
                                  mode};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_certtool(args).exit_code;
}

std::string fingerprint(const std::string& pem_file) {
    return Certificate::load_all(fixture().pki / pem_file).front().sha256_fingerprint();
}

// Runs a command when the scope ends (a fixture's stop), whatever happened in it.
class StopOnExit {
public:
    explicit StopOnExit(std::vector<std::string> argv) : m_argv(std::move(argv)) {}

    StopOnExit(const StopOnExit&) = delete;
    StopOnExit& operator=(const StopOnExit&) = delete;
    StopOnExit(StopOnExit&&) = delete;
    StopOnExit& operator=(StopOnExit&&) = delete;

    ~StopOnExit() {
        try {
            static_cast<void>(run(m_argv));
        } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw
        }
    }

    [[nodiscard]] const std::vector<std::string>& argv() const noexcept { return m_argv; }

private:
    std::vector<std::string> m_argv;
};

}  // namespace

// Not a test: the CTest fixture setup (check_tls.start) runs this to write the PKI and start
// Postfix and dnsmasq; check_tls.stop stops them.
TEST_CASE("check-tls fixture: PKI and peers", "[.fixture-start]") {
    const auto pki = k_fixture_dir / "pki";
    std::filesystem::create_directories(pki);
    const CertSpec root_spec{"certtool test root",
                             at("2020-01-01T00:00:00Z"),
                             at("2050-01-01T00:00:00Z"),
                             {},
                             true,
                             std::nullopt};
    const auto root = make_root(root_spec);
    const auto inter = issue(root,
                             {"certtool test issuing CA",
                              at("2020-01-01T00:00:00Z"),
                              at("2050-01-01T00:00:00Z"),
                              {},
                              true,
                              std::nullopt});
    const std::vector<std::string> names{"mx1.example.test",
                                         "mail.example.test",
                                         "*.many.example.test",
                                         "*.slow.example.test",
                                         "*.manyslow.example.test"};
    const auto good = issue(inter,
                            {"mx1.example.test",
                             at("2024-01-01T00:00:00Z"),
                             at("2049-01-01T00:00:00Z"),
                             names,
                             false,
                             "serverAuth"});
    const auto expired = issue(inter,
                               {"mx1.example.test",
                                at("2020-01-01T00:00:00Z"),
                                at("2021-01-01T00:00:00Z"),
                                names,
                                false,
                                "serverAuth"});
    write_file(pki / "root.pem", root.cert.to_pem());
    write_file(pki / "inter.pem", inter.cert.to_pem());
    write_file(pki / "good.pem", good.cert.to_pem());
    write_file(pki / "expired.pem", expired.cert.to_pem());
    const auto old_mask = ::umask(077);  // keys: never readable by others, not even briefly
    write_file(pki / "good.key", std::string{good.key.to_pem().view()});
    write_file(pki / "expired.key", std::string{expired.key.to_pem().view()});
    ::umask(old_mask);
    const RunResult r = run({"bash",
                             std::string{CERTTOOL_SOURCE_DIR} + "/tests/postfix/tls-fixture.sh",
                             "start",
                             k_fixture_dir.string(),
                             pki.string()});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
}

// A clone in a private directory (under /root, 0700): Postfix's daemons run as its mail owner
// and cannot enter the build tree there, so the instance runs from a fresh directory under /tmp,
// which DIR/instance records and stop removes.
TEST_CASE("check-tls fixture: starts from inside a private directory, stop removes its instance",
          "[check-tls][postfix]") {
    const TempDir home;
    std::filesystem::permissions(home.path(), std::filesystem::perms::owner_all);  // 0700
    const auto dir = home / "clone" / "build" / "check-tls-fixture";
    const std::string script = std::string{CERTTOOL_SOURCE_DIR} + "/tests/postfix/tls-fixture.sh";

    const StopOnExit stop{{"bash", script, "stop", dir.string()}};
    const RunResult started = run({"bash", script, "start", dir.string(), fixture().pki.string()});
    INFO(started.out << started.err);
    REQUIRE(started.exit_code == 0);
    std::string instance = read_file(dir / "instance");
    instance.erase(instance.find_last_not_of('\n') + 1);
    CHECK_THAT(instance, Catch::StartsWith("/tmp/certtool-check-tls."));
    CHECK(std::filesystem::is_directory(instance + "/postfix/queue"));
    const std::string port = read_env(dir / "fixture.env")["PORT"];
    const Probe p = check({"127.0.0.2:" + port, "--hostname", "mx1.example.test"});
    CHECK(p.run.exit_code == 0);
    CHECK(p.report["outcome"] == "V");

    CHECK(run(stop.argv()).exit_code == 0);
    CHECK_FALSE(std::filesystem::exists(instance));
    CHECK_FALSE(std::filesystem::exists(dir / "fixture.env"));
}

TEST_CASE("check-tls (a): good chain over STARTTLS is verified, every mode delivers encrypted",
          "[check-tls][postfix]") {
    const Probe p = check({listener(2),
                           "--starttls",
                           "smtp",
                           "--hostname",
                           "mx1.example.test",
                           "--from",
                           "postmaster@example.test"});
    const json& h = p.report;
    CHECK(p.run.exit_code == 0);
    CHECK(h["outcome"] == "V");
    CHECK(h["esmtp"] == true);
    CHECK(h["starttls_offered"] == true);
    CHECK_THAT(h["banner"].get<std::string>(), Catch::StartsWith("220 mx1.example.test ESMTP"));
    CHECK(h["tls"]["protocol"] == "TLSv1.3");
    CHECK(h["tls"]["bits"].get<int>() >= 128);
    REQUIRE(h["served_chain"].size() == 2);
    CHECK(h["served_chain"][0]["sha256_fingerprint"] == fingerprint("good.pem"));
    CHECK(h["served_chain"][1]["sha256_fingerprint"] == fingerprint("inter.pem"));
    CHECK(h["chain"]["valid"] == true);
    CHECK(h["chain"]["path"].size() == 3);
    for (const std::string s : {"connect",
                                "banner",
                                "ehlo",
                                "starttls",
                                "tls-handshake",
                                "verify",
                                "ehlo-tls",
                                "mail-from",
                                "quit"}) {
        INFO(s);
        CHECK(step(h, s)["status"] == "ok");
        CHECK(step(h, s)["ms"].get<double>() >= 0);
    }
    CHECK(h["summary"] == json{{"connect", true},
                               {"helo", true},
                               {"tls", true},
                               {"cert", true},
                               {"secure", true},
                               {"from", true}});
    CHECK(h["confidence"] == 100);
    CHECK(policy(h, "None") == "clear");
    CHECK(policy(h, "Preferred") == "encrypted");
    CHECK(policy(h, "Required") == "encrypted");
    CHECK(policy(h, "Preferred-Verify") == "encrypted, verified");
    CHECK(policy(h, "Required-Verify") == "encrypted, verified");
    for (const std::string mode :
         {"none", "preferred", "required", "preferred-verify", "required-verify"}) {
        INFO(mode);
        CHECK(exit_for_policy(listener(2), mode, {"--hostname", "mx1.example.test"}) == 0);
    }
    // The EHLO name is never "localhost" (an FQDN, or our address literal).
    const std::string ehlo = h["ehlo_name"].get<std::string>();
    CHECK(ehlo.find('.') != std::string::npos);
    CHECK(ehlo.rfind("localhost", 0) == std::string::npos);

    // Human output: the phases, the chain with its statuses, the policy table.
    const RunResult text = run_certtool({"check-tls",
                                         listener(2),
                                         "--trust",
                                         root_pem(),
                                         "--at",
                                         k_at,
                                         "--hostname",
                                         "mx1.example.test"});
    CHECK(text.exit_code == 0);
    CHECK_THAT(text.out, Catch::Contains("tls-handshake  ok"));
    CHECK_THAT(text.out, Catch::Contains("Certificate 1 of 3 in chain: CN=mx1.example.test"));
    CHECK_THAT(text.out, Catch::Contains("Cert VALIDATED: ok"));
    CHECK_THAT(text.out, Catch::Contains("Cert Hostname VERIFIED (mx1.example.test = DNS:mx1"));
    CHECK_THAT(text.out, Catch::Contains("Required-Verify   encrypted, verified"));
}

TEST_CASE("check-tls (a'): implicit TLS (--tls, port-465 style)", "[check-tls][postfix]") {
    const Probe p = check({listener(2, 1), "--tls", "--hostname", "mx1.example.test"});
    CHECK(p.run.exit_code == 0);
    CHECK(p.report["mode"] == "tls");
    CHECK(p.report["outcome"] == "V");
    CHECK(step(p.report, "tls-handshake")["status"] == "ok");
    CHECK(p.report["steps"][1]["name"] == "tls-handshake");  // before the banner
    CHECK_THAT(p.report["banner"].get<std::string>(), Catch::StartsWith("220 "));
    // The same port spoken to with STARTTLS is not SMTP in clear: the handshake never starts.
    const Probe wrong = check({listener(2, 1), "--starttls", "smtp", "--timeout", "2"});
    CHECK(wrong.run.exit_code == 1);
    CHECK(wrong.report["outcome"] == "X");
}

TEST_CASE("check-tls (b): STARTTLS not advertised, Required fails, Preferred delivers in clear",
          "[check-tls][postfix]") {
    const Probe p = check({listener(3), "--hostname", "mx1.example.test"});
    const json& h = p.report;
    CHECK(p.run.exit_code == 1);
    CHECK(h["outcome"] == "B");
    CHECK(h["esmtp"] == true);
    CHECK(h["starttls_offered"] == false);
    CHECK(codes(h).count("starttls-not-offered") == 1);
    CHECK(step(h, "starttls")["status"] == "skipped");
    CHECK(h["tls"].is_null());
    CHECK(policy(h, "Preferred") == "clear");
    CHECK(policy(h, "Preferred-Verify") == "clear");
    CHECK(policy(h, "Required") == "not delivered");
    CHECK(policy(h, "Required-Verify") == "not delivered");
    CHECK(exit_for_policy(listener(3), "preferred") == 0);
    CHECK(exit_for_policy(listener(3), "required") == 1);
    CHECK(exit_for_policy(listener(3), "required-verify") == 1);
}

TEST_CASE("check-tls (c): STARTTLS answered 454 is reported", "[check-tls][postfix]") {
    const Probe p = check({listener(4), "--hostname", "mx1.example.test"});
    const json& h = p.report;
    CHECK(p.run.exit_code == 1);
    CHECK(h["outcome"] == "B");
    CHECK(h["starttls_offered"] == true);
    CHECK(codes(h).count("starttls-refused") == 1);
    CHECK(step(h, "starttls")["status"] == "failed");
    CHECK_THAT(step(h, "starttls")["detail"].get<std::string>(), Catch::Contains("454 4.7.0"));
    CHECK(step(h, "quit")["status"] == "ok");  // the session went on in clear
    CHECK(policy(h, "Preferred") == "clear");
    CHECK(policy(h, "Required") == "not delivered");
}

TEST_CASE("check-tls (d): handshake failure after the 220 to STARTTLS", "[check-tls][postfix]") {
    const Probe p = check({listener(5), "--hostname", "mx1.example.test"});
    const json& h = p.report;
    CHECK(p.run.exit_code == 1);
    CHECK(h["outcome"] == "A");
    CHECK(step(h, "starttls")["status"] == "ok");
    CHECK_THAT(step(h, "starttls")["detail"].get<std::string>(), Catch::StartsWith("220"));
    CHECK(step(h, "tls-handshake")["status"] == "failed");
    CHECK(codes(h).count("handshake-failed") == 1);
    CHECK(policy(h, "None") == "clear");
    CHECK(policy(h, "Preferred") == "not delivered");  // no fallback after the 220
    CHECK(policy(h, "Required") == "not delivered");
    CHECK(exit_for_policy(listener(5), "none") == 0);
    CHECK(exit_for_policy(listener(5), "preferred") == 1);
}

TEST_CASE("check-tls (e): expired leaf, wrong host name, missing intermediate",
          "[check-tls][postfix]") {
    struct Case {
        std::string target;
        std::string hostname;
        std::string code;
    };

    for (const auto& c : {Case{listener(6), "mx1.example.test", "expired"},
                          Case{listener(2), "wrong.example.test", "hostname-mismatch"},
                          Case{listener(7), "mx1.example.test", "missing-intermediate"}}) {
        INFO(c.code);
        const Probe p = check({c.target, "--hostname", c.hostname});
        const json& h = p.report;
        CHECK(p.run.exit_code == 1);
        CHECK(h["outcome"] == "U");
        CHECK(codes(h).count(c.code) == 1);
        CHECK(h["chain"]["valid"] == false);
        CHECK(h["summary"]["tls"] == true);
        CHECK(h["summary"]["secure"] == false);
        CHECK(h["summary"]["cert"] == (c.code == "hostname-mismatch"));
        CHECK(policy(h, "Required") == "encrypted");
        CHECK(policy(h, "Preferred-Verify") == "encrypted, unverified");
        CHECK(policy(h, "Required-Verify") == "not delivered");
        CHECK(exit_for_policy(c.target, "required", {"--hostname", c.hostname}) == 0);
        CHECK(exit_for_policy(c.target, "required-verify", {"--hostname", c.hostname}) == 1);
    }
}

TEST_CASE("check-tls (f): --mx with two MX hosts, one good one broken", "[check-tls][postfix]") {
    const std::vector<std::string> dns{"--dns-server", fixture().dns, "--port", fixture().port};
    std::vector<std::string> args{"--mx", "example.test"};
    args.insert(args.end(), dns.begin(), dns.end());
    const Probe p = check(args);
    const json& r = p.report;
    CHECK(p.run.exit_code == 1);  // not every host is verified
    CHECK(r["domain"] == "example.test");
    CHECK(r["implicit_mx"] == false);
    REQUIRE(r["hosts"].size() == 2);
    CHECK(r["hosts"][0]["host"] == "mx1.example.test");
    CHECK(r["hosts"][0]["mx_preference"] == 10);
    CHECK(r["hosts"][0]["address"] == "127.0.0.2");
    CHECK(r["hosts"][0]["outcome"] == "V");
    CHECK(r["hosts"][0]["confidence"] == 100);
    CHECK(r["hosts"][1]["host"] == "mx2.example.test");
    CHECK(r["hosts"][1]["outcome"] == "B");
    CHECK(r["hosts"][1]["confidence"] == 40);  // connect 20 + EHLO 20
    CHECK(r["confidence"] == 70);
    CHECK(r["policy"]["Required-Verify"]["result"] == "encrypted, verified");  // via mx1

    std::vector<std::string> text_args{
        "check-tls", "--mx", "example.test", "--trust", root_pem(), "--at", k_at};
    text_args.insert(text_args.end(), dns.begin(), dns.end());
    const RunResult text = run_certtool(text_args);
    CHECK_THAT(text.out, Catch::Contains("mx1.example.test"));
    CHECK_THAT(
        text.out,
        Catch::Matches(
            R"((.|\n)*10 +mx1\.example\.test +127\.0\.0\.2 +OK +OK +OK +OK +OK +- +V +100%(.|\n)*)"));
    CHECK_THAT(
        text.out,
        Catch::Matches(
            R"((.|\n)*20 +mx2\.example\.test +127\.0\.0\.3 +OK +OK +FAIL +FAIL +FAIL +- +B +40%(.|\n)*)"));
    CHECK_THAT(text.out,
               Catch::Matches(R"((.|\n)*Average +100% +100% +50% +50% +50% +- +70%(.|\n)*)"));
    CHECK_THAT(text.out, Catch::Contains("Confidence factor: 70%"));

    // A host given by name: resolved through the same DNS server; its name is the expected one.
    const Probe by_name =
        check({"mx1.example.test:" + fixture().port, "--dns-server", fixture().dns});
    CHECK(by_name.run.exit_code == 0);
    CHECK(by_name.report["address"] == "127.0.0.2");
    CHECK(by_name.report["chain"]["names"][0]["name"] == "DNS:mx1.example.test");
    const Probe other_name =
        check({"mx2.example.test:" + fixture().port, "--dns-server", fixture().dns});
    CHECK(other_name.report["address"] == "127.0.0.3");

    // A domain with no MX falls back to its own address (RFC 5321 5.1); a null MX accepts no mail.
    std::vector<std::string> nomx{"--mx", "nomx.example.test", "--hostname", "mx1.example.test"};
    nomx.insert(nomx.end(), dns.begin(), dns.end());
    const Probe implicit = check(nomx);
    CHECK(implicit.report["implicit_mx"] == true);
    REQUIRE(implicit.report["hosts"].size() == 1);
    CHECK(implicit.report["hosts"][0]["address"] == "127.0.0.2");
    // An MX target no certificate can name: probed, reported, and the process survives.
    std::vector<std::string> odd{"--mx", "oddmx.example.test"};
    odd.insert(odd.end(), dns.begin(), dns.end());
    const Probe odd_mx = check(odd);
    REQUIRE(odd_mx.report["hosts"].size() == 1);
    CHECK(odd_mx.report["hosts"][0]["address"] == "127.0.0.2");
    CHECK(codes(odd_mx.report["hosts"][0]).count("invalid-host-name") == 1);
    CHECK(odd_mx.report["hosts"][0]["outcome"] == "V");  // no name to check; the chain is good
    std::vector<std::string> null_args{"check-tls", "--mx", "nullmx.example.test"};
    null_args.insert(null_args.end(), dns.begin(), dns.end());
    const RunResult null_mx = run_certtool(null_args);
    CHECK(null_mx.exit_code == 3);
    CHECK_THAT(null_mx.err, Catch::Contains("null MX"));
    null_args[2] = "nosuch.example.test";
    const RunResult nx = run_certtool(null_args);
    CHECK(nx.exit_code == 3);
    CHECK_THAT(nx.err, Catch::Contains("does not exist"));
}

TEST_CASE("check-tls --expect: the served certificate against a store entry",
          "[check-tls][postfix]") {
    const TempDir dir;
    const std::string store = (dir / "store").string();
    write_file(dir / "pw", "test password\n");
    const auto& pki = fixture().pki;
    const RunResult p12 = run({"openssl",
                               "pkcs12",
                               "-export",
                               "-inkey",
                               (pki / "good.key").string(),
                               "-in",
                               (pki / "good.pem").string(),
                               "-certfile",
                               (pki / "inter.pem").string(),
                               "-out",
                               (dir / "mx.p12").string(),
                               "-passout",
                               "file:" + (dir / "pw").string()});
    REQUIRE(p12.exit_code == 0);
    REQUIRE(run_certtool({"import-pkcs12",
                          "mx",
                          (dir / "mx.p12").string(),
                          "--password-file",
                          (dir / "pw").string(),
                          "--store",
                          store})
                .exit_code == 0);
    const Probe current =
        check({listener(2), "--hostname", "mx1.example.test", "--expect", "mx", "--store", store});
    CHECK(current.run.exit_code == 0);
    CHECK(codes(current.report).count("certificate-current") == 1);
    const Probe stale =
        check({listener(6), "--hostname", "mx1.example.test", "--expect", "mx", "--store", store});
    CHECK(stale.run.exit_code == 1);
    CHECK(codes(stale.report).count("stale-certificate") == 1);
    const RunResult missing =
        run_certtool({"check-tls", listener(2), "--expect", "nosuch", "--store", store});
    CHECK(missing.exit_code == 7);
}

TEST_CASE("check-tls: refused, silent and non-SMTP servers give clear errors within the timeout",
          "[check-tls]") {
    using Clock = std::chrono::steady_clock;
    SECTION("connection refused") {
        int port = 0;
        {
            const LoopbackServer closed{[](int) {}};
            port = closed.port();
        }  // nothing listens there now
        const Probe p = check({fmt::format("127.0.0.1:{}", port)});
        CHECK(p.run.exit_code == 1);
        CHECK(p.report["outcome"] == "X");
        CHECK(codes(p.report).count("connect-failed") == 1);
        CHECK_THAT(step(p.report, "connect")["detail"].get<std::string>(),
                   Catch::Contains("Connection refused"));
        CHECK(p.report["policy"]["None"]["result"] == "not delivered");
    }
    SECTION("no banner: timed out after --timeout") {
        const LoopbackServer silent{[](int fd) {
            while (!read_line(fd).empty()) {  // says nothing; waits for the client to leave
            }
        }};
        const auto start = Clock::now();
        const RunResult r = run_certtool(
            {"check-tls", fmt::format("127.0.0.1:{}", silent.port()), "--timeout", "1", "--json"});
        const auto elapsed = std::chrono::duration<double>(Clock::now() - start).count();
        CHECK(r.exit_code == 1);
        const json h = json::parse(r.out);
        CHECK(codes(h).count("no-banner") == 1);
        CHECK_THAT(step(h, "banner")["detail"].get<std::string>(),
                   Catch::Contains("timed out after 1000 ms waiting for the banner"));
        CHECK(elapsed < 5.0);  // bounded by the timeout (1 s), not hanging
    }
    SECTION("garbage banner") {
        const LoopbackServer ssh{[](int fd) { send_text(fd, "SSH-2.0-OpenSSH_9.2p1 Debian\r\n"); }};
        const Probe p = check({fmt::format("127.0.0.1:{}", ssh.port())});
        CHECK(p.report["outcome"] == "X");
        CHECK(codes(p.report).count("not-smtp") == 1);
        CHECK_THAT(step(p.report, "banner")["detail"].get<std::string>(),
                   Catch::Contains("not an SMTP reply to the banner: 'SSH-2.0-OpenSSH_9.2p1"));
    }
    SECTION("554 banner: the server refuses the session") {
        const LoopbackServer busy{[](int fd) { send_text(fd, "554 5.3.2 go away\r\n"); }};
        const Probe p = check({fmt::format("127.0.0.1:{}", busy.port())});
        CHECK(p.report["outcome"] == "X");
        CHECK(codes(p.report).count("session-refused") == 1);
    }
}

TEST_CASE("check-tls: an MTA without ESMTP (EHLO not understood) falls back to HELO",
          "[check-tls]") {
    std::vector<std::string> heard;
    const LoopbackServer old_mta{[&](int fd) {
        send_text(fd, "220 old.example.test SMTP ready\r\n");
        for (std::string line = read_line(fd); !line.empty(); line = read_line(fd)) {
            heard.push_back(line.substr(0, line.find_first_of(" \r")));
            if (line.rfind("EHLO", 0) == 0) {
                send_text(fd, "500 5.5.1 Command unrecognized\r\n");
            } else if (line.rfind("QUIT", 0) == 0) {
                send_text(fd, "221 bye\r\n");
                return;
            } else {
                send_text(fd, "250 ok\r\n");
            }
        }
    }};
    const Probe p = check({fmt::format("127.0.0.1:{}", old_mta.port())});
    const json& h = p.report;
    CHECK(p.run.exit_code == 1);
    CHECK(h["outcome"] == "B");
    CHECK(h["esmtp"] == false);
    CHECK(codes(h).count("no-esmtp") == 1);
    CHECK(step(h, "ehlo")["status"] == "ok");
    CHECK_THAT(step(h, "ehlo")["detail"].get<std::string>(), Catch::StartsWith("HELO: 250"));
    CHECK(h["confidence"] == 30);  // connect 20 + HELO only 10
    CHECK(heard == std::vector<std::string>{"EHLO", "HELO", "QUIT"});
    CHECK(policy(h, "Preferred") == "clear");
    CHECK(policy(h, "Required") == "not delivered");
}

TEST_CASE("check-tls: bad command lines are usage errors that touch nothing", "[check-tls]") {
    CHECK(run_certtool({"check-tls"}).exit_code == 2);
    CHECK(run_certtool({"check-tls", "a.example", "--mx", "b.example"}).exit_code == 2);
    const RunResult port = run_certtool({"check-tls", "mail.example.test:99999"});
    CHECK(port.exit_code == 2);
    CHECK_THAT(port.err, Catch::Contains("bad port"));
    const RunResult mode = run_certtool({"check-tls", "mail.example.test", "--policy", "always"});
    CHECK(mode.exit_code == 2);
    CHECK_THAT(mode.err, Catch::Contains("required-verify"));
    CHECK(run_certtool({"check-tls", "mail.example.test", "--tls", "--plain"}).exit_code == 2);
    CHECK(
        run_certtool({"check-tls", "--mx", "example.test", "--dns-server", "nonsense"}).exit_code ==
        2);
}

// --dns-server takes IPv6 too ([::1]:PORT): the queries go to that server directly over UDP,
// and over TCP when the answer is truncated (50 MX records do not fit in 512 octets).
TEST_CASE("check-tls: --dns-server over IPv6 and over TCP for a truncated answer",
          "[check-tls][postfix]") {
    const auto mx_hosts = [](const std::string& server, const std::string& domain) {
        const Probe p = check({"--mx", domain, "--dns-server", server, "--port", fixture().port});
        std::vector<std::string> hosts;
        for (const auto& h : p.report["hosts"]) {
            hosts.push_back(h["host"].get<std::string>() + "=" + h["address"].get<std::string>());
        }
        return hosts;
    };
    const auto many = mx_hosts(fixture().dns, "many.example.test");
    REQUIRE(many.size() == 50);
    CHECK(many.front() == "mx1.many.example.test=127.0.0.2");
    CHECK(many.back() == "mx50.many.example.test=127.0.0.2");
    if (fixture().dns6.empty()) {
        WARN("this machine has no IPv6 loopback (::1): the IPv6 --dns-server case is not run");
        return;
    }
    CHECK(mx_hosts(fixture().dns6, "example.test") ==
          std::vector<std::string>{"mx1.example.test=127.0.0.2", "mx2.example.test=127.0.0.3"});
    CHECK(mx_hosts(fixture().dns6, "many.example.test") == many);
    // Nothing listening there: a clear network error (exit 3), within the timeout.
    const RunResult none = run_certtool(
        {"check-tls", "--mx", "example.test", "--dns-server", "[::1]:1", "--timeout", "2"});
    CHECK(none.exit_code == 3);
    CHECK_THAT(none.err, Catch::Contains("no answer from DNS server [::1]:1"));
}

TEST_CASE("check-tls: plaintext sent after the 220 to STARTTLS is refused (injection)",
          "[check-tls]") {
    const LoopbackServer injector{[](int fd) {
        send_text(fd, "220 inject.example.test ESMTP\r\n");
        for (std::string line = read_line(fd); !line.empty(); line = read_line(fd)) {
            if (line.rfind("EHLO", 0) == 0) {
                send_text(fd, "250-inject.example.test\r\n250 STARTTLS\r\n");
            } else if (line.rfind("STARTTLS", 0) == 0) {
                send_text(fd, "220 go ahead\r\n250 injected reply\r\n");
            } else {
                send_text(fd, "250 ok\r\n");
            }
        }
    }};
    const Probe p = check({fmt::format("127.0.0.1:{}", injector.port())});
    CHECK(p.run.exit_code == 1);
    CHECK(step(p.report, "starttls")["status"] == "failed");
    CHECK_THAT(step(p.report, "starttls")["detail"].get<std::string>(),
               Catch::Contains("plaintext injection"));
    CHECK(p.report["tls"].is_null());
}

namespace {

// A STARTTLS server on loopback speaking TLS 1.0 only, recording the SNI it was sent.
class Tls10Server {
public:
    explicit Tls10Server(const Issued& identity) {
        m_ctx.reset(SSL_CTX_new(TLS_server_method()));
        REQUIRE(m_ctx);
        SSL_CTX_set_security_level(m_ctx.get(), 0);
        SSL_CTX_set_min_proto_version(m_ctx.get(), TLS1_VERSION);
        SSL_CTX_set_max_proto_version(m_ctx.get(), TLS1_VERSION);
        REQUIRE(SSL_CTX_set_cipher_list(m_ctx.get(), "DEFAULT:@SECLEVEL=0") == 1);
        REQUIRE(SSL_CTX_use_certificate(m_ctx.get(), identity.cert.native()) == 1);
        REQUIRE(SSL_CTX_use_PrivateKey(m_ctx.get(), identity.key.native()) == 1);
        m_server = std::make_unique<LoopbackServer>([this](int fd) { serve(fd); });
    }

    [[nodiscard]] int port() const { return m_server->port(); }

    [[nodiscard]] std::string sni() const { return m_sni; }

private:
    void serve(int fd) {
        send_text(fd, "220 old-tls.example.test ESMTP\r\n");
        for (std::string line = read_line(fd); !line.empty(); line = read_line(fd)) {
            if (line.rfind("EHLO", 0) == 0) {
                send_text(fd, "250-old-tls.example.test\r\n250 STARTTLS\r\n");
            } else if (line.rfind("STARTTLS", 0) == 0) {
                send_text(fd, "220 2.0.0 Ready\r\n");
                break;
            }
        }
        const ossl::SslPtr ssl{SSL_new(m_ctx.get())};
        SSL_set_fd(ssl.get(), fd);
        if (SSL_accept(ssl.get()) != 1) {
            return;
        }
        const char* name = SSL_get_servername(ssl.get(), TLSEXT_NAMETYPE_host_name);
        m_sni = name != nullptr ? name : "";
        std::array<char, 1024> buf{};
        for (;;) {
            const int n = SSL_read(ssl.get(), buf.data(), static_cast<int>(buf.size()));
            if (n <= 0) {
                return;
            }
            const std::string cmd{buf.data(), static_cast<std::size_t>(n)};
            const std::string reply = cmd.rfind("QUIT", 0) == 0 ? "221 bye\r\n" : "250 ok\r\n";
            SSL_write(ssl.get(), reply.data(), static_cast<int>(reply.size()));
            if (cmd.rfind("QUIT", 0) == 0) {
                SSL_shutdown(ssl.get());
                return;
            }
        }
    }

    ossl::SslCtxPtr m_ctx;
    std::string m_sni;
    std::unique_ptr<LoopbackServer> m_server;  // last: stopped before the context goes
};

}  // namespace

TEST_CASE("check-tls: SNI is the expected host name, TLS 1.0 is negotiated and flagged",
          "[check-tls]") {
    const TempDir dir;
    const auto root = make_root({"SNI Root",
                                 at("2020-01-01T00:00:00Z"),
                                 at("2040-01-01T00:00:00Z"),
                                 {},
                                 true,
                                 std::nullopt});
    const auto leaf = issue(root,
                            {"old-tls.example.test",
                             at("2024-01-01T00:00:00Z"),
                             at("2030-01-01T00:00:00Z"),
                             {"old-tls.example.test"},
                             false,
                             "serverAuth"});
    write_file(dir / "root.pem", root.cert.to_pem());
    const Tls10Server server{leaf};
    const RunResult r = run_certtool({"check-tls",
                                      fmt::format("127.0.0.1:{}", server.port()),
                                      "--hostname",
                                      "old-tls.example.test",
                                      "--trust",
                                      (dir / "root.pem").string(),
                                      "--at",
                                      k_at,
                                      "--json"});
    INFO(r.err);
    const json h = json::parse(r.out);
    CHECK(server.sni() == "old-tls.example.test");
    CHECK(h["tls"]["protocol"] == "TLSv1");
    CHECK(h["outcome"] == "V");  // verified, but:
    CHECK(codes(h).count("weak-protocol") == 1);
    CHECK(h["summary"]["secure"] == false);
    CHECK(h["confidence"] == 80);
    CHECK(r.exit_code == 0);  // a warning, not a failure: mail is encrypted and verified

    // By the name localhost (which may resolve to ::1 first: the next address is tried), with
    // --hostname: localhost only says where to connect, the certificate is checked for the name.
    const RunResult by_name = run_certtool({"check-tls",
                                            fmt::format("localhost:{}", server.port()),
                                            "--hostname",
                                            "old-tls.example.test",
                                            "--trust",
                                            (dir / "root.pem").string(),
                                            "--at",
                                            k_at,
                                            "--json"});
    INFO(by_name.err);
    const json n = json::parse(by_name.out);
    CHECK(n["address"] == "127.0.0.1");
    CHECK(n["outcome"] == "V");
    REQUIRE(n["chain"]["names"].size() == 1);
    CHECK(n["chain"]["names"][0]["name"] == "DNS:old-tls.example.test");
}

// Issue: --tls against a STARTTLS port reported outcome A ("STARTTLS got its 220, then the
// handshake failed") though no STARTTLS was sent. The server greets in plaintext SMTP instead of
// answering the ClientHello: say so, and how to probe that port.
TEST_CASE("check-tls --tls on a plaintext SMTP (STARTTLS) port says what the server spoke",
          "[check-tls][postfix]") {
    const Probe p = check({listener(2), "--tls", "--hostname", "mx1.example.test"});
    const json& h = p.report;
    CHECK(p.run.exit_code == 1);
    CHECK(h["mode"] == "tls");
    CHECK(h["outcome"] == "X");  // no session in this mode; not A: nobody sent STARTTLS
    CHECK(codes(h).count("handshake-failed") == 1);
    const std::string detail = step(h, "tls-handshake")["detail"].get<std::string>();
    CHECK_THAT(
        detail,
        Catch::Contains("the server greeted in plaintext SMTP ('220 mx1.example.test ESMTP"));
    CHECK_THAT(detail, Catch::Contains("probe it with --starttls smtp"));
    CHECK_THAT(h["banner"].get<std::string>(), Catch::StartsWith("220 mx1.example.test ESMTP"));
    CHECK(policy(h, "None") == "not delivered");
    // The text output says it too, and the outcome line no longer claims a STARTTLS.
    const RunResult text = run_certtool(
        {"check-tls", listener(2), "--tls", "--trust", root_pem(), "--at", k_at, "--timeout", "5"});
    CHECK(text.exit_code == 1);
    CHECK_THAT(text.out, Catch::Contains("[handshake-failed]: tls-handshake: the server greeted"));
    CHECK_THAT(text.out, Catch::Contains("Outcome: X"));
    CHECK_THAT(text.out, !Catch::Contains("STARTTLS got its 220"));
}

namespace {

// A plaintext SMTP peer (no STARTTLS) that greets and answers every command after `delay`:
// each phase within --timeout, the whole conversation much longer.
std::function<void(int)> slow_peer(std::chrono::milliseconds delay) {
    return [delay](int fd) {
        std::this_thread::sleep_for(delay);
        send_text(fd, "220 slow.example.test ESMTP\r\n");
        for (std::string line = read_line(fd); !line.empty(); line = read_line(fd)) {
            std::this_thread::sleep_for(delay);
            if (line.rfind("EHLO", 0) == 0) {
                send_text(fd, "250-slow.example.test\r\n250 PIPELINING\r\n");
            } else if (line.rfind("QUIT", 0) == 0) {
                send_text(fd, "221 bye\r\n");
                return;
            } else {
                send_text(fd, "250 ok\r\n");
            }
        }
    };
}

struct TimedRun {
    RunResult run;
    json report;
    double seconds{0};
};

TimedRun timed_check(const LoopbackServer& peer, std::vector<std::string> extra) {
    std::vector<std::string> args{"check-tls", fmt::format("127.0.0.1:{}", peer.port()), "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto start = std::chrono::steady_clock::now();
    TimedRun t{run_certtool(args), {}, 0};
    t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    INFO(fmt::format("{}", fmt::join(args, " ")) << "\nstderr: " << t.run.err);
    REQUIRE(t.run.exit_code == 1);  // never verified: the peer has no STARTTLS
    t.report = json::parse(t.run.out);
    return t;
}

}  // namespace

// Issue: --timeout bounds each phase, so a server answering each phase just in time took 11 s
// with --timeout 3. --deadline bounds the whole probe (default 3 x --timeout).
TEST_CASE("check-tls --deadline ends a probe whose every phase is just in time", "[check-tls]") {
    const LoopbackServer peer{slow_peer(std::chrono::milliseconds{1000})};
    SECTION("the per-phase timeout alone lets the conversation run its course") {
        const TimedRun t = timed_check(peer, {"--timeout", "2"});  // default deadline: 6 s
        CHECK(step(t.report, "quit")["status"] == "ok");
        CHECK(t.report["outcome"] == "B");
        CHECK(t.seconds >= 3.0);  // banner, EHLO, QUIT: 1 s each
    }
    SECTION("--deadline cuts the phase it falls in, with a finding that says so") {
        const TimedRun t = timed_check(peer, {"--timeout", "2", "--deadline", "1.5"});
        CHECK(t.seconds < 2.7);  // generous: the deadline is 1.5 s, the full run 3 s
        CHECK(t.report["total_ms"].get<double>() < 2500);
        CHECK(t.report["outcome"] == "X");
        CHECK(step(t.report, "banner")["status"] == "ok");
        CHECK(step(t.report, "ehlo")["status"] == "failed");
        CHECK_THAT(
            step(t.report, "ehlo")["detail"].get<std::string>(),
            Catch::Contains("the 1500 ms deadline for the whole probe passed waiting for EHLO"));
        REQUIRE(codes(t.report).count("session-refused") == 1);
        CHECK_THAT(t.report["findings"][0]["message"].get<std::string>(),
                   Catch::Contains("allow more with --deadline"));
        CHECK(t.report["policy"]["Preferred"]["result"] == "not delivered");
    }
    SECTION("by default the deadline is 3 x --timeout; later phases are skipped") {
        const TimedRun t =
            timed_check(peer, {"--timeout", "1.2", "--from", "postmaster@example.test"});
        CHECK(t.seconds < 4.6);  // generous: the deadline is 3.6 s, the full run 5 s
        CHECK(step(t.report, "ehlo")["status"] == "ok");
        CHECK(step(t.report, "mail-from")["status"] == "failed");  // MAIL FROM 3 s, RSET 4 s
        CHECK_THAT(step(t.report, "mail-from")["detail"].get<std::string>(),
                   Catch::Contains("the 3600 ms deadline for the whole probe passed"));
        CHECK(step(t.report, "quit")["status"] == "skipped");
        CHECK(step(t.report, "quit")["detail"] == "the probe's deadline had passed");
    }
}
