// backup and restore through the real binary: a round trip into an empty store (entries, keys,
// configuration, history, staged changes), the keys as openssl reads them, masked backups, every
// kind of damage and tampering, wrong passwords, restoring over a store, file modes, and no
// secret in any output.
#include "cli_fixture.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <set>

namespace certtool::test {

namespace {

using nlohmann::json;

constexpr const char* k_password = "correct horse battery staple";

unsigned mode_of(const std::string& p) {
    struct stat st {};

    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 07777U;
}

class BackupFixture : public CliFixture {
public:
    std::string other = (dir / "other").string();  // a second store

    BackupFixture() {
        write_file(dir / "pw", std::string{k_password} + "\n");
        write_file(dir / "bad-pw", "not the password\n");
    }

    // certtool with --store `at`.
    RunResult at(const std::string& at_store,
                 std::vector<std::string> args,
                 const RunOptions& options = {}) const {
        args.insert(args.end(), {"--store", at_store});
        return run_certtool(args, options);
    }

    std::string ok_at(const std::string& at_store, const std::vector<std::string>& args) const {
        const RunResult r = at(at_store, args);
        INFO("certtool stderr: " << r.err);
        REQUIRE(r.exit_code == 0);
        return r.out;
    }

    // No key material and no password in what a command printed.
    static void check_no_secret(const RunResult& r) {
        for (const std::string& s : {r.out, r.err}) {
            CHECK(s.find("PRIVATE KEY") == std::string::npos);
            CHECK(s.find(k_password) == std::string::npos);
        }
    }

    // A CA-signed entry with a chain, a self-signed RSA one, the demo certificate, two
    // committed revisions and a staged change.
    void populate() const {
        make_ca();
        mail_with_csr();
        sign_csr(path("mail.csr"), path("signed.pem"));
        import_with_chain("mail", path("signed.pem"));
        ok({"create-selfsigned", "relay", "--cn", "relay.example.com", "--org", "Example"});
        ok({"listener", "add", "IncomingMail", "--address", "127.0.0.1:2525"});
        ok({"listener", "set", "IncomingMail", "--certificate", "mail", "--tls", "required"});
        ok({"commit", "--comment", "first listener"});
        ok({"destination", "set", "example.com", "--tls", "required-verify"});
        ok({"listener",
            "set",
            "IncomingMail",
            "--certificate",
            "relay",
            "--level",
            "machine",
            "--machine",
            "mail2"});
        ok({"commit", "--comment", "second"});
        ok({"outbound", "set", "--certificate", "relay"});  // staged, not committed
    }

    RunResult backup(const std::vector<std::string>& extra = {}) const {
        std::vector<std::string> args{"backup", "-o", path("store.backup")};
        args.insert(args.end(), extra.begin(), extra.end());
        return ct(args);
    }

    RunResult restore(const std::string& into,
                      const std::string& file,
                      const std::string& password_file,
                      const std::vector<std::string>& extra = {}) const {
        std::vector<std::string> args{"restore", file, "--password-file", password_file};
        args.insert(args.end(), extra.begin(), extra.end());
        return at(into, args);
    }

    // The configuration as config show --json has it, without the revision number.
    json configuration(const std::string& at_store) const {
        json j = json::parse(ok_at(at_store, {"config", "show", "--json"}));
        j.erase("revision");
        return j;
    }

