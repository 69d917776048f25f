// The configuration model as values: parsing what commands are given, the levels, the typed
// view, differences and the JSON round trip.
#include <certtool/config.hpp>
#include <certtool/error.hpp>

#include <catch2/catch.hpp>

namespace certtool::config {

namespace {

bool refused(const std::function<void()>& f, Errc code) {
    try {
        f();
    } catch (const Error& e) {
        return e.code() == code;
    }
    return false;
}

}  // namespace

TEST_CASE("config: endpoints are IP literals with a port, IPv6 in brackets", "[config]") {
    CHECK(parse_endpoint("127.0.0.1:25").text() == "127.0.0.1:25");
    CHECK(parse_endpoint("[2001:DB8::0:1]:587").text() == "[2001:db8::1]:587");
    for (const char* bad : {"127.0.0.1",
                            "127.0.0.1:",
                            "127.0.0.1:65536",
                            "::1:25",
                            "[::1]25",
                            "[127.0.0.1]:25",
                            "host:25",
                            ":25",
                            "127.0.0.1:+25",
                            ""}) {
        INFO(bad);
        CHECK(refused([&] { (void)parse_endpoint(bad); }, Errc::invalid_argument));
    }
}

TEST_CASE("config: sender group members are normalised by kind", "[config]") {
    CHECK(parse_member("192.0.2.7").kind == MemberKind::address);
    CHECK(parse_member("192.0.2.7/24").text == "192.0.2.0/24");
    CHECK(parse_member("2001:db8::1/32").text == "2001:db8::/32");
    CHECK(parse_member("0.0.0.0/0").text == "0.0.0.0/0");
    CHECK(parse_member("Mx.Example.COM.").text == "mx.example.com");
    CHECK(parse_member(".Example.com").kind == MemberKind::partial_domain);
    CHECK(parse_member(".Example.com").text == ".example.com");
    CHECK(parse_member("müller.example").text == "xn--mller-kva.example");
    for (const char* bad : {"",
                            "10.0.0.0/33",
                            "2001:db8::/129",
                            "300.1.1.1",
                            "1.2.3.4/",
                            "/8",
                            "..example.com",
                            "-x.example",
                            "a b",
                            "*.example.com"}) {
        INFO(bad);
        CHECK(refused([&] { (void)parse_member(bad); }, Errc::invalid_argument));
    }
}

TEST_CASE("config: machine settings override the cluster's key by key", "[config]") {
    Document d;
    d.cluster["listener/A/address"] = "127.0.0.1:25";
    d.cluster["listener/A/certificate"] = "demo";
    d.machines["m2"]["listener/A/certificate"] = "mail";
    const auto m1 = effective(d, "m1");
    const auto m2 = effective(d, "m2");
    REQUIRE(m1.size() == 2);
    REQUIRE(m2.size() == 2);
    CHECK(m1[1].value == "demo");
    CHECK(m2[1].value == "mail");
    CHECK(m2[1].level == Level::machine);
    CHECK(m2[0].level == Level::cluster);
}

TEST_CASE("config: the typed view refuses malformed values, naming the key", "[config]") {
    Settings s{{"listener/A/address", "127.0.0.1:25"}, {"listener/A/tls", "sometimes"}};
    try {
        (void)typed(s);
        FAIL("accepted");
    } catch (const Error& e) {
        CHECK(e.code() == Errc::parse);
        CHECK(std::string{e.what()}.find("listener/A/tls") != std::string::npos);
    }
    // A listener with settings but no address anywhere (its definition was deleted).
    CHECK(refused([] { (void)typed(Settings{{"listener/B/certificate", "mail"}}); }, Errc::parse));
    // Groups come back in position order.
    Settings ok{{"listener/A/address", "127.0.0.1:25"},
                {"listener/A/group/Z/position", "1"},
                {"listener/A/group/Z/members", "10.0.0.0/8"},
                {"listener/A/group/Z/tls", "off"},
                {"listener/A/group/B/position", "2"},
                {"listener/A/group/B/members", "127.0.0.2 .example.com"},
                {"listener/A/group/B/tls", "required"}};
    const Configuration c = typed(ok);
    REQUIRE(c.listeners.size() == 1);
    REQUIRE(c.listeners[0].groups.size() == 2);
    CHECK(c.listeners[0].groups[0].name == "Z");
    CHECK(c.listeners[0].groups[1].members.size() == 2);
    CHECK(c.listeners[0].groups[1].tls == InboundTls::required);
}

TEST_CASE("config: differences per level, and the JSON round trip", "[config]") {
    Document a;
    a.cluster["destination/example.com/tls"] = "required";
    a.cluster["outbound/certificate"] = "demo";
    Document b = a;
    b.cluster["outbound/certificate"] = "mail";
    b.cluster.erase("destination/example.com/tls");
    b.machines["m1"]["listener/A/tls"] = "off";
    const auto changes = diff(a, b);
    REQUIRE(changes.size() == 3);
    CHECK(changes[0].kind == Change::Kind::removed);
    CHECK(changes[1].kind == Change::Kind::changed);
    CHECK(changes[1].before == "demo");
    CHECK(changes[2].where == "machine m1");
    CHECK(summary(changes).find("and 2 more changes") != std::string::npos);

    CHECK(parse_document(document_json(b), "test") == b);
    CHECK(refused([] { (void)parse_document("{\"format\": 9, \"clustered\": true}", "t"); },
                  Errc::parse));
    CHECK(refused([] { (void)parse_document("[]", "t"); }, Errc::parse));
    CHECK(refused(
        [] {
            (void)parse_document(R"({"format":1,"clustered":true,"cluster":{"a":1},"machines":{}})",
                                 "t");
        },
        Errc::parse));
}

TEST_CASE("config: leaving the cluster keeps machine values but not machine certificates",
          "[config]") {
    Document d;
    d.cluster["listener/A/address"] = "127.0.0.1:25";
    d.cluster["listener/A/certificate"] = "mail";
    d.machines["m1"]["listener/A/certificate"] = "local";
    d.machines["m1"]["listener/A/tls"] = "required";
    d.machines["m2"]["listener/A/tls"] = "off";
    const auto lost = leave_cluster(d, "m1");
    REQUIRE(lost == std::vector<std::string>{"listener/A/certificate"});
    CHECK(!d.clustered);
    CHECK(d.cluster.empty());
    REQUIRE(d.machines.size() == 1);
    CHECK(d.machines["m1"]["listener/A/certificate"] == "mail");
    CHECK(d.machines["m1"]["listener/A/tls"] == "required");
    CHECK(refused([&] { (void)layer(d, Scope{Level::cluster, "m1"}); }, Errc::invalid_argument));
}

}  // namespace certtool::config
