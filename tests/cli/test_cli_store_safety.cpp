// Crash safety, concurrency, permissions and damage of the store, with real processes.
#include "cli_fixture.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <thread>

using namespace certtool::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

unsigned mode_of(const fs::path& p) {
    struct stat st {};

    REQUIRE(::lstat(p.c_str(), &st) == 0);
    return st.st_mode & 07777U;
}

std::vector<std::string> files_in(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) {
        out.push_back(e.path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

const std::vector<std::string> k_as_nobody{
    "setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"};

// Why the binary cannot be run as another user here, if it cannot.
std::optional<std::string> cannot_run_as_nobody(const fs::path& dir) {
    if (::geteuid() != 0) {
        return "the tests do not run as root, so they cannot switch to user nobody";
    }
    if (run({"sh", "-c", "command -v setpriv"}).exit_code != 0) {
        return "setpriv (util-linux) is not installed";
    }
    std::vector<std::string> probe = k_as_nobody;
    probe.insert(probe.end(), {"test", "-x", dir.string()});
    if (run(probe).exit_code != 0) {
        return "user nobody cannot reach " + dir.string();
    }
    probe = k_as_nobody;
    probe.insert(probe.end(), {certtool_path(), "--version"});
    if (run(probe).exit_code != 0) {
        return "user nobody cannot run " + certtool_path();
    }
    return std::nullopt;
}

// A one-line error naming `needle`, with the exit code, and nothing on stdout.
void check_error(const RunResult& r, int code, const std::string& needle) {
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    CHECK(r.exit_code == code);
    CHECK(r.out.empty());
    CHECK_THAT(r.err, Catch::StartsWith("certtool: error: ") && Catch::Contains(needle));
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

// Every entry file parses and its certificate matches its key (show succeeds), and list agrees.
void check_consistent(const CliFixture& f) {
    const json list = json::parse(f.ok({"list", "--json"}));
    for (const auto& e : list["entries"]) {
        const RunResult r = f.ct({"show", e["name"].get<std::string>(), "--json"});
        INFO(r.err);
        CHECK(r.exit_code == 0);
    }
}

}  // namespace

TEST_CASE_METHOD(CliFixture,
                 "crash at each step of a store change leaves old or new state",
                 "[cli][store][crash]") {
    ok({"create-selfsigned", "mail", "--cn", "mail.example.com", "--key-type", "ec-p256"});
    for (const std::string point : {"store:locked",
                                    "store:temp-created",
                                    "store:temp-half-written",
                                    "store:temp-written",
                                    "atomic:before-rename",
                                    "atomic:after-rename",
                                    "store:committed"}) {
        INFO(point);
        const std::string old_entry = snapshot(store).at("entries/mail.json");
        const RunResult r = ct({"renew", "mail", "--days", "99"}, {{{"CERTTOOL_CRASH_AT", point}}});
        CHECK(r.exit_code == 128 + 9);
        const auto now = snapshot(store);
        const std::string entry = now.at("entries/mail.json");
        const bool committed = point == "atomic:after-rename" || point == "store:committed";
        CHECK((entry == old_entry) != committed);
        check_consistent(*this);
        // The next command cleans up whatever temporary the crash left.
        ok({"renew", "mail", "--days", "5"});
        const auto after = snapshot(store);
        for (const auto& [name, content] : after) {
            CHECK(name.find(".tmp-") == std::string::npos);
            CHECK(name.find("certtool-tmp") == std::string::npos);
        }
    }
}

TEST_CASE_METHOD(CliFixture,
                 "SIGKILL at random moments never leaves a torn entry",
                 "[cli][store][crash][sweep]") {
    ok({"create-selfsigned", "mail", "--cn", "mail.example.com", "--key-type", "ec-p256"});
    std::mt19937 rng{12345};
    std::uniform_int_distribution<int> delay{0, 8000};
    int killed = 0;
    for (int i = 0; i < 40; ++i) {
        const RunResult r = ct({"create-selfsigned",
                                "mail",
                                "--cn",
                                "mail.example.com",
                                "--key-type",
                                "ec-p256",
                                "--force"},
                               {{}, std::nullopt, std::nullopt, {}, delay(rng)});
        killed += r.exit_code == 128 + 9 ? 1 : 0;
        const json shown = json::parse(ok({"show", "mail", "--json"}));
        CHECK(shown["name"] == "mail");
    }
    INFO("killed " << killed << " of 40 runs");
    CHECK(killed > 0);
    check_consistent(*this);
}

TEST_CASE_METHOD(CliFixture,
                 "8 processes x 25 creates into one store lose nothing",
                 "[cli][store][concurrency][sweep]") {
    std::vector<std::thread> workers;
    std::vector<int> failures(8, 0);
    for (int w = 0; w < 8; ++w) {
        workers.emplace_back([&, w] {
            for (int i = 0; i < 25; ++i) {
                const std::string name = "w" + std::to_string(w) + "-" + std::to_string(i);
                const RunResult r = ct({"create-selfsigned",
                                        name,
                                        "--cn",
                                        name + ".example.com",
                                        "--key-type",
                                        "ec-p256"});
                failures[static_cast<std::size_t>(w)] += r.exit_code == 0 ? 0 : 1;
            }
        });
    }
    for (auto& t : workers) {
        t.join();
    }
    for (int f : failures) {
        CHECK(f == 0);
    }
    const json list = json::parse(ok({"list", "--json"}));
    CHECK(list["entries"].size() == 200);
    std::set<std::string> names;
    for (const auto& e : list["entries"]) {
        names.insert(e["name"].get<std::string>());
    }
    CHECK(names.size() == 200);
}

TEST_CASE_METHOD(
    CliFixture,
    "issue 12.4: a store another user cannot read is an error and never an empty store",
    "[cli][store][permissions]") {
    ok({"create-selfsigned", "mail", "--cn", "mail.example.com", "--key-type", "ec-p256"});
    fs::permissions(dir.path(),
                    fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                        fs::perms::others_read | fs::perms::others_exec);
    if (const auto why = cannot_run_as_nobody(dir.path())) {
        std::cout << "CERTTOOL_TEST_SKIPPED: " << *why << '\n';
        return;
    }
    const auto as_nobody = [&](std::vector<std::string> args) {
        std::vector<std::string> argv = k_as_nobody;
        argv.push_back(certtool_path());
        argv.insert(argv.end(), args.begin(), args.end());
        argv.insert(argv.end(), {"--store", store});
        return run(argv);
    };
    REQUIRE(mode_of(store) == 0700);
    const auto before = snapshot(store);

    SECTION("the store directory is 0700 and another user's") {
        const std::string needle = "permission denied on '" + store + "'";
        check_error(as_nobody({"list"}), 3, needle);
        check_error(as_nobody({"show", "mail"}), 3, needle);
        check_error(as_nobody({"delete", "mail"}), 3, needle);
        check_error(as_nobody({"export-csr", "mail"}), 3, needle);
        const RunResult j = as_nobody({"list", "--json"});
        CHECK(j.exit_code == 3);
        CHECK(json::parse(j.out)["error"]["code"] == "io");
    }
    SECTION("the directories are open but the entry file is not") {
        fs::permissions(store,
                        fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec);
        fs::permissions(fs::path{store} / "entries",
                        fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec);
        const std::string needle = "permission denied on '" + store + "/entries/mail.json'";
        check_error(as_nobody({"list"}), 3, needle);
        check_error(as_nobody({"show", "mail"}), 3, needle);
        fs::permissions(store, fs::perms::owner_all);
        fs::permissions(fs::path{store} / "entries", fs::perms::owner_all);
    }
    CHECK(snapshot(store) == before);
}

TEST_CASE_METHOD(CliFixture,
                 "issue 12.4: a store path that is not a directory is an error naming it",
                 "[cli][store]") {
    const std::string file = path("not-a-store");
    write_file(file, "a file, not a store\n");
    const auto at = [&](std::vector<std::string> args, const std::string& where) {
        args.insert(args.end(), {"--store", where});
        return run_certtool(args);
    };
    const std::string needle = "store '" + file + "' is a regular file, not a directory";
    check_error(at({"list"}, file), 3, needle);
    const RunResult j = at({"list", "--json"}, file);
    CHECK(j.exit_code == 3);
    CHECK(json::parse(j.out)["error"]["code"] == "io");
    check_error(at({"show", "mail"}, file), 3, needle);
    check_error(at({"delete", "mail"}, file), 3, needle);
    check_error(at({"create-selfsigned", "mail", "--cn", "mail.example.com"}, file), 3, needle);
    CHECK(read_file(file) == "a file, not a store\n");

    ok({"create-selfsigned", "mail", "--cn", "mail.example.com", "--key-type", "ec-p256"});
    fs::rename(fs::path{store} / "entries", dir / "moved");
    write_file(fs::path{store} / "entries", "");
    check_error(ct({"list"}), 3, "'" + store + "/entries' is a regular file, not a directory");
    check_error(ct({"show", "mail"}), 3, "restore entries/ from a backup");
}

TEST_CASE_METHOD(CliFixture,
                 "issue 13.4: list under a concurrent delete and create loop never fails",
                 "[cli][store][concurrency]") {
    // Entries that sort before the churning ones, so each list spends time reading them
    // between reading the directory and opening the churning entries' files.
    for (int i = 0; i < 12; ++i) {
        const std::string name = "a" + std::to_string(i);
        ok({"create-selfsigned", name, "--cn", name + ".example.com", "--key-type", "ec-p256"});
    }
    std::atomic<bool> stop{false};
    std::atomic<int> cycles{0};
    std::atomic<int> churn_failures{0};
    std::vector<std::thread> churn;
    for (int w = 0; w < 2; ++w) {
        churn.emplace_back([&, w] {
            const std::string name = "zz-churn-" + std::to_string(w);
            while (!stop) {
                const RunResult c = ct({"create-selfsigned",
                                        name,
                                        "--cn",
                                        "churn.example.com",
                                        "--key-type",
                                        "ec-p256"});
                const RunResult d = ct({"delete", name});
                churn_failures += (c.exit_code == 0 && d.exit_code == 0) ? 0 : 1;
                ++cycles;
            }
        });
    }
    int failed_lists = 0;
#ifdef CERTTOOL_SANITIZED
    constexpr int k_lists = 20;  // each process starts slowly under ASan; the plain build runs 60
#else
    constexpr int k_lists = 60;
#endif
    for (int i = 0; i < k_lists; ++i) {
        const bool as_json = i % 2 == 1;
        const RunResult r = as_json ? ct({"list", "--json"}) : ct({"list"});
        if (r.exit_code != 0) {
            ++failed_lists;
            UNSCOPED_INFO("list " << i << " exit " << r.exit_code << ": " << r.err << r.out);
            continue;
        }
        CHECK(r.err.empty());
        if (as_json) {
            const json j = json::parse(r.out);
            std::set<std::string> names;
            for (const auto& e : j["entries"]) {
                CHECK_FALSE(e.contains("damaged"));
                names.insert(e["name"].get<std::string>());
            }
            CHECK(names.count("a0") == 1);
            CHECK(names.count("a11") == 1);
        } else {
            CHECK_THAT(r.out, Catch::Contains("a11 ") && !Catch::Contains("damaged"));
        }
    }
    stop = true;
    for (auto& t : churn) {
        t.join();
    }
    INFO(cycles << " create/delete cycles ran beside the lists");
    CHECK(cycles > 0);
    CHECK(churn_failures == 0);
    CHECK(failed_lists == 0);
}

TEST_CASE_METHOD(CliFixture,
                 "issue 13.5: a damaged or foreign file in entries/ is marked while every good "
                 "entry is still listed",
                 "[cli][store]") {
    ok({"create-selfsigned", "alpha", "--cn", "alpha.example.com", "--key-type", "ec-p256"});
    ok({"create-selfsigned", "mail", "--cn", "mail.example.com", "--key-type", "ec-p256"});
    const fs::path entries = fs::path{store} / "entries";
    // Content that must never be echoed: a binary's first bytes, a foreign JSON file's values.
    write_file(entries / "zz.json",
               std::string{"\x7f"
                           "ELF-SECRET-BYTES\x01\x02"});
    write_file(entries / "notes.json", R"({"password": "HUNTER2-MARKER"})");
    ::chmod((entries / "zz.json").c_str(), 0600);
    ::chmod((entries / "notes.json").c_str(), 0600);
    const auto no_echo = [](const RunResult& r) {
        for (const std::string secret : {"ELF", "SECRET", "HUNTER2", "\x7f"}) {
            CHECK(r.out.find(secret) == std::string::npos);
            CHECK(r.err.find(secret) == std::string::npos);
        }
    };

    SECTION("text: each good entry listed, each damaged one marked with the fix, one warning") {
        const RunResult r = ct({"list"});
        INFO(r.out << r.err);
        CHECK(r.exit_code == 0);
        CHECK_THAT(r.out, Catch::Contains("alpha ") && Catch::Contains("mail.example.com"));
        CHECK_THAT(r.out,
                   Catch::Contains("zz                       damaged: not JSON: syntax error at "
                                   "byte 1 (fix: certtool delete zz, or restore it from a "
                                   "backup)"));
        CHECK_THAT(r.out,
                   Catch::Contains("notes                    damaged: not a certtool entry: no "
                                   "'format' member (fix: certtool delete notes"));
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 2);
        CHECK_THAT(r.err,
                   Catch::Contains("certtool: warning: store entry '" + store +
                                   "/entries/zz.json' is damaged"));
        no_echo(r);
    }
    SECTION("--json: damaged entries carry problem and fix, warnings name them") {
        const RunResult r = ct({"list", "--json"});
        CHECK(r.exit_code == 0);
        const json j = json::parse(r.out);
        REQUIRE(j["entries"].size() == 4);
        CHECK(j["entries"][0]["name"] == "alpha");
        CHECK(j["entries"][0]["cn"] == "alpha.example.com");
        CHECK(j["entries"][2]["name"] == "notes");
        CHECK(j["entries"][3]["name"] == "zz");
        CHECK(j["entries"][3]["damaged"]["problem"] == "not JSON: syntax error at byte 1");
        CHECK(j["entries"][3]["damaged"]["fix"] ==
              "certtool delete zz, or restore it from a backup");
        CHECK(j["warnings"].size() == 2);
        no_echo(r);
    }
    SECTION("show names the damage and the fix, delete removes it") {
        const RunResult r = ct({"show", "zz"});
        check_error(r, 4, "is damaged (not JSON: syntax error at byte 1): certtool delete zz");
        no_echo(r);
        ok({"delete", "zz"});
        ok({"delete", "notes"});
        const RunResult clean = ct({"list"});
        CHECK(clean.exit_code == 0);
        CHECK(clean.err.empty());
    }
}

TEST_CASE_METHOD(CliFixture,
                 "issue 13.6: a store others can write gets a warning and no key",
                 "[cli][store][permissions]") {
    ok({"create-selfsigned", "mail", "--cn", "mail.example.com", "--key-type", "ec-p256"});
    std::string open_dir;
    SECTION("the store directory") {
        open_dir = store;
    }
    SECTION("entries/") {
        open_dir = store + "/entries";
    }
    ::chmod(open_dir.c_str(), 0777);
    const std::string warning = "certtool: warning: store directory '" + open_dir +
                                "' is writable by group or others (mode 0777)";
    const RunResult list = ct({"list"});
    CHECK(list.exit_code == 0);
    CHECK_THAT(list.err, Catch::StartsWith(warning) && Catch::Contains("chmod 700 '" + open_dir));
    CHECK(std::count(list.err.begin(), list.err.end(), '\n') == 1);
    const RunResult j = ct({"show", "mail", "--json"});
    CHECK(j.exit_code == 0);
    CHECK(json::parse(j.out)["warnings"].size() == 1);

    const auto before = snapshot(store);
    const std::string refusal = "refusing to write a private key into store '" + store + "'";
    check_error(ct({"create-selfsigned", "new", "--cn", "new.example.com"}), 3, refusal);
    check_error(ct({"create-selfsigned", "mail", "--cn", "x.example.com", "--force"}), 3, refusal);
    check_error(ct({"renew", "mail"}), 3, "chmod 700 '" + open_dir + "'");
    CHECK(snapshot(store) == before);

    ::chmod(open_dir.c_str(), 0700);
    const RunResult fixed = ct({"create-selfsigned", "new", "--cn", "new.example.com"});
    CHECK(fixed.exit_code == 0);
    CHECK(fixed.err.empty());
}

TEST_CASE_METHOD(CliFixture,
                 "issue 13.6: an entry file others can read is named with the chmod fix",
                 "[cli][store][permissions]") {
    ok({"create-selfsigned", "mail", "--cn", "mail.example.com", "--key-type", "ec-p256"});
    const std::string entry = store + "/entries/mail.json";
    CHECK(mode_of(entry) == 0600);
    ::chmod(entry.c_str(), 0644);
    const std::string warning = "certtool: warning: store entry '" + entry +
                                "' holds a private key and group or others may access it (mode "
                                "0644): run chmod 600 '" +
                                entry + "'\n";
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"list"}, {"show", "mail"}, {"export-csr", "mail"}}) {
        const RunResult r = ct(args);
        CHECK(r.exit_code == 0);
        CHECK(r.err == warning);
    }
    // A change writes the entry anew, 0600 from its first instant.
    ok({"renew", "mail"});
    CHECK(mode_of(entry) == 0600);
    CHECK(ct({"list"}).err.empty());
}

