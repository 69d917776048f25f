#include "exit_help.hpp"

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <algorithm>
#include <array>

namespace certtool::cli {

namespace {

// (No `using enum`: the command files compile as one unity translation unit.)
using ExitRow = ExitCodeMeaning;

// Phrases several tables share, so one wording has one spelling.
constexpr std::string_view k_usage = "usage error: an unknown option or argument, or a bad value";
constexpr std::string_view k_damaged = "the store entry is damaged (restore it or delete it)";

// Each command's codes, from what its cmd_<verb>.cpp and the library functions it calls can
// return (cli::exit_code_for maps an Errc to its code). An input file or password source that
// cannot be read (missing, permission denied, not a regular file) is 3 for every command; 1 is
// the answer "no" of a check.
constexpr std::array k_general{
    ExitRow{ExitCode::ok, "success (and --help, --version)"},
    ExitRow{ExitCode::check_failed,
            "a check answered no: verify, check-tls, check-expiry, fix-chain, mail-log, policy "
            "explain --probe"},
    ExitRow{ExitCode::usage, "usage error: bad option, invalid name/SAN/CN, no password source"},
    ExitRow{ExitCode::failed,
            "the operation failed: an input file or password source cannot be read, I/O, crypto, "
            "network, unsupported, lock timeout"},
    ExitRow{ExitCode::malformed_input,
            "malformed input: not PEM/DER/PKCS#7/PKCS#12, truncated, trailing bytes"},
    ExitRow{ExitCode::bad_password, "wrong PKCS#12 password"},
    ExitRow{ExitCode::key_mismatch,
            "key mismatch: no certificate matches the key, or no key in the file"},
    ExitRow{ExitCode::not_found, "no such entry"},
    ExitRow{ExitCode::already_exists, "the entry or output file already exists (use --force)"},
    ExitRow{ExitCode::in_use, "the entry is bound to a service (delete --force rebinds it)"},
};

constexpr std::array k_create_selfsigned{
    ExitRow{ExitCode::ok, "the entry was created"},
    ExitRow{ExitCode::usage,
            "usage error: an unknown option, no --cn, or an invalid name, CN, SAN or key type"},
    ExitRow{ExitCode::failed, "the store cannot be written, or its lock stayed busy for 30 s"},
    ExitRow{ExitCode::already_exists, "an entry of that name exists (use --force)"},
};

constexpr std::array k_export_csr{
    ExitRow{ExitCode::ok, "the CSR was printed or written"},
    ExitRow{ExitCode::usage, "usage error: an unknown option, or --der to a terminal"},
    ExitRow{ExitCode::failed, "the store cannot be read, or FILE cannot be written"},
    ExitRow{ExitCode::malformed_input, k_damaged},
    ExitRow{ExitCode::not_found, "no such entry"},
    ExitRow{ExitCode::already_exists, "FILE exists (use --force)"},
};

constexpr std::array k_import_signed{
    ExitRow{ExitCode::ok, "the certificate and chain were stored (findings are warnings)"},
    ExitRow{ExitCode::usage,
            "usage error: an unknown option, neither --cert nor --intermediate, or --intermediate "
            "alone for a self-signed entry"},
    ExitRow{ExitCode::failed,
            "a certificate or trust file cannot be read (missing, permission denied, not a regular "
            "file), the store cannot be written, or --commit failed (the certificate is stored; "
            "the services keep the previous configuration)"},
    ExitRow{ExitCode::malformed_input,
            "a certificate or trust file is not PEM, DER or PKCS#7, is truncated or has trailing "
            "bytes, or the entry is damaged"},
    ExitRow{ExitCode::key_mismatch,
            "no certificate given matches the entry's key (nothing changed)"},
    ExitRow{ExitCode::not_found, "no such entry"},
};

constexpr std::array k_import_pkcs12{
    ExitRow{ExitCode::ok, "the key, certificate and chain were stored"},
    ExitRow{ExitCode::usage,
            "usage error: an unknown option, two password sources, or none and no terminal"},
    ExitRow{ExitCode::failed,
            "FILE or the password source cannot be read, FILE uses an unsupported algorithm, the "
            "store cannot be written, or --commit failed (the entry is stored; the services keep "
            "the previous configuration)"},
    ExitRow{ExitCode::malformed_input,
            "FILE is not PKCS#12 (truncated, trailing bytes), or the trust file is malformed"},
    ExitRow{ExitCode::bad_password, "wrong password"},
    ExitRow{ExitCode::key_mismatch, "FILE holds no key, or no certificate matching its key"},
    ExitRow{ExitCode::already_exists, "an entry of that name exists (use --force)"},
};

constexpr std::array k_export_pkcs12{
    ExitRow{ExitCode::ok, "the .p12 file was written (0600)"},
    ExitRow{
        ExitCode::usage,
        "usage error: an unknown option, two password sources, none and no terminal, or the two "
        "passwords typed differ"},
    ExitRow{ExitCode::failed, "the password source cannot be read, or FILE cannot be written"},
    ExitRow{ExitCode::malformed_input, k_damaged},
    ExitRow{ExitCode::not_found, "no such entry"},
    ExitRow{ExitCode::already_exists, "FILE exists (use --force)"},
};

constexpr std::array k_renew{
    ExitRow{ExitCode::ok, "the certificate was re-signed"},
    ExitRow{ExitCode::usage, k_usage},
    ExitRow{ExitCode::failed,
            "the entry is CA-signed (a CA renews it: export-csr, then import-signed), the store "
            "cannot be written, or --commit failed (the entry is renewed; the services keep the "
            "previous configuration)"},
    ExitRow{ExitCode::malformed_input, k_damaged},
    ExitRow{ExitCode::not_found, "no such entry"},
};

constexpr std::array k_list{
    ExitRow{ExitCode::ok,
            "the entries were listed (none, for an empty or new store; a damaged entry is marked "
            "with its fix and a warning)"},
    ExitRow{ExitCode::usage, k_usage},
    ExitRow{ExitCode::failed,
            "the store or an entry cannot be read (permission denied, not a directory)"},
};

constexpr std::array k_show{
    ExitRow{ExitCode::ok, "the entry was shown"},
    ExitRow{ExitCode::usage, k_usage},
    ExitRow{ExitCode::failed, "the entry cannot be read"},
    ExitRow{ExitCode::malformed_input, k_damaged},
    ExitRow{ExitCode::not_found, "no such entry"},
};

constexpr std::array k_delete{
    ExitRow{ExitCode::ok, "the entry was deleted"},
    ExitRow{ExitCode::usage, k_usage},
    ExitRow{ExitCode::failed,
            "the entry cannot be removed, or the store's lock stayed busy for 30 s"},
    ExitRow{ExitCode::not_found, "no such entry"},
    ExitRow{ExitCode::in_use,
            "the configuration binds the entry (listed); --force rebinds those services to demo "
            "as a staged change"},
};

constexpr std::array k_export{
    ExitRow{ExitCode::ok, "every file asked for was written"},
    ExitRow{ExitCode::usage,
            "usage error: an unknown option, no --*-out option, two outputs naming one file, or "
            "--json with an output to -"},
    ExitRow{ExitCode::failed,
            "the entry cannot be read or a file cannot be written (none is left behind)"},
    ExitRow{ExitCode::malformed_input, k_damaged},
    ExitRow{ExitCode::not_found, "no such entry"},
    ExitRow{ExitCode::already_exists, "a file exists (use --force)"},
};

constexpr std::array k_mail_log{
    ExitRow{ExitCode::ok,
            "the report was printed (warnings, if any, on stderr or in \"warnings\")"},
    ExitRow{ExitCode::check_failed, "--fail-on-tls-failure, and a TLS failure was in the log"},
    ExitRow{ExitCode::usage, "usage error: an unknown option, a bad --since/--until/--top"},
    ExitRow{ExitCode::failed,
            "a log file cannot be opened or read, or --clear-messages FILE cannot be written"},
    ExitRow{ExitCode::malformed_input,
            "the format cannot be detected (pass --format), or a .gz is damaged (the report covers "
            "what was read)"},
};

constexpr std::array k_verify{
    ExitRow{ExitCode::ok, "the chain is valid (--batch: every certificate)"},
    ExitRow{ExitCode::check_failed,
            "the chain is invalid, findings say why (--batch: any certificate)"},
    ExitRow{ExitCode::usage,
            "usage error: an unknown option, NAME and --cert both or neither, a bad --at or "
            "--hostname"},
    ExitRow{ExitCode::failed,
            "a certificate, chain, CRL or trust file cannot be read, or the system trust store "
            "cannot be loaded"},
    ExitRow{ExitCode::malformed_input,
            "a certificate, chain, CRL or trust file is malformed, the entry is damaged, or "
            "--batch found no file to verify"},
    ExitRow{ExitCode::not_found, "no such entry (verify NAME)"},
};

constexpr std::array k_check_tls{
    ExitRow{
        ExitCode::ok,
        "every probed host is V (TLS, verified) with no error finding; with --policy MODE, mail "
        "would be delivered as MODE demands"},
    ExitRow{ExitCode::check_failed,
            "otherwise: a finding, the probe's outcome or --policy says why"},
    ExitRow{ExitCode::usage,
            "usage error: an unknown option, HOST and --mx both or neither, a bad --policy"},
    ExitRow{ExitCode::failed,
            "DNS failed or the domain has no mail host, or the trust file cannot be read (a server "
            "that cannot be reached is an answer: 1)"},
    ExitRow{ExitCode::malformed_input,
            "the trust file is malformed, or the --expect entry is damaged"},
    ExitRow{ExitCode::not_found, "no store entry named by --expect"},
};

// check-expiry: its modes answer in their own terms (Nagios's 0-3, systemd's ExecCondition).
constexpr std::array k_check_expiry{
    ExitRow{ExitCode::ok,
            "every certificate is ok and nothing was found; --nagios: OK; --prometheus: FILE "
            "was written; --needs-renewal: an entry needs renewal (renew it)"},
    ExitRow{ExitCode::check_failed,
            "a certificate is at warning or critical, or a finding (stale-service, demo-bound, "
            "chain-invalid, ...); --nagios: WARNING; --needs-renewal: no entry needs renewal"},
    ExitRow{ExitCode::usage,
            "usage error: an unknown option, a bad --at, --crit-days above --warn-days (with "
            "--nagios: 3); --nagios: CRITICAL"},
    ExitRow{ExitCode::failed,
            "the store or its configuration cannot be read, or FILE cannot be written; "
            "--nagios: UNKNOWN (also for those and for usage errors)"},
    ExitRow{ExitCode::malformed_input,
            "the committed configuration or the CA lists are damaged (restore a backup)"},
    ExitRow{ExitCode::cannot_check,
            "--needs-renewal: the check could not be made (the store cannot be read, a bad "
            "--at): systemd fails the unit rather than skipping it"},
};

constexpr std::array k_fix_chain{
    ExitRow{ExitCode::ok, "the fixed chain reaches a trust anchor"},
    ExitRow{ExitCode::check_failed,
            "it does not: an issuer is missing or untrusted (the findings name it)"},
    ExitRow{ExitCode::usage, k_usage},
    ExitRow{ExitCode::failed,
            "an input, key or trust file cannot be read, or the output cannot be written (--aia "
            "fetch failures are findings)"},
    ExitRow{ExitCode::malformed_input,
            "an input holds no certificate, or the key or trust file is malformed"},
    ExitRow{ExitCode::key_mismatch, "--key matches none of the certificates given"},
    ExitRow{ExitCode::already_exists, "the output file exists (use --force)"},
};

// The configuration commands: a change is staged, never applied until commit.
constexpr std::string_view k_config_unreadable =
    "the store or its configuration cannot be read or written, or the lock stayed busy for 30 s";
constexpr std::string_view k_config_damaged =
    "the stored configuration is damaged (restore a backup, or certtool abandon for staged.json)";
constexpr std::string_view k_config_bad_value =
    "usage error: an unknown option, or a malformed name, address, CIDR block, domain or mode "
    "(the message names the rule)";

constexpr std::array k_listener{
    ExitRow{ExitCode::ok, "the listener change was staged (certtool commit applies it)"},
    ExitRow{ExitCode::usage, k_config_bad_value},
    ExitRow{ExitCode::failed, k_config_unreadable},
    ExitRow{ExitCode::malformed_input, k_config_damaged},
    ExitRow{ExitCode::not_found, "no such listener (those there are are listed) or entry"},
    ExitRow{ExitCode::already_exists, "listener add: a listener of that name exists"},
};

constexpr std::array k_sender_group{
    ExitRow{ExitCode::ok, "the sender group change was staged"},
    ExitRow{ExitCode::usage, k_config_bad_value},
    ExitRow{ExitCode::failed, k_config_unreadable},
    ExitRow{ExitCode::malformed_input, k_config_damaged},
    ExitRow{ExitCode::not_found, "no such listener, or no such group at that level"},
    ExitRow{ExitCode::already_exists, "the listener has a group of that name"},
};

constexpr std::array k_destination{
    ExitRow{ExitCode::ok, "the destination control change was staged"},
    ExitRow{ExitCode::usage, k_config_bad_value},
    ExitRow{ExitCode::failed, k_config_unreadable},
    ExitRow{ExitCode::malformed_input, k_config_damaged},
    ExitRow{ExitCode::not_found, "destination delete: no row for that domain at that level"},
};

constexpr std::array k_outbound{
    ExitRow{ExitCode::ok, "the outbound change was staged"},
    ExitRow{ExitCode::usage, "usage error: an unknown option, nothing to set, or a bad on/off"},
    ExitRow{ExitCode::failed, k_config_unreadable},
    ExitRow{ExitCode::malformed_input, k_config_damaged},
    ExitRow{ExitCode::not_found, "no such entry (those there are are listed)"},
};

constexpr std::array k_service{
    ExitRow{ExitCode::ok, "the binding was staged"},
    ExitRow{ExitCode::usage,
            "usage error: an unknown option or service, or --interface for a "
            "service other than https"},
    ExitRow{ExitCode::failed, k_config_unreadable},
    ExitRow{ExitCode::malformed_input, k_config_damaged},
    ExitRow{ExitCode::not_found, "no such entry (those there are are listed)"},
};

constexpr std::array k_target{
    ExitRow{ExitCode::ok, "the target (or its removal) was staged"},
    ExitRow{ExitCode::usage,
            "usage error: an unknown option, a relative path or one with spaces, ',' or '=', a "
            "bad --listen, a file target without any file, or one path given twice"},
    ExitRow{ExitCode::failed,
            "DIR is not a Postfix configuration directory, the --trust file or nginx's main "
            "configuration cannot be read, or the store cannot be written"},
    ExitRow{ExitCode::malformed_input, k_config_damaged},
    ExitRow{ExitCode::not_found,
            "the file target's entry does not exist, or target delete names a target this "
            "machine does not have"},
};

constexpr std::array k_cluster{
    ExitRow{ExitCode::ok, "leaving the cluster was staged"},
    ExitRow{ExitCode::usage,
            "usage error: an unknown option, no --force (the bindings that would be lost are "
            "named), or not in a cluster"},
    ExitRow{ExitCode::failed, k_config_unreadable},
    ExitRow{ExitCode::malformed_input, k_config_damaged},
};

constexpr std::array k_changes{
    ExitRow{ExitCode::ok, "the staged changes (or none) were printed"},
    ExitRow{ExitCode::usage, k_usage},
    ExitRow{ExitCode::failed, "the store's configuration cannot be read"},
    ExitRow{ExitCode::malformed_input, k_config_damaged},
};

constexpr std::array k_abandon{
    ExitRow{ExitCode::ok, "the staged changes were dropped (or there were none)"},
    ExitRow{ExitCode::usage, k_usage},
    ExitRow{ExitCode::failed, k_config_unreadable},
};

constexpr std::array k_history{
    ExitRow{ExitCode::ok, "the revisions were printed"},
    ExitRow{ExitCode::usage, k_usage},
    ExitRow{ExitCode::failed, "the store's configuration cannot be read"},
    ExitRow{ExitCode::malformed_input, "a revision file is damaged (it is named)"},
};

constexpr std::array k_config{
    ExitRow{ExitCode::ok, "the configuration was printed"},
    ExitRow{ExitCode::usage, "usage error: an unknown option or command, or a bad machine name"},
    ExitRow{ExitCode::failed, "the store's configuration cannot be read"},
    ExitRow{ExitCode::malformed_input, k_config_damaged},
};

constexpr std::array k_commit{
    ExitRow{ExitCode::ok, "a new revision was recorded (and applied to the Postfix target)"},
    ExitRow{ExitCode::usage,
            "usage error: an unknown option, or nothing to commit (no staged change, no bound "
            "certificate or CA list changed since the last commit)"},
    ExitRow{ExitCode::failed,
            "applying failed (the message names the step; the previous configuration is back "
            "in place and no revision was recorded), or the store cannot be written"},
    ExitRow{ExitCode::malformed_input, k_config_damaged},
    ExitRow{ExitCode::not_found,
            "the configuration binds entries the store does not have (they are named)"},
};

constexpr std::array k_rollback{
    ExitRow{ExitCode::ok, "a new revision equal to REV was recorded and applied"},
    ExitRow{ExitCode::usage, "usage error: an unknown option, or changes are staged"},
    ExitRow{ExitCode::failed,
            "applying failed (the message names the step; nothing changed), or the store "
            "cannot be written"},
    ExitRow{ExitCode::malformed_input, k_config_damaged},
    ExitRow{ExitCode::not_found,
            "no such revision, or it binds entries the store no longer has (they are named)"},
};

// policy explain: reads the configuration, and with --probe the domain's MX hosts.
constexpr std::array k_policy{
    ExitRow{ExitCode::ok,
            "explained (with --probe: mail for the domain would be delivered as its mode "
            "demands)"},
    ExitRow{ExitCode::check_failed,
            "with --probe: mail for the domain would be deferred (the probe's outcome says why)"},
    ExitRow{ExitCode::usage,
            "usage error: an unknown option, neither or both of --listener and --domain, or a "
            "malformed address, host name or domain (the message names the rule)"},
    ExitRow{ExitCode::failed,
            "the store cannot be read, or with --probe DNS failed or the domain has no mail host"},
    ExitRow{ExitCode::malformed_input, k_config_damaged},
    ExitRow{ExitCode::not_found, "no such listener (the message lists those there are)"},
};

constexpr std::array k_backup{
    ExitRow{ExitCode::ok, "the backup was written (0600)"},
    ExitRow{ExitCode::usage,
            "usage error: an unknown option, two password sources, none and no terminal, the "
            "two passwords typed differ, an empty password, or --mask with a password option"},
    ExitRow{ExitCode::failed,
            "the store or the password source cannot be read, FILE cannot be written, or a lock "
            "stayed busy for 30 s"},
    ExitRow{ExitCode::malformed_input,
            "a store entry or the stored configuration is damaged (named; nothing written)"},
    ExitRow{ExitCode::already_exists, "FILE exists (use --force)"},
};

constexpr std::array k_restore{
    ExitRow{ExitCode::ok, "the entries and the configuration were restored (not yet applied)"},
    ExitRow{ExitCode::usage,
            "usage error: an unknown option, two password sources, or none and no terminal"},
    ExitRow{ExitCode::failed,
            "FILE or the password source cannot be read, the store cannot be written, or a lock "
            "stayed busy for 30 s"},
    ExitRow{ExitCode::malformed_input,
            "FILE is not a backup, is damaged or was modified (checksum or HMAC), comes from a "
            "newer certtool, or was made with --mask; nothing written"},
    ExitRow{ExitCode::bad_password, "wrong password (nothing written)"},
    ExitRow{ExitCode::already_exists,
            "the store has entries or a configuration (named); --force replaces them"},
};

struct CommandCodes {
    std::string_view command;
    std::span<const ExitCodeMeaning> codes;
};

constexpr std::array k_ca{
    ExitRow{ExitCode::ok, "done (ca import: every certificate of the file was added)"},
    ExitRow{ExitCode::usage,
            "usage error, or ca import refused the file (nothing imported): ca-expired, not-a-ca, "
            "ca-without-root (import its root first), a bad --name or --name with several "
            "certificates"},
    ExitRow{ExitCode::failed,
            "FILE or the system CA file cannot be read, the store cannot be read or written (or "
            "others can write it), or its lock stayed busy for 30 s"},
    ExitRow{ExitCode::malformed_input,
            "FILE holds no certificate (not PEM, DER or PKCS#7), or the store's CA lists are "
            "damaged"},
    ExitRow{ExitCode::not_found, "no custom CA of that name or SHA-256 (certtool ca list)"},
    ExitRow{ExitCode::already_exists,
            "ca import: ca-duplicate (already in the custom list) or the --name is taken; ca "
            "export: FILE exists (use --force)"},
};

// acme account register|show|deactivate, issue, renew, revoke: the CA's refusals (problem
// documents) are 3, with the CA's words.
constexpr std::array k_acme{
    ExitRow{ExitCode::ok,
            "done (register: the account exists at the server, new or as it was; show: the "
            "server knows it; deactivate: it is deactivated; issue: the certificate is stored; "
            "renew: each entry was renewed or is not due, and what was renewed is committed; "
            "revoke: the CA revoked it)"},
    ExitRow{ExitCode::usage,
            "usage error: an unknown option, a --server that is not https:// or a named CA, no "
            "--agree-tos for register, a server requiring External Account Binding without "
            "--eab-kid, a bad --email, for issue a name that is not a DNS name or a wildcard "
            "without dns-01, a challenge without its --webroot or --dns-hook, renew with both "
            "NAME and --all or --all with other settings, an unknown --reason"},
    ExitRow{ExitCode::failed,
            "the server cannot be reached or its HTTPS certificate is not trusted (--ca-bundle), "
            "the server refused (its problem type and detail are shown), a challenge failed (the "
            "identifier and the CA's problem are shown; nothing stored), the port cannot be "
            "listened on, the webroot cannot be written, the dns-01 hook failed, the commit after "
            "renew failed (the certificate is stored), or the store or a file cannot be read or "
            "written"},
    ExitRow{ExitCode::malformed_input,
            "the store's account file or an entry's ACME settings are damaged, or the "
            "--eab-hmac-file is not base64url"},
    ExitRow{ExitCode::not_found,
            "no such entry; the store has no account for that server, or the server does not "
            "know its key (register); renew, revoke: the entry was not issued through certtool "
            "acme and no --server was given"},
    ExitRow{ExitCode::already_exists, "issue: the entry exists (use --force to replace it)"},
};

constexpr std::array k_commands{
    CommandCodes{"create-selfsigned", k_create_selfsigned},
    CommandCodes{"export-csr", k_export_csr},
    CommandCodes{"import-signed", k_import_signed},
    CommandCodes{"import-pkcs12", k_import_pkcs12},
    CommandCodes{"export-pkcs12", k_export_pkcs12},
    CommandCodes{"renew", k_renew},
    CommandCodes{"list", k_list},
    CommandCodes{"show", k_show},
    CommandCodes{"delete", k_delete},
    CommandCodes{"export", k_export},
    CommandCodes{"mail-log", k_mail_log},
    CommandCodes{"verify", k_verify},
    CommandCodes{"check-tls", k_check_tls},
    CommandCodes{"check-expiry", k_check_expiry},
    CommandCodes{"fix-chain", k_fix_chain},
    CommandCodes{"listener", k_listener},
    CommandCodes{"sender-group", k_sender_group},
    CommandCodes{"destination", k_destination},
    CommandCodes{"outbound", k_outbound},
    CommandCodes{"service", k_service},
    CommandCodes{"target", k_target},
    CommandCodes{"cluster", k_cluster},
    CommandCodes{"changes", k_changes},
    CommandCodes{"abandon", k_abandon},
    CommandCodes{"history", k_history},
    CommandCodes{"config", k_config},
    CommandCodes{"commit", k_commit},
    CommandCodes{"rollback", k_rollback},
    CommandCodes{"policy", k_policy},
    CommandCodes{"backup", k_backup},
    CommandCodes{"restore", k_restore},
    CommandCodes{"ca", k_ca},
    CommandCodes{"acme", k_acme},
};

const CommandCodes* find_codes(std::string_view command) noexcept {
    const auto* it = std::find_if(
        k_commands.begin(), k_commands.end(), [&](const auto& c) { return c.command == command; });
    return it == k_commands.end() ? nullptr : &*it;
}

// "  3  meaning", the meaning wrapped at 100 columns under itself.
void append_row(std::string& out, const ExitCodeMeaning& row) {
    constexpr std::size_t k_width = 100;
    const std::string indent(5, ' ');
    std::string line = fmt::format("  {}  ", static_cast<int>(row.code));
    std::string_view rest = row.meaning;
    while (!rest.empty()) {
        const std::size_t room = k_width - line.size();
        std::size_t cut = rest.size();
        if (cut > room) {
            cut = rest.rfind(' ', room);
            cut = cut == std::string_view::npos || cut == 0 ? room : cut;
        }
        out += line + std::string{rest.substr(0, cut)} + "\n";
        rest.remove_prefix(cut);
        while (!rest.empty() && rest.front() == ' ') {
            rest.remove_prefix(1);
        }
        line = indent;
    }
}

}  // namespace

std::span<const ExitCodeMeaning> exit_codes_for(std::string_view command) noexcept {
    const CommandCodes* own = find_codes(command);
    return own != nullptr ? own->codes : std::span<const ExitCodeMeaning>{k_general};
}

bool has_own_exit_codes(std::string_view command) noexcept {
    return find_codes(command) != nullptr;
}

std::string exit_codes_text(std::string_view command) {
    std::string out = "EXIT CODES\n";
    for (const auto& row : exit_codes_for(command)) {
        append_row(out, row);
    }
    return out;
}

void add_exit_code_help(CLI::App& app) {
    app.footer(app.get_footer() + "\n" + exit_codes_text(""));
    for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
        sub->footer(sub->get_footer() + "\n" + exit_codes_text(sub->get_name()));
        // A command group's own commands (listener add, ...) share the group's table.
        for (CLI::App* nested : sub->get_subcommands([](CLI::App*) { return true; })) {
            nested->footer(nested->get_footer() + "\n" + exit_codes_text(sub->get_name()));
        }
    }
}

}  // namespace certtool::cli
