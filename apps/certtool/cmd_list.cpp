#include "cli.hpp"
#include "render.hpp"

#include <CLI/CLI.hpp>
#include <fmt/core.h>

namespace certtool::cli {

namespace {

constexpr const char* k_list_row = "{:<24} {:<12} {:<32} {:<20} {}\n";

// A damaged entry is listed, not fatal: its row and a warning say why and what to do, so every
// good entry is still shown (docs/store.md, "Listing").
void render_damaged(const ListedEntry& listed, nlohmann::json& entries, Output& out) {
    out.warn(fmt::format(
        "store entry '{}' is damaged ({}): {}", listed.file, listed.problem, listed.fix));
    if (out.json()) {
        entries.push_back(
            {{"name", listed.name},
             {"damaged",
              {{"file", listed.file}, {"problem", listed.problem}, {"fix", listed.fix}}}});
    } else {
        out.text() << fmt::format(
            "{:<24} damaged: {} (fix: {})\n", listed.name, listed.problem, listed.fix);
    }
}

ExitCode run_list(const Common& common, Output& out) {
    const Store store = open_store(common);
    const std::vector<ListedEntry> listing = store.list();  // before the header: may fail
    nlohmann::json entries = nlohmann::json::array();
    if (!out.json()) {
        out.text() << fmt::format(k_list_row, "NAME", "ORIGIN", "CN", "EXPIRES", "DAYS");
    }
    for (const auto& listed : listing) {
        if (!listed.entry) {
            render_damaged(listed, entries, out);
            continue;
        }
        const Entry& e = *listed.entry;
        const Certificate& c = e.certificate;
        if (out.json()) {
            entries.push_back({{"name", listed.name},
                               {"origin", origin_name(e.origin)},
                               {"cn", c.subject_name().common_name},
                               {"not_after", format_time(c.not_after())},
                               {"days_left", days_left(c.not_after())},
                               {"sha256_fingerprint", c.sha256_fingerprint()}});
        } else {
            out.text() << fmt::format(k_list_row,
                                      listed.name,
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
