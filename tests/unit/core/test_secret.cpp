// Password sources (lib/src/core/secret.cpp).
#include "support.hpp"

#include <certtool/secret.hpp>

#include <catch2/catch.hpp>

using namespace certtool;

TEST_CASE("secret: password files lose one line ending, keep everything else", "[secret]") {
    test::TempDir dir;
    test::write_file(dir / "a", "pass word \r\nsecond line");
    CHECK(read_password_file(dir / "a").view() == "pass word ");
    test::write_file(dir / "b", "");
    CHECK(read_password_file(dir / "b").empty());
    CHECK_THROWS_WITH(read_password_file(dir / "missing"), Catch::Contains("missing"));
    CHECK_THROWS_WITH(read_password_env("CERTTOOL_SURELY_UNSET_VAR"),
                      Catch::Contains("is not set"));
}
