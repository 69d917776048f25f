#include "cli.hpp"
#include "config_common.hpp"
#include "render.hpp"

#include <certtool/lifecycle.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <chrono>

namespace certtool::cli {

namespace {

struct RenewOptions {
    std::string name;
    int days{0};
    bool commit{false};
};

ExitCode run_renew(const RenewOptions& opt, const Common& common, Output& out) {
    RenewRequest request{opt.name, std::nullopt};
    if (opt.days != 0) {
        request.days = opt.days;
    }
    Store store = open_store(common);
    const Entry entry = renew(store, request, std::chrono::system_clock::now());
    if (out.json()) {
        out.result() = entry_json(entry);
    } else {
        out.text() << fmt::format("renewed '{}': new serial {}, valid until {}\n",
                                  entry.name,
                                  entry.certificate.serial_hex(),
                                  format_time(entry.certificate.not_after()));
    }
    redeploy_replaced(store, entry.name, opt.commit, out);
    return ExitCode::ok;
}

}  // namespace

void add_renew(CLI::App& app, Dispatch& dispatch) {
    auto opt = std::make_shared<RenewOptions>();
    auto* sub = app.add_subcommand(
        "renew", "re-sign a self-signed entry (same key and subject, new serial and dates)");
    sub->add_option("NAME", opt->name, "entry name")->required();
    sub->add_option("--days", opt->days, "validity in days (default: as before)")
        ->check(CLI::Range(1, 36500));
    add_commit_flag(*sub, opt->commit);
    add_common(*sub, dispatch.common);
    sub->footer(footer({"certtool renew mail", "certtool renew mail --days 730 --commit"}));
    dispatch.runners[sub] = [opt, &common = dispatch.common](Output& out) {
        return run_renew(*opt, common, out);
    };
}

}  // namespace certtool::cli