TEST_CASE_METHOD(CliFixture,
                 "issue 13.6: a symbolic link as the store lock is refused and never followed",
                 "[cli][store]") {
    ok({"create-selfsigned", "mail", "--cn", "mail.example.com", "--key-type", "ec-p256"});
    const fs::path lock = fs::path{store} / ".lock";
    fs::remove(lock);
    fs::create_symlink(dir / "victim", lock);
    const auto before = snapshot(store);
    check_error(ct({"create-selfsigned", "new", "--cn", "new.example.com"}),
                3,
                "lock file '" + lock.string() + "' is a symbolic link");
    check_error(ct({"delete", "mail"}), 3, "rm '" + lock.string() + "'");
    CHECK_FALSE(fs::exists(dir / "victim"));
    CHECK(snapshot(store) == before);
    fs::remove(lock);
    ok({"create-selfsigned", "new", "--cn", "new.example.com", "--key-type", "ec-p256"});
    CHECK(mode_of(lock) == 0600);
}

TEST_CASE_METHOD(CliFixture,
                 "issue 13.6: a killed writer's temporary is named as ours and goes with the "
                 "next change",
                 "[cli][store][crash]") {
    ok({"create-selfsigned", "mail", "--cn", "mail.example.com", "--key-type", "ec-p256"});
    const fs::path entries = fs::path{store} / "entries";
    const RunResult killed =
        ct({"create-selfsigned", "other", "--cn", "other.example.com", "--key-type", "ec-p256"},
           {{{"CERTTOOL_CRASH_AT", "store:temp-written"}}});
    CHECK(killed.exit_code == 128 + 9);
    const std::regex ours{R"(\.other\.json\.certtool-tmp\.[0-9]+\.[0-9a-f]{16})"};
    const auto left = files_in(entries);
    REQUIRE(left.size() == 2);
    CHECK(std::regex_match(left[0], ours));
    CHECK(mode_of(entries / left[0]) == 0600);  // it holds a key
    CHECK(ct({"list"}).out.find("other") == std::string::npos);
    // delete is a change too: it removes the leftover under the lock.
    ok({"delete", "mail"});
    CHECK(files_in(entries).empty());
}

