#include "cli.hpp"
#include "config_common.hpp"

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <chrono>

namespace certtool::cli {

namespace {

struct DeleteOptions {
    std::string name;
    bool force{false};
};

std::string where_list(const std::vector<config::Binding>& bindings) {
    std::string out;
    for (const auto& b : bindings) {
        out += (out.empty() ? "" : ", ") + b.where();
    }
    return out;
}

ExitCode run_delete(const DeleteOptions& opt, const Common& common, Output& out) {
    Store store = open_store(common);
    (void)store.names();  // a store that cannot be read is that error, first
    config::ConfigStore configs{store};
    // Staged bindings first; the committed ones matter too (abandon would bring them back).
    auto bound = config::bindings_of(configs.pending(), opt.name);
    const bool staged_only = bound.empty();
    if (staged_only) {
        bound = config::bindings_of(configs.committed(), opt.name);
    }
    if (!bound.empty() && !opt.force) {
        throw Error(Errc::in_use,
                    fmt::format("entry '{}' is in use: {}; bind others first, or delete with "
                                "--force to rebind them to demo (staged)",
                                opt.name,
                                where_list(bound)));
    }
    if (!bound.empty() && opt.name == config::k_demo_entry) {
        throw Error(Errc::in_use,
                    fmt::format("entry 'demo' is in use: {}; bind other entries to those "
                                "services first",
                                where_list(bound)));
    }
    std::size_t rebound = 0;
    if (!bound.empty() && !staged_only) {
        if (!store.contains(opt.name)) {
            (void)store.get(opt.name);  // not_found, as without bindings
        }
        config::ensure_demo_certificate(store, std::chrono::system_clock::now());
        configs.stage([&](config::Document& d) { rebound = config::rebind(d, opt.name, "demo"); });
    }
    store.remove(opt.name);
    if (out.json()) {
        out.result() = {{"name", opt.name}, {"deleted", true}, {"rebound_to_demo", rebound}};
    } else {
        out.text() << fmt::format("deleted '{}'\n", opt.name);
    }
    if (rebound > 0) {
        out.warn(
            fmt::format("{} binding{} of '{}' now use demo (staged): certtool commit applies "
                        "that",
                        rebound,
                        rebound == 1 ? "" : "s",
                        opt.name));
    } else if (staged_only && !bound.empty()) {
        out.warn(
            fmt::format("the committed configuration still binds '{}': certtool commit "
                        "applies the staged changes that replace it",
                        opt.name));
    }
    return ExitCode::ok;
}

}  // namespace

void add_delete(CLI::App& app, Dispatch& dispatch) {
    auto opt = std::make_shared<DeleteOptions>();
    auto* sub = app.add_subcommand("delete", "delete an entry (its key is gone for good)");
    sub->add_option("NAME", opt->name, "entry name")->required();
    sub->add_flag("--force",
                  opt->force,
                  "delete although the configuration binds it: those services are rebound to "
                  "demo (a staged change)");
    add_common(*sub, dispatch.common);
    sub->footer(footer({"certtool delete old-mail"}));
    dispatch.runners[sub] = [opt, &common = dispatch.common](Output& out) {
        return run_delete(*opt, common, out);
    };
}

}  // namespace certtool::cli
