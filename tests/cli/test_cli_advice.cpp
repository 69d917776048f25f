// Every piece of advice a finding gives is a command that works where the user is: each test
// makes the situation, checks the advice names the command, runs that command as advised and
// checks the finding is gone (apps/certtool/remedies.cpp holds the advice).
#include "cli_fixture.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>

namespace certtool::test {

namespace {

using nlohmann::json;

// The findings of a --json result, as code -> message.
std::multimap<std::string, std::string> findings_of(const std::string& out) {
    std::multimap<std::string, std::string> m;
    const json j = json::parse(out);
    for (const auto& f : j.value("findings", json::array())) {
        m.emplace(f["code"].get<std::string>(), f["message"].get<std::string>());
    }
    return m;
}

std::string message_of(const std::multimap<std::string, std::string>& findings,
                       const std::string& code) {
    const auto it = findings.find(code);
    INFO("findings: " << [&] {
        std::string s;
        for (const auto& [c, m] : findings) {
            s += c + ": " + m + "\n";
        }
        return s;
    }());
    REQUIRE(it != findings.end());
    return it->second;
}

// An RFC 3339 time `days` from now.
std::string days_from_now(int days) {
    const auto t = std::chrono::system_clock::now() + std::chrono::hours{24 * days};
    const std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    std::array<char, 32> buf{};
    REQUIRE(std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &tm) > 0);
    return buf.data();
}

class Advice : public CliFixture {
public:
    Advice() {
        make_ca();
        mail_with_csr();
    }

    // The CSR signed by the root itself (no intermediate): a private CA's leaf.
    void sign_with_root(const std::string& out) const {
        write_file(dir / "root-leaf.ext", "basicConstraints=critical,CA:FALSE\n");
        openssl({"x509",
                 "-req",
                 "-in",
                 path("mail.csr"),
                 "-CA",
                 path("root.pem"),
                 "-CAkey",
                 path("root.key"),
                 "-CAcreateserial",
                 "-days",
                 "30",
                 "-copy_extensions",
                 "copy",
                 "-extfile",
                 path("root-leaf.ext"),
                 "-out",
                 out});
    }
};

}  // namespace

TEST_CASE_METHOD(Advice,
                 "advice: import-signed without the intermediate says --intermediate",
                 "[cli][advice]") {
    sign_csr(path("mail.csr"), path("signed.pem"));
    const auto f = findings_of(ok({"import-signed",
                                   "mail",
                                   "--cert",
                                   path("signed.pem"),
                                   "--trust",
                                   path("root.pem"),
                                   "--json"}));
    CHECK_THAT(message_of(f, "missing-intermediate"),
               Catch::Contains("add it with --intermediate FILE"));
    const auto fixed = findings_of(import_with_chain("mail", path("signed.pem"), {"--json"}));
    CHECK(fixed.count("missing-intermediate") == 0);
    CHECK(fixed.count("untrusted-root") == 0);
}

TEST_CASE_METHOD(Advice,
                 "advice: a private root is trusted with --trust, not added as an intermediate",
                 "[cli][advice]") {
    sign_with_root(path("signed.pem"));
    const auto f =
        findings_of(ok({"import-signed", "mail", "--cert", path("signed.pem"), "--json"}));
    CHECK_THAT(message_of(f, "missing-intermediate"),
               Catch::Contains("if it is your private root, add it with certtool ca import "
                               "ROOT.pem, or check against it with --trust ROOT.pem"));
    const auto fixed = findings_of(ok({"import-signed",
                                       "mail",
                                       "--cert",
                                       path("signed.pem"),
                                       "--trust",
                                       path("root.pem"),
                                       "--json"}));
    CHECK(fixed.count("missing-intermediate") == 0);
    CHECK(fixed.count("untrusted-root") == 0);
}

