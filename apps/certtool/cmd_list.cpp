#include "cli.hpp"
#include "render.hpp"

#include <CLI/CLI.hpp>
#include <fmt/core.h>

namespace certtool::cli {

namespace {

ExitCode run_list(const Common& common, Output& out) {
    const Store store = open_store(common);
    nlohmann::json entries = nlohmann::json::array();
    if (!out.json()) {
        out.text() << fmt::format(
            "{:<24} {:<12} {:<32} {:<20} {}\n", "NAME", "ORIGIN", "CN", "EXPIRES", "DAYS");
    }
    for (const auto& name : store.names()) {
        const Entry e = store.get(name);
        const Certificate& c = e.certificate;
        if (out.json()) {
            entries.push_back({{"name", e.name},
                               {"origin", origin_name(e.origin)},
                               {"cn", c.subject_name().common_name},
                               {"not_after", format_time(c.not_after())},
                               {"days_left", days_left(c.not_after())},
                               {"sha256_fingerprint", c.sha256_fingerprint()}});
        } else {
            out.text() << fmt::format("{:<24} {:<12} {:<32} {:<20} {}\n",
                                      e.name,
                                      origin_name(e.origin),
                                      c.subject_name().common_name,
                                      format_time(c.not_after()),
                                      days_left(c.not_after()));
        }
    }
    if (out.json()) {
        out.result() = {{"store", store.dir().string()}, {"entries", entries}};
    }
    return ExitCode::ok;
}

}  // namespace

void add_list(CLI::App& app, Dispatch& dispatch) {
    auto* sub = app.add_subcommand("list", "list the store's entries");
    add_common(*sub, dispatch.common);
    sub->footer(footer({"certtool list", "certtool list --json | jq -r '.entries[].name'"}));
    dispatch.runners[sub] = [&common = dispatch.common](Output& out) {
        return run_list(common, out);
    };
}

}  // namespace certtool::cli
