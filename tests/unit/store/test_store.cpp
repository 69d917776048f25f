#include "support.hpp"

#include <certtool/error.hpp>
#include <certtool/lifecycle.hpp>

#include <catch2/catch.hpp>

#include <sys/stat.h>

using namespace certtool;
using certtool::test::at;

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
