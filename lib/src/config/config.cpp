// Configuration changes: each validates against the machine's effective configuration and
// throws before it changes anything. Where certificates are bound, and what that implies.
#include "names.hpp"

#include <certtool/config.hpp>
#include <certtool/error.hpp>
#include <certtool/hostname.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <set>

namespace certtool::config {

namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string joined(const std::vector<std::string>& names) {
    if (names.empty()) {
        return "none";
    }
    std::string out;
    for (const auto& n : names) {
        out += (out.empty() ? "" : ", ") + n;
    }
    return out;
}

// The names under `prefix` ("listener/") in `settings`: the component after it.
std::vector<std::string> names_under(const Settings& settings, std::string_view prefix) {
    std::set<std::string> names;
    for (const auto& [key, value] : settings) {
        if (starts_with(key, prefix)) {
            const auto rest = std::string_view{key}.substr(prefix.size());
            names.emplace(rest.substr(0, rest.find('/')));
        }
    }
    return {names.begin(), names.end()};
}

// Removes the keys starting with `prefix`; returns how many.
std::size_t erase_prefix(Settings& settings, std::string_view prefix) {
    std::size_t n = 0;
    for (auto it = settings.lower_bound(prefix);
         it != settings.end() && starts_with(it->first, prefix);) {
        it = settings.erase(it);
        ++n;
    }
    return n;
}

std::string scope_text(const Scope& scope) {
    return scope.level == Level::cluster ? "cluster level"
                                         : fmt::format("machine level of {}", scope.machine);
}

// The listener as the scope's machine sees it; throws Error{not_found} naming those there are.
Settings require_listener(const Document& document, const Scope& scope, const std::string& name) {
    auto settings = effective_settings(document, scope.machine);
    if (!settings.contains(listener_key(name, "address"))) {
        std::vector<std::string> there;
        for (const auto& l : names_under(settings, "listener/")) {
            if (settings.contains(listener_key(l, "address"))) {
                there.push_back(l);
            }
        }
        throw Error(Errc::not_found,
                    fmt::format("no listener '{}' (listeners: {}); add it with certtool listener "
                                "add {} --address ADDR:PORT",
                                name,
                                joined(there),
                                name));
    }
    return settings;
}

// The entry must exist; an expired certificate, or one whose names leave out `hostname`, is a
// warning (the appliance allows both).
void check_certificate(const Context& context,
                       const std::string& entry_name,
                       const std::string& hostname) {
    if (context.store == nullptr) {
        return;
    }
    if (!context.store->contains(entry_name)) {
        throw Error(Errc::not_found,
                    fmt::format("no entry '{}' to bind (entries: {}); create or import it first",
                                entry_name,
                                joined(context.store->names())));
    }
    const Entry entry = context.store->get(entry_name);
    if (!context.warn) {
        return;
    }
    if (entry.certificate.not_after() < context.now) {
        context.warn(
            fmt::format("entry '{}' has expired ({}): peers will refuse it; renew it "
                        "or import a new certificate",
                        entry_name,
                        format_time(entry.certificate.not_after())));
    }
    if (!hostname.empty()) {
        const auto m = match_name(entry.certificate,
                                  SubjectAltName::parse("DNS:" + hostname),
                                  CnFallback::when_no_dns_name);
        if (!m.matched) {
            context.warn(
                fmt::format("entry '{}' is not for host name {}: a sender verifying "
                            "the connection will fail; use a certificate whose names "
                            "include it",
                            entry_name,
                            hostname));
        }
    }
}

std::string hostname_of(const Settings& effective, const std::string& listener) {
    const auto it = effective.find(listener_key(listener, "hostname"));
    return it == effective.end() ? std::string{} : it->second;
}

}  // namespace

