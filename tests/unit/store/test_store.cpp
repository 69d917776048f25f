#include "support.hpp"

#include <certtool/error.hpp>
#include <certtool/lifecycle.hpp>

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <functional>
#include <string>
#include <vector>

using namespace certtool;
using certtool::test::at;
namespace fs = std::filesystem;

namespace {

unsigned mode_of(const std::filesystem::path& p) {
    struct stat st {};

    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 07777U;
}

CreateSelfSignedRequest request(const std::string& name) {
    CreateSelfSignedRequest r;
    r.name = name;
    r.subject.common_name = name + ".example.com";
    r.key_type = KeyType::ec_p256;
    return r;
}

Errc code_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.code();
    }
    FAIL("no error");
    return Errc::io;
}

}  // namespace

TEST_CASE("store: create, get, list, remove with private permissions", "[store]") {
    test::TempDir dir;
    Store store{dir / "deep" / "store"};
    CHECK(store.names().empty());
    const Entry e = create_selfsigned(store, request("mail"), at("2026-01-01T00:00:00Z"));
    CHECK(mode_of(dir / "deep" / "store") == 0700);
    CHECK(mode_of(dir / "deep" / "store" / "entries" / "mail.json") == 0600);
    const Entry back = store.get("mail");
    CHECK(back.certificate.same_as(e.certificate));
    CHECK(back.certificate.matches_key(back.key));
    CHECK(back.request.sans == e.request.sans);
    CHECK(back.created == at("2026-01-01T00:00:00Z"));
    create_selfsigned(store, request("alpha"), at("2026-01-01T00:00:00Z"));
    CHECK(store.names() == std::vector<std::string>{"alpha", "mail"});
    store.remove("alpha");
    CHECK(store.names() == std::vector<std::string>{"mail"});
    CHECK_THROWS_WITH(store.remove("alpha"), Catch::Contains("no entry 'alpha'"));
    CHECK_THROWS_WITH(store.get("zz"), Catch::Contains("certtool list"));
}

TEST_CASE("store: names are validated", "[store]") {
    for (const char* bad : {"", "../x", ".hidden", "a/b", "sp ace", "-dash"}) {
        INFO(bad);
        CHECK_THROWS_AS(Store::validate_name(bad), Error);
    }
    Store::validate_name("mail.example.com_2026-1");
}

TEST_CASE("store: an existing name is refused unless forced, and nothing changes", "[store]") {
    test::TempDir dir;
    Store store{dir / "s"};
    create_selfsigned(store, request("mail"), at("2026-01-01T00:00:00Z"));
    const auto before = test::snapshot(dir / "s");
    try {
        create_selfsigned(store, request("mail"), at("2026-01-01T00:00:00Z"));
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.code() == Errc::already_exists);
    }
    CHECK(test::snapshot(dir / "s") == before);
    auto forced = request("mail");
    forced.force = true;
    const Entry replaced = create_selfsigned(store, forced, at("2026-02-01T00:00:00Z"));
    CHECK(store.get("mail").certificate.same_as(replaced.certificate));
}

TEST_CASE("store: renew keeps key and subject, changes serial and dates", "[store]") {
    test::TempDir dir;
    Store store{dir / "s"};
    auto r = request("mail");
    r.days = 90;
    const Entry first = create_selfsigned(store, r, at("2026-01-01T00:00:00Z"));
    const Entry renewed = renew(store, {"mail", std::nullopt}, at("2026-03-15T00:00:00Z"));
    CHECK(renewed.certificate.matches_key(first.key));
    CHECK(renewed.certificate.serial_hex() != first.certificate.serial_hex());
    CHECK(renewed.certificate.subject() == first.certificate.subject());
    CHECK(renewed.certificate.not_after() == at("2026-06-13T00:00:00Z"));
    CHECK(renewed.created == first.created);
    CHECK(renewed.updated == at("2026-03-15T00:00:00Z"));
}

