// backup and restore: the whole store (entries, keys encrypted, and the configuration) in one
// integrity-protected file (docs/backup.md).
#include "cli.hpp"
#include "config_common.hpp"
#include "password.hpp"

#include <certtool/backup.hpp>
#include <certtool/time.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <chrono>

namespace certtool::cli {

namespace {

struct BackupOptions {
    BackupRequest request;
    PasswordOptions password;
};

struct RestoreOptions {
    RestoreRequest request;
    PasswordOptions password;
};

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) {
        out += (out.empty() ? "" : ", ") + n;
    }
    return out.empty() ? "none" : out;
}

nlohmann::json summary_json(const BackupSummary& s) {
    return {{"file", s.file.string()},
            {"created", format_time(s.created)},
            {"machine", s.machine},
            {"masked", s.masked},
            {"entries", s.entries},
            {"revision", s.revision},
            {"history", s.history},
            {"staged", s.staged},
            {"iterations", s.iterations},
            {"ca_lists", s.ca_lists},
            {"custom_cas", s.custom_cas},
            {"system_list_enabled", s.system_list_enabled},
            {"acme", s.acme},
            {"acme_accounts", s.acme_accounts},
            {"acme_entries", s.acme_entries}};
}

ExitCode run_backup(const BackupOptions& opt, const Common& common, Output& out) {
    const Store store = open_store(common);
    check_backup_output(opt.request);  // before asking for a password
    const Secret password = opt.request.mask
                                ? Secret{}
                                : obtain_password(opt.password, Confirm::twice, "Backup password");
    const auto s = write_backup(store, opt.request, password, std::chrono::system_clock::now());
    if (out.json()) {
        out.result() = summary_json(s);
        return ExitCode::ok;
    }
    out.text() << fmt::format(
        "wrote {}backup {} (0600): {} entr{} ({}){}, configuration revision {} with {} "
        "revision{} of history{}, {} custom CA{} (system list {})\n",
        s.masked ? "masked " : "",
        s.file.string(),
        s.entries.size(),
        s.entries.size() == 1 ? "y" : "ies",
        joined(s.entries),
        s.masked
            ? " without private keys"
            : fmt::format(", keys encrypted (AES-256, PBKDF2-SHA256, {} iterations)", s.iterations),
        s.revision,
        s.history,
        s.history == 1 ? "" : "s",
        s.staged ? " and staged changes" : "",
        s.custom_cas.size(),
        s.custom_cas.size() == 1 ? "" : "s",
        s.system_list_enabled ? "enabled" : "disabled");
    if (s.masked) {
        out.note("a masked backup cannot be restored, and only a checksum protects it");
    }
    return ExitCode::ok;
}

ExitCode run_restore(const RestoreOptions& opt, const Common& common, Output& out) {
    Store store = open_store(common);
    static_cast<void>(check_restore(store, opt.request));  // before the password
    const Secret password = obtain_password(opt.password, Confirm::once, "Backup password");
    // A commit killed half way is completed or undone before the revisions change under it.
    recover_target(config::ConfigStore{store}, config::local_machine_name());
    const auto r = restore_backup(store, opt.request, password, std::chrono::system_clock::now());
    for (const auto& n : r.notes) {
        out.note(n);
    }
    if (out.json()) {
        out.result() = {{"backup", summary_json(r.backup)},
                        {"removed", r.removed},
                        {"revision", r.revision},
                        {"history_restored", r.history_restored},
                        {"staged", r.staged},
                        {"next", r.next_step}};
        return ExitCode::ok;
    }
    out.text() << fmt::format(
        "restored {} (made {} on {}): entries {}{}{}; configuration recorded as revision "
        "{}{}{}\n"
        "next: {}\n",
        r.backup.file.string(),
        format_time(r.backup.created),
        r.backup.machine,
        joined(r.backup.entries),
        r.removed.empty() ? "" : fmt::format(" (removed: {})", joined(r.removed)),
        r.backup.ca_lists
            ? fmt::format("; CA lists: custom {}, system list {}",
                          r.backup.custom_cas.empty() ? "none" : joined(r.backup.custom_cas),
                          r.backup.system_list_enabled ? "enabled" : "disabled")
            : "",
        r.revision,
        r.history_restored == 0 ? ""
                                : fmt::format(" after {} revision{} of history",
                                              r.history_restored,
                                              r.history_restored == 1 ? "" : "s"),
        r.staged ? "; its staged changes are staged again" : "",
        r.next_step);
    return ExitCode::ok;
}

}  // namespace

void add_backup_commands(CLI::App& app, Dispatch& dispatch) {
    auto bopt = std::make_shared<BackupOptions>();
    auto* backup = app.add_subcommand(
        "backup", "write every entry, its key (encrypted) and the configuration to one file");
    backup->add_option("-o,--output", bopt->request.output, "backup file (created 0600)")
        ->required()
        ->type_name("FILE");
    auto* mask = backup->add_flag(
        "--mask", bopt->request.mask, "leave the private keys out (no password; not restorable)");
    backup->add_flag("--force", bopt->request.force, "overwrite FILE");
    add_password_options(*backup, bopt->password);
    for (const char* name : {"--password-file", "--password-env", "--password-fd"}) {
        mask->excludes(backup->get_option(name));
    }
    add_common(*backup, dispatch.common);
    backup->footer(footer({"certtool backup -o store.backup --password-file pass.txt",
                           "certtool backup -o review.json --mask"}));
    dispatch.runners[backup] = [bopt, &common = dispatch.common](Output& out) {
        return run_backup(*bopt, common, out);
    };

    auto ropt = std::make_shared<RestoreOptions>();
    auto* restore = app.add_subcommand(
        "restore", "restore entries and configuration from a backup (a new revision)");
    restore->add_option("FILE", ropt->request.file, "backup file")->required();
    restore->add_flag(
        "--force", ropt->request.force, "replace a store that has entries or a configuration");
    add_password_options(*restore, ropt->password);
    add_common(*restore, dispatch.common);
    restore->footer(footer({"certtool restore store.backup --password-file pass.txt",
                            "certtool restore store.backup --force --password-fd 3 3<pass.txt"}));
    dispatch.runners[restore] = [ropt, &common = dispatch.common](Output& out) {
        return run_restore(*ropt, common, out);
    };
}

}  // namespace certtool::cli