TEST_CASE_METHOD(Advice,
                 "advice: verify NAME with an incomplete chain names import-signed NAME "
                 "--intermediate, which completes it",
                 "[cli][advice]") {
    sign_csr(path("mail.csr"), path("signed.pem"));
    ok({"import-signed", "mail", "--cert", path("signed.pem"), "--trust", path("root.pem")});
    const RunResult r = ct({"verify", "mail", "--trust", path("root.pem"), "--json"});
    CHECK(r.exit_code == 1);
    const std::string advice = "certtool import-signed mail --intermediate FILE";
    CHECK_THAT(message_of(findings_of(r.out), "missing-intermediate"), Catch::Contains(advice));
    // As advised: no --cert, the stored certificate keeps its place.
    ok({"import-signed", "mail", "--intermediate", path("inter.pem"), "--trust", path("root.pem")});
    const RunResult after = ct({"verify", "mail", "--trust", path("root.pem"), "--json"});
    INFO(after.out);
    CHECK(after.exit_code == 0);
}

TEST_CASE_METHOD(Advice,
                 "advice: verify --cert with an incomplete chain says --chain",
                 "[cli][advice]") {
    sign_csr(path("mail.csr"), path("signed.pem"));
    const RunResult r =
        ct({"verify", "--cert", path("signed.pem"), "--trust", path("root.pem"), "--json"});
    CHECK(r.exit_code == 1);
    const std::string message = message_of(findings_of(r.out), "missing-intermediate");
    CHECK_THAT(message, Catch::Contains("pass it with --chain FILE"));
    CHECK_THAT(message, !Catch::Contains("import-signed"));
    CHECK(ct({"verify",
              "--cert",
              path("signed.pem"),
              "--chain",
              path("inter.pem"),
              "--trust",
              path("root.pem")})
              .exit_code == 0);
}

TEST_CASE_METHOD(Advice, "advice: fix-chain says --bundle, an option it takes", "[cli][advice]") {
    sign_csr(path("mail.csr"), path("signed.pem"));
    const RunResult r =
        ct({"fix-chain", "--cert", path("signed.pem"), "--trust", path("root.pem"), "--json"});
    const std::string message = message_of(findings_of(r.out), "missing-intermediate");
    CHECK_THAT(message, Catch::Contains("add it with --bundle FILE"));
    CHECK_THAT(message, !Catch::Contains("--intermediate"));
    const RunResult fixed = ct({"fix-chain",
                                "--cert",
                                path("signed.pem"),
                                "--bundle",
                                path("inter.pem"),
                                "--trust",
                                path("root.pem"),
                                "--json"});
    INFO(fixed.out << fixed.err);
    CHECK(fixed.exit_code == 0);
    CHECK(findings_of(fixed.out).count("missing-intermediate") == 0);
    CHECK(json::parse(fixed.out)["complete"] == true);
}

