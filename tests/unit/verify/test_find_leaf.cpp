// find_leaf (lib/src/verify/chain.cpp): the leaf of a bag of certificates given in any order, as
// fix-chain and verify use it when no --key says which certificate is the server's.
#include "support.hpp"

#include <certtool/chain.hpp>
#include <certtool/error.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace certtool;
using certtool::test::at;

namespace {

struct Bag {
    test::Issued root = test::make_root(
        {"Bag Root", at("2020-01-01T00:00:00Z"), at("2040-01-01T00:00:00Z"), {}, true});
    test::Issued inter = test::issue(
        root, {"Bag Issuing CA", at("2020-01-01T00:00:00Z"), at("2035-01-01T00:00:00Z"), {}, true});
    test::Issued leaf = test::issue(inter,
                                    {"mail.example.com",
                                     at("2026-01-01T00:00:00Z"),
                                     at("2027-01-01T00:00:00Z"),
                                     {"mail.example.com"}});
    test::Issued second_leaf = test::issue(inter,
                                           {"smtp.example.com",
                                            at("2026-01-01T00:00:00Z"),
                                            at("2027-01-01T00:00:00Z"),
                                            {"smtp.example.com"}});
};

Error error_of(const std::vector<Certificate>& pool) {
    try {
        static_cast<void>(find_leaf(pool));
    } catch (const Error& e) {
        return e;
    }
    FAIL("no error");
    throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE_METHOD(Bag, "find_leaf: the one certificate that issued none of the others", "[chain]") {
    SECTION("leaf first") {
        CHECK(find_leaf({leaf.cert, inter.cert, root.cert}).same_as(leaf.cert));
    }
    SECTION("root first, leaf last") {
        CHECK(find_leaf({root.cert, inter.cert, leaf.cert}).same_as(leaf.cert));
    }
    SECTION("leaf in the middle, given twice") {
        CHECK(find_leaf({inter.cert, leaf.cert, root.cert, leaf.cert}).same_as(leaf.cert));
    }
    SECTION("the leaf alone") {
        CHECK(find_leaf({leaf.cert}).same_as(leaf.cert));
    }
    SECTION("CAs only: the lowest CA") {
        CHECK(find_leaf({root.cert, inter.cert}).same_as(inter.cert));
    }
    SECTION("an end entity is preferred to a CA that issued nothing here") {
        const auto other_root = test::make_root(
            {"Stray Root", at("2020-01-01T00:00:00Z"), at("2040-01-01T00:00:00Z"), {}, true});
        CHECK(find_leaf({other_root.cert, inter.cert, leaf.cert}).same_as(leaf.cert));
    }
}

TEST_CASE_METHOD(Bag, "find_leaf: two candidates are refused, naming --key", "[chain]") {
    const Error e = error_of({leaf.cert, inter.cert, second_leaf.cert, root.cert});
    CHECK(e.code() == Errc::invalid_argument);
    CHECK_THAT(e.what(), Catch::Contains("2 certificates could be the leaf"));
    CHECK_THAT(e.what(), Catch::Contains("CN=mail.example.com"));
    CHECK_THAT(e.what(), Catch::Contains("--key FILE"));
    // Two unrelated self-signed certificates: no way to tell either.
    const auto a = test::make_root(
        {"a.example", at("2026-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z"), {"a.example"}});
    const auto b = test::make_root(
        {"b.example", at("2026-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z"), {"b.example"}});
    CHECK(error_of({a.cert, b.cert}).code() == Errc::invalid_argument);
}

TEST_CASE("find_leaf: an empty bag is a parse error", "[chain]") {
    const Error e = error_of({});
    CHECK(e.code() == Errc::parse);
    CHECK_THAT(e.what(), Catch::Contains("no certificate given"));
}
