// The finding-code table: names are stable, unique and kebab-case, and the README's table lists
// exactly the codes (and default severities) the library can produce.
#include "support.hpp"

#include <certtool/finding.hpp>

#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

using namespace certtool;

namespace {

// `| \`code\` | severity | meaning |` rows of the README table headed "| code | severity |".
std::map<std::string, std::string> readme_codes() {
    std::ifstream in{std::string{CERTTOOL_SOURCE_DIR} + "/README.md"};
    REQUIRE(in);
    std::map<std::string, std::string> out;
    std::string line;
    bool in_table = false;
    while (std::getline(in, line)) {
        if (line.rfind("| code | severity | meaning |", 0) == 0) {
            REQUIRE_FALSE(in_table);  // one table
            in_table = true;
            continue;
        }
        if (!in_table || line.rfind("|---", 0) == 0) {
            continue;
        }
        if (line.rfind("| `", 0) != 0) {
            if (!out.empty()) {
                break;  // the table ended
            }
            continue;
        }
        const auto name_end = line.find('`', 3);
        const auto sev_start = line.find("| ", name_end) + 2;
        const auto sev_end = line.find(" |", sev_start);
        const std::string name = line.substr(3, name_end - 3);
        INFO(line);
        REQUIRE(out.count(name) == 0);
        out[name] = line.substr(sev_start, sev_end - sev_start);
    }
    return out;
}

}  // namespace

TEST_CASE("finding codes: unique kebab-case names that parse back", "[finding]") {
    std::set<std::string_view> names;
    for (const auto& info : finding_codes()) {
        INFO(info.name);
        CHECK(names.insert(info.name).second);
        CHECK(finding_name(info.code) == info.name);
        CHECK(&finding_info(info.code) == &info);
        CHECK(parse_finding_code(info.name) == info.code);
        CHECK_FALSE(info.meaning.empty());
        CHECK(info.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") ==
              std::string_view::npos);
        CHECK(info.name.front() != '-');
        CHECK(info.name.back() != '-');
    }
    CHECK_FALSE(parse_finding_code("no-such-code"));
    CHECK_FALSE(parse_finding_code("Expired"));
    CHECK(ChainFinding::of(FindingCode::expired, "m").severity == Severity::error);
    CHECK(ChainFinding::of(FindingCode::aia_fetched, "m").severity == Severity::info);
}

TEST_CASE("finding codes: the README table lists every code with its severity", "[finding]") {
    const auto readme = readme_codes();
    std::map<std::string, std::string> library;
    for (const auto& info : finding_codes()) {
        library[std::string{info.name}] = std::string{severity_name(info.severity)};
    }
    for (const auto& [name, severity] : library) {
        INFO("in the library, not (or differently) in README.md: " << name << " " << severity);
        CHECK(readme.count(name) == 1);
        if (readme.count(name) == 1) {
            CHECK(readme.at(name) == severity);
        }
    }
    for (const auto& [name, severity] : readme) {
        INFO("in README.md, not in the library: " << name);
        CHECK(library.count(name) == 1);
    }
}
