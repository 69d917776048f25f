#include "usage_error.hpp"

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <set>
#include <span>
#include <string_view>
#include <vector>

namespace certtool::cli {

namespace {

// An option whose name holds one of these carries a secret.
constexpr std::array<std::string_view, 4> k_secret_words{"pass", "secret", "pin", "pwd"};
// Single-dash spellings shown whole (openssl's -passin); any other -p... is shown as -p, since
// what follows the p may be the password itself (-pS3cr3t).
constexpr std::array<std::string_view, 9> k_secret_single_dash{
    "pass", "passin", "passout", "password", "passwd", "passphrase", "pin", "secret", "pwd"};

std::string ascii_lower(std::string_view text) {
    std::string out{text};
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return out;
}

bool names_a_secret(std::string_view name) {
    const std::string lower = ascii_lower(name);
    return std::any_of(k_secret_words.begin(), k_secret_words.end(), [&](std::string_view word) {
        return lower.find(word) != std::string::npos;
    });
}

// An argument that looks like an option: the name to look up and to show.
struct OptionToken {
    std::string name;      // "--password", "-p", "-passin"
    bool attached{false};  // a value is part of the argument: --password=X, -pX
    bool secret{false};    // the name is password-like
};

std::optional<OptionToken> option_token(std::string_view arg) {
    if (arg.size() < 2 || arg.front() != '-' || arg == "--") {
        return std::nullopt;
    }
    const std::size_t eq = arg.find('=');
    const std::string_view spelled = arg.substr(0, eq);
    if (arg[1] == '-') {
        return OptionToken{
            std::string{spelled}, eq != std::string_view::npos, names_a_secret(spelled.substr(2))};
    }
    if (arg[1] >= '0' && arg[1] <= '9') {
        return std::nullopt;  // a negative number
    }
    const std::string body = ascii_lower(spelled.substr(1));
    if (std::find(k_secret_single_dash.begin(), k_secret_single_dash.end(), body) !=
        k_secret_single_dash.end()) {
        return OptionToken{std::string{spelled}, eq != std::string_view::npos, true};
    }
    return OptionToken{
        std::string{arg.substr(0, 2)}, arg.size() > 2, arg[1] == 'p' || arg[1] == 'P'};
}

// The password-like options the command line gives that the command does not define, and every
// argument never to be shown: those options with a value attached and the values after them.
struct SecretScan {
    std::vector<std::string> options;
    std::set<std::string, std::less<>> hidden;
};

SecretScan scan_for_secrets(const CLI::App& app,
                            const CLI::App& command,
                            std::span<const char* const> args) {
    SecretScan scan;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto token = option_token(args[i]);
        if (!token || !token->secret || command.get_option_no_throw(token->name) != nullptr ||
            app.get_option_no_throw(token->name) != nullptr) {
            continue;
        }
        if (std::find(scan.options.begin(), scan.options.end(), token->name) ==
            scan.options.end()) {
            scan.options.push_back(token->name);
        }
        scan.hidden.insert(args[i]);
        if (!token->attached && i + 1 < args.size()) {
            scan.hidden.insert(args[++i]);  // the value, whatever it looks like
        }
    }
    return scan;
}

std::string comma_list(const std::vector<std::string>& items, std::string_view quote = "") {
    std::string out;
    for (const auto& item : items) {
        out += fmt::format("{}{}{}{}", out.empty() ? "" : ", ", quote, item, quote);
    }
    return out;
}

// "a, b or c"
std::string or_list(const std::vector<std::string>& items) {
    if (items.size() < 2) {
        return items.empty() ? std::string{} : items.front();
    }
    const std::vector<std::string> head(items.begin(), items.end() - 1);
    return comma_list(head) + " or " + items.back();
}

// {"--password-file FILE", "--password-env VAR", "--password-fd N"}: the command's own
// password options as registered (password.cpp), so this text cannot name one that does not
// exist.
std::vector<std::string> password_sources(const CLI::App& command) {
    std::vector<std::string> sources;
    for (const CLI::Option* opt : command.get_options()) {
        for (const auto& name : opt->get_lnames()) {
            if (name.rfind("password-", 0) == 0) {
                const std::string type = opt->get_type_name();
                sources.push_back(fmt::format("--{} {}", name, type.substr(0, type.find(':'))));
            }
        }
    }
    return sources;
}

std::string refuse_secrets(const CLI::App& app,
                           const CLI::App& command,
                           const std::string& where,
                           const std::vector<std::string>& options) {
    const std::string shown =
        fmt::format("{} has no option {} (what was given with {} is not shown)",
                    where,
                    comma_list(options),
                    options.size() == 1 ? "it" : "them");
    if (const auto own = password_sources(command); !own.empty()) {
        return fmt::format(
            "{}: certtool never takes a password on the command line; use {}, or none of them "
            "to be asked on the terminal",
            shown,
            or_list(own));
    }
    std::vector<std::string> users;
    std::vector<std::string> sources;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
        if (auto s = password_sources(*sub); !s.empty()) {
            users.push_back(sub->get_name());
            sources = std::move(s);
        }
    }
    sources.emplace_back("the terminal");
    return fmt::format("{}: {}{} read a password from {}, never from the command line",
                       shown,
                       &command == &app ? "" : where + " takes no password; ",
                       comma_list(users),
                       or_list(sources));
}

