// The man page and the shell completions the build generates (apps/docgen), checked against
// what the binary's --help says, rendered by groff and man, run by bash, and installed by
// `cmake --install`.
#include "cli_help.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <sstream>

using namespace certtool::test;

namespace {

const std::filesystem::path k_docs{CERTTOOL_DOCS_DIR};

// How an option name is written in roff: every '-' as "\-".
std::string in_roff(const std::string& text) {
    std::string out;
    for (const char c : text) {
        out += c == '-' ? std::string{"\\-"} : std::string(1, c);
    }
    return out;
}

// The text of a man page section: from ".SS NAME" to the next ".SS" or ".SH".
std::string command_section(const std::string& page, const std::string& command) {
    const std::string heading = ".SS " + in_roff(command) + "\n";
    const std::size_t start = page.find(heading);
    REQUIRE(start != std::string::npos);
    const std::size_t end =
        std::min(page.find("\n.SS ", start + 1), page.find("\n.SH ", start + 1));
    return page.substr(start, end - start);
}

// COMPREPLY after completing the words given (the last one being completed) in bash.
std::vector<std::string> complete(const std::vector<std::string>& words) {
    std::string array;
    for (const auto& w : words) {
        array += " '" + w + "'";
    }
    const std::string script = "source '" + (k_docs / "certtool.bash").string() +
                               "' && COMP_WORDS=(certtool" + array +
                               ") && COMP_CWORD=" + std::to_string(words.size()) +
                               " && _certtool && printf '%s\\n' \"${COMPREPLY[@]}\"";
    const RunResult r = run({"bash", "--norc", "--noprofile", "-c", script});
    INFO("bash: " << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.empty());
    std::vector<std::string> out;
    std::istringstream lines{r.out};
    for (std::string line; std::getline(lines, line);) {
        if (!line.empty()) {
            out.push_back(line);
        }
    }
    return out;
}

std::set<std::string> as_set(const std::vector<std::string>& items) {
    return {items.begin(), items.end()};
}

std::set<std::string> long_options(const std::vector<std::string>& options) {
    std::set<std::string> out;
    for (const auto& o : options) {
        if (o.rfind("--", 0) == 0) {
            out.insert(o);
        }
    }
    return out;
}

}  // namespace

TEST_CASE("issue #12.17: the man page documents every command and option", "[cli][docs]") {
    const std::string page = read_file(k_docs / "certtool.1");
    for (const std::string section : {"NAME",
                                      "SYNOPSIS",
                                      "DESCRIPTION",
                                      "OPTIONS",
                                      "COMMANDS",
                                      "EXIT STATUS",
                                      "ENVIRONMENT",
                                      "FILES",
                                      "EXAMPLES",
                                      "SEE ALSO"}) {
        CHECK_THAT(page, Catch::Contains("\n.SH " + section + "\n"));
    }
    for (const auto& option : options_in_help("")) {
        CHECK_THAT(page, Catch::Contains("\\fB" + in_roff(option) + "\\fR"));
    }
    // Every command, a group's as "listener add" (the page documents those, not the group).
    std::vector<std::string> commands;
    for (const auto& cmd : commands_in_help()) {
        const auto nested = commands_in_help(cmd);
        if (nested.empty()) {
            commands.push_back(cmd);
        }
        for (const auto& n : nested) {
            commands.push_back(cmd + " " + n);
        }
    }
    REQUIRE(commands.size() >= 30);
    for (const auto& cmd : commands) {
        INFO(cmd);
        const std::string section = command_section(page, cmd);
        for (const auto& option : options_in_help(cmd)) {
            INFO(option);
            CHECK_THAT(section, Catch::Contains("\\fB" + in_roff(option) + "\\fR"));
        }
        for (const auto& positional : positionals_in_help(cmd)) {
            CHECK_THAT(section, Catch::Contains("\\fI" + positional + "\\fR"));
        }
        // The command's own exit codes, as its --help lists them.
        for (const auto& [code, meaning] : exit_codes_in(help_of(words_of(cmd)))) {
            CHECK_THAT(section, Catch::Contains(".B " + std::to_string(code) + "\n"));
        }
        CHECK_THAT(section,
                   Catch::Contains("Examples:") && Catch::Contains("certtool " + in_roff(cmd)));
    }
}

TEST_CASE("issue #12.17: groff and man render the man page without a warning", "[cli][docs]") {
    const std::string page = (k_docs / "certtool.1").string();
    const RunResult groff = run({"groff", "-man", "-Tutf8", "-ww", "-z", page});
    INFO("groff (scripts/install-deps.sh installs groff-base): " << groff.err);
    CHECK(groff.exit_code == 0);
    CHECK(groff.err.empty());
    const RunResult man =
        run({"man", "--warnings", "-l", page}, {{{"MANPAGER", "cat"}, {"MANWIDTH", "100"}}});
    INFO("man (man-db): " << man.err);
    CHECK(man.exit_code == 0);
    CHECK(man.err.empty());
    CHECK_THAT(man.out, Catch::Contains("CERTTOOL(1)") && Catch::Contains("create-selfsigned"));
}

