// ca import|list|show|delete|export|enable|disable and ca system enable|disable|list|export: the
// appliance's trust lists (certconfig -> CERTAUTHORITY), kept in the store (ca_lists.hpp).
#include "cli.hpp"

#include <certtool/ca_lists.hpp>
#include <certtool/files.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <chrono>

namespace certtool::cli {

namespace {

struct CaOptions {
    std::string file;
    std::string name;
    std::string output;
    std::string action;
    bool force{false};
};

TimePoint ca_now() {
    return std::chrono::system_clock::now();
}

// A line of the text output (none with --json: the result object says it).
void say(Output& out, const std::string& line) {
    if (!out.json()) {
        out.text() << line << '\n';
    }
}

nlohmann::json ca_json(const CustomCa& ca, TimePoint at) {
    const Certificate& c = ca.certificate;
    const TrustSettings t = c.trust_settings();
    const auto alert = ca_expiry_alert(c.not_after(), at);
    return {
        {"name", ca.name},
        {"subject", c.subject()},
        {"issuer", c.issuer()},
        {"sha256", c.sha256_fingerprint()},
        {"not_before", format_time(c.not_before())},
        {"not_after", format_time(c.not_after())},
        {"days_left", certtool::days_left(c.not_after(), at)},
        {"expiry_alert", alert ? nlohmann::json(*alert) : nlohmann::json()},
        {"enabled", ca.enabled},
        {"added", format_time(ca.added)},
        {"self_signed", c.is_self_signed()},
        {"trust_settings", {{"trusted", t.trusted}, {"rejected", t.rejected}, {"alias", t.alias}}},
        {"trust", trust_settings_text(t)}};
}

void print_ca(std::ostream& os, const CustomCa& ca, TimePoint at) {
    const Certificate& c = ca.certificate;
    const std::string trust = trust_settings_text(c.trust_settings());
    os << fmt::format(
        "{} ({})\n  subject:   {}\n  sha256:    {}\n  not after: {} ({} days left)\n  trust:     "
        "{}\n",
        ca.name,
        ca.enabled ? "enabled" : "disabled",
        c.subject(),
        c.sha256_fingerprint(),
        format_time(c.not_after()),
        certtool::days_left(c.not_after(), at),
        trust.empty() ? "no trust settings (an anchor for every purpose)" : trust);
}

// The appliance's alert schedule, as warnings.
void warn_expiry(Output& out, const CustomCa& ca, TimePoint at) {
    const TimePoint end = ca.certificate.not_after();
    if (const auto alert = ca_expiry_alert(end, at); alert && *alert == 0) {
        out.warn(
            fmt::format("CA '{}' expired on {}: it anchors nothing; delete it (certtool ca "
                        "delete {}) and import its successor",
                        ca.name,
                        format_time(end),
                        ca.name));
    } else if (alert) {
        out.warn(fmt::format("CA '{}' expires in {} days ({}): import its successor before then",
                             ca.name,
                             certtool::days_left(end, at),
                             format_time(end)));
    }
}

ExitCode run_ca_import(const CaOptions& opt, const Common& common, Output& out) {
    const TimePoint at = ca_now();
    const CaImportResult r = import_ca(open_store(common), {opt.file, opt.name, at});
    nlohmann::json imported = nlohmann::json::array();
    nlohmann::json findings = nlohmann::json::array();
    for (const auto& w : r.warnings) {
        out.warn(w.code + ": " + w.message);
        findings.push_back({{"code", w.code}, {"severity", "warning"}, {"message", w.message}});
    }
    for (const auto& ca : r.imported) {
        imported.push_back(ca_json(ca, at));
        if (!out.json()) {
            out.text() << "imported ";
            print_ca(out.text(), ca, at);
        }
    }
    out.result() = {{"imported", imported}, {"findings", findings}};
    return ExitCode::ok;
}

ExitCode run_ca_list(const Common& common, Output& out) {
    const TimePoint at = ca_now();
    const CaLists lists = read_ca_lists(open_store(common));
    nlohmann::json custom = nlohmann::json::array();
    if (!out.json()) {
        out.text() << fmt::format("system CA list: {} (certtool ca system list)\n",
                                  lists.system_enabled ? "enabled" : "disabled");
        out.text() << fmt::format("custom CA list: {} CA(s)\n", lists.custom.size());
    }
    for (const auto& ca : lists.custom) {
        custom.push_back(ca_json(ca, at));
        if (!out.json()) {
            print_ca(out.text(), ca, at);
        }
        warn_expiry(out, ca, at);
    }
    out.result() = {{"system", {{"enabled", lists.system_enabled}}}, {"custom", custom}};
    return ExitCode::ok;
}

ExitCode run_ca_show(const CaOptions& opt, const Common& common, Output& out) {
    const TimePoint at = ca_now();
    const CaLists lists = read_ca_lists(open_store(common));
    const CustomCa& ca = find_ca(lists, opt.name);
    out.result() = ca_json(ca, at);
    out.result()["pem"] = ca.certificate.to_trusted_pem();
    if (!out.json()) {
        print_ca(out.text(), ca, at);
        out.text() << fmt::format("  issuer:    {}\n  valid:     {} to {}\n  added:     {}\n",
                                  ca.certificate.issuer(),
                                  format_time(ca.certificate.not_before()),
                                  format_time(ca.certificate.not_after()),
                                  format_time(ca.added));
    }
    warn_expiry(out, ca, at);
    return ExitCode::ok;
}

ExitCode run_ca_change(const CaOptions& opt, const Common& common, Output& out) {
    const Store store = open_store(common);
    const CustomCa ca = opt.action == "delete"
                            ? delete_ca(store, opt.name)
                            : set_ca_enabled(store, opt.name, opt.action == "enable");
    const std::string done = opt.action == "delete" ? "deleted" : opt.action + "d";
    out.result() = {{"name", ca.name}, {"sha256", ca.certificate.sha256_fingerprint()}};
    out.result()[done] = true;
    say(out, fmt::format("CA '{}' {}", ca.name, done));
    return ExitCode::ok;
}

ExitCode run_ca_export(const CaOptions& opt, const Common& common, Output& out) {
    const CaLists lists = read_ca_lists(open_store(common));
    std::vector<Certificate> certs;
    if (!opt.name.empty()) {
        certs.push_back(find_ca(lists, opt.name).certificate);
    }
    for (const auto& ca : opt.name.empty() ? lists.custom : std::vector<CustomCa>{}) {
        certs.push_back(ca.certificate);
    }
    if (certs.empty()) {
        throw Error(Errc::not_found, "the custom CA list is empty: nothing to export");
    }
    write_output_file(opt.output, ca_bundle(certs), FileMode::shared, opt.force);
    out.result() = {{"file", opt.output}, {"certificates", certs.size()}};
    say(out, fmt::format("wrote {} CA certificate(s) to {}", certs.size(), opt.output));
    return ExitCode::ok;
}

ExitCode run_ca_system(const CaOptions& opt, const Common& common, Output& out) {
    if (opt.output.empty() == (opt.action == "export")) {
        throw Error(Errc::invalid_argument,
                    "-o FILE goes with ca system export (and only with it): certtool ca system "
                    "export -o system.pem");
    }
    const Store store = open_store(common);
    if (opt.action == "enable" || opt.action == "disable") {
        set_system_list_enabled(store, opt.action == "enable");
        out.result() = {{"system", {{"enabled", opt.action == "enable"}}}};
        say(out, fmt::format("system CA list {}d", opt.action));
        return ExitCode::ok;
    }
    const bool enabled = read_ca_lists(store).system_enabled;
    const auto certs = system_ca_certificates();
    if (opt.action == "export") {
        write_output_file(opt.output, ca_bundle(certs), FileMode::shared, opt.force);
        out.result() = {{"file", opt.output}, {"certificates", certs.size()}};
        say(out, fmt::format("wrote {} CA certificate(s) to {}", certs.size(), opt.output));
        return ExitCode::ok;
    }
    nlohmann::json list = nlohmann::json::array();
    say(out,
        fmt::format("system CA list: {}, {} CA(s) from {}",
                    enabled ? "enabled" : "disabled",
                    certs.size(),
                    system_ca_file().string()));
    for (const auto& c : certs) {
        list.push_back({{"subject", c.subject()},
                        {"sha256", c.sha256_fingerprint()},
                        {"not_after", format_time(c.not_after())}});
        say(out,
            fmt::format(
                "{}  {}  {}", format_time(c.not_after()), c.sha256_fingerprint(), c.subject()));
    }
    out.result() = {
        {"enabled", enabled}, {"file", system_ca_file().string()}, {"certificates", list}};
    return ExitCode::ok;
}

CLI::App* ca_subcommand(CLI::App& group, Dispatch& dispatch, const char* name, const char* help) {
    auto* sub = group.add_subcommand(name, help);
    add_common(*sub, dispatch.common);
    return sub;
}

}  // namespace

void add_ca_commands(CLI::App& app, Dispatch& dispatch) {
    auto* group = app.add_subcommand(
        "ca", "the trust lists: custom CAs in the store, and the system CA list");
    group->require_subcommand(1);
    add_common(*group, dispatch.common);
    auto& common = dispatch.common;

    auto opt = std::make_shared<CaOptions>();
    auto* sub = ca_subcommand(*group, dispatch, "import", "add the CA certificates of a file");
    sub->add_option("FILE", opt->file, "PEM (also TRUSTED CERTIFICATE), DER or PKCS#7")->required();
    sub->add_option("--name", opt->name, "its name (default: from the CN, made unique)");
    sub->footer(footer({"certtool ca import corp-root.pem",
                        "certtool ca import corp-chain.pem   # intermediate and root, any order",
                        "certtool ca import partner.pem --name partner-root"}));
    dispatch.runners[sub] = [opt, &common](Output& out) {
        return run_ca_import(*opt, common, out);
    };

    sub = ca_subcommand(*group, dispatch, "list", "list the custom CAs and the system list state");
    sub->footer(footer({"certtool ca list", "certtool ca list --json"}));
    dispatch.runners[sub] = [&common](Output& out) { return run_ca_list(common, out); };

    auto one = std::make_shared<CaOptions>();
    sub = ca_subcommand(*group, dispatch, "show", "print one custom CA's details");
    sub->add_option("NAME", one->name, "name or SHA-256 fingerprint")->required();
    sub->footer(footer({"certtool ca show corp-root"}));
    dispatch.runners[sub] = [one, &common](Output& out) { return run_ca_show(*one, common, out); };

    for (const char* action : {"delete", "enable", "disable"}) {
        auto change = std::make_shared<CaOptions>();
        change->action = action;
        sub = ca_subcommand(*group,
                            dispatch,
                            action,
                            change->action == "delete"   ? "remove a custom CA"
                            : change->action == "enable" ? "trust a custom CA again"
                                                         : "keep a custom CA but stop trusting it");
        sub->add_option("NAME", change->name, "name or SHA-256 fingerprint")->required();
        sub->footer(footer({fmt::format("certtool ca {} corp-root", action)}));
        dispatch.runners[sub] = [change, &common](Output& out) {
            return run_ca_change(*change, common, out);
        };
    }

    auto exp = std::make_shared<CaOptions>();
    sub = ca_subcommand(*group, dispatch, "export", "write the custom CAs (or one) as PEM");
    sub->add_option("-o,--output", exp->output, "PEM bundle to write")->required();
    sub->add_option("NAME", exp->name, "only this CA (name or SHA-256)");
    sub->add_flag("--force", exp->force, "overwrite FILE");
    sub->footer(footer(
        {"certtool ca export -o custom-cas.pem", "certtool ca export -o corp-root.pem corp-root"}));
    dispatch.runners[sub] = [exp, &common](Output& out) {
        return run_ca_export(*exp, common, out);
    };

    auto sys = std::make_shared<CaOptions>();
    sub =
        ca_subcommand(*group, dispatch, "system", "the system CA list: enable|disable|list|export");
    sub->add_option("ACTION", sys->action, "enable, disable, list or export")
        ->required()
        ->check(CLI::IsMember({"enable", "disable", "list", "export"}));
    sub->add_option("-o,--output", sys->output, "ca system export: PEM bundle to write");
    sub->add_flag("--force", sys->force, "ca system export: overwrite FILE");
    sub->footer(footer({"certtool ca system disable",
                        "certtool ca system list --json",
                        "certtool ca system export -o system-cas.pem"}));
    dispatch.runners[sub] = [sys, &common](Output& out) {
        return run_ca_system(*sys, common, out);
    };
}

}  // namespace certtool::cli
