// Libraries opened on first use (lib/src/core/optional_library.hpp): a missing one is one line
// naming the library and the package, exit code unsupported; a present one gives its functions.
#include "optional_library.hpp"

#include <certtool/error.hpp>

#include <catch2/catch.hpp>

#include <cstring>

using certtool::Errc;
using certtool::Error;
using certtool::detail::OptionalLibrary;

TEST_CASE("optional library: a missing library names itself and its package", "[core]") {
    try {
        const OptionalLibrary lib{"libcerttool-absent.so.9", "the test", "certtool-absent9"};
        FAIL("a library that does not exist was opened");
    } catch (const Error& e) {
        CHECK(e.code() == Errc::unsupported);
        const std::string what = e.what();
        CHECK_THAT(what,
                   Catch::StartsWith("the test needs libcerttool-absent.so.9, which cannot "
                                     "be loaded: "));
        CHECK_THAT(what, Catch::EndsWith("install it (Debian: apt-get install certtool-absent9)"));
        CHECK(what.find('\n') == std::string::npos);
    }
}

TEST_CASE("optional library: functions of a present library, and one it lacks", "[core]") {
    const OptionalLibrary libc{"libc.so.6", "the test", "libc6"};
    decltype(&std::strlen) strlen_fn = nullptr;
    libc.bind(strlen_fn, "strlen");
    REQUIRE(strlen_fn != nullptr);
    CHECK(strlen_fn("certtool") == 8);
    decltype(&std::strlen) absent = nullptr;
    try {
        libc.bind(absent, "certtool_no_such_function");
        FAIL("a function that does not exist was found");
    } catch (const Error& e) {
        CHECK(e.code() == Errc::unsupported);
        CHECK_THAT(std::string{e.what()},
                   Catch::StartsWith("the libc.so.6 found has no certtool_no_such_function"));
    }
    CHECK(absent == nullptr);
}