// The command parsed, down to a group's own command (listener add).
const CLI::App& innermost(const CLI::App& app) {
    const CLI::App* command = &app;
    while (!command->get_subcommands().empty()) {
        command = command->get_subcommands().front();
    }
    return *command;
}

// "listener add", "verify".
std::string command_path(const CLI::App& app) {
    std::string path;
    for (const CLI::App* c = &app; !c->get_subcommands().empty();) {
        c = c->get_subcommands().front();
        path += (path.empty() ? "" : " ") + c->get_name();
    }
    return path;
}

// Unknown options and unexpected arguments, in the order given.
std::vector<std::string> unexpected_parts(const CLI::App& app,
                                          const CLI::App& command,
                                          const SecretScan& scan) {
    std::vector<std::string> options;
    std::vector<std::string> arguments;
    for (const std::string& extra : app.remaining(true)) {
        if (extra == "--" || scan.hidden.contains(extra)) {
            continue;
        }
        (option_token(extra) ? options : arguments).push_back(extra);
    }
    std::vector<std::string> parts;
    if (&command == &app && !arguments.empty()) {
        parts.push_back(fmt::format("unknown command '{}'", arguments.front()));
        arguments.erase(arguments.begin());
    }
    if (!options.empty()) {
        parts.push_back(fmt::format(
            "unknown option{} {}", options.size() == 1 ? "" : "s", comma_list(options)));
    }
    if (!arguments.empty()) {
        parts.push_back(fmt::format("unexpected argument{} {}",
                                    arguments.size() == 1 ? "" : "s",
                                    comma_list(arguments, "'")));
    }
    return parts;
}

}  // namespace

std::optional<std::string> usage_problem(const CLI::App& app, int argc, const char* const* argv) {
    const std::vector<CLI::App*> parsed = app.get_subcommands();
    const CLI::App& command = innermost(app);
    const std::string where = parsed.empty() ? std::string{"certtool"} : command_path(app);
    const std::span<const char* const> args{argv, static_cast<std::size_t>(argc)};
    const SecretScan scan = scan_for_secrets(app, command, args.subspan(1));
    std::vector<std::string> parts = unexpected_parts(app, command, scan);
    if (!scan.options.empty()) {
        parts.insert(parts.begin(), refuse_secrets(app, command, where, scan.options));
    } else if (!parts.empty() && !parsed.empty()) {
        parts.front() = fmt::format("{}: {}", where, parts.front());
    } else if (parts.empty()) {
        return std::nullopt;
    }
    std::string message = parts.front();
    for (std::size_t i = 1; i < parts.size(); ++i) {
        message += "; " + parts[i];
    }
    return message;
}

std::string help_hint(const CLI::App& app) {
    const std::vector<CLI::App*> parsed = app.get_subcommands();
    return parsed.empty() ? std::string{" (see 'certtool --help')"}
                          : fmt::format(" (see 'certtool {} --help')", command_path(app));
}

}  // namespace certtool::cli
