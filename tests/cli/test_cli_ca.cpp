// issue #15: the appliance's trust lists (certconfig -> CERTAUTHORITY) through the real binary:
// ca import and its checks (all-or-nothing), list, show, delete, export with trust settings kept,
// enable/disable, the system list (SSL_CERT_FILE pointed at a generated bundle), and the
// effective list that verify uses without --trust.
#include "cli_fixture.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace certtool::test {

namespace {

using nlohmann::json;

class CaFixture : public CliFixture {
public:
    std::string system_bundle = path("system.pem");  // SSL_CERT_FILE of every command here

    CaFixture() {
        make_ca();  // root.pem, inter.pem (CLI Test Root, CLI Test Issuing CA)
        // The "system list": one public root and the leaf it signed.
        self_signed("ec",
                    "public.key",
                    "public.pem",
                    "/CN=Public Root",
                    {"-addext", "basicConstraints=critical,CA:TRUE"});
        write_file(dir / "system.pem", read_file(dir / "public.pem"));
        leaf("inter", "leaf.pem", "mail.example.com");
        leaf("public", "public-leaf.pem", "www.example.org");
    }

    RunOptions env() const { return {.env = {{"SSL_CERT_FILE", system_bundle}}}; }

    RunResult ca(std::vector<std::string> args) const { return ct(args, env()); }

    std::string ca_ok(const std::vector<std::string>& args) const { return ok(args, env()); }

    json ca_json(std::vector<std::string> args) const {
        args.emplace_back("--json");
        return json::parse(ca_ok(args));
    }

    // A leaf for `host` signed by ISSUER.pem/ISSUER.key.
    void leaf(const std::string& issuer, const std::string& out, const std::string& host) const {
        openssl({"req",
                 "-newkey",
                 "ec",
                 "-pkeyopt",
                 "ec_paramgen_curve:P-256",
                 "-nodes",
                 "-keyout",
                 path(out + ".key"),
                 "-out",
                 path(out + ".csr"),
                 "-subj",
                 "/CN=" + host});
        write_file(dir / (out + ".ext"),
                   "basicConstraints=critical,CA:FALSE\nsubjectAltName=DNS:" + host +
                       "\nextendedKeyUsage=serverAuth\n");
        openssl({"x509",
                 "-req",
                 "-in",
                 path(out + ".csr"),
                 "-CA",
                 path(issuer + ".pem"),
                 "-CAkey",
                 path(issuer + ".key"),
                 "-CAcreateserial",
                 "-days",
                 "300",
                 "-extfile",
                 path(out + ".ext"),
                 "-out",
                 path(out)});
    }

    // A CA certificate valid from 2020 to 2021, made with `openssl ca` (req cannot backdate).
    void expired_ca(const std::string& out) const {
        write_file(dir / "index.txt", "");
        write_file(dir / "serial", "01\n");
        write_file(dir / "ca.cnf",
                   "[ca]\ndefault_ca = d\n[d]\ndatabase = " + path("index.txt") +
                       "\nnew_certs_dir = " + dir.path().string() + "\nserial = " + path("serial") +
                       "\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n[v3]\n"
                       "basicConstraints = critical,CA:TRUE\n");
        openssl({"req",
                 "-newkey",
                 "ec",
                 "-pkeyopt",
                 "ec_paramgen_curve:P-256",
                 "-nodes",
                 "-keyout",
                 path("old.key"),
                 "-out",
                 path("old.csr"),
                 "-subj",
                 "/CN=Old Root"});
        openssl({"ca",
                 "-batch",
                 "-config",
                 path("ca.cnf"),
                 "-selfsign",
                 "-keyfile",
                 path("old.key"),
                 "-in",
                 path("old.csr"),
                 "-startdate",
                 "20200101000000Z",
                 "-enddate",
                 "20210101000000Z",
                 "-extensions",
                 "v3",
                 "-notext",
                 "-out",
                 path(out)});
    }

