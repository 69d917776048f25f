// The certtool command line: registration, the one place errors become exit codes, and the
// output channel (text or --json) the subcommands render into.
#pragma once

#include <certtool/aia.hpp>
#include <certtool/batch.hpp>
#include <certtool/ca_lists.hpp>
#include <certtool/chain.hpp>
#include <certtool/error.hpp>
#include <certtool/store.hpp>
#include <certtool/trust.hpp>
#include <certtool/verify.hpp>

#include <nlohmann/json.hpp>

#include <functional>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

namespace CLI {  // NOLINT(readability-identifier-naming): CLI11's namespace
class App;
class Option;
}  // namespace CLI

namespace certtool::cli {

// Documented in README "Exit codes"; what each means for one command: exit_help.hpp, printed at
// the end of that command's --help.
enum class ExitCode : int {
    ok = 0,
    check_failed = 1,     // the answer is "no"
    usage = 2,            // bad command line or invalid argument
    failed = 3,           // the operation failed (I/O, crypto, unsupported, lock timeout)
    malformed_input = 4,  // an input file is not what it should be
    bad_password = 5,
    key_mismatch = 6,    // no certificate matches the key, or no key at all
    not_found = 7,       // no such store entry
    already_exists = 8,  // entry or output file exists and --force was not given
    in_use = 9,          // the entry is bound to a service: delete refused without --force
    // check-expiry --needs-renewal could not check (systemd's ExecCondition fails the unit on
    // 255 rather than skipping it, so a broken store is not mistaken for "nothing to renew").
    cannot_check = 255,
};

[[nodiscard]] ExitCode exit_code_for(Errc code) noexcept;

// Options every subcommand takes, and where the store's warnings go: run() points `warn` at
// Output::warn before the subcommand runs, and open_store() hands it to the Store.
struct Common {
    std::string store;  // --store DIR
    bool json{false};   // --json
    WarningSink warn;
};

// Where a subcommand's results go. In --json mode a subcommand fills `result` (one JSON object
// printed at the end); in text mode it writes to `out`. Warnings go to stderr (text) or to
// result["warnings"] (JSON).
// One line of JSON; bytes that are not UTF-8 are replaced (U+FFFD), never an exception.
[[nodiscard]] std::string dump_json(const nlohmann::json& j);

class Output {
public:
    Output(bool json, std::ostream& out, std::ostream& err)
        : m_json(json), m_out(out), m_err(err) {}

    [[nodiscard]] bool json() const noexcept { return m_json; }

    [[nodiscard]] std::ostream& text() noexcept { return m_out; }

    [[nodiscard]] nlohmann::json& result() noexcept { return m_result; }

    // Warnings and notes given in --json mode are added to the object at flush(), so a
    // subcommand may assign result() whole after a warning.
    void warn(const std::string& message);
    void note(const std::string& message);  // informational, stderr in text mode
    void flush();                           // prints the JSON object, if any

