// target postfix|nginx|files|delete: where this machine's commits are applied.
#include "cli.hpp"
#include "config_common.hpp"

#include <certtool/files.hpp>
#include <certtool/postfix_target.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

namespace certtool::cli {

namespace {

namespace fs = std::filesystem;

fs::path absolute_of(const std::string& path) {
    return fs::absolute(path).lexically_normal();
}

struct PostfixTargetOptions {
    std::string config_dir;
    std::string trust;
    std::vector<std::string> ldap_tables;
    LevelOptions level;
};

void add_postfix_target(CLI::App& group, Dispatch& dispatch) {
    auto opt = std::make_shared<PostfixTargetOptions>();
    auto* sub = group.add_subcommand("postfix", "apply this machine's configuration to Postfix");
    sub->add_option("--config-dir", opt->config_dir, "the instance's configuration directory")
        ->required()
        ->type_name("DIR");
    sub->add_option("--trust",
                    opt->trust,
                    "CA file Postfix verifies receiving servers with (-verify modes; default: "
                    "the store's CA lists)")
        ->type_name("FILE");
    sub->add_option("--ldap-table",
                    opt->ldap_tables,
                    "an ldap: table file whose lookups present the LDAP binding's client "
                    "certificate (tls_cert, tls_key; repeatable)")
        ->type_name("FILE");
    sub->add_option("--machine", opt->level.machine, "the machine (default: this host's name)")
        ->type_name("NAME");
    add_common(*sub, dispatch.common);
    sub->footer(footer({"certtool target postfix --config-dir /etc/postfix",
                        "certtool target postfix --config-dir /etc/postfix --ldap-table "
                        "/etc/postfix/ldap-recipients.cf"}));
    dispatch.runners[sub] = [opt, &common = dispatch.common](Output& out) {
        const fs::path dir = absolute_of(opt->config_dir);
        deploy::check_postfix_directory(dir);
        std::optional<fs::path> trust;
        if (!opt->trust.empty()) {
            trust = absolute_of(opt->trust);
            (void)read_input_file(*trust, "trust file");
        }
        std::vector<fs::path> tables;
        for (const auto& t : opt->ldap_tables) {
            tables.push_back(absolute_of(t));
            (void)read_input_file(tables.back(), "LDAP table");
        }
        const std::string machine = machine_of(opt->level);
        return stage_change(common,
                            opt->level,
                            out,
                            "Postfix target " + dir.string(),
                            [&](config::Document& d, const config::Scope&, const config::Context&) {
                                config::set_postfix_target(d, machine, dir, trust, tables);
                            });
    };
}

struct NginxTargetOptions {
    std::string config_file;
    std::string nginx_conf{"/etc/nginx/nginx.conf"};
    std::string state_dir;
    std::vector<std::string> listen;
    std::string server_name;
    std::string include;
    LevelOptions level;
};

// --listen INTERFACE=ADDRESS:PORT, repeatable.
std::map<std::string, config::Endpoint, std::less<>> listen_map(
    const std::vector<std::string>& items) {
    std::map<std::string, config::Endpoint, std::less<>> out;
    for (const auto& item : items) {
        const auto eq = item.find('=');
        if (eq == std::string::npos || eq == 0) {
            throw Error(Errc::invalid_argument,
                        fmt::format("invalid --listen '{}': give INTERFACE=ADDRESS:PORT, e.g. "
                                    "Management=192.0.2.10:443",
                                    item));
        }
        out[item.substr(0, eq)] = config::parse_endpoint(item.substr(eq + 1));
    }
    return out;
}

void add_nginx_target(CLI::App& group, Dispatch& dispatch) {
    auto opt = std::make_shared<NginxTargetOptions>();
    auto* sub = group.add_subcommand(
        "nginx", "serve this machine's HTTPS bindings with nginx (a server block per interface)");
    sub->add_option("--config-file",
                    opt->config_file,
                    "the server-block file certtool owns (nginx must include it, e.g. from "
                    "conf.d/)")
        ->required()
        ->type_name("FILE");
    sub->add_option("--nginx-conf", opt->nginx_conf, "nginx's main configuration (nginx -c)")
        ->type_name("FILE")
        ->capture_default_str();
    sub->add_option("--state-dir",
                    opt->state_dir,
                    "where revisions' key and chain files go (default: certtool/ beside the "
                    "config file's directory)")
        ->type_name("DIR");
    sub->add_option("--listen", opt->listen, "an HTTPS interface's address (repeatable)")
        ->type_name("INTERFACE=ADDRESS:PORT");
    sub->add_option("--server-name", opt->server_name, "the server blocks' server_name")
        ->type_name("NAMES");
    sub->add_option(
           "--include", opt->include, "a file of directives for the server blocks (locations)")
        ->type_name("FILE");
    sub->add_option("--machine", opt->level.machine, "the machine (default: this host's name)")
        ->type_name("NAME");
    add_common(*sub, dispatch.common);
    sub->footer(
        footer({"certtool target nginx --config-file /etc/nginx/conf.d/certtool.conf --listen "
                "Management=192.0.2.10:443 --include /etc/nginx/snippets/webui.conf"}));
    dispatch.runners[sub] = [opt, &common = dispatch.common](Output& out) {
        config::NginxTarget t;
        t.config_file = absolute_of(opt->config_file);
        t.nginx_conf = absolute_of(opt->nginx_conf);
        (void)read_input_file(t.nginx_conf, "nginx's main configuration");
        if (!opt->state_dir.empty()) {
            t.state_dir = absolute_of(opt->state_dir);
        }
        t.listen = listen_map(opt->listen);
        t.server_name = opt->server_name;
        if (!opt->include.empty()) {
            t.include = absolute_of(opt->include);
        }
        const std::string machine = machine_of(opt->level);
        return stage_change(common,
                            opt->level,
                            out,
                            "nginx target " + t.config_file.string(),
                            [&](config::Document& d, const config::Scope&, const config::Context&) {
                                config::set_nginx_target(d, machine, t);
                            });
    };
}

struct FilesTargetOptions {
    std::string name;
    std::string certificate;
    std::string key;
    std::string cert;
    std::string chain;
    std::string fullchain;
    std::string combined;
    std::string reload;
    LevelOptions level;
};

std::optional<fs::path> optional_path(const std::string& path) {
    return path.empty() ? std::nullopt : std::optional{absolute_of(path)};
}

void add_files_target(CLI::App& group, Dispatch& dispatch) {
    auto opt = std::make_shared<FilesTargetOptions>();
    auto* sub = group.add_subcommand(
        "files", "write an entry's key and certificates where a daemon reads them, then reload it");
    sub->add_option("NAME", opt->name, "the target's name")->required();
    sub->add_option("--certificate", opt->certificate, "the entry")->required()->type_name("ENTRY");
    sub->add_option("--key", opt->key, "the private key (0600)")->type_name("FILE");
    sub->add_option("--cert", opt->cert, "the leaf certificate")->type_name("FILE");
    sub->add_option("--chain", opt->chain, "the intermediates")->type_name("FILE");
    sub->add_option("--fullchain", opt->fullchain, "leaf and intermediates")->type_name("FILE");
    sub->add_option("--combined", opt->combined, "key, leaf and intermediates (0600)")
        ->type_name("FILE");
    sub->add_option("--reload",
                    opt->reload,
                    "run by /bin/sh -c once every file is in place (a failure restores them)")
        ->type_name("COMMAND");
    sub->add_option("--machine", opt->level.machine, "the machine (default: this host's name)")
        ->type_name("NAME");
    add_common(*sub, dispatch.common);
    sub->footer(
        footer({"certtool target files dovecot --certificate mail --key "
                "/etc/dovecot/private/mail.key --fullchain /etc/dovecot/mail.pem "
                "--reload 'systemctl reload dovecot'"}));
    dispatch.runners[sub] = [opt, &common = dispatch.common](Output& out) {
        config::FilesTarget t;
        t.name = opt->name;
        t.certificate = opt->certificate;
        t.key = optional_path(opt->key);
        t.cert = optional_path(opt->cert);
        t.chain = optional_path(opt->chain);
        t.fullchain = optional_path(opt->fullchain);
        t.combined = optional_path(opt->combined);
        t.reload = opt->reload;
        const std::string machine = machine_of(opt->level);
        return stage_change(
            common,
            opt->level,
            out,
            fmt::format("file target {} (entry {})", t.name, t.certificate),
            [&](config::Document& d, const config::Scope&, const config::Context& c) {
                config::set_files_target(d, machine, t, c);
            });
    };
}

struct DeleteTargetOptions {
    std::string which;
    LevelOptions level;
};

void add_delete_target(CLI::App& group, Dispatch& dispatch) {
    auto opt = std::make_shared<DeleteTargetOptions>();
    auto* sub = group.add_subcommand(
        "delete", "stop applying commits to a target (its files stay as they are)");
    sub->add_option("TARGET", opt->which, "postfix, nginx or files/NAME")->required();
    sub->add_option("--machine", opt->level.machine, "the machine (default: this host's name)")
        ->type_name("NAME");
    add_common(*sub, dispatch.common);
    sub->footer(footer({"certtool target delete files/dovecot"}));
    dispatch.runners[sub] = [opt, &common = dispatch.common](Output& out) {
        const std::string machine = machine_of(opt->level);
        return stage_change(common,
                            opt->level,
                            out,
                            "target " + opt->which + " removed",
                            [&](config::Document& d, const config::Scope&, const config::Context&) {
                                config::delete_target(d, machine, opt->which);
                            });
    };
}

}  // namespace

void add_target_commands(CLI::App& app, Dispatch& dispatch) {
    auto* group = app.add_subcommand("target", "where commits are applied");
    group->require_subcommand(1);
    add_common(*group, dispatch.common);
    add_postfix_target(*group, dispatch);
    add_nginx_target(*group, dispatch);
    add_files_target(*group, dispatch);
    add_delete_target(*group, dispatch);
}

}  // namespace certtool::cli