TEST_CASE_METHOD(Advice,
                 "advice: a root given as a chain certificate is trusted with --trust",
                 "[cli][advice]") {
    sign_csr(path("mail.csr"), path("signed.pem"));
    const RunResult r = ct({"verify",
                            "--cert",
                            path("signed.pem"),
                            "--chain",
                            path("inter.pem"),
                            "--chain",
                            path("root.pem"),
                            "--json"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(message_of(findings_of(r.out), "untrusted-root"),
               Catch::Contains("verify against it with --trust ROOT.pem"));
    CHECK(ct({"verify",
              "--cert",
              path("signed.pem"),
              "--chain",
              path("inter.pem"),
              "--trust",
              path("root.pem")})
              .exit_code == 0);
}

TEST_CASE_METHOD(Advice,
                 "advice: an expired self-signed entry says certtool renew NAME, which works",
                 "[cli][advice]") {
    ok({"create-selfsigned", "short", "--cn", "short.example.com", "--days", "1", "--force"});
    const std::string later = days_from_now(3);
    const RunResult r = ct({"verify", "short", "--at", later, "--json"});
    CHECK(r.exit_code == 1);
    const auto f = findings_of(r.out);
    CHECK_THAT(message_of(f, "expired"), Catch::Contains("renew it: certtool renew short"));
    CHECK_THAT(message_of(f, "self-signed-leaf"),
               Catch::Contains("certtool export-csr short -o short.csr"));
    ok({"renew", "short", "--days", "30"});
    CHECK(findings_of(ct({"verify", "short", "--at", later, "--json"}).out).count("expired") == 0);
    ok({"export-csr", "short", "-o", path("short.csr")});
}

TEST_CASE_METHOD(Advice,
                 "advice: an expired CA-signed entry says export-csr and import-signed, never "
                 "renew",
                 "[cli][advice]") {
    sign_csr(path("mail.csr"), path("signed.pem"), "1");
    import_with_chain("mail", path("signed.pem"));
    const std::string later = days_from_now(3);
    const RunResult r =
        ct({"verify", "mail", "--trust", path("root.pem"), "--at", later, "--json"});
    const std::string message = message_of(findings_of(r.out), "expired");
    CHECK_THAT(message,
               Catch::Contains("certtool export-csr mail -o mail.csr, then certtool "
                               "import-signed mail --cert SIGNED.pem"));
    CHECK_THAT(message, !Catch::Contains("certtool renew"));
    // As advised.
    ok({"export-csr", "mail", "-o", path("mail.csr"), "--force"});
    sign_csr(path("mail.csr"), path("renewed.pem"), "30");
    ok({"import-signed", "mail", "--cert", path("renewed.pem"), "--trust", path("root.pem")});
    CHECK(ct({"verify", "mail", "--trust", path("root.pem"), "--at", later}).exit_code == 0);
}

TEST_CASE_METHOD(Advice,
                 "import-pkcs12 reports an expired certificate as import-signed does",
                 "[cli][advice]") {
    sign_csr(path("mail.csr"), path("signed.pem"), "1");
    ok({"export", "mail", "--key-out", path("mail.key")});
    // Expired yesterday (-days -1).
    openssl({"x509",
             "-req",
             "-in",
             path("mail.csr"),
             "-CA",
             path("inter.pem"),
             "-CAkey",
             path("inter.key"),
             "-CAcreateserial",
             "-days",
             "-1",
             "-out",
             path("expired.pem")});
    write_file(dir / "pw", "p12-password\n");
    openssl({"pkcs12",
             "-export",
             "-inkey",
             path("mail.key"),
             "-in",
             path("expired.pem"),
             "-certfile",
             path("inter.pem"),
             "-passout",
             "file:" + path("pw"),
             "-out",
             path("expired.p12")});
    const auto via_p12 = findings_of(ok({"import-pkcs12",
                                         "p12",
                                         path("expired.p12"),
                                         "--password-file",
                                         path("pw"),
                                         "--trust",
                                         path("root.pem"),
                                         "--json"}));
    CHECK_THAT(message_of(via_p12, "expired"),
               Catch::Contains("certtool export-csr p12 -o p12.csr"));
    const auto via_signed = findings_of(import_with_chain("mail", path("expired.pem"), {"--json"}));
    std::vector<std::string> a;
    std::vector<std::string> b;
    for (const auto& [code, m] : via_p12) {
        a.push_back(code);
    }
    for (const auto& [code, m] : via_signed) {
        b.push_back(code);
    }
    CHECK(a == b);
}

TEST_CASE_METHOD(Advice,
                 "import-signed warns name-mismatch with requested and certified names",
                 "[cli][advice]") {
    ok({"create-selfsigned",
        "multi",
        "--cn",
        "mail.example.com",
        "--san",
        "smtp.example.com",
        "--key-type",
        "ec-p256"});
    ok({"export", "multi", "--key-out", path("multi.key")});
    openssl({"req",
             "-new",
             "-key",
             path("multi.key"),
             "-subj",
             "/CN=other.example.net",
             "-addext",
             "subjectAltName=DNS:other.example.net",
             "-out",
             path("other.csr")});
    sign_csr(path("other.csr"), path("other.pem"));
    const auto f = findings_of(import_with_chain("multi", path("other.pem"), {"--json"}));
    const std::string message = message_of(f, "name-mismatch");
    CHECK_THAT(message,
               Catch::Contains("does not cover any of the names") &&
                   Catch::Contains("requested: DNS:mail.example.com, DNS:smtp.example.com") &&
                   Catch::Contains("certified: DNS:other.example.net"));
}

}  // namespace certtool::test