void add_listener(Document& document,
                  const Scope& scope,
                  const ListenerSpec& spec,
                  const Context& context) {
    validate_config_name("listener", spec.name);
    std::string hostname;
    if (!spec.hostname.empty()) {
        hostname = parse_destination_domain(spec.hostname);
        if (hostname.front() == '.') {
            throw Error(Errc::invalid_argument,
                        fmt::format("invalid host name '{}': give the listener's own name, such "
                                    "as mail.example.com",
                                    spec.hostname));
        }
    }
    const auto settings = effective_settings(document, scope.machine);
    if (settings.contains(listener_key(spec.name, "address"))) {
        throw Error(Errc::already_exists,
                    fmt::format("listener '{}' exists; change it with certtool listener set {}",
                                spec.name,
                                spec.name));
    }
    const auto address = spec.endpoint.text();
    for (const auto& l : names_under(settings, "listener/")) {
        const auto it = settings.find(listener_key(l, "address"));
        if (it != settings.end() && it->second == address) {
            throw Error(Errc::invalid_argument,
                        fmt::format("listener '{}' already listens on {}: give another address "
                                    "or port",
                                    l,
                                    address));
        }
    }
    // The new listener starts on the demonstration certificate, which demo_warnings() reports.
    (void)context;
    Settings& s = layer(document, scope);
    erase_prefix(s, "listener/" + spec.name + "/");
    s[listener_key(spec.name, "address")] = address;
    if (!hostname.empty()) {
        s[listener_key(spec.name, "hostname")] = hostname;
    }
    s[listener_key(spec.name, "type")] = std::string{listener_type_name(spec.type)};
    s[listener_key(spec.name, "certificate")] = std::string{k_demo_entry};
    s[listener_key(spec.name, "tls")] = "preferred";
}

void set_listener(Document& document,
                  const Scope& scope,
                  const std::string& name,
                  const ListenerChange& change,
                  const Context& context) {
    const auto settings = require_listener(document, scope, name);
    std::string hostname = hostname_of(settings, name);
    if (change.hostname) {
        hostname = change.hostname->empty() ? "" : parse_destination_domain(*change.hostname);
        if (!hostname.empty() && hostname.front() == '.') {
            throw Error(Errc::invalid_argument,
                        fmt::format("invalid host name '{}': give the listener's own name",
                                    *change.hostname));
        }
    }
    const auto cert_it = settings.find(listener_key(name, "certificate"));
    const std::string certificate =
        change.certificate ? *change.certificate
                           : (cert_it == settings.end() ? std::string{} : cert_it->second);
    if (change.certificate || change.hostname) {
        check_certificate(context, certificate, hostname);
    }
    Settings& s = layer(document, scope);
    if (change.certificate) {
        s[listener_key(name, "certificate")] = *change.certificate;
    }
    if (change.tls) {
        s[listener_key(name, "tls")] = std::string{inbound_tls_name(*change.tls)};
    }
    if (change.hostname) {
        s[listener_key(name, "hostname")] = hostname;
    }
}

void delete_listener(Document& document, const Scope& scope, const std::string& name) {
    Settings& s = layer(document, scope);
    if (erase_prefix(s, "listener/" + name + "/") == 0) {
        throw Error(Errc::not_found,
                    fmt::format("no listener '{}' at the {} (listeners there: {})",
                                name,
                                scope_text(scope),
                                joined(names_under(s, "listener/"))));
    }
}

void add_sender_group(Document& document,
                      const Scope& scope,
                      const std::string& listener,
                      const std::string& group,
                      const std::vector<Member>& members,
                      InboundTls tls) {
    const auto settings = require_listener(document, scope, listener);
    validate_config_name("sender group", group);
    if (members.empty()) {
        throw Error(Errc::invalid_argument,
                    fmt::format("sender group '{}' needs at least one --member", group));
    }
    if (settings.contains(group_key(listener, group, "position"))) {
        throw Error(Errc::already_exists,
                    fmt::format("listener '{}' has a sender group '{}'; delete it first to "
                                "change it",
                                listener,
                                group));
    }
    int last = 0;
    for (const auto& g : names_under(settings, "listener/" + listener + "/group/")) {
        const auto it = settings.find(group_key(listener, g, "position"));
        if (it != settings.end()) {
            last = std::max(last, std::atoi(it->second.c_str()));
        }
    }
    std::string text;
    for (const auto& m : members) {
        text += (text.empty() ? "" : " ") + m.text;
    }
    Settings& s = layer(document, scope);
    s[group_key(listener, group, "position")] = std::to_string(last + 1);
    s[group_key(listener, group, "members")] = text;
    s[group_key(listener, group, "tls")] = std::string{inbound_tls_name(tls)};
}