TEST_CASE_METHOD(CliFixture,
                 "issue 13.6: a killed export's temporary is named as ours and goes with the "
                 "next write of that file",
                 "[cli][store][crash]") {
    ok({"create-selfsigned", "mail", "--cn", "mail.example.com", "--key-type", "ec-p256"});
    write_file(dir / "pw", "secret");
    const fs::path out_dir = dir / "out";
    fs::create_directory(out_dir);
    const std::vector<std::string> export_p12{"export-pkcs12",
                                              "mail",
                                              "-o",
                                              (out_dir / "mail.p12").string(),
                                              "--password-file",
                                              path("pw"),
                                              "--iterations",
                                              "2048"};
    const RunResult killed = ct(export_p12, {{{"CERTTOOL_CRASH_AT", "atomic:before-rename"}}});
    CHECK(killed.exit_code == 128 + 9);
    const auto left = files_in(out_dir);
    REQUIRE(left.size() == 1);
    CHECK(std::regex_match(left[0],
                           std::regex{R"(\.mail\.p12\.certtool-tmp\.[0-9]+\.[0-9a-f]{16})"}));
    CHECK(mode_of(out_dir / left[0]) == 0600);

    // Beside it: a temporary of a writer still running (this test), young; the same, old; one
    // of another output; and a file that is not ours.
    const std::string live = ".mail.p12.certtool-tmp." + std::to_string(::getpid()) + ".";
    write_file(out_dir / (live + "0123456789abcdef"), "in progress");
    write_file(out_dir / (live + "fedcba9876543210"), "abandoned long ago");
    fs::last_write_time(out_dir / (live + "fedcba9876543210"),
                        fs::file_time_type::clock::now() - std::chrono::hours(2));
    write_file(out_dir / ".other.p12.certtool-tmp.999999999.0123456789abcdef", "another file's");
    write_file(out_dir / ".mail.p12.notes", "the user's");

    ok(export_p12);
    CHECK(files_in(out_dir) ==
          std::vector<std::string>{
              ".mail.p12.certtool-tmp." + std::to_string(::getpid()) + ".0123456789abcdef",
              ".mail.p12.notes",
              ".other.p12.certtool-tmp.999999999.0123456789abcdef",
              "mail.p12"});
    CHECK(mode_of(out_dir / "mail.p12") == 0600);
}
