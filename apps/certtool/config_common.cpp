#include "config_common.hpp"

#include <certtool/files_target.hpp>
#include <certtool/nginx_target.hpp>
#include <certtool/postfix_target.hpp>
#include <certtool/time.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <chrono>

namespace certtool::cli {

void add_level_options(CLI::App& sub, LevelOptions& target) {
    sub.add_option("--level",
                   target.level,
                   "cluster or machine (default: cluster, or machine once this machine has left "
                   "the cluster)")
        ->type_name("LEVEL");
    sub.add_option("--machine", target.machine, "the machine (default: this host's name)")
        ->type_name("NAME");
}

std::string machine_of(const LevelOptions& options) {
    if (options.machine.empty()) {
        return config::local_machine_name();
    }
    config::validate_machine_name(options.machine);
    return options.machine;
}

config::Scope scope_of(const LevelOptions& options, const config::Document& document) {
    config::Scope scope{document.clustered ? config::Level::cluster : config::Level::machine,
                        machine_of(options)};
    if (options.level == "machine") {
        scope.level = config::Level::machine;
    } else if (options.level == "cluster") {
        scope.level = config::Level::cluster;
    } else if (!options.level.empty()) {
        throw Error(Errc::invalid_argument,
                    fmt::format("invalid --level '{}': give cluster or machine", options.level));
    }
    return scope;
}

namespace {

// Where a file target keeps its journal and the files it replaced: in the store (private).
std::filesystem::path files_state(const std::filesystem::path& store_dir,
                                  const config::FilesTarget& target) {
    return store_dir / "targets" / "files" / target.name;
}

// Brings every target `configuration` names to revision `committed` (a journal left by an apply
// the store did not record is rolled back, one it recorded is rolled forward).
void recover_targets(const config::Configuration& configuration,
                     int committed,
                     const std::filesystem::path& store_dir) {
    if (configuration.postfix_config_dir) {
        deploy::recover_postfix(*configuration.postfix_config_dir, committed);
    }
    if (configuration.nginx) {
        deploy::recover_nginx(*configuration.nginx, committed);
    }
    for (const auto& f : configuration.files) {
        deploy::recover_files(f, committed, files_state(store_dir, f));
    }
}

// The targets of `document` on `machine`; none when the document does not parse (the command
// reports that itself).
std::optional<config::Configuration> targets_of(const config::Document& document,
                                                const std::string& machine) {
    try {
        return config::typed(config::effective_settings(document, machine));
    } catch (const Error&) {
        return std::nullopt;
    }
}

}  // namespace

void recover_target(const config::ConfigStore& configs, const std::string& machine) {
    const config::Document committed = configs.committed();
    if (const auto c = targets_of(committed, machine)) {
        recover_targets(*c, configs.current_revision(), configs.dir().parent_path());
    }
}

void warn_demo(Output& out, const config::Document& document) {
    for (const auto& w : config::demo_warnings(document)) {
        out.warn(w);
    }
}

nlohmann::json changes_json(const std::vector<config::Change>& changes) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& c : changes) {
        const char* kind = c.kind == config::Change::Kind::added     ? "added"
                           : c.kind == config::Change::Kind::changed ? "changed"
                                                                     : "removed";
        nlohmann::json j = {{"change", kind}, {"where", c.where}, {"key", c.key}};
        if (c.kind != config::Change::Kind::added) {
            j["before"] = c.before;
        }
        if (c.kind != config::Change::Kind::removed) {
            j["after"] = c.after;
        }
        list.push_back(j);
    }
    return list;
}

void print_changes(Output& out, const std::vector<config::Change>& changes) {
    for (const auto& c : changes) {
        switch (c.kind) {
            case config::Change::Kind::added:
                out.text() << fmt::format("+ {} {} = {}\n", c.where, c.key, c.after);
                break;
            case config::Change::Kind::changed:
                out.text() << fmt::format("~ {} {}: {} -> {}\n", c.where, c.key, c.before, c.after);
                break;
            case config::Change::Kind::removed:
                out.text() << fmt::format("- {} {} (was {})\n", c.where, c.key, c.before);
                break;
        }
    }
}

ExitCode stage_change(const Common& common,
                      const LevelOptions& level,
                      Output& out,
                      const std::string& what,
                      const ConfigChange& change) {
    Store store = open_store(common);
    const auto now = std::chrono::system_clock::now();
    if (config::ensure_demo_certificate(store, now)) {
        out.note(
            "created the demonstration certificate 'demo' (self-signed): every new "
            "binding starts on it");
    }
    config::ConfigStore configs{store};
    const std::string machine = machine_of(level);
    recover_target(configs, machine);
    const config::Context context{&store, now, [&out](const std::string& w) { out.warn(w); }};
    const config::Document pending = configs.stage(
        [&](config::Document& document) { change(document, scope_of(level, document), context); });
    const auto changes = config::diff(configs.committed(), pending);
    warn_demo(out, pending);
    if (out.json()) {
        out.result() = {{"staged", what}, {"pending_changes", changes_json(changes)}};
    } else {
        out.text() << fmt::format(
            "staged: {}; {} change{} pending, certtool commit applies "
            "them\n",
            what,
            changes.size(),
            changes.size() == 1 ? "" : "s");
    }
    return ExitCode::ok;
}

