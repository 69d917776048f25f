// changes, abandon, commit, history and rollback: staged changes become revisions.
#include "cli.hpp"
#include "config_common.hpp"

#include <certtool/time.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <chrono>

namespace certtool::cli {

namespace {

struct CommitOptions {
    std::string comment;
    int revision{0};
    LevelOptions level;  // --machine: whose configuration is applied
};

nlohmann::json revision_json(const config::Revision& r) {
    return {{"revision", r.number},
            {"time", format_time(r.time)},
            {"user", r.user},
            {"comment", r.comment},
            {"summary", r.summary}};
}

void print_revision(Output& out, const config::Revision& r, const char* verb) {
    if (out.json()) {
        out.result() = revision_json(r);
    } else {
        out.text() << fmt::format("{} revision {}: {}\n", verb, r.number, r.summary);
    }
}

ExitCode run_changes(const Common& common, Output& out) {
    const Store store = open_store(common);
    const config::ConfigStore configs{store};
    recover_target(configs, config::local_machine_name());  // a killed commit's files go first
    const auto staged = configs.staged();
    auto changes =
        staged ? config::diff(configs.committed(), *staged) : std::vector<config::Change>{};
    for (auto& c : configs.pending_input_changes(inputs_for(store, config::local_machine_name()))) {
        changes.push_back(std::move(c));
    }
    if (out.json()) {
        out.result() = {{"revision", configs.current_revision()},
                        {"changes", changes_json(changes)}};
    } else if (changes.empty()) {
        out.text() << fmt::format("no changes staged (revision {})\n", configs.current_revision());
    } else {
        print_changes(out, changes);
    }
    return ExitCode::ok;
}

ExitCode run_abandon(const Common& common, Output& out) {
    const Store store = open_store(common);
    config::ConfigStore configs{store};
    const bool dropped = configs.abandon();
    if (out.json()) {
        out.result() = {{"abandoned", dropped}};
    } else {
        out.text() << (dropped ? "staged changes abandoned\n" : "no changes were staged\n");
    }
    return ExitCode::ok;
}

ExitCode run_commit(const CommitOptions& opt, const Common& common, Output& out) {
    const Store store = open_store(common);
    print_revision(
        out, commit_pending(store, machine_of(opt.level), opt.comment, out), "committed");
    return ExitCode::ok;
}

ExitCode run_history(const Common& common, Output& out) {
    const Store store = open_store(common);
    const config::ConfigStore configs{store};
    const auto revisions = configs.history();
    if (out.json()) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& r : revisions) {
            list.push_back(revision_json(r));
        }
        out.result() = {{"revisions", list}};
        return ExitCode::ok;
    }
    if (revisions.empty()) {
        out.text() << "no revisions yet: certtool commit makes the first\n";
    }
    for (const auto& r : revisions) {
        out.text() << fmt::format("{:>4}  {}  {}  {}\n      {}\n",
                                  r.number,
                                  format_time(r.time),
                                  r.user,
                                  r.comment.empty() ? "(no comment)" : r.comment,
                                  r.summary);
    }
    return ExitCode::ok;
}

ExitCode run_rollback(const CommitOptions& opt, const Common& common, Output& out) {
    const Store store = open_store(common);
    config::ConfigStore configs{store};
    const std::string machine = machine_of(opt.level);
    recover_target(configs, machine);
    const auto r = configs.rollback(opt.revision,
                                    opt.comment,
                                    store,
                                    apply_for(store, machine, out),
                                    std::chrono::system_clock::now(),
                                    inputs_for(store, machine));
    recover_target(configs, machine);
    warn_demo(out, r.document);
    print_revision(out, r, "committed");
    return ExitCode::ok;
}

}  // namespace

void add_commit_commands(CLI::App& app, Dispatch& dispatch) {
    auto* sub = app.add_subcommand("changes", "show the staged configuration changes");
    add_common(*sub, dispatch.common);
    sub->footer(footer({"certtool changes"}));
    dispatch.runners[sub] = [&common = dispatch.common](Output& out) {
        return run_changes(common, out);
    };

    sub = app.add_subcommand("abandon", "drop the staged configuration changes");
    add_common(*sub, dispatch.common);
    sub->footer(footer({"certtool abandon"}));
    dispatch.runners[sub] = [&common = dispatch.common](Output& out) {
        return run_abandon(common, out);
    };

    auto commit = std::make_shared<CommitOptions>();
    sub = app.add_subcommand("commit", "apply the staged changes as a new revision");
    sub->add_option("--comment", commit->comment, "what the revision is for (shown in history)");
    sub->add_option("--machine",
                    commit->level.machine,
                    "apply the configuration of this machine (default: this host)")
        ->type_name("NAME");
    add_common(*sub, dispatch.common);
    sub->footer(footer({"certtool commit --comment 'new certificate for mail.example.com'"}));
    dispatch.runners[sub] = [commit, &common = dispatch.common](Output& out) {
        return run_commit(*commit, common, out);
    };

    sub = app.add_subcommand("history", "list the configuration's revisions");
    add_common(*sub, dispatch.common);
    sub->footer(footer({"certtool history", "certtool history --json"}));
    dispatch.runners[sub] = [&common = dispatch.common](Output& out) {
        return run_history(common, out);
    };

    auto rollback = std::make_shared<CommitOptions>();
    sub = app.add_subcommand("rollback", "make a new revision equal to an earlier one");
    sub->add_option("REV", rollback->revision, "the revision (see certtool history)")
        ->required()
        ->check(CLI::PositiveNumber);
    sub->add_option("--comment", rollback->comment, "what the revision is for");
    sub->add_option("--machine",
                    rollback->level.machine,
                    "apply the configuration of this machine (default: this host)")
        ->type_name("NAME");
    add_common(*sub, dispatch.common);
    sub->footer(footer({"certtool rollback 3 --comment 'back to the old certificate'"}));
    dispatch.runners[sub] = [rollback, &common = dispatch.common](Output& out) {
        return run_rollback(*rollback, common, out);
    };
}

}  // namespace certtool::cli
