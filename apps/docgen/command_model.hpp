// certtool's command line as plain data, read from the CLI11 tree that cli::define_commands()
// builds: what the man page and the shell completions are written from. Only
// command_model.cpp sees CLI11; the writers see these structs.
#pragma once

#include <string>
#include <vector>

namespace CLI {  // NOLINT(readability-identifier-naming): CLI11's namespace
class App;
}  // namespace CLI

namespace certtool::docgen {

struct OptionDoc {
    std::vector<std::string> names;    // "-o", "--output"; a positional: its name, "NAME"
    std::string value;                 // "FILE", "HOST", ...; empty for a flag
    std::vector<std::string> choices;  // from CLI::IsMember and {a,b,c} validators
    std::string description;
    bool positional{false};
    bool required{false};
    bool repeatable{false};

    [[nodiscard]] bool is_flag() const { return value.empty() && !positional; }

    // A path is completed from the file system: FILE, DIR, FILE|DIR, ...
    [[nodiscard]] bool takes_file() const;
    [[nodiscard]] bool takes_directory_only() const;
};

struct ExitCodeDoc {
    int code{0};
    std::string meaning;
};

struct CommandDoc {
    std::string name;  // "create-selfsigned"
    std::string description;
    std::vector<OptionDoc> options;  // as registered; positionals among them
    std::vector<std::string> examples;
    std::vector<ExitCodeDoc> exit_codes;
    // A command group (listener) is completed as one command whose first argument is its own
    // command (add, set, ...); the man page documents each of those ("listener add") instead.
    bool in_man_page{true};
    bool in_completion{true};              // false: the zsh completion leaves it out (bash has it)
    std::vector<std::string> subcommands;  // a group's own commands (add, set, ...)

    [[nodiscard]] std::vector<const OptionDoc*> positionals() const;
    [[nodiscard]] std::vector<const OptionDoc*> named_options() const;
};

struct ProgramDoc {
    std::string name;     // "certtool"
    std::string summary;  // one line, for NAME
    std::string version;  // "0.1.0"
    CommandDoc global;    // certtool's own options, examples and the general exit codes
    std::vector<CommandDoc> commands;
};

// Reads `app` (after cli::define_commands) into a ProgramDoc. Examples come from each footer's
// EXAMPLES block (cli::footer()), exit codes from cli::exit_codes_for().
[[nodiscard]] ProgramDoc describe_program(CLI::App& app, const std::string& version);

}  // namespace certtool::docgen