void delete_sender_group(Document& document,
                         const Scope& scope,
                         const std::string& listener,
                         const std::string& group) {
    Settings& s = layer(document, scope);
    const auto prefix = "listener/" + listener + "/group/";
    if (erase_prefix(s, prefix + group + "/") == 0) {
        throw Error(Errc::not_found,
                    fmt::format("no sender group '{}' of listener '{}' at the {} (groups there: "
                                "{})",
                                group,
                                listener,
                                scope_text(scope),
                                joined(names_under(s, prefix))));
    }
}

void set_destination(Document& document,
                     const Scope& scope,
                     const std::string& domain,
                     TlsMode tls) {
    const auto d = parse_destination_domain(domain);
    layer(document, scope)[destination_key(d)] = tls_mode_key(tls);
}

void set_default_destination(Document& document, const Scope& scope, TlsMode tls) {
    layer(document, scope)[std::string{k_default_destination_key}] = tls_mode_key(tls);
}

void delete_destination(Document& document, const Scope& scope, const std::string& domain) {
    const auto d = parse_destination_domain(domain);
    Settings& s = layer(document, scope);
    if (s.erase(destination_key(d)) == 0) {
        throw Error(Errc::not_found,
                    fmt::format("no destination control for '{}' at the {} (domains there: {})",
                                d,
                                scope_text(scope),
                                joined(names_under(s, "destination/"))));
    }
}

void set_outbound(Document& document,
                  const Scope& scope,
                  const OutboundChange& change,
                  const Context& context) {
    if (!change.certificate && !change.alert_on_required_failure) {
        throw Error(Errc::invalid_argument,
                    "nothing to set: give --certificate ENTRY or --alert-on-required-failure "
                    "on|off");
    }
    if (change.certificate) {
        check_certificate(context, *change.certificate, "");
    }
    Settings& s = layer(document, scope);
    if (change.certificate) {
        s[std::string{k_outbound_certificate_key}] = *change.certificate;
    }
    if (change.alert_on_required_failure) {
        s[std::string{k_outbound_alert_key}] = *change.alert_on_required_failure ? "on" : "off";
    }
}

void set_service(Document& document,
                 const Scope& scope,
                 Service service,
                 const std::string& interface,
                 const std::string& certificate,
                 const Context& context) {
    std::string key;
    if (service == Service::https) {
        validate_config_name("interface", interface);
        key = "service/https/" + interface + "/certificate";
    } else {
        if (!interface.empty()) {
            throw Error(Errc::invalid_argument,
                        fmt::format("--interface is for https only; {} has one certificate",
                                    service_name(service)));
        }
        key = fmt::format("service/{}/certificate", service_name(service));
    }
    check_certificate(context, certificate, "");
    layer(document, scope)[key] = certificate;
}

namespace {

void check_target_path(std::string_view what, const std::filesystem::path& path) {
    if (!path.is_absolute() || path.lexically_normal() != path ||
        path.string().find_first_of(" \t\n,=") != std::string::npos) {
        throw Error(Errc::invalid_argument,
                    fmt::format("invalid {} '{}': give an absolute path without '..', spaces, "
                                "',' or '='",
                                what,
                                path.string()));
    }
}

}  // namespace

void set_postfix_target(Document& document,
                        const std::string& machine,
                        const std::filesystem::path& config_dir,
                        const std::optional<std::filesystem::path>& trust,
                        const std::vector<std::filesystem::path>& ldap_tables) {
    check_target_path("Postfix configuration directory", config_dir);
    if (trust) {
        check_target_path("trust file", *trust);
    }
    std::string tables;
    for (const auto& t : ldap_tables) {
        check_target_path("LDAP table", t);
        if (!tables.empty()) {
            tables += ' ';
        }
        tables += t.string();
    }
    Settings& s = layer(document, Scope{Level::machine, machine});
    s[std::string{k_postfix_target_key}] = config_dir.string();
    if (trust) {
        s[std::string{k_postfix_trust_key}] = trust->string();
    } else {
        s.erase(std::string{k_postfix_trust_key});
    }
    if (!tables.empty()) {
        s[std::string{k_postfix_ldap_key}] = tables;
    } else {
        s.erase(std::string{k_postfix_ldap_key});
    }
}