TEST_CASE("store: list reads every entry and says what is wrong with each damaged file",
          "[store]") {
    test::TempDir dir;
    Store store{dir / "s"};
    create_selfsigned(store, request("mail"), at("2026-01-01T00:00:00Z"));
    const fs::path entries = dir / "s" / "entries";
    const std::string good = test::read_file(entries / "mail.json");
    const auto with = [&](const std::string& from, const std::string& to) {
        std::string text = good;
        const auto at_pos = text.find(from);
        REQUIRE(at_pos != std::string::npos);
        return text.replace(at_pos, from.size(), to);
    };
    test::write_file(entries / "empty.json", "");
    test::write_file(entries / "garbage.json", "PRIVATE KEY MATERIAL");
    test::write_file(entries / "array.json", "[1, 2]");
    test::write_file(entries / "newer.json", with("\"format\": 1", "\"format\": 2"));
    test::write_file(entries / "nokey.json", with("\"key\":", "\"kee\":"));
    test::write_file(entries / "typed.json", with("\"chain\": []", "\"chain\": 7"));
    test::write_file(entries / "badcert.json", with("MII", "XXX"));
    test::write_file(entries / "bad name.json", good);
    fs::create_directory(entries / "folder.json");

    std::vector<std::pair<std::string, std::string>> seen;
    for (const ListedEntry& e : store.list()) {
        CHECK(e.file == (entries / (e.name + ".json")).string());
        CHECK(e.problem.find("PRIVATE") == std::string::npos);
        CHECK(e.entry.has_value() == e.problem.empty());
        CHECK(e.entry.has_value() == e.fix.empty());
        seen.emplace_back(e.name, e.problem);
    }
    CHECK(seen == std::vector<std::pair<std::string, std::string>>{
                      {"array", "not a certtool entry: not a JSON object"},
                      {"bad name", "not an entry: its name is not an entry name"},
                      {"badcert", "the certificate does not parse"},
                      {"empty", "the file is empty"},
                      {"folder", "it is a directory, not a file"},
                      {"garbage", "not JSON: syntax error at byte 1"},
                      {"mail", ""},
                      {"newer", "written by a newer certtool: unknown format version"},
                      {"nokey", "member 'key' is missing"},
                      {"typed", "member 'chain' is not an array"}});
    const auto listed = store.list();
    CHECK(listed[2].fix == "certtool delete badcert, or restore it from a backup");
    CHECK(listed[1].fix == "move it out of '" + entries.string() + "'");
    CHECK(listed[7].fix == "use a newer certtool");

    // get() of a damaged entry: Error{parse}, the same problem and fix.
    try {
        static_cast<void>(store.get("garbage"));
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.code() == Errc::parse);
        CHECK_THAT(e.what(),
                   Catch::Contains("is damaged (not JSON: syntax error at byte 1): certtool "
                                   "delete garbage, or restore it from a backup"));
        CHECK_THAT(e.what(), !Catch::Contains("PRIVATE"));
    }
    store.remove("garbage");
    CHECK(store.list().size() == 9);
}

TEST_CASE("store: a store path that cannot be read throws io and never reads as empty", "[store]") {
    test::TempDir dir;
    test::write_file(dir / "file", "not a store");
    Store store{dir / "file"};
    for (const auto& op :
         std::vector<std::function<void()>>{[&] { static_cast<void>(store.names()); },
                                            [&] { static_cast<void>(store.list()); },
                                            [&] { static_cast<void>(store.contains("mail")); },
                                            [&] { static_cast<void>(store.get("mail")); },
                                            [&] { store.remove("mail"); }}) {
        CHECK(code_of(op) == Errc::io);
    }
    CHECK_THROWS_WITH(store.names(),
                      Catch::Contains("store '" + (dir / "file").string() +
                                      "' is a regular file, not a directory"));
    // An absent store is still simply empty.
    Store absent{dir / "absent"};
    CHECK(absent.list().empty());
    CHECK_FALSE(absent.contains("mail"));
    CHECK(code_of([&] { static_cast<void>(absent.get("mail")); }) == Errc::not_found);
}

TEST_CASE(
    "store: others' access is warned about through the sink and keys are not written "
    "where others can write",
    "[store]") {
    test::TempDir dir;
    std::vector<std::string> warnings;
    Store store{dir / "s", [&](const std::string& w) { warnings.push_back(w); }};
    create_selfsigned(store, request("mail"), at("2026-01-01T00:00:00Z"));
    CHECK(warnings.empty());
    const fs::path entries = dir / "s" / "entries";

    ::chmod(entries.c_str(), 0770);
    static_cast<void>(store.get("mail"));
    static_cast<void>(store.list());
    REQUIRE(warnings.size() == 1);  // once per Store
    CHECK(warnings[0] == "store directory '" + entries.string() +
                             "' is writable by group or others (mode 0770), so they can replace "
                             "its entries: run chmod 700 '" +
                             entries.string() + "'");
    const auto before = test::snapshot(dir / "s");
    CHECK(code_of([&] { create_selfsigned(store, request("new"), at("2026-01-01T00:00:00Z")); }) ==
          Errc::io);
    CHECK(code_of([&] {
              static_cast<void>(renew(store, {"mail", 5}, at("2026-01-02T00:00:00Z")));
          }) == Errc::io);
    CHECK(test::snapshot(dir / "s") == before);
    ::chmod(entries.c_str(), 0700);

    warnings.clear();
    ::chmod((entries / "mail.json").c_str(), 0640);
    static_cast<void>(store.get("mail"));
    REQUIRE(warnings.size() == 1);
    CHECK_THAT(warnings[0], Catch::Contains("(mode 0640): run chmod 600 '"));
}