    // The verdict of `verify --cert FILE` without --trust: 0 valid, 1 invalid.
    int verify(const std::string& file, const std::vector<std::string>& chain = {}) const {
        std::vector<std::string> args{"verify", "--cert", path(file)};
        for (const auto& c : chain) {
            args.insert(args.end(), {"--chain", path(c)});
        }
        const RunResult r = ca(args);
        INFO(r.out << r.err);
        CHECK((r.exit_code == 0 || r.exit_code == 1));
        return r.exit_code;
    }
};

void check_refused(const RunResult& r, int code, const std::string& finding) {
    INFO(r.err);
    CHECK(r.exit_code == code);
    CHECK_THAT(r.err, Catch::StartsWith("certtool: error: " + finding + ": "));
    CHECK_THAT(r.err, Catch::Contains("nothing imported"));
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

}  // namespace

TEST_CASE_METHOD(CaFixture, "ca lists: import checks, all or nothing, in any order", "[cli][ca]") {
    const auto ca_dir = std::filesystem::path{store} / "ca";
    SECTION("an intermediate without its root is refused and changes nothing") {
        check_refused(ca({"ca", "import", path("inter.pem")}), 2, "ca-without-root");
        CHECK_THAT(ca({"ca", "import", path("inter.pem")}).err,
                   Catch::Contains("import its root first"));
        CHECK_FALSE(std::filesystem::exists(ca_dir));
        ca_ok({"ca", "import", path("root.pem")});
        const auto before = snapshot(ca_dir);
        check_refused(ca({"ca", "import", path("public-leaf.pem")}), 2, "not-a-ca");
        CHECK(snapshot(ca_dir) == before);
        // Then the intermediate alone is accepted: its root is in the custom list.
        const json j = ca_json({"ca", "import", path("inter.pem")});
        CHECK(j["imported"][0]["name"] == "CLI-Test-Issuing-CA");
    }
    SECTION("intermediate and root in one file, either order") {
        for (const auto& order : {std::vector<std::string>{"inter.pem", "root.pem"},
                                  std::vector<std::string>{"root.pem", "inter.pem"}}) {
            write_file(dir / "both.pem", read_file(dir / order[0]) + read_file(dir / order[1]));
            const json j = ca_json({"ca", "import", path("both.pem")});
            CHECK(j["imported"].size() == 2);
            const json l = ca_json({"ca", "list"});
            REQUIRE(l["custom"].size() == 2);
            CHECK(l["custom"][0]["name"] == "CLI-Test-Issuing-CA");
            CHECK(l["custom"][1]["name"] == "CLI-Test-Root");
            ca_ok({"ca", "delete", "CLI-Test-Root"});
            ca_ok({"ca", "delete", "CLI-Test-Issuing-CA"});
        }
    }
    SECTION("one refused certificate refuses the whole file") {
        write_file(dir / "mixed.pem", read_file(dir / "root.pem") + read_file(dir / "leaf.pem"));
        check_refused(ca({"ca", "import", path("mixed.pem")}), 2, "not-a-ca");
        CHECK(ca_json({"ca", "list"})["custom"].empty());
    }
    SECTION("expired, duplicate, a name taken, a file that is not a certificate") {
        expired_ca("old.pem");
        check_refused(ca({"ca", "import", path("old.pem")}), 2, "ca-expired");
        ca_ok({"ca", "import", path("root.pem"), "--name", "corp"});
        const auto before = snapshot(ca_dir);
        check_refused(ca({"ca", "import", path("root.pem")}), 8, "ca-duplicate");
        const RunResult j = ca({"ca", "import", path("root.pem"), "--json"});
        CHECK(j.exit_code == 8);
        CHECK_THAT(json::parse(j.out)["error"]["message"].get<std::string>(),
                   Catch::StartsWith("ca-duplicate: "));
        CHECK(ca({"ca", "import", path("public.pem"), "--name", "corp"}).exit_code == 8);
        CHECK(ca({"ca", "import", path("public.pem"), "--name", ".bad"}).exit_code == 2);
        write_file(dir / "garbage.pem", "not a certificate\n");
        CHECK(ca({"ca", "import", path("garbage.pem")}).exit_code == 4);
        CHECK(snapshot(ca_dir) == before);
    }
    SECTION("a CA already in the system list is imported with a warning") {
        const RunResult r = ca({"ca", "import", path("public.pem")});
        CHECK(r.exit_code == 0);
        CHECK_THAT(r.err, Catch::Contains("warning: ca-in-system-list: "));
        const json j = ca_json({"ca", "import", path("root.pem")});
        CHECK(j["findings"].empty());
    }
}

TEST_CASE_METHOD(CaFixture, "ca lists: list, show, delete, enable, disable", "[cli][ca]") {
    ca_ok({"ca", "import", path("root.pem")});
    const json l = ca_json({"ca", "list"});
    CHECK(l["system"]["enabled"] == true);
    REQUIRE(l["custom"].size() == 1);
    const json& c = l["custom"][0];
    CHECK(c["name"] == "CLI-Test-Root");
    CHECK(c["subject"] == "CN=CLI Test Root");
    CHECK(c["enabled"] == true);
    CHECK(c["days_left"].get<long>() > 3600);
    CHECK(c["expiry_alert"].is_null());
    CHECK(c["trust"] == "");
    const std::string sha256 = c["sha256"];
    CHECK(sha256.size() == 95);
    const std::string text = ca_ok({"ca", "list"});
    CHECK_THAT(text, Catch::Contains("CLI-Test-Root (enabled)") && Catch::Contains(sha256));
    CHECK_THAT(ca_ok({"ca", "show", "CLI-Test-Root"}), Catch::Contains("CN=CLI Test Root"));
    CHECK(ca_json({"ca", "show", sha256})["name"] == "CLI-Test-Root");

    ca_ok({"ca", "disable", "CLI-Test-Root"});
    CHECK(ca_json({"ca", "list"})["custom"][0]["enabled"] == false);
    ca_ok({"ca", "enable", "CLI-Test-Root"});
    CHECK(ca_json({"ca", "list"})["custom"][0]["enabled"] == true);
    CHECK(ca({"ca", "enable", "nope"}).exit_code == 7);

    SECTION("delete by name") {
        CHECK(ca_json({"ca", "delete", "CLI-Test-Root"})["deleted"] == true);
    }
    SECTION("delete by SHA-256, in lower case without colons") {
        std::string hex;
        for (const char ch : sha256) {
            if (ch != ':') {
                hex += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            }
        }
        ca_ok({"ca", "delete", hex});
    }
    CHECK(ca_json({"ca", "list"})["custom"].empty());
    CHECK(std::filesystem::is_empty(std::filesystem::path{store} / "ca" / "custom"));
    CHECK(ca({"ca", "delete", "CLI-Test-Root"}).exit_code == 7);
}

TEST_CASE_METHOD(CaFixture, "ca lists: export keeps trust settings and re-imports", "[cli][ca]") {
    openssl({"x509",
             "-in",
             path("root.pem"),
             "-addreject",
             "serverAuth",
             "-setalias",
             "Corp",
             "-out",
             path("rejected.pem")});
    REQUIRE_THAT(read_file(dir / "rejected.pem"), Catch::Contains("BEGIN TRUSTED CERTIFICATE"));
    ca_ok({"ca", "import", path("rejected.pem"), "--name", "corp"});
    ca_ok({"ca", "import", path("public.pem"), "--name", "public"});
    const json l = ca_json({"ca", "list"});
    CHECK(l["custom"][0]["trust"] == "rejected for serverAuth");
    CHECK(l["custom"][0]["trust_settings"]["rejected"] == json::array({"serverAuth"}));
    CHECK_THAT(ca_ok({"ca", "list"}), Catch::Contains("trust:     rejected for serverAuth"));

    ca_ok({"ca", "export", "-o", path("all.pem")});
    ca_ok({"ca", "export", "-o", path("one.pem"), "corp"});
    CHECK(ca({"ca", "export", "-o", path("one.pem"), "corp"}).exit_code == 8);
    ca_ok({"ca", "export", "-o", path("one.pem"), "corp", "--force"});
    CHECK(ca({"ca", "export", "-o", path("x.pem"), "nope"}).exit_code == 7);
    const std::string one = read_file(dir / "one.pem");
    CHECK_THAT(one, Catch::Contains("BEGIN TRUSTED CERTIFICATE"));
    const std::string shown = openssl({"x509", "-in", path("one.pem"), "-noout", "-text"});
    CHECK_THAT(shown, Catch::Contains("Rejected Uses:") && Catch::Contains("TLS Web Server"));

    const std::string other = path("other");
    REQUIRE(run_certtool({"ca", "import", path("all.pem"), "--store", other, "--json"}, env())
                .exit_code == 0);
    const RunResult r = run_certtool({"ca", "list", "--json", "--store", other}, env());
    const json o = json::parse(r.out);
    REQUIRE(o["custom"].size() == 2);
    CHECK(o["custom"][0]["trust"] == "rejected for serverAuth");
}

TEST_CASE_METHOD(CaFixture, "ca lists: the effective list is what verify trusts", "[cli][ca]") {
    SECTION("a private root imported, then disabled") {
        CHECK(verify("leaf.pem", {"inter.pem"}) == 1);
        ca_ok({"ca", "import", path("root.pem")});
        CHECK(verify("leaf.pem", {"inter.pem"}) == 0);
        const std::string out =
            ca_ok({"verify", "--cert", path("leaf.pem"), "--chain", path("inter.pem")});
        CHECK_THAT(out, Catch::Contains("trust: the store's CA lists (custom: 1, system: 1)"));
        ca_ok({"ca", "disable", "CLI-Test-Root"});
        CHECK(verify("leaf.pem", {"inter.pem"}) == 1);
        // --trust replaces the lists.
        CHECK(ca({"verify",
                  "--cert",
                  path("leaf.pem"),
                  "--chain",
                  path("inter.pem"),
                  "--trust",
                  path("root.pem")})
                  .exit_code == 0);
    }
    SECTION("disable the system list and see a public chain become untrusted") {
        CHECK(verify("public-leaf.pem") == 0);  // no store yet: the system list
        CHECK_FALSE(std::filesystem::exists(store));
        const json s = ca_json({"ca", "system", "list"});
        CHECK(s["enabled"] == true);
        REQUIRE(s["certificates"].size() == 1);
        CHECK(s["certificates"][0]["subject"] == "CN=Public Root");
        ca_ok({"ca", "system", "disable"});
        CHECK(verify("public-leaf.pem") == 1);
        CHECK(ca_json({"ca", "list"})["system"]["enabled"] == false);
        CHECK_THAT(ca_ok({"ca", "system", "list"}), Catch::StartsWith("system CA list: disabled"));
        ca_ok({"ca", "system", "export", "-o", path("sys.pem")});
        CHECK(read_file(dir / "sys.pem").find(read_file(dir / "public.pem").substr(0, 64)) !=
              std::string::npos);
        CHECK(ca({"ca", "system", "export"}).exit_code == 2);  // no -o
        ca_ok({"ca", "system", "enable"});
        CHECK(verify("public-leaf.pem") == 0);
    }
}

TEST_CASE_METHOD(CaFixture, "ca lists: the expiry alert schedule", "[cli][ca]") {
    self_signed("ec",
                "soon.key",
                "soon.pem",
                "/CN=Soon Root",
                {"-days", "10", "-addext", "basicConstraints=critical,CA:TRUE"});
    ca_ok({"ca", "import", path("soon.pem")});
    const RunResult r = ca({"ca", "list"});
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.err, Catch::Contains("warning: CA 'Soon-Root' expires in "));
    const json j = ca_json({"ca", "list"});
    CHECK(j["custom"][0]["expiry_alert"] == 15);
    CHECK_THAT(j["warnings"][0].get<std::string>(), Catch::Contains("expires in"));
}

}  // namespace certtool::test
