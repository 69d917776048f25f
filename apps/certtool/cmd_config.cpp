// config show and cluster leave.
#include "cli.hpp"
#include "config_common.hpp"

#include <CLI/CLI.hpp>
#include <fmt/core.h>

namespace certtool::cli {

namespace {

struct ShowConfigOptions {
    bool effective{false};
    bool force{false};
    LevelOptions level;
};

nlohmann::json settings_json(const config::Settings& settings) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [key, value] : settings) {
        j[key] = value;
    }
    return j;
}

ExitCode run_show_config(const ShowConfigOptions& opt, const Common& common, Output& out) {
    const Store store = open_store(common);
    const config::ConfigStore configs{store};
    const auto staged = configs.staged();
    const config::Document document = staged ? *staged : configs.committed();
    const std::string machine = machine_of(opt.level);
    if (opt.effective) {
        const auto settings = config::effective(document, machine);
        if (out.json()) {
            nlohmann::json list = nlohmann::json::array();
            for (const auto& s : settings) {
                list.push_back(
                    {{"key", s.key}, {"value", s.value}, {"level", config::level_name(s.level)}});
            }
            out.result() = {{"machine", machine},
                            {"revision", configs.current_revision()},
                            {"staged", staged.has_value()},
                            {"settings", list}};
        } else {
            for (const auto& s : settings) {
                out.text() << fmt::format(
                    "{} = {}  [{}]\n", s.key, s.value, config::level_name(s.level));
            }
        }
    } else if (out.json()) {
        nlohmann::json machines = nlohmann::json::object();
        for (const auto& [name, settings] : document.machines) {
            machines[name] = settings_json(settings);
        }
        out.result() = {{"revision", configs.current_revision()},
                        {"staged", staged.has_value()},
                        {"clustered", document.clustered},
                        {"cluster", settings_json(document.cluster)},
                        {"machines", machines}};
    } else {
        if (document.clustered) {
            out.text() << "cluster:\n";
            for (const auto& [key, value] : document.cluster) {
                out.text() << fmt::format("  {} = {}\n", key, value);
            }
        }
        for (const auto& [name, settings] : document.machines) {
            out.text() << fmt::format("machine {}:\n", name);
            for (const auto& [key, value] : settings) {
                out.text() << fmt::format("  {} = {}\n", key, value);
            }
        }
    }
    if (staged) {
        out.note(
            "this includes staged changes: certtool changes lists them, certtool commit "
            "applies them");
    }
    return ExitCode::ok;
}

ExitCode run_leave(const ShowConfigOptions& opt, const Common& common, Output& out) {
    const std::string machine = machine_of(opt.level);
    if (!opt.force) {
        const Store store = open_store(common);
        config::Document preview = config::ConfigStore{store}.pending();
        const auto lost = config::leave_cluster(preview, machine);
        std::string keys;
        for (const auto& k : lost) {
            keys += (keys.empty() ? "" : ", ") + k;
        }
        throw Error(Errc::invalid_argument,
                    fmt::format("leaving the cluster loses the machine-level certificate "
                                "bindings of {} ({}); the cluster's apply instead. Run again "
                                "with --force to leave",
                                machine,
                                keys.empty() ? "none now" : keys));
    }
    std::vector<std::string> lost;
    const ExitCode code =
        stage_change(common,
                     LevelOptions{"machine", machine},
                     out,
                     "machine " + machine + " left the cluster",
                     [&](config::Document& d, const config::Scope&, const config::Context&) {
                         lost = config::leave_cluster(d, machine);
                     });
    for (const auto& k : lost) {
        out.warn(fmt::format("machine-level binding {} was lost with the cluster", k));
    }
    return code;
}

}  // namespace

void add_config_commands(CLI::App& app, Dispatch& dispatch) {
    auto* group = app.add_subcommand("config", "show the configuration");
    group->require_subcommand(1);
    add_common(*group, dispatch.common);
    auto show = std::make_shared<ShowConfigOptions>();
    auto* sub =
        group->add_subcommand("show", "every level's settings, or one machine's effective ones");
    sub->add_flag("--effective",
                  show->effective,
                  "the machine's effective settings, each with the level it comes from");
    sub->add_option("--machine", show->level.machine, "the machine (default: this host's name)")
        ->type_name("NAME");
    add_common(*sub, dispatch.common);
    sub->footer(footer({"certtool config show", "certtool config show --effective --json"}));
    dispatch.runners[sub] = [show, &common = dispatch.common](Output& out) {
        return run_show_config(*show, common, out);
    };

    auto* cluster = app.add_subcommand("cluster", "cluster membership");
    cluster->require_subcommand(1);
    add_common(*cluster, dispatch.common);
    auto leave = std::make_shared<ShowConfigOptions>();
    sub = cluster->add_subcommand("leave", "this machine leaves the cluster (staged)");
    sub->add_flag(
        "--force", leave->force, "leave although machine-level certificate bindings are lost");
    sub->add_option("--machine", leave->level.machine, "the machine (default: this host's name)")
        ->type_name("NAME");
    add_common(*sub, dispatch.common);
    sub->footer(footer({"certtool cluster leave --force"}));
    dispatch.runners[sub] = [leave, &common = dispatch.common](Output& out) {
        return run_leave(*leave, common, out);
    };
}

}  // namespace certtool::cli
