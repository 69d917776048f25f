// What `certtool --help` and `certtool COMMAND --help` say, read as a user reads them: the
// commands, each command's options, its EXIT CODES list. Independent of CLI11's API, so the
// tests that use it check the binary, the man page and the completions against the same text.
#pragma once

#include "support.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace certtool::test {

// The lines of the block that starts with `heading` ("Options:") up to the next blank line.
inline std::vector<std::string> help_block(const std::string& help, const std::string& heading) {
    std::vector<std::string> out;
    std::istringstream lines{help};
    bool in_block = false;
    for (std::string line; std::getline(lines, line);) {
        if (line == heading) {
            in_block = true;
        } else if (in_block && line.empty()) {
            break;
        } else if (in_block) {
            out.push_back(line);
        }
    }
    return out;
}

// "listener add" -> {"listener", "add"}.
inline std::vector<std::string> words_of(const std::string& command) {
    std::vector<std::string> out;
    std::istringstream words{command};
    for (std::string w; words >> w;) {
        out.push_back(w);
    }
    return out;
}

inline std::string help_of(const std::vector<std::string>& command) {
    std::vector<std::string> args = command;
    args.emplace_back("--help");
    const RunResult r = run_certtool(args);
    REQUIRE(r.exit_code == 0);
    return r.out;
}

// The commands `certtool --help` lists, or a command group's (`certtool listener --help`).
inline std::vector<std::string> commands_in_help(const std::string& group = {}) {
    std::vector<std::string> out;
    for (const auto& line : help_block(help_of(words_of(group)), "Subcommands:")) {
        std::istringstream words{line};
        std::string name;
        words >> name;
        out.push_back(name);
    }
    return out;
}

// "-o", "--output", ... from the Options: block of COMMAND's help ("" for certtool's own).
inline std::vector<std::string> options_in_help(const std::string& command) {
    std::vector<std::string> out;
    const std::string help = help_of(words_of(command));
    for (const auto& line : help_block(help, "Options:")) {
        if (line.rfind("  -", 0) != 0) {
            continue;  // a description continued on its own line
        }
        std::istringstream words{line};
        std::string names;
        words >> names;
        std::istringstream list{names};
        for (std::string name; std::getline(list, name, ',');) {
            out.push_back(name);
        }
    }
    return out;
}

// "NAME", "FILE": the Positionals: block of COMMAND's help.
inline std::vector<std::string> positionals_in_help(const std::string& command) {
    std::vector<std::string> out;
    for (const auto& line : help_block(help_of(words_of(command)), "Positionals:")) {
        if (line.rfind("  ", 0) == 0 && line.size() > 2 && line[2] != ' ') {
            std::istringstream words{line};
            std::string name;
            words >> name;
            out.push_back(name);
        }
    }
    return out;
}

// The EXIT CODES list of a help text: code -> meaning (continuation lines joined). A code is
// one to three digits ("  3  meaning", "  255  meaning").
inline std::map<int, std::string> exit_codes_in(const std::string& help) {
    std::map<int, std::string> out;
    int last = -1;
    for (const auto& line : help_block(help, "EXIT CODES")) {
        std::size_t digits = 0;
        while (2 + digits < line.size() && digits < 3 && line[2 + digits] >= '0' &&
               line[2 + digits] <= '9') {
            ++digits;
        }
        if (digits > 0 && line.rfind("  ", 0) == 0 && line.size() > 4 + digits &&
            line.substr(2 + digits, 2) == "  ") {
            last = std::stoi(line.substr(2, digits));
            out[last] = line.substr(4 + digits);
        } else if (last >= 0 && line.rfind("     ", 0) == 0) {
            out[last] += " " + line.substr(5);
        } else {
            FAIL("unexpected line in EXIT CODES: '" << line << "'");
        }
    }
    return out;
}

}  // namespace certtool::test