    // The public key of entry `name` in `at_store`, as openssl prints it.
    std::string public_key(const std::string& at_store, const std::string& name) const {
        const std::string key = (dir / (name + "-" + std::to_string(m_keys++) + ".key")).string();
        ok_at(at_store, {"export", name, "--key-out", key});
        return openssl({"pkey", "-in", key, "-pubout"});
    }

private:
    mutable int m_keys{0};
};

}  // namespace

TEST_CASE_METHOD(BackupFixture,
                 "backup: restore into an empty store gives the same certificates, keys, "
                 "metadata, configuration, history and staged changes",
                 "[cli][backup]") {
    populate();
    const RunResult b = backup({"--password-file", path("pw")});
    INFO(b.err);
    REQUIRE(b.exit_code == 0);
    check_no_secret(b);
    CHECK(mode_of(path("store.backup")) == 0600U);
    CHECK_THAT(b.out, Catch::Contains("3 entries (demo, mail, relay)"));

    const RunResult r = restore(other, path("store.backup"), path("pw"));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    check_no_secret(r);
    CHECK_THAT(r.out, Catch::Contains("configuration recorded as revision 3"));
    CHECK_THAT(r.out, Catch::Contains("next: certtool changes"));
    CHECK_THAT(r.err, Catch::Contains("machine-level settings for mail2"));

    for (const std::string name : {"demo", "mail", "relay"}) {
        INFO(name);
        // show --json: origin, times, request, demonstration flag, certificate and chain.
        CHECK(json::parse(ok({"show", name, "--json"})) ==
              json::parse(ok_at(other, {"show", name, "--json"})));
        for (const std::string out : {"--cert-out", "--chain-out"}) {
            CHECK(ok({"export", name, out, "-"}) == ok_at(other, {"export", name, out, "-"}));
        }
        CHECK(public_key(store, name) == public_key(other, name));
    }
    CHECK(json::parse(ok_at(other, {"show", "mail", "--json"}))["chain"].size() == 1);
    CHECK(json::parse(ok_at(other, {"show", "demo", "--json"}))["demonstration"] == true);

    CHECK(configuration(store) == configuration(other));
    for (const std::string machine : {"mail2", "vm-other"}) {
        const auto effective = [&](const std::string& at_store) {
            json j = json::parse(
                ok_at(at_store, {"config", "show", "--effective", "--machine", machine, "--json"}));
            j.erase("revision");
            return j;
        };
        CHECK(effective(store) == effective(other));
    }
    CHECK(ok({"changes", "--json"}).find("outbound/certificate") != std::string::npos);
    CHECK(json::parse(ok({"changes", "--json"}))["changes"] ==
          json::parse(ok_at(other, {"changes", "--json"}))["changes"]);

    // History: the backup's revisions with their numbers, times and comments, then the restore.
    const json before = json::parse(ok({"history", "--json"}))["revisions"];
    const json after = json::parse(ok_at(other, {"history", "--json"}))["revisions"];
    REQUIRE(after.size() == before.size() + 1);
    for (std::size_t i = 0; i < before.size(); ++i) {
        CHECK(after[i]["revision"] == before[i]["revision"]);
        CHECK(after[i]["time"] == before[i]["time"]);
        CHECK(after[i]["comment"] == before[i]["comment"]);
    }
    CHECK_THAT(after.back()["comment"].get<std::string>(),
               Catch::Contains("restored from backup " + path("store.backup")));
    // Each revision's document too: rolling back to revision 1 in both gives the same.
    ok({"abandon"});
    ok_at(other, {"abandon"});
    ok({"rollback", "1"});
    ok_at(other, {"rollback", "1"});
    CHECK(configuration(store) == configuration(other));
}

TEST_CASE_METHOD(BackupFixture,
                 "backup: each key is an encrypted PKCS#8 block openssl pkey opens with the "
                 "password (PBES2, AES-256-CBC, PBKDF2-HMAC-SHA256)",
                 "[cli][backup]") {
    ok({"create-selfsigned", "mail", "--cn", "mail.example.com", "--key-type", "ec-p256"});
    ok({"create-selfsigned", "relay", "--cn", "relay.example.com", "--key-type", "ed25519"});
    CHECK(backup({"--password-env", "BACKUP_PW"}).exit_code == 3);  // unset: nothing written
    CHECK_FALSE(std::filesystem::exists(dir / "store.backup"));
    REQUIRE(ct({"backup", "-o", path("store.backup"), "--password-env", "BACKUP_PW"},
               {{{"BACKUP_PW", k_password}}})
                .exit_code == 0);
    const json j = json::parse(read_file(dir / "store.backup"));
    REQUIRE(j["entries"].size() == 2);
    for (const auto& e : j["entries"]) {
        const std::string name = e["name"].get<std::string>();
        INFO(name);
        const std::string key = e["key"].get<std::string>();
        CHECK(key.rfind("-----BEGIN ENCRYPTED PRIVATE KEY-----\n", 0) == 0);
        write_file(dir / "extracted.pem", key);
        const std::string asn1 = openssl({"asn1parse", "-in", path("extracted.pem")});
        CHECK_THAT(asn1,
                   Catch::Contains(":PBES2") && Catch::Contains(":PBKDF2") &&
                       Catch::Contains(":hmacWithSHA256") && Catch::Contains(":aes-256-cbc") &&
                       Catch::Contains(":0927C0"));
        const std::string opened = openssl(
            {"pkey", "-in", path("extracted.pem"), "-passin", "file:" + path("pw"), "-pubout"});
        CHECK(opened == public_key(store, name));
        const RunResult wrong = run({"openssl",
                                     "pkey",
                                     "-in",
                                     path("extracted.pem"),
                                     "-passin",
                                     "file:" + path("bad-pw"),
                                     "-noout"});
        CHECK(wrong.exit_code != 0);
    }
    CHECK(j["protection"]["kdf"] == "pbkdf2-hmac-sha256");
    CHECK(j["protection"]["iterations"] == 600000);
}

TEST_CASE_METHOD(BackupFixture,
                 "backup: a masked backup holds no key, needs no password and restore refuses it",
                 "[cli][backup]") {
    ok({"create-selfsigned", "mail", "--cn", "mail.example.com", "--key-type", "ec-p256"});
    ok({"listener", "add", "IncomingMail", "--address", "127.0.0.1:2525"});
    const RunResult b = backup({"--mask"});
    INFO(b.err);
    REQUIRE(b.exit_code == 0);
    CHECK(mode_of(path("store.backup")) == 0600U);
    CHECK_THAT(b.err, Catch::Contains("cannot be restored"));
    const std::string text = read_file(dir / "store.backup");
    CHECK(text.find("PRIVATE KEY") == std::string::npos);
    const json j = json::parse(text);
    CHECK(j["masked"] == true);
    CHECK_FALSE(j.contains("protection"));
    CHECK_FALSE(j.contains("hmac-sha256"));
    for (const auto& e : j["entries"]) {
        CHECK_FALSE(e.contains("key"));
        CHECK(e.contains("certificate"));
    }
    CHECK(j["configuration"]["staged"]["cluster"]["listener/IncomingMail/address"] ==
          "127.0.0.1:2525");

    const RunResult r = restore(other, path("store.backup"), path("pw"));
    CHECK(r.exit_code == 4);
    CHECK(r.err ==
          "certtool: error: this backup was made with --mask: it has no private keys and cannot "
          "be restored; make one without --mask\n");
    CHECK_FALSE(std::filesystem::exists(other));
    // --mask takes no password.
    CHECK(backup({"--mask", "--force", "--password-file", path("pw")}).exit_code == 2);
}

TEST_CASE_METHOD(BackupFixture,
                 "backup: a flipped byte anywhere in the file, or content changed with a new "
                 "checksum, is refused with exit 4 and nothing written",
                 "[cli][backup][sweep]") {
    ok({"create-selfsigned", "mail", "--cn", "mail.example.com", "--key-type", "ec-p256"});
    ok({"listener", "add", "IncomingMail", "--address", "127.0.0.1:2525"});
    ok({"commit", "--comment", "one"});
    REQUIRE(backup({"--password-file", path("pw")}).exit_code == 0);
    const std::string good = read_file(dir / "store.backup");

    // Every 97th byte, and each byte of the members that protect the file.
    std::set<std::size_t> positions;
    for (std::size_t i = 0; i < good.size(); i += 97) {
        positions.insert(i);
    }
    positions.insert(good.size() - 2);  // the closing brace
    for (const std::string member : {"\"certtool-backup\": 1",
                                     "\"salt\": \"",
                                     "\"password-check\": \"",
                                     "\"hmac-sha256\": \"",
                                     "\"sha256\": \"",
                                     "\"iterations\": ",
                                     "\"masked\": ",
                                     "ENCRYPTED PRIVATE KEY-----\\n",
                                     "\"comment\": \""}) {
        const auto at_member = good.find(member);
        REQUIRE(at_member != std::string::npos);
        positions.insert(at_member + member.size() - 1);
        positions.insert(at_member + member.size());
        positions.insert(at_member + member.size() + 5);
    }
    for (const std::size_t i : positions) {
        for (const unsigned flip : {0x01U, 0x20U, 0x80U}) {
            std::string bad = good;
            bad[i] = static_cast<char>(static_cast<unsigned char>(bad[i]) ^ flip);
            write_file(dir / "bad.backup", bad);
            const RunResult r = restore(other, path("bad.backup"), path("pw"));
            INFO("byte " << i << " xor " << static_cast<unsigned>(flip) << ": " << r.err);
            CHECK(r.exit_code == 4);
            CHECK_FALSE(std::filesystem::exists(other));
        }
    }

    // Changed content with a checksum made again: the HMAC refuses it.
    json j = json::parse(good);
    j["configuration"]["history"][0]["comment"] = "changed";
    j.erase("sha256");
    write_file(dir / "content.txt", j.dump());
    const std::string digest = openssl({"dgst", "-sha256", "-r", path("content.txt")});
    j["sha256"] = digest.substr(0, 64);
    write_file(dir / "bad.backup", j.dump(2));
    const RunResult forged = restore(other, path("bad.backup"), path("pw"));
    CHECK(forged.exit_code == 4);
    CHECK_THAT(forged.err, Catch::Contains("was modified: its HMAC does not match"));
    CHECK_FALSE(std::filesystem::exists(other));

    // Re-indented (jq, an editor) the content is the same: still restorable.
    write_file(dir / "compact.backup", json::parse(good).dump());
    CHECK(restore(other, path("compact.backup"), path("pw")).exit_code == 0);

    // A newer format is named as such.
    json newer = json::parse(good);
    newer["certtool-backup"] = 2;
    write_file(dir / "newer.backup", newer.dump());
    const RunResult n = restore((dir / "third").string(), path("newer.backup"), path("pw"));
    CHECK(n.exit_code == 4);
    CHECK_THAT(n.err, Catch::Contains("written by a newer certtool (backup format 2"));
    // Not a backup at all.
    write_file(dir / "other.json", "{\"format\": 1}");
    CHECK(restore((dir / "third").string(), path("other.json"), path("pw")).exit_code == 4);
}

TEST_CASE_METHOD(BackupFixture,
                 "backup: a wrong password is refused with exit 5 and the store left as it was",
                 "[cli][backup]") {
    ok({"create-selfsigned", "mail", "--cn", "mail.example.com", "--key-type", "ec-p256"});
    REQUIRE(backup({"--password-file", path("pw")}).exit_code == 0);
    ok_at(other,
          {"create-selfsigned", "mine", "--cn", "mine.example.com", "--key-type", "ed25519"});
    ok_at(other, {"listener", "add", "IncomingMail", "--address", "127.0.0.1:2525"});
    const auto before = snapshot(other);
    const RunResult r = restore(other, path("store.backup"), path("bad-pw"), {"--force"});
    CHECK(r.exit_code == 5);
    CHECK(r.err == "certtool: error: wrong password for backup " + path("store.backup") + "\n");
    check_no_secret(r);
    CHECK(snapshot(other) == before);
    // No terminal and no password source: a usage error, not a hang.
    CHECK(at(other, {"restore", path("store.backup"), "--force"}).exit_code == 2);
    CHECK(snapshot(other) == before);
}

TEST_CASE_METHOD(BackupFixture,
                 "backup: restore over a store with entries needs --force, which replaces the "
                 "entries and records the configuration as a new revision",
                 "[cli][backup]") {
    populate();
    REQUIRE(backup({"--password-file", path("pw")}).exit_code == 0);
    ok_at(other,
          {"create-selfsigned", "mine", "--cn", "mine.example.com", "--key-type", "ed25519"});
    ok_at(other,
          {"create-selfsigned", "mail", "--cn", "other.example.com", "--key-type", "ed25519"});
    ok_at(other, {"listener", "add", "Other", "--address", "127.0.0.1:2526"});
    ok_at(other, {"commit", "--comment", "theirs"});
    ok_at(other, {"destination", "set", "example.org", "--tls", "none"});  // staged
    const auto before = snapshot(other);

    const RunResult refused = restore(other, path("store.backup"), path("pw"));
    CHECK(refused.exit_code == 8);
    CHECK_THAT(refused.err,
               Catch::Contains("3 entries (demo, mail, mine)") &&
                   Catch::Contains("configuration revision 1") &&
                   Catch::Contains("restore --force"));
    CHECK(snapshot(other) == before);

    const RunResult r = restore(other, path("store.backup"), path("pw"), {"--force", "--json"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const json j = json::parse(r.out);
    CHECK(j["removed"] == json::array({"mine"}));
    CHECK(j["revision"] == 2);
    CHECK(j["history_restored"] == 0);
    CHECK(j["staged"] == true);
    CHECK_THAT(j["notes"].dump(), Catch::Contains("this store keeps its own"));
    CHECK(json::parse(ok_at(other, {"list", "--json"})).dump().find("mine") == std::string::npos);
    CHECK(ok({"export", "mail", "--cert-out", "-"}) ==
          ok_at(other, {"export", "mail", "--cert-out", "-"}));
    CHECK(configuration(store) == configuration(other));
    // Its own history stays; the backup's configuration is revision 2, named after the file.
    const json history = json::parse(ok_at(other, {"history", "--json"}))["revisions"];
    REQUIRE(history.size() == 2);
    CHECK(history[0]["comment"] == "theirs");
    CHECK_THAT(history[1]["comment"].get<std::string>(), Catch::Contains("restored from backup"));
    // The store's own staged change is gone, the backup's is staged.
    const std::string changes = ok_at(other, {"changes", "--json"});
    CHECK(changes.find("example.org") == std::string::npos);
    CHECK(changes.find("outbound/certificate") != std::string::npos);
}

TEST_CASE_METHOD(BackupFixture,
                 "backup: the file is written 0600, never over an existing one without --force",
                 "[cli][backup]") {
    ok({"create-selfsigned", "mail", "--cn", "mail.example.com", "--key-type", "ec-p256"});
    write_file(dir / "store.backup", "mine\n");
    const RunResult exists = backup({"--password-file", path("pw")});
    CHECK(exists.exit_code == 8);
    CHECK(read_file(dir / "store.backup") == "mine\n");
    const RunResult forced = backup({"--password-file", path("pw"), "--force", "--json"});
    INFO(forced.err);
    REQUIRE(forced.exit_code == 0);
    check_no_secret(forced);
    CHECK(mode_of(path("store.backup")) == 0600U);
    const json j = json::parse(forced.out);
    CHECK(j["entries"] == json::array({"mail"}));
    CHECK(j["masked"] == false);
    CHECK(j["iterations"] == 600000);
    const std::string written = read_file(dir / "store.backup");
    // An empty password is refused.
    write_file(dir / "empty-pw", "\n");
    CHECK(backup({"--password-file", path("empty-pw"), "--force"}).exit_code == 2);
    // A directory that does not exist, a damaged entry, a backup file that does not exist.
    CHECK(ct({"backup", "-o", path("no-such-dir/b"), "--password-file", path("pw")}).exit_code ==
          3);
    write_file(dir / "store" / "entries" / "bad.json", "{ not json");
    const RunResult damaged = backup({"--password-file", path("pw"), "--force"});
    CHECK(damaged.exit_code == 4);
    CHECK_THAT(damaged.err, Catch::Contains("bad"));
    CHECK(read_file(dir / "store.backup") == written);  // the earlier backup is still there
    CHECK(restore(other, path("no-such.backup"), path("pw")).exit_code == 3);
    // A backup of an empty store restores into an empty store.
    const std::string empty = (dir / "empty").string();
    REQUIRE(at(empty, {"backup", "-o", path("empty.backup"), "--password-file", path("pw")})
                .exit_code == 0);
    const RunResult r = restore(other, path("empty.backup"), path("pw"));
    INFO(r.err);
    CHECK(r.exit_code == 0);
}

}  // namespace certtool::test

namespace certtool::test {

TEST_CASE_METHOD(
    BackupFixture,
    "backup: the CA lists (custom CAs with their trust settings and enabled flags, the "
    "system list switch) are restored, and a store holding only custom CAs is not "
    "empty",
    "[cli][backup][ca]") {
    make_ca();
    openssl({"x509",
             "-in",
             path("root.pem"),
             "-addreject",
             "serverAuth",
             "-out",
             path("rejected.pem")});
    ok({"ca", "import", path("rejected.pem"), "--name", "corp"});
    ok({"ca", "import", path("inter.pem"), "--name", "issuing"});
    ok({"ca", "disable", "issuing"});
    ok({"ca", "system", "disable"});
    ok({"create-selfsigned", "mail", "--cn", "mail.example.com", "--key-type", "ec-p256"});
    const RunResult b = backup({"--password-file", path("pw")});
    INFO(b.err);
    REQUIRE(b.exit_code == 0);
    CHECK_THAT(b.out, Catch::Contains("2 custom CAs (system list disabled)"));

    // Only a custom CA in the target store: restore without --force refuses it.
    ok_at(other, {"ca", "import", path("root.pem"), "--name", "local"});
    const RunResult refused = restore(other, path("store.backup"), path("pw"));
    CHECK(refused.exit_code == 8);
    CHECK_THAT(refused.err, Catch::Contains("1 custom CA"));

    const RunResult r = restore(other, path("store.backup"), path("pw"), {"--force"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("CA lists: custom corp, issuing, system list disabled"));
    const auto strip = [](json j) {
        for (auto& c : j["custom"]) {
            c.erase("days_left");
            c.erase("expiry_alert");
        }
        return j;
    };
    const json before = strip(json::parse(ok({"ca", "list", "--json"})));
    const json after = strip(json::parse(ok_at(other, {"ca", "list", "--json"})));
    CHECK(after == before);
    CHECK(after["system"]["enabled"] == false);
    REQUIRE(after["custom"].size() == 2);
    CHECK(after["custom"][0]["name"] == "corp");
    CHECK(after["custom"][0]["trust_settings"]["rejected"] == json::array({"serverAuth"}));
    CHECK(after["custom"][1]["enabled"] == false);
}

}  // namespace certtool::test