TEST_CASE("issue #12.17: the bash completion completes commands, options and values",
          "[cli][docs]") {
    const auto commands = commands_in_help();
    CHECK(as_set(complete({""})) == as_set(commands));
    CHECK(as_set(complete({"ex"})) ==
          std::set<std::string>{"export", "export-csr", "export-pkcs12"});
    CHECK(as_set(complete({"--"})) == long_options(options_in_help("")));
    for (const auto& cmd : commands) {
        INFO(cmd);
        CHECK(as_set(complete({cmd, "--"})) == long_options(options_in_help(cmd)));
        // Options come after the command's arguments too, and after a global option.
        CHECK(as_set(complete({"--json", cmd, "x", "--"})) == long_options(options_in_help(cmd)));
        // A group completes its own commands, then each command's options and values.
        const auto nested = commands_in_help(cmd);
        if (!nested.empty()) {
            CHECK(as_set(complete({cmd, ""})) == as_set(nested));
        }
        for (const auto& n : nested) {
            INFO(n);
            CHECK(as_set(complete({cmd, n, "--"})) == long_options(options_in_help(cmd + " " + n)));
            CHECK(as_set(complete({"--json", cmd, n, "x", "--"})) ==
                  long_options(options_in_help(cmd + " " + n)));
        }
    }
    CHECK(complete({"listener", "set", "--tl"}) == std::vector<std::string>{"--tls"});
    CHECK(complete({"create-selfsigned", "--ke"}) == std::vector<std::string>{"--key-type"});
    CHECK(complete({"mail-log", "-v"}) == std::vector<std::string>{"-v"});
    CHECK(as_set(complete({"create-selfsigned", "mail", "--key-type", "ec"})) ==
          std::set<std::string>{"ec-p256", "ec-p384"});
    CHECK(complete({"verify", "--profile", "w"}) == std::vector<std::string>{"webpki"});
    CHECK(complete({"export-pkcs12", "--profile", ""}) ==
          std::vector<std::string>{"modern", "compat", "legacy"});
    CHECK(complete({"create-selfsigned", "--cn", ""}).empty());  // a value to type
    const auto variables = complete({"import-pkcs12", "--password-env", "HO"});
    CHECK(std::find(variables.begin(), variables.end(), "HOME") != variables.end());
    // Paths where a file is expected, only directories for --store.
    const TempDir dir;
    write_file(dir / "leaf.pem", "x");
    std::filesystem::create_directories(dir / "certs");
    const std::string prefix = (dir / "").string();
    CHECK(as_set(complete({"verify", "--cert", prefix})) ==
          std::set<std::string>{prefix + "certs", prefix + "leaf.pem"});
    CHECK(as_set(complete({"mail-log", prefix + "l"})) ==
          std::set<std::string>{prefix + "leaf.pem"});
    CHECK(as_set(complete({"list", "--store", prefix})) == std::set<std::string>{prefix + "certs"});
    CHECK(complete({"--store", prefix + "certs", "sh"}) == std::vector<std::string>{"show"});
}

TEST_CASE("issue #12.17: the zsh completion names every command and option", "[cli][docs]") {
    const std::string zsh = read_file(k_docs / "_certtool");
    CHECK_THAT(zsh, Catch::StartsWith("#compdef certtool\n"));
    for (const auto& cmd : commands_in_help()) {
        INFO(cmd);
        CHECK_THAT(
            zsh, Catch::Contains("    '" + cmd + ":") && Catch::Contains("        " + cmd + ")\n"));
        for (const auto& option : options_in_help(cmd)) {
            CHECK_THAT(zsh,
                       Catch::Contains("'" + option + "[") || Catch::Contains("'*" + option + "["));
        }
    }
    // Parsed by zsh itself (scripts/install-deps.sh installs it).
    const RunResult syntax = run({"zsh", "-n", (k_docs / "_certtool").string()});
    INFO(syntax.err);
    CHECK(syntax.exit_code == 0);
    CHECK(syntax.err.empty());
}

TEST_CASE("issue #12.17: cmake --install puts the man page and completions in place",
          "[cli][docs]") {
    const TempDir prefix;
    const RunResult r = run({CERTTOOL_CMAKE_COMMAND,
                             "--install",
                             CERTTOOL_BUILD_DIR,
                             "--prefix",
                             prefix.path().string()});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    const std::filesystem::path p = prefix.path();
    CHECK(read_file(p / "share/man/man1/certtool.1") == read_file(k_docs / "certtool.1"));
    CHECK(read_file(p / "share/bash-completion/completions/certtool") ==
          read_file(k_docs / "certtool.bash"));
    CHECK(read_file(p / "share/zsh/vendor-completions/_certtool") ==
          read_file(k_docs / "_certtool"));
    CHECK(std::filesystem::exists(p / "bin/certtool"));
}