config::Apply apply_for(const Store& store, const std::string& machine, Output& out) {
    return [&store, machine, &out](const config::Document& document, int number) {
        const auto missing = config::missing_entries(document, store);
        if (!missing.empty()) {
            std::string names;
            for (const auto& m : missing) {
                names += (names.empty() ? "" : ", ") + m;
            }
            throw Error(Errc::not_found,
                        fmt::format("the configuration binds entries the store does not have: "
                                    "{}; bind others (certtool listener set ... --certificate) "
                                    "or import them",
                                    names));
        }
        const config::Configuration configuration =
            config::typed(config::effective_settings(document, machine));
        // Every target, or none: a target that fails restores itself, and the ones applied
        // before it are rolled back to the committed revision (their journals say how).
        try {
            if (configuration.postfix_config_dir) {
                deploy::PostfixApplyOptions options;
                options.now = std::chrono::system_clock::now();
                options.warn = [&out](const std::string& w) { out.warn(w); };
                const auto report = deploy::apply_postfix(
                    store, configuration, number, *configuration.postfix_config_dir, options);
                for (const auto& step : report.steps) {
                    out.note(step);
                }
                for (const auto& caveat : report.caveats) {
                    out.note(caveat);
                }
            }
            if (configuration.nginx) {
                for (const auto& step :
                     deploy::apply_nginx(store, configuration, number, {}).steps) {
                    out.note(step);
                }
            }
            for (const auto& f : configuration.files) {
                for (const auto& step :
                     deploy::apply_files(store, f, number, files_state(store.dir(), f)).steps) {
                    out.note(step);
                }
            }
        } catch (const Error& e) {
            try {
                recover_targets(configuration, number - 1, store.dir());
            } catch (const Error& undo) {
                throw Error(e.code(),
                            fmt::format("{}; undoing the targets applied before it failed too "
                                        "({}): the next configuration command retries",
                                        e.what(),
                                        undo.what()));
            }
            throw;
        }
    };
}

config::InputsOf inputs_for(const Store& store, const std::string& machine) {
    return [&store, machine](const config::Document& document) {
        return config::deployed_inputs(document, machine, store);
    };
}

config::Revision commit_pending(const Store& store,
                                const std::string& machine,
                                const std::string& comment,
                                Output& out) {
    config::ConfigStore configs{store};
    recover_target(configs, machine);
    auto r = configs.commit(comment,
                            apply_for(store, machine, out),
                            std::chrono::system_clock::now(),
                            inputs_for(store, machine));
    recover_target(configs, machine);  // recorded: the target's journal goes
    warn_demo(out, r.document);
    return r;
}

void redeploy_replaced(const Store& store, const std::string& name, bool commit, Output& out) {
    redeploy_replaced(store, std::vector<std::string>{name}, commit, out);
}

void redeploy_replaced(const Store& store,
                       const std::vector<std::string>& names,
                       bool commit,
                       Output& out) {
    const config::ConfigStore configs{store};
    std::string bound_names;
    for (const auto& name : names) {
        const auto bound = config::bindings_of(configs.committed(), name);
        if (bound.empty()) {
            if (commit) {
                out.note(fmt::format(
                    "'{}' is not bound in the committed configuration: nothing to deploy", name));
            }
            continue;
        }
        std::string where;
        for (const auto& b : bound) {
            where += (where.empty() ? "" : ", ") + b.where();
        }
        if (!commit) {
            out.note(
                fmt::format("'{}' is bound to {}: certtool commit deploys the new "
                            "certificate there (certtool changes shows it)",
                            name,
                            where));
        }
        bound_names += (bound_names.empty() ? "" : ", ") + name;
    }
    if (!commit || bound_names.empty()) {
        return;
    }
    config::Revision r;
    try {
        r = commit_pending(store,
                           config::local_machine_name(),
                           fmt::format("new certificate for {}", bound_names),
                           out);
    } catch (const Error& e) {
        throw Error(e.code(),
                    fmt::format("'{}' has its new certificate, but the commit did not happen: {}",
                                bound_names,
                                e.what()));
    }
    if (out.json()) {
        out.result()["committed_revision"] = r.number;
    } else {
        out.text() << fmt::format("committed revision {}: {}\n", r.number, r.summary);
    }
}

void add_commit_flag(CLI::App& sub, bool& target) {
    sub.add_flag("--commit",
                 target,
                 "when the configuration binds the entry, commit at once: every service using "
                 "it gets the new certificate (else certtool commit does it)");
}

}  // namespace certtool::cli
