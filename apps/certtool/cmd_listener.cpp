// listener add|set|delete and sender-group add|delete: the inbound side of the configuration.
#include "cli.hpp"
#include "config_common.hpp"

#include <CLI/CLI.hpp>
#include <fmt/core.h>

namespace certtool::cli {

namespace {

struct ListenerOptions {
    std::string name;
    std::string address;
    std::string hostname;
    std::string type{"public"};
    std::string certificate;
    std::string tls;
    LevelOptions level;
};

config::InboundTls inbound_tls(const std::string& text) {
    const auto tls = config::parse_inbound_tls(text);
    if (!tls) {
        throw Error(Errc::invalid_argument,
                    fmt::format("invalid --tls '{}': give off, preferred or required", text));
    }
    return *tls;
}

config::ListenerType listener_type(const std::string& text) {
    if (text == "public") {
        return config::ListenerType::public_listener;
    }
    if (text == "private") {
        return config::ListenerType::private_listener;
    }
    throw Error(Errc::invalid_argument,
                fmt::format("invalid --type '{}': give public or private", text));
}

CLI::App* listener_subcommand(CLI::App& parent,
                              Dispatch& dispatch,
                              const char* name,
                              const char* help,
                              ListenerOptions& opt) {
    auto* sub = parent.add_subcommand(name, help);
    sub->add_option("NAME", opt.name, "listener name")->required();
    add_level_options(*sub, opt.level);
    add_common(*sub, dispatch.common);
    return sub;
}

void add_listener_commands(CLI::App& app, Dispatch& dispatch) {
    auto* group = app.add_subcommand("listener", "inbound listeners: address, certificate, TLS");
    group->require_subcommand(1);
    add_common(*group, dispatch.common);

    auto add = std::make_shared<ListenerOptions>();
    auto* sub = listener_subcommand(
        *group, dispatch, "add", "add a listener (on demo, TLS Preferred)", *add);
    sub->add_option("--address", add->address, "ADDRESS:PORT it listens on ([::1]:25 for IPv6)")
        ->required();
    sub->add_option("--hostname", add->hostname, "its host name (the MX name senders verify)");
    sub->add_option("--type", add->type, "public (default) or private");
    sub->footer(
        footer({"certtool listener add IncomingMail --address 192.0.2.10:25 --hostname "
                "mail.example.com"}));
    dispatch.runners[sub] = [add, &common = dispatch.common](Output& out) {
        const config::ListenerSpec spec{add->name,
                                        config::parse_endpoint(add->address),
                                        add->hostname,
                                        listener_type(add->type)};
        return stage_change(
            common,
            add->level,
            out,
            "listener " + add->name + " added",
            [&](config::Document& d, const config::Scope& s, const config::Context& c) {
                config::add_listener(d, s, spec, c);
            });
    };

    auto set = std::make_shared<ListenerOptions>();
    sub = listener_subcommand(
        *group, dispatch, "set", "bind a certificate, set the default TLS", *set);
    sub->add_option("--certificate", set->certificate, "the entry it serves")->type_name("ENTRY");
    sub->add_option("--tls", set->tls, "default mail flow policy: off, preferred or required");
    sub->add_option("--hostname", set->hostname, "its host name");
    sub->footer(footer({"certtool listener set IncomingMail --certificate mail",
                        "certtool listener set IncomingMail --tls required --level machine"}));
    dispatch.runners[sub] = [set, sub, &common = dispatch.common](Output& out) {
        config::ListenerChange change;
        if (sub->count("--certificate") > 0) {
            change.certificate = set->certificate;
        }
        if (sub->count("--tls") > 0) {
            change.tls = inbound_tls(set->tls);
        }
        if (sub->count("--hostname") > 0) {
            change.hostname = set->hostname;
        }
        if (!change.certificate && !change.tls && !change.hostname) {
            throw Error(Errc::invalid_argument,
                        "nothing to set: give --certificate, --tls or --hostname");
        }
        return stage_change(
            common,
            set->level,
            out,
            "listener " + set->name + " changed",
            [&](config::Document& d, const config::Scope& s, const config::Context& c) {
                config::set_listener(d, s, set->name, change, c);
            });
    };

    auto del = std::make_shared<ListenerOptions>();
    sub = listener_subcommand(*group, dispatch, "delete", "delete a listener at a level", *del);
    sub->footer(footer({"certtool listener delete OldMail"}));
    dispatch.runners[sub] = [del, &common = dispatch.common](Output& out) {
        return stage_change(
            common,
            del->level,
            out,
            "listener " + del->name + " deleted",
            [&](config::Document& d, const config::Scope& s, const config::Context&) {
                config::delete_listener(d, s, del->name);
            });
    };
}

struct GroupOptions {
    std::string listener;
    std::string group;
    std::vector<std::string> members;
    std::string tls;
    LevelOptions level;
};

void add_sender_group_commands(CLI::App& app, Dispatch& dispatch) {
    auto* group = app.add_subcommand("sender-group",
                                     "a listener's sender groups: first match wins, by order");
    group->require_subcommand(1);
    add_common(*group, dispatch.common);

    auto add = std::make_shared<GroupOptions>();
    auto* sub = group->add_subcommand("add", "add a sender group after the listener's others");
    sub->add_option("LISTENER", add->listener, "listener name")->required();
    sub->add_option("GROUP", add->group, "group name")->required();
    sub->add_option("--member",
                    add->members,
                    "an address, CIDR block, host name or .partial.domain (repeatable)")
        ->required()
        ->type_name("MEMBER");
    sub->add_option("--tls", add->tls, "its mail flow policy's TLS: off, preferred or required")
        ->required();
    add_level_options(*sub, add->level);
    add_common(*sub, dispatch.common);
    sub->footer(
        footer({"certtool sender-group add IncomingMail PARTNERS --member 192.0.2.0/24 "
                "--member .partner.example --tls required"}));
    dispatch.runners[sub] = [add, &common = dispatch.common](Output& out) {
        std::vector<config::Member> members;
        for (const auto& m : add->members) {
            members.push_back(config::parse_member(m));
        }
        const auto tls = inbound_tls(add->tls);
        return stage_change(
            common,
            add->level,
            out,
            fmt::format("sender group {} added to listener {}", add->group, add->listener),
            [&](config::Document& d, const config::Scope& s, const config::Context&) {
                config::add_sender_group(d, s, add->listener, add->group, members, tls);
            });
    };

    auto del = std::make_shared<GroupOptions>();
    sub = group->add_subcommand("delete", "delete a sender group at a level");
    sub->add_option("LISTENER", del->listener, "listener name")->required();
    sub->add_option("GROUP", del->group, "group name")->required();
    add_level_options(*sub, del->level);
    add_common(*sub, dispatch.common);
    sub->footer(footer({"certtool sender-group delete IncomingMail PARTNERS"}));
    dispatch.runners[sub] = [del, &common = dispatch.common](Output& out) {
        return stage_change(
            common,
            del->level,
            out,
            fmt::format("sender group {} of listener {} deleted", del->group, del->listener),
            [&](config::Document& d, const config::Scope& s, const config::Context&) {
                config::delete_sender_group(d, s, del->listener, del->group);
            });
    };
}

}  // namespace

void add_inbound_commands(CLI::App& app, Dispatch& dispatch) {
    add_listener_commands(app, dispatch);
    add_sender_group_commands(app, dispatch);
}

}  // namespace certtool::cli
