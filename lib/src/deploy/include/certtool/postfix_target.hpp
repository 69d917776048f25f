// The Postfix target: a machine's effective configuration rendered into a Postfix instance's
// files and applied all or nothing (README, "The configuration in Postfix").
#pragma once

#include <certtool/config.hpp>
#include <certtool/store.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace certtool::deploy {

// Throws Error{invalid_argument} (or Error{io}) naming the problem when `config_dir` is not a
// Postfix configuration directory (main.cf and master.cf readable there).
void check_postfix_directory(const std::filesystem::path& config_dir);

struct PostfixApplyOptions {
    TimePoint now{};
    std::chrono::milliseconds probe_timeout{10000};
    WarningSink warn;  // the commit's warnings (a listener's host name not among its names, ...)
};

struct ListenerServed {
    std::string listener;
    std::string endpoint;     // "127.0.0.1:2525"
    std::string fingerprint;  // SHA-256 of the leaf the probe saw; "" when not probed or when
                              // the listener offers no STARTTLS to the machine's own address
    bool probed{false};       // false when Postfix is not running (nothing was reloaded)
};

struct ApplyReport {
    std::vector<std::string> steps;         // what was done, one line each
    std::vector<ListenerServed> listeners;  // what each listener serves after the commit
    // Where Postfix does not do what the appliance does with this configuration (Preferred
    // falls back to clear after a failed handshake, Preferred-Verify does not enforce, host-name
    // sender-group members cannot hide STARTTLS): for `policy explain` and the commit's output.
    std::vector<std::string> caveats;
};

// Renders `configuration` as revision `revision` (the entries it binds read from `store`),
// checks it with `postfix check`, swaps the files in, reloads Postfix when it runs, and probes
// every listener, confirming it serves the bound leaf. When a step fails the previous files
// are restored (and Postfix reloaded again) and Error{io} names the step and why.
//
// Files: DIR/certtool/rev-N/ (0700; every file 0600) holds the key + chain files, tables and the
// trust file of revision N; main.cf and master.cf get a managed section naming it. The previous
// revision's directory is kept (for rollback), older ones removed. DIR/certtool/journal records
// an apply until recover_postfix() learns that the store committed it (or did not), so the
// files of revision N count as committed only once the revision is recorded. Takes
// DIR/certtool/.lock. Throws Error{unsupported} when Postfix is not installed, Error{not_found}
// for an entry the store lacks, Error{invalid_argument} for an unusable directory,
// Error{locked}, Error{io} (a failed step; nothing changed).
ApplyReport apply_postfix(const Store& store,
                          const config::Configuration& configuration,
                          int revision,
                          const std::filesystem::path& config_dir,
                          const PostfixApplyOptions& options);

// Completes or undoes an apply a killed process left half done, so the instance's files are one
// whole revision: the one `committed_revision` names. Called before every configuration command
// that reads or changes the target. Never throws for a directory without certtool's files.
void recover_postfix(const std::filesystem::path& config_dir, int committed_revision);

}  // namespace certtool::deploy