namespace {

// Removes every key of `settings` that starts with `prefix`.
void erase_prefixed(Settings& settings, std::string_view prefix) {
    for (auto it = settings.lower_bound(prefix);
         it != settings.end() && it->first.starts_with(prefix);) {
        it = settings.erase(it);
    }
}

}  // namespace

void set_nginx_target(Document& document, const std::string& machine, const NginxTarget& target) {
    check_target_path("nginx server-block file", target.config_file);
    check_target_path("nginx main configuration", target.nginx_conf);
    if (!target.state_dir.empty()) {
        check_target_path("state directory", target.state_dir);
    }
    if (target.include) {
        check_target_path("include file", *target.include);
    }
    if (target.server_name.find_first_of(" \t\n;{}'\"\\") != std::string::npos) {
        throw Error(Errc::invalid_argument,
                    fmt::format("invalid --server-name '{}': give host names without spaces, "
                                "';', braces or quotes",
                                target.server_name));
    }
    Settings& s = layer(document, Scope{Level::machine, machine});
    const std::string prefix{k_nginx_prefix};
    erase_prefixed(s, prefix);
    s[prefix + "config-file"] = target.config_file.string();
    s[prefix + "nginx-conf"] = target.nginx_conf.string();
    if (!target.state_dir.empty()) {
        s[prefix + "state-dir"] = target.state_dir.string();
    }
    if (!target.server_name.empty()) {
        s[prefix + "server-name"] = target.server_name;
    }
    if (target.include) {
        s[prefix + "include"] = target.include->string();
    }
    for (const auto& [interface, endpoint] : target.listen) {
        validate_config_name("interface", interface);
        s[prefix + "listen/" + interface] = endpoint.text();
    }
}

void set_files_target(Document& document,
                      const std::string& machine,
                      const FilesTarget& target,
                      const Context& context) {
    validate_config_name("file target", target.name);
    std::set<std::filesystem::path> seen;
    for (const auto field : FilesTarget::k_fields) {
        if (const auto& path = target.path(field)) {
            check_target_path(fmt::format("--{} path", field), *path);
            if (!seen.insert(*path).second) {
                throw Error(Errc::invalid_argument,
                            fmt::format("'{}' is given twice: each file needs its own path",
                                        path->string()));
            }
        }
    }
    if (seen.empty()) {
        throw Error(Errc::invalid_argument,
                    "a file target needs at least one of --key, --cert, --chain, --fullchain, "
                    "--combined");
    }
    if (target.reload.find('\n') != std::string::npos) {
        throw Error(Errc::invalid_argument, "--reload must be one line");
    }
    check_certificate(context, target.certificate, "");
    Settings& s = layer(document, Scope{Level::machine, machine});
    const std::string prefix = std::string{k_files_prefix} + target.name + "/";
    erase_prefixed(s, prefix);
    s[prefix + "certificate"] = target.certificate;
    for (const auto field : FilesTarget::k_fields) {
        if (const auto& path = target.path(field)) {
            s[prefix + std::string{field}] = path->string();
        }
    }
    if (!target.reload.empty()) {
        s[prefix + "reload"] = target.reload;
    }
}

void delete_target(Document& document, const std::string& machine, const std::string& which) {
    Settings& s = layer(document, Scope{Level::machine, machine});
    std::string prefix;
    if (which == "postfix") {
        prefix = "target/postfix/";
    } else if (which == "nginx") {
        prefix = std::string{k_nginx_prefix};
    } else if (which.starts_with("files/")) {
        prefix = std::string{k_files_prefix} + which.substr(6) + "/";
    } else {
        throw Error(Errc::invalid_argument,
                    fmt::format("unknown target '{}': postfix, nginx or files/NAME", which));
    }
    const auto it = s.lower_bound(prefix);
    if (it == s.end() || !it->first.starts_with(prefix)) {
        throw Error(Errc::not_found,
                    fmt::format("machine {} has no {} target (certtool config show --machine {} "
                                "lists its settings)",
                                machine,
                                which,
                                machine));
    }
    erase_prefixed(s, prefix);
}