    // The subcommand printed JSON lines itself (one object per line): no final object.
    void json_lines() noexcept { m_json_lines = true; }

private:
    bool m_json;
    std::ostream& m_out;
    std::ostream& m_err;
    nlohmann::json m_result = nlohmann::json::object();
    std::vector<std::string> m_warnings;
    std::vector<std::string> m_notes;
    bool m_json_lines{false};
};

using Runner = std::function<ExitCode(Output&)>;

// What add_<verb> functions register into.
struct Dispatch {
    Common common;
    std::map<const CLI::App*, Runner> runners;
};

// Adds --store and --json to a subcommand.
void add_common(CLI::App& sub, Common& common);

// Standard help footer: the examples. define_commands() appends each command's own exit codes.
[[nodiscard]] std::string footer(const std::vector<std::string>& examples);

// --trust FILE|DIR, repeatable (the anchors of every path, merged); `help` says what the
// anchors are for.
CLI::Option* add_trust_option(CLI::App& sub,
                              std::vector<std::string>& target,
                              const std::string& help);

// The verification options `verify` and `check-tls` share, registered once
// (add_verification_options):
// --trust, --hostname (repeatable), --at, --profile, --security-level.
struct VerificationCliOptions {
    std::vector<std::string> trust;
    std::vector<std::string> hostnames;
    std::string at;
    std::string profile{"openssl"};
    int security_level{1};
};

void add_verification_options(CLI::App& sub,
                              VerificationCliOptions& target,
                              const std::string& trust_help,
                              const std::string& hostname_help);
// --at and --profile in `options` (each command says what its --hostname names mean). Throws
// Error{invalid_argument}.
void apply_verification_options(const VerificationCliOptions& given, VerifyOptions& options);

// The anchors --trust named, or when it was not given the store's effective CA list (the
// enabled custom CAs and the system list when enabled; ca_lists.hpp). The store is read only
// then: an unreadable store is an error only without --trust.
[[nodiscard]] TrustStore trust_from_option(const std::vector<std::string>& option,
                                           const Common& common);

// The store named by --store, $CERTTOOL_HOME or the XDG default, warning through common.warn.
[[nodiscard]] Store open_store(const Common& common);

// The whole command line in `app`: the global options, every subcommand (the add_<verb> calls
// below) and, once all are registered, each one's exit codes at the end of its --help
// (exit_help.hpp). `--version` prints to `out`. run() parses with it; certtool_docgen walks the
// same tree to write the man page and the shell completions, so neither can drift from it.
void define_commands(CLI::App& app, Dispatch& dispatch, std::ostream& out);

// Runs certtool with the given arguments; never throws. Returns the process exit code.
int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

// One registration function per subcommand (cmd_<verb>.cpp).
void add_create_selfsigned(CLI::App& app, Dispatch& dispatch);
// The configuration: listener, sender-group (cmd_listener.cpp); destination, outbound, service,
// target (cmd_delivery.cpp); changes, abandon, commit, history, rollback (cmd_commit.cpp);
// config, cluster (cmd_config.cpp).
void add_inbound_commands(CLI::App& app, Dispatch& dispatch);
void add_delivery_commands(CLI::App& app, Dispatch& dispatch);
void add_target_commands(CLI::App& app, Dispatch& dispatch);
void add_commit_commands(CLI::App& app, Dispatch& dispatch);
void add_config_commands(CLI::App& app, Dispatch& dispatch);
// policy explain (cmd_policy.cpp).
void add_policy_commands(CLI::App& app, Dispatch& dispatch);
// backup and restore (cmd_backup.cpp).
void add_backup_commands(CLI::App& app, Dispatch& dispatch);
void add_export_csr(CLI::App& app, Dispatch& dispatch);
void add_import_signed(CLI::App& app, Dispatch& dispatch);
void add_import_pkcs12(CLI::App& app, Dispatch& dispatch);
void add_export_pkcs12(CLI::App& app, Dispatch& dispatch);
void add_renew(CLI::App& app, Dispatch& dispatch);
void add_list(CLI::App& app, Dispatch& dispatch);
void add_show(CLI::App& app, Dispatch& dispatch);
void add_delete(CLI::App& app, Dispatch& dispatch);
void add_export(CLI::App& app, Dispatch& dispatch);
void add_mail_log(CLI::App& app, Dispatch& dispatch);
void add_verify(CLI::App& app, Dispatch& dispatch);
void add_fix_chain(CLI::App& app, Dispatch& dispatch);
void add_check_tls(CLI::App& app, Dispatch& dispatch);
void add_check_expiry(CLI::App& app, Dispatch& dispatch);
// ca import|list|delete|export|enable|disable and ca system ... (cmd_ca.cpp).
void add_ca_commands(CLI::App& app, Dispatch& dispatch);
// acme account register|show|deactivate (cmd_acme.cpp).
void add_acme_commands(CLI::App& app, Dispatch& dispatch);

}  // namespace certtool::cli
