#include "cli.hpp"
#include "config_common.hpp"
#include "render.hpp"

#include <CLI/CLI.hpp>

namespace certtool::cli {

namespace {

struct ShowOptions {
    std::string name;
    bool pem{false};
};

ExitCode run_show(const ShowOptions& opt, const Common& common, Output& out) {
    const Store store = open_store(common);
    const Entry entry = store.get(opt.name);
    const auto bindings = config::bindings_of(config::ConfigStore{store}.pending(), opt.name);
    if (out.json()) {
        out.result() = entry_json(entry);
        nlohmann::json used = nlohmann::json::array();
        for (const auto& b : bindings) {
            used.push_back(
                {{"level", config::level_name(b.level)}, {"key", b.key}, {"where", b.where()}});
            if (b.level == config::Level::machine) {
                used.back()["machine"] = b.machine;
            }
        }
        out.result()["bindings"] = used;
        if (opt.pem) {
            out.result()["certificate"]["pem"] = entry.certificate.to_pem();
        }
    } else if (opt.pem) {
        out.text() << entry.certificate.to_pem();
    } else {
        print_entry(out.text(), entry);
        for (const auto& b : bindings) {
            out.text() << "Used by:      " << b.where() << '\n';
        }
    }
    return ExitCode::ok;
}

}  // namespace

void add_show(CLI::App& app, Dispatch& dispatch) {
    auto opt = std::make_shared<ShowOptions>();
    auto* sub = app.add_subcommand("show", "show an entry: subject, SANs, validity, chain");
    sub->add_option("NAME", opt->name, "entry name")->required();
    sub->add_flag("--pem",
                  opt->pem,
                  "print only the certificate, in PEM (pipe it into openssl x509); with --json, "
                  "add it to the object");
    add_common(*sub, dispatch.common);
    sub->footer(footer({"certtool show mail",
                        "certtool show mail --json",
                        "certtool show mail --pem | openssl x509 -noout -text"}));
    dispatch.runners[sub] = [opt, &common = dispatch.common](Output& out) {
        return run_show(*opt, common, out);
    };
}

}  // namespace certtool::cli
