// What the configuration commands share: --level and --machine, staging a change (with the
// demonstration certificate made on first use and its warnings), and the apply step a commit
// runs (the Postfix target).
#pragma once

#include "cli.hpp"

#include <certtool/config.hpp>
#include <certtool/config_store.hpp>

#include <functional>
#include <string>

namespace certtool::cli {

struct LevelOptions {
    std::string level;    // "cluster" or "machine"; empty: cluster while clustered
    std::string machine;  // empty: this host
};

// --level cluster|machine and --machine NAME.
void add_level_options(CLI::App& sub, LevelOptions& target);

// The machine the options name (this host by default). Throws Error{invalid_argument}.
[[nodiscard]] std::string machine_of(const LevelOptions& options);

// The scope for a change to `document`. Throws Error{invalid_argument}.
[[nodiscard]] config::Scope scope_of(const LevelOptions& options, const config::Document& document);

// A change a configuration command stages.
using ConfigChange =
    std::function<void(config::Document&, const config::Scope&, const config::Context&)>;

// Opens the store, makes the demonstration certificate on first use, brings the Postfix target
// back to the committed revision if a commit was killed, stages `change` under the lock,
// reports what is now pending and warns for every service still on the demonstration
// certificate. `what` is the text line ("listener IncomingMail added").
ExitCode stage_change(const Common& common,
                      const LevelOptions& level,
                      Output& out,
                      const std::string& what,
                      const ConfigChange& change);

// What a commit or rollback runs before the revision is recorded: the entries it binds must
// exist, and with a Postfix target the effective configuration of `machine` is applied there.
// The report's steps go to `out` as notes.
[[nodiscard]] config::Apply apply_for(const Store& store, const std::string& machine, Output& out);

// The inputs a commit on `machine` deploys (config::deployed_inputs over `store`).
[[nodiscard]] config::InputsOf inputs_for(const Store& store, const std::string& machine);

// certtool commit: recovers the target, commits what is staged or waiting (a renewed bound
// certificate, a changed CA list) and applies it on `machine`.
config::Revision commit_pending(const Store& store,
                                const std::string& machine,
                                const std::string& comment,
                                Output& out);

// After renew / import-signed / import-pkcs12 --force replaced entry `name`: when the committed
// configuration binds it, says where and that a commit deploys it, or with `commit` commits
// now (the revision goes into the JSON result as "committed_revision").
void redeploy_replaced(const Store& store, const std::string& name, bool commit, Output& out);
// The same for several entries replaced by one command (acme renew --all): one commit for all.
void redeploy_replaced(const Store& store,
                       const std::vector<std::string>& names,
                       bool commit,
                       Output& out);

// --commit on the commands that replace an entry's certificate.
void add_commit_flag(CLI::App& sub, bool& target);

// Before a command reads or changes the configuration: the Postfix target of this machine is
// brought to the committed revision (a commit killed half way is completed or undone).
void recover_target(const config::ConfigStore& configs, const std::string& machine);

// The changes as text lines ("+ cluster listener/A/address = 127.0.0.1:25") or JSON objects.
void print_changes(Output& out, const std::vector<config::Change>& changes);
[[nodiscard]] nlohmann::json changes_json(const std::vector<config::Change>& changes);

// Warnings for each service still on the demonstration certificate.
void warn_demo(Output& out, const config::Document& document);

}  // namespace certtool::cli
