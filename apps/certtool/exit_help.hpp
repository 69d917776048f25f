// What each exit code means for each command: one table (exit_help.cpp), keyed by subcommand
// name, printed at the end of that command's --help and in the man page's COMMANDS section. The
// codes themselves and the one Errc -> code mapping stay in cli.hpp / cli.cpp.
#pragma once

#include "cli.hpp"

#include <span>
#include <string>
#include <string_view>

namespace certtool::cli {

struct ExitCodeMeaning {
    ExitCode code{ExitCode::ok};
    std::string_view meaning;  // for this command, e.g. "the chain is invalid: findings say why"
};

// The codes `command` can return, ascending, each with what it means there. For "" (certtool
// itself) and for a command without a table of its own: the general list (README "Exit codes").
[[nodiscard]] std::span<const ExitCodeMeaning> exit_codes_for(std::string_view command) noexcept;

// Whether exit_help.cpp has a table for `command`. certtool_docgen fails the build for a
// subcommand without one.
[[nodiscard]] bool has_own_exit_codes(std::string_view command) noexcept;

// "EXIT CODES\n  0  meaning\n  ...": exit_codes_for(command), wrapped at 100 columns.
[[nodiscard]] std::string exit_codes_text(std::string_view command);

// Appends exit_codes_text() to the footer of every subcommand of `app` and the general list to
// app's own. Called once, after every subcommand is registered.
void add_exit_code_help(CLI::App& app);

}  // namespace certtool::cli
