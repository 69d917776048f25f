// Crash safety and concurrency of store changes, with real processes.
#include "cli_fixture.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <random>
#include <set>
#include <thread>

using namespace certtool::test;
using nlohmann::json;

namespace {

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
        }
    }
}

TEST_CASE_METHOD(CliFixture,
                 "SIGKILL at random moments never leaves a torn entry",
                 "[cli][store][crash]") {
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
                 "[cli][store][concurrency]") {
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
