#include "cli.hpp"

#include "exit_help.hpp"
#include "usage_error.hpp"

#include <certtool/expiry.hpp>
#include <certtool/library.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <iostream>
#include <optional>
#include <span>

namespace certtool::cli {

namespace {

void print_error(std::ostream& out,
                 std::ostream& err,
                 bool json,
                 std::string_view code,
                 const std::string& message,
                 ExitCode exit) {
    if (json) {
        out << nlohmann::json{{"error", {{"code", code}, {"message", message}}},
                              {"exit_code", static_cast<int>(exit)}}
                   .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
            << '\n';
    } else {
        err << "certtool: error: " << printable(message) << '\n';
    }
}

bool wants_json(int argc, const char* const* argv) {
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--json") ==
            0) {  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
            return true;
        }
    }
    return false;
}

// `check-expiry --nagios`: a Nagios plugin, whose usage errors are UNKNOWN (3) on stdout.
bool nagios_plugin(int argc, const char* const* argv) {
    const std::span<const char* const> args{argv, static_cast<std::size_t>(argc)};
    const auto has = [&](std::string_view word) {
        return std::any_of(args.begin() + 1, args.end(), [&](const char* a) { return a == word; });
    };
    return argc > 1 && has("check-expiry") && has("--nagios");
}

std::string version_text() {
    return fmt::format("certtool {} ({})", CERTTOOL_VERSION, OpenSSL_version(OPENSSL_VERSION));
}

}  // namespace

