#include "writers.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <string_view>

namespace certtool::docgen {

namespace {

std::string words_of(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) {
        out += (out.empty() ? "" : " ") + i;
    }
    return out;
}

// The top-level commands (a group's own ones are "listener add": not words of their own).
std::vector<std::string> command_names(const ProgramDoc& doc, bool groups) {
    std::vector<std::string> out;
    for (const auto& c : doc.commands) {
        if (c.name.find(' ') == std::string::npos && (groups || c.subcommands.empty())) {
            out.push_back(c.name);
        }
    }
    return out;
}

std::vector<std::string> option_names(const CommandDoc& c) {
    std::vector<std::string> out;
    for (const OptionDoc* o : c.named_options()) {
        out.insert(out.end(), o->names.begin(), o->names.end());
    }
    return out;
}

// bash: one `case "$cmd $prev"` arm per kind of value an option takes.
struct ValueArms {
    std::vector<std::string> files;
    std::vector<std::string> directories;
    std::vector<std::string> variables;  // --password-env VAR
    std::vector<std::string> free;       // typed by the user: nothing to offer
    std::string choices;                 // complete arms of their own
};

void add_value_arms(ValueArms& arms, const CommandDoc& c, const std::string& key) {
    for (const OptionDoc* o : c.named_options()) {
        if (o->is_flag()) {
            continue;
        }
        for (const auto& n : o->names) {
            const std::string pattern = fmt::format("\"{} {}\"", key, n);
            if (!o->choices.empty()) {
                arms.choices +=
                    fmt::format("        {}) words='{}' ;;\n", pattern, words_of(o->choices));
            } else if (o->takes_directory_only()) {
                arms.directories.push_back(pattern);
            } else if (o->value == "VAR") {
                arms.variables.push_back(pattern);
            } else if (o->takes_file()) {
                arms.files.push_back(pattern);
            } else {
                arms.free.push_back(pattern);
            }
        }
    }
}

// "        a | b)\n            body\n            ;;\n", or nothing for no patterns.
std::string arm(const std::vector<std::string>& patterns, std::string_view body) {
    if (patterns.empty()) {
        return "";
    }
    std::string out = "        ";
    for (std::size_t i = 0; i < patterns.size(); ++i) {
        out += (i == 0 ? "" : " |\\\n        ") + patterns[i];
    }
    return out + ")\n            " + std::string{body} + "\n            ;;\n";
}

// zsh: text inside single quotes, and the parts of an _arguments spec.
std::string zsh_quoted(std::string_view text) {
    std::string out;
    for (const char c : text) {
        out += c == '\'' ? std::string{"'\\''"} : std::string(1, c);
    }
    return out;
}

std::string zsh_escaped(std::string_view text, std::string_view specials) {
    std::string out;
    for (const char c : text) {
        if (specials.find(c) != std::string_view::npos) {
            out += '\\';
        }
        out += c;
    }
    return out;
}

std::string zsh_action(const OptionDoc& o) {
    if (!o.choices.empty()) {
        return fmt::format("({})", words_of(o.choices));
    }
    if (o.takes_directory_only()) {
        return "_files -/";
    }
    if (o.value == "VAR") {
        return "_parameters";
    }
    if (o.takes_file()) {
        return "_files";
    }
    // Nothing to offer but a message; for an argument, through _guard, which lets options still
    // complete where the argument could come (a bare " " would stop them).
    return o.positional ? fmt::format("_guard \"^-*\" {}", o.names.front()) : std::string{" "};
}

std::vector<std::string> zsh_specs(const CommandDoc& c) {
    std::vector<std::string> out;
    for (const OptionDoc* o : c.named_options()) {
        const std::string description = zsh_escaped(o->description, "\\[]");
        for (const auto& n : o->names) {
            std::string spec = fmt::format("{}{}[{}]", o->repeatable ? "*" : "", n, description);
            if (!o->is_flag()) {
                spec += fmt::format(":{}:{}", zsh_escaped(o->value, "\\:"), zsh_action(*o));
            }
            out.push_back(spec);
        }
    }
    int position = 0;
    for (const OptionDoc* p : c.positionals()) {
        const std::string message = zsh_escaped(p->names.front(), "\\:");
        if (p->repeatable) {
            out.push_back(fmt::format("*:{}:{}", message, zsh_action(*p)));
        } else {
            out.push_back(fmt::format(
                "{}:{}{}:{}", ++position, p->required ? "" : ":", message, zsh_action(*p)));
        }
    }
    return out;
}

std::string zsh_arguments(const std::vector<std::string>& specs, std::string_view indent) {
    std::string out;
    for (const auto& s : specs) {
        out += fmt::format(" \\\n{}'{}'", indent, zsh_quoted(s));
    }
    return out;
}

}  // namespace

