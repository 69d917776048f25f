// destination set|default|delete, outbound set and service set: delivery and the other
// certificate users.
#include "cli.hpp"
#include "config_common.hpp"

#include <CLI/CLI.hpp>
#include <fmt/core.h>

namespace certtool::cli {

namespace {

TlsMode outbound_mode(const std::string& text) {
    for (auto mode : k_tls_modes) {
        if (text == config::tls_mode_key(mode)) {
            return mode;
        }
    }
    throw Error(Errc::invalid_argument,
                fmt::format("invalid --tls '{}': give none, preferred, required, "
                            "preferred-verify or required-verify",
                            text));
}

bool on_off(const std::string& text, const char* option) {
    if (text == "on" || text == "off") {
        return text == "on";
    }
    throw Error(Errc::invalid_argument,
                fmt::format("invalid {} '{}': give on or off", option, text));
}

struct DestinationOptions {
    std::string domain;
    std::string tls;
    LevelOptions level;
};

void add_destination_commands(CLI::App& app, Dispatch& dispatch) {
    auto* group =
        app.add_subcommand("destination", "destination controls: outbound TLS per domain");
    group->require_subcommand(1);
    add_common(*group, dispatch.common);

    auto set = std::make_shared<DestinationOptions>();
    auto* sub = group->add_subcommand("set", "set the TLS mode for mail to a domain");
    sub->add_option("DOMAIN", set->domain, "example.com, or .example.com for its subdomains")
        ->required();
    sub->add_option(
           "--tls", set->tls, "none, preferred, required, preferred-verify or required-verify")
        ->required()
        ->type_name("MODE");
    add_level_options(*sub, set->level);
    add_common(*sub, dispatch.common);
    sub->footer(footer({"certtool destination set partner.example --tls required-verify",
                        "certtool destination set .example.net --tls preferred"}));
    dispatch.runners[sub] = [set, &common = dispatch.common](Output& out) {
        const TlsMode mode = outbound_mode(set->tls);
        const std::string domain = config::parse_destination_domain(set->domain);
        return stage_change(
            common,
            set->level,
            out,
            fmt::format("destination {}: {}", domain, tls_mode_name(mode)),
            [&](config::Document& d, const config::Scope& s, const config::Context&) {
                config::set_destination(d, s, domain, mode);
            });
    };

    auto def = std::make_shared<DestinationOptions>();
    sub = group->add_subcommand("default", "set the TLS mode for every other domain");
    sub->add_option("--tls", def->tls, "the mode (default: none)")->required()->type_name("MODE");
    add_level_options(*sub, def->level);
    add_common(*sub, dispatch.common);
    sub->footer(footer({"certtool destination default --tls preferred"}));
    dispatch.runners[sub] = [def, &common = dispatch.common](Output& out) {
        const TlsMode mode = outbound_mode(def->tls);
        return stage_change(
            common,
            def->level,
            out,
            fmt::format("default destination: {}", tls_mode_name(mode)),
            [&](config::Document& d, const config::Scope& s, const config::Context&) {
                config::set_default_destination(d, s, mode);
            });
    };

    auto del = std::make_shared<DestinationOptions>();
    sub = group->add_subcommand("delete", "delete a domain's row at a level");
    sub->add_option("DOMAIN", del->domain, "the domain as it was set")->required();
    add_level_options(*sub, del->level);
    add_common(*sub, dispatch.common);
    sub->footer(footer({"certtool destination delete partner.example"}));
    dispatch.runners[sub] = [del, &common = dispatch.common](Output& out) {
        return stage_change(
            common,
            del->level,
            out,
            "destination " + del->domain + " deleted",
            [&](config::Document& d, const config::Scope& s, const config::Context&) {
                config::delete_destination(d, s, del->domain);
            });
    };
}

struct OutboundOptions {
    std::string certificate;
    std::string alert;
    LevelOptions level;
};

void add_outbound_command(CLI::App& app, Dispatch& dispatch) {
    auto* group = app.add_subcommand("outbound", "delivery: the client certificate, alerts");
    group->require_subcommand(1);
    add_common(*group, dispatch.common);
    auto opt = std::make_shared<OutboundOptions>();
    auto* sub = group->add_subcommand("set", "set the outbound client certificate or alert switch");
    sub->add_option("--certificate", opt->certificate, "the entry presented to receiving servers")
        ->type_name("ENTRY");
    sub->add_option("--alert-on-required-failure",
                    opt->alert,
                    "send an alert when a required TLS connection fails: on or off");
    add_level_options(*sub, opt->level);
    add_common(*sub, dispatch.common);
    sub->footer(footer({"certtool outbound set --certificate mail"}));
    dispatch.runners[sub] = [opt, sub, &common = dispatch.common](Output& out) {
        config::OutboundChange change;
        if (sub->count("--certificate") > 0) {
            change.certificate = opt->certificate;
        }
        if (sub->count("--alert-on-required-failure") > 0) {
            change.alert_on_required_failure = on_off(opt->alert, "--alert-on-required-failure");
        }
        return stage_change(
            common,
            opt->level,
            out,
            "outbound changed",
            [&](config::Document& d, const config::Scope& s, const config::Context& c) {
                config::set_outbound(d, s, change, c);
            });
    };
}

struct ServiceOptions {
    std::string service;
    std::string interface;
    std::string certificate;
    LevelOptions level;
};

void add_service_command(CLI::App& app, Dispatch& dispatch) {
    auto* group = app.add_subcommand("service", "the other certificate users: HTTPS, LDAP, ...");
    group->require_subcommand(1);
    add_common(*group, dispatch.common);
    auto opt = std::make_shared<ServiceOptions>();
    auto* sub = group->add_subcommand("set", "bind a certificate to a service");
    sub->add_option("SERVICE", opt->service, "https, ldap, url-filtering, dlp or amp")->required();
    sub->add_option(
        "--interface", opt->interface, "the interface (https only; default Management)");
    sub->add_option("--certificate", opt->certificate, "the entry")->required()->type_name("ENTRY");
    add_level_options(*sub, opt->level);
    add_common(*sub, dispatch.common);
    sub->footer(footer({"certtool service set https --interface Management --certificate web",
                        "certtool service set ldap --certificate ldap-client"}));
    dispatch.runners[sub] = [opt, &common = dispatch.common](Output& out) {
        const auto service = config::parse_service(opt->service);
        if (!service) {
            throw Error(Errc::invalid_argument,
                        fmt::format("invalid service '{}': give https, ldap, url-filtering, dlp "
                                    "or amp",
                                    opt->service));
        }
        const std::string interface = *service == config::Service::https && opt->interface.empty()
                                          ? std::string{"Management"}
                                          : opt->interface;
        return stage_change(
            common,
            opt->level,
            out,
            fmt::format("{} bound to {}", config::service_name(*service), opt->certificate),
            [&](config::Document& d, const config::Scope& s, const config::Context& c) {
                config::set_service(d, s, *service, interface, opt->certificate, c);
            });
    };
}

}  // namespace

void add_delivery_commands(CLI::App& app, Dispatch& dispatch) {
    add_destination_commands(app, dispatch);
    add_outbound_command(app, dispatch);
    add_service_command(app, dispatch);
}

}  // namespace certtool::cli
