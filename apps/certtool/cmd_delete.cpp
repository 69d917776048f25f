#include "cli.hpp"

#include <CLI/CLI.hpp>
#include <fmt/core.h>

namespace certtool::cli {

namespace {

ExitCode run_delete(const std::string& name, const Common& common, Output& out) {
    Store store = open_store(common);
    store.remove(name);
    if (out.json()) {
        out.result() = {{"name", name}, {"deleted", true}};
    } else {
        out.text() << fmt::format("deleted '{}'\n", name);
    }
    return ExitCode::ok;
}

}  // namespace

void add_delete(CLI::App& app, Dispatch& dispatch) {
    auto name = std::make_shared<std::string>();
    auto* sub = app.add_subcommand("delete", "delete an entry (its key is gone for good)");
    sub->add_option("NAME", *name, "entry name")->required();
    add_common(*sub, dispatch.common);
    sub->footer(footer({"certtool delete old-mail"}));
    dispatch.runners[sub] = [name, &common = dispatch.common](Output& out) {
        return run_delete(*name, common, out);
    };
}

}  // namespace certtool::cli