std::vector<std::string> leave_cluster(Document& document, const std::string& machine) {
    validate_machine_name(machine);
    if (!document.clustered) {
        throw Error(Errc::invalid_argument, "this machine is not in a cluster");
    }
    std::vector<std::string> lost;
    Settings standalone = document.cluster;
    if (const auto m = document.machines.find(machine); m != document.machines.end()) {
        for (const auto& [key, value] : m->second) {
            const bool certificate = ends_with(key, "/certificate");
            const auto c = document.cluster.find(key);
            if (certificate && (c == document.cluster.end() || c->second != value)) {
                lost.push_back(key);
                continue;
            }
            standalone[key] = value;
        }
    }
    document.clustered = false;
    document.cluster.clear();
    document.machines.clear();
    document.machines.emplace(machine, std::move(standalone));
    return lost;
}

// ---- Bindings
// ------------------------------------------------------------------------------------

std::string Binding::where() const {
    const auto parts = split_key(key);
    std::string what;
    if (parts[0] == "listener") {
        what = "listener " + parts[1];
    } else if (parts[0] == "outbound") {
        what = "outbound delivery";
    } else if (parts[0] == "service" && parts.size() == 4) {
        what = fmt::format("https on interface {}", parts[2]);
    } else if (parts[0] == "service") {
        what = parts[1];
    } else if (parts[0] == "target" && parts.size() == 4) {
        what = fmt::format("file target {}", parts[2]);
    } else {
        what = key;
    }
    const auto level_text =
        level == Level::cluster ? std::string{"cluster"} : fmt::format("machine {}", machine);
    return fmt::format("{} ({})", what, level_text);
}

namespace {

bool is_binding_key(const std::string& key) {
    return ends_with(key, "/certificate") &&
           (starts_with(key, "listener/") || starts_with(key, "outbound/") ||
            starts_with(key, "service/") || starts_with(key, "target/files/"));
}

}  // namespace

std::vector<Binding> bindings(const Document& document) {
    std::vector<Binding> out;
    for (const auto& [key, value] : document.cluster) {
        if (is_binding_key(key)) {
            out.push_back(Binding{Level::cluster, "", key, value});
        }
    }
    for (const auto& [machine, settings] : document.machines) {
        for (const auto& [key, value] : settings) {
            if (is_binding_key(key)) {
                out.push_back(Binding{Level::machine, machine, key, value});
            }
        }
    }
    return out;
}

std::vector<Binding> bindings_of(const Document& document, std::string_view entry) {
    auto all = bindings(document);
    std::erase_if(all, [&](const Binding& b) { return b.entry != entry; });
    return all;
}

std::size_t rebind(Document& document, std::string_view from, std::string_view to) {
    std::size_t n = 0;
    const auto swap_in = [&](Settings& settings) {
        for (auto& [key, value] : settings) {
            if (is_binding_key(key) && value == from) {
                value = std::string{to};
                ++n;
            }
        }
    };
    swap_in(document.cluster);
    for (auto& [machine, settings] : document.machines) {
        swap_in(settings);
    }
    return n;
}

std::vector<std::string> missing_entries(const Document& document, const Store& store) {
    std::set<std::string> missing;
    for (const auto& b : bindings(document)) {
        if (!store.contains(b.entry)) {
            missing.insert(b.entry);
        }
    }
    return {missing.begin(), missing.end()};
}

std::vector<std::string> demo_warnings(const Document& document) {
    std::vector<std::string> out;
    for (const auto& b : bindings_of(document, k_demo_entry)) {
        // A cluster-level binding every known machine overrides is used by none of them.
        if (b.level == Level::cluster && !document.machines.empty() &&
            std::all_of(document.machines.begin(), document.machines.end(), [&](const auto& m) {
                return m.second.contains(b.key);
            })) {
            continue;
        }
        out.push_back(
            fmt::format("{} uses the demonstration certificate and cannot offer a "
                        "verifiable connection: bind a certificate of your own",
                        b.where()));
    }
    return out;
}

}  // namespace certtool::config
