// The documents certtool_docgen writes from a ProgramDoc.
#pragma once

#include "command_model.hpp"

#include <string>

namespace certtool::docgen {

// certtool(1) in roff with the man(7) macros: NAME, SYNOPSIS, DESCRIPTION, OPTIONS, COMMANDS
// (each subcommand with its synopsis, options, exit codes and examples), EXIT STATUS,
// ENVIRONMENT, FILES, EXAMPLES, SEE ALSO. Renders without groff warnings (-ww).
[[nodiscard]] std::string man_page(const ProgramDoc& doc);

// A bash completion script defining _certtool and `complete -F _certtool certtool`: commands,
// each command's options, the values of options with choices, files and directories where a
// path is expected. Needs nothing from the bash-completion package.
[[nodiscard]] std::string bash_completion(const ProgramDoc& doc);

// A zsh completion function (#compdef certtool) with the same knowledge, through _arguments.
[[nodiscard]] std::string zsh_completion(const ProgramDoc& doc);

}  // namespace certtool::docgen