std::string bash_completion(const ProgramDoc& doc) {
    ValueArms arms;
    add_value_arms(arms, doc.global, "");
    std::string option_arms =
        fmt::format("        '') words='{}' ;;\n", words_of(option_names(doc.global)));
    std::vector<std::string> global_values;  // skipped with their value to find the command
    for (const OptionDoc* o : doc.global.named_options()) {
        if (!o->is_flag()) {
            global_values.insert(global_values.end(), o->names.begin(), o->names.end());
        }
    }
    std::vector<std::string> file_arguments;
    std::string find_groups;  // a group, then the command of its own that follows it
    std::string group_words;  // a group's commands, offered after it
    for (const auto& c : doc.commands) {
        add_value_arms(arms, c, c.name);
        option_arms +=
            fmt::format("        \"{}\") words='{}' ;;\n", c.name, words_of(option_names(c)));
        if (!c.subcommands.empty()) {
            std::string nested;
            for (const auto& n : c.subcommands) {
                nested += (nested.empty() ? "" : "|") + n;
            }
            find_groups += fmt::format(
                "        {})\n"
                "            cmd=${{COMP_WORDS[i]}}\n"
                "            if ((i + 1 < COMP_CWORD)); then\n"
                "                case ${{COMP_WORDS[i + 1]}} in\n"
                "                    {}) cmd=\"$cmd ${{COMP_WORDS[i + 1]}}\" ;;\n"
                "                esac\n"
                "            fi\n"
                "            break\n"
                "            ;;\n",
                c.name,
                nested);
            group_words +=
                fmt::format("        {}) words='{}' ;;\n", c.name, words_of(c.subcommands));
        }
        const auto positionals = c.positionals();
        if (std::any_of(positionals.begin(), positionals.end(), [](const OptionDoc* p) {
                return p->takes_file();
            })) {
            file_arguments.push_back("\"" + c.name + "\"");
        }
    }
    const std::string find_command =
        arm(global_values, "((i++))") + find_groups +
        arm(command_names(doc, false), "cmd=${COMP_WORDS[i]}\n            break");
    const std::string value_cases =
        arms.choices + arm(arms.files, "_certtool_files \"$cur\"\n            return") +
        arm(arms.directories, "_certtool_dirs \"$cur\"\n            return") +
        arm(arms.variables, "COMPREPLY=($(compgen -v -- \"$cur\"))\n            return") +
        arm(arms.free, "return");
    return fmt::format(
        R"(# bash completion for certtool {version}, generated by certtool_docgen from the command
# definitions (apps/certtool): do not edit. Installed as share/bash-completion/completions/certtool.

_certtool_files() {{
    local IFS=$'\n'
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -f -- "$1"))
}}

_certtool_dirs() {{
    local IFS=$'\n'
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -d -- "$1"))
}}

_certtool() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}} prev='' cmd='' words='' i
    if ((COMP_CWORD > 0)); then
        prev=${{COMP_WORDS[COMP_CWORD - 1]}}
    fi
    COMPREPLY=()
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${{COMP_WORDS[i]}} in
{find_command}        esac
    done
    case "$cmd $prev" in
{value_cases}    esac
    if [[ -z $words && $cur == -* ]]; then
        case $cmd in
{option_arms}        esac
    elif [[ -z $words && -z $cmd ]]; then
        words='{command_words}'
    elif [[ -z $words ]]; then
        case $cmd in
{group_words}{file_arguments}        esac
        [[ -z $words ]] && return
    fi
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}}

complete -F _certtool certtool
)",
        fmt::arg("version", doc.version),
        fmt::arg("find_command", find_command),
        fmt::arg("value_cases", value_cases),
        fmt::arg("option_arms", option_arms),
        fmt::arg("command_words", words_of(command_names(doc, true))),
        fmt::arg("group_words", group_words),
        fmt::arg("file_arguments", arm(file_arguments, "_certtool_files \"$cur\"")));
}

std::string zsh_completion(const ProgramDoc& doc) {
    std::string commands;
    std::string arms;
    for (const auto& c : doc.commands) {
        if (!c.in_completion) {
            continue;
        }
        commands +=
            fmt::format("    '{}'\n", zsh_quoted(c.name + ":" + zsh_escaped(c.description, "\\:")));
        arms += fmt::format("        {})\n          _arguments{}\n          ;;\n",
                            c.name,
                            zsh_arguments(zsh_specs(c), "            "));
    }
    return fmt::format(
        R"(#compdef certtool
# zsh completion for certtool {version}, generated by certtool_docgen from the command
# definitions (apps/certtool): do not edit. Installed as share/zsh/vendor-completions/_certtool.

_certtool() {{
  local curcontext=$curcontext state line
  local -a commands
  commands=(
{commands}  )
  _arguments -C{global} \
    '1:command:->command' \
    '*::argument:->argument'
  case $state in
    command)
      _describe -t commands 'certtool command' commands
      ;;
    argument)
      case $words[1] in
{arms}      esac
      ;;
  esac
}}

_certtool "$@"
)",
        fmt::arg("version", doc.version),
        fmt::arg("commands", commands),
        fmt::arg("global", zsh_arguments(zsh_specs(doc.global), "    ")),
        fmt::arg("arms", arms));
}

}  // namespace certtool::docgen