std::string dump_json(const nlohmann::json& j) {
    // Bytes that are not UTF-8 (a certificate's or a file's name) become U+FFFD rather than
    // an exception.
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ExitCode exit_code_for(Errc code) noexcept {
    switch (code) {
        case Errc::invalid_argument:
            return ExitCode::usage;
        case Errc::parse:
            return ExitCode::malformed_input;
        case Errc::bad_password:
            return ExitCode::bad_password;
        case Errc::key_mismatch:
            return ExitCode::key_mismatch;
        case Errc::not_found:
            return ExitCode::not_found;
        case Errc::already_exists:
            return ExitCode::already_exists;
        case Errc::in_use:
            return ExitCode::in_use;
        case Errc::io:
        case Errc::crypto:
        case Errc::unsupported:
        case Errc::network:
        case Errc::locked:
            return ExitCode::failed;
    }
    return ExitCode::failed;
}

void Output::warn(const std::string& message) {
    if (m_json) {
        m_warnings.push_back(message);
    } else {
        m_err << "certtool: warning: " << printable(message) << '\n';
    }
}

void Output::note(const std::string& message) {
    if (m_json) {
        m_notes.push_back(message);
    } else {
        m_err << "certtool: " << printable(message) << '\n';
    }
}

void Output::flush() {
    if (m_json && !m_json_lines) {
        for (const auto& w : m_warnings) {
            m_result["warnings"].push_back(w);
        }
        for (const auto& n : m_notes) {
            m_result["notes"].push_back(n);
        }
        m_out << dump_json(m_result) << '\n';
    }
    m_out.flush();
}

void add_common(CLI::App& sub, Common& common) {
    sub.add_option("--store",
                   common.store,
                   "store directory (default: $CERTTOOL_HOME, else "
                   "${XDG_DATA_HOME:-~/.local/share}/certtool)")
        ->type_name("DIR");
    sub.add_flag("--json", common.json, "print one JSON object to stdout");
}

std::string footer(const std::vector<std::string>& examples) {
    std::string out = "\nEXAMPLES\n";
    for (const auto& e : examples) {
        out += "  " + e + "\n";
    }
    return out;
}

CLI::Option* add_trust_option(CLI::App& sub,
                              std::vector<std::string>& target,
                              const std::string& help) {
    return sub.add_option("--trust", target, help + " (repeatable: the anchors are merged)")
        ->type_name("FILE|DIR");
}

void add_verification_options(CLI::App& sub,
                              VerificationCliOptions& target,
                              const std::string& trust_help,
                              const std::string& hostname_help) {
    add_trust_option(sub, target.trust, trust_help);
    sub.add_option("--hostname", target.hostnames, hostname_help)->type_name("NAME");
    sub.add_option("--at", target.at, "validation time, RFC 3339 (default: now)")
        ->type_name("TIME");
    sub.add_option("--profile",
                   target.profile,
                   "which rules make a chain invalid: openssl (default: what OpenSSL-based "
                   "peers such as Postfix decide; the stricter profiles' rules are warnings), "
                   "rfc5280 or webpki")
        ->check(CLI::Validator(
            [](const std::string& value) {
                return parse_profile(value)
                           ? std::string{}
                           : "unknown profile '" + value + "': use openssl, rfc5280 or webpki";
            },
            "{openssl,rfc5280,webpki}"));
    sub.add_option("--security-level",
                   target.security_level,
                   "OpenSSL security level for the openssl profile, 0-5 (default 1, OpenSSL's; "
                   "Debian's TLS default is 2)")
        ->check(CLI::Range(0, 5));
}

void apply_verification_options(const VerificationCliOptions& given, VerifyOptions& options) {
    if (!given.at.empty()) {
        options.at = parse_time(given.at);
    }
    if (const auto profile = parse_profile(given.profile)) {
        options.profile = *profile;
    }
    options.security_level = given.security_level;
}

TrustStore trust_from_option(const std::vector<std::string>& option, const Common& common) {
    return option.empty() ? effective_trust(open_store(common))
                          : TrustStore::from_paths({option.begin(), option.end()});
}

Store open_store(const Common& common) {
    return Store{
        common.store.empty() ? Store::default_location() : std::filesystem::path{common.store},
        common.warn};
}

void define_commands(CLI::App& app, Dispatch& dispatch, std::ostream& out) {
    app.name("certtool");
    app.description("certtool: certificate lifecycle for mail gateways and other TLS services");
    app.footer(footer({"certtool create-selfsigned mail --cn mail.example.com",
                       "certtool export-csr mail -o mail.csr",
                       "certtool import-signed mail --cert signed.pem --intermediate ca.pem",
                       "CERTTOOL_P12_PASS=... certtool export-pkcs12 mail -o mail.p12 "
                       "--password-env CERTTOOL_P12_PASS"}));
    app.require_subcommand(1);
    app.add_flag_callback(
        "--version",
        [&out] {
            out << version_text() << '\n';
            throw CLI::Success{};
        },
        "print the version and exit");
    add_common(app, dispatch.common);
    add_create_selfsigned(app, dispatch);
    add_export_csr(app, dispatch);
    add_import_signed(app, dispatch);
    add_import_pkcs12(app, dispatch);
    add_export_pkcs12(app, dispatch);
    add_renew(app, dispatch);
    add_list(app, dispatch);
    add_show(app, dispatch);
    add_delete(app, dispatch);
    add_export(app, dispatch);
    add_mail_log(app, dispatch);
    add_verify(app, dispatch);
    add_check_tls(app, dispatch);
    add_check_expiry(app, dispatch);
    add_fix_chain(app, dispatch);
    add_inbound_commands(app, dispatch);
    add_delivery_commands(app, dispatch);
    add_target_commands(app, dispatch);
    add_commit_commands(app, dispatch);
    add_config_commands(app, dispatch);
    add_policy_commands(app, dispatch);
    add_backup_commands(app, dispatch);
    add_ca_commands(app, dispatch);
    add_acme_commands(app, dispatch);
    add_exit_code_help(app);
}

namespace {

using Adder = void (*)(CLI::App&, Dispatch&);

// The commands scripts call one after another, each defined by one add_* call. Defining every
// command costs 4.9 M instructions (callgrind), a fifth of export-csr; these are parsed with
// their own definition only when they come first on the command line (issue 18).
constexpr std::array<std::pair<std::string_view, Adder>, 13> k_single_commands{{
    {"create-selfsigned", add_create_selfsigned},
    {"export-csr", add_export_csr},
    {"import-signed", add_import_signed},
    {"import-pkcs12", add_import_pkcs12},
    {"export-pkcs12", add_export_pkcs12},
    {"renew", add_renew},
    {"list", add_list},
    {"show", add_show},
    {"delete", add_delete},
    {"export", add_export},
    {"verify", add_verify},
    {"check-expiry", add_check_expiry},
    {"fix-chain", add_fix_chain},
}};

// The app define_commands() builds, with `adder`'s command only; no --version, help footers or
// exit-code tables: whatever parses differently from the full tree is parsed again by it.
void define_one_command(CLI::App& app, Dispatch& dispatch, Adder adder) {
    app.name("certtool");
    app.require_subcommand(1);
    add_common(app, dispatch.common);
    adder(app, dispatch);
}

// Runs the command `app` parsed (the innermost one: listener add, ...).
int execute(const CLI::App& app, Dispatch& dispatch, std::ostream& out, std::ostream& err) {
    const CLI::App* sub = app.get_subcommands().front();
    while (!sub->get_subcommands().empty()) {
        sub = sub->get_subcommands().front();
    }
    Output output{dispatch.common.json, out, err};
    dispatch.common.warn = [&output](const std::string& message) { output.warn(message); };
    try {
        const ExitCode code = dispatch.runners.at(sub)(output);
        output.flush();
        return static_cast<int>(code);
    } catch (const Error& e) {
        const ExitCode code = exit_code_for(e.code());
        print_error(out, err, dispatch.common.json, errc_name(e.code()), e.what(), code);
        return static_cast<int>(code);
    }
}

// The command's own definition parses argv without any error, help or question: run it.
// Otherwise nothing has happened yet (parsing prints nothing and runs nothing), and run() goes
// on with the full tree, so every message is the one it has always been.
std::optional<int> run_single(int argc,
                              const char* const* argv,
                              std::ostream& out,
                              std::ostream& err) {
    if (argc < 2) {
        return std::nullopt;
    }
    const std::string_view name{
        argv[1]};  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
    const auto* found = std::find_if(k_single_commands.begin(),
                                     k_single_commands.end(),
                                     [&](const auto& c) { return c.first == name; });
    if (found == k_single_commands.end()) {
        return std::nullopt;
    }
    CLI::App app;
    Dispatch dispatch;
    define_one_command(app, dispatch, found->second);
    try {
        app.parse(argc, argv);
    } catch (const CLI::Error&) {
        return std::nullopt;
    }
    if (app.get_subcommands().empty() || usage_problem(app, argc, argv)) {
        return std::nullopt;
    }
    return execute(app, dispatch, out, err);
}

}  // namespace

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
    const bool json = wants_json(argc, argv);
    if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {  // NOLINT
        // Answered before anything is set up: scripts call this often.
        out << version_text() << '\n';
        return 0;
    }
    try {
        initialize();
        if (const auto code = run_single(argc, argv, out, err)) {
            return *code;
        }
        CLI::App app;
        Dispatch dispatch;
        define_commands(app, dispatch, out);
        const auto usage_error = [&](const std::string& message) {
            if (nagios_plugin(argc, argv)) {
                out << monitor::nagios_unknown(message + help_hint(app));
                return static_cast<int>(ExitCode::failed);
            }
            print_error(out, err, json, "usage", message + help_hint(app), ExitCode::usage);
            return static_cast<int>(ExitCode::usage);
        };
        try {
            app.parse(argc, argv);
        } catch (const CLI::CallForHelp&) {
            out << app.help();
            return 0;
        } catch (const CLI::CallForAllHelp&) {
            out << app.help("", CLI::AppFormatMode::All);
            return 0;
        } catch (const CLI::Success&) {
            return 0;  // --version
        } catch (const CLI::ParseError& e) {
            // An unknown option or argument comes first (CLI11 checks it last), and a
            // password-like one is never echoed.
            return usage_error(usage_problem(app, argc, argv).value_or(e.what()));
        }
        // Parsed, but a password-like option may have been taken as another option's value.
        if (const auto problem = usage_problem(app, argc, argv)) {
            return usage_error(*problem);
        }
        return execute(app, dispatch, out, err);
    } catch (const Error& e) {
        const ExitCode code = exit_code_for(e.code());
        print_error(out, err, json, errc_name(e.code()), e.what(), code);
        return static_cast<int>(code);
    } catch (const std::exception& e) {
        print_error(out, err, json, "internal", e.what(), ExitCode::failed);
        return static_cast<int>(ExitCode::failed);
    }
}

}  // namespace certtool::cli
