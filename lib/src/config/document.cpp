// The document: levels merged into a machine's effective settings, the typed view of them,
// differences between two documents, and the JSON the store and backups hold.
#include "document_json.hpp"
#include "names.hpp"

#include <certtool/config.hpp>
#include <certtool/error.hpp>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <map>

namespace certtool::config {

std::vector<std::string> split_key(std::string_view key) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        const auto slash = key.find('/', start);
        parts.emplace_back(key.substr(start, slash - start));
        if (slash == std::string_view::npos) {
            return parts;
        }
        start = slash + 1;
    }
}

Settings& layer(Document& document, const Scope& scope) {
    if (scope.level == Level::cluster) {
        if (!document.clustered) {
            throw Error(Errc::invalid_argument,
                        "this machine has left the cluster: there is no cluster level; use "
                        "--level machine");
        }
        return document.cluster;
    }
    validate_machine_name(scope.machine);
    return document.machines[scope.machine];
}

std::vector<EffectiveSetting> effective(const Document& document, std::string_view machine) {
    std::map<std::string, EffectiveSetting, std::less<>> merged;
    if (document.clustered) {
        for (const auto& [key, value] : document.cluster) {
            merged[key] = EffectiveSetting{key, value, Level::cluster};
        }
    }
    if (const auto m = document.machines.find(machine); m != document.machines.end()) {
        for (const auto& [key, value] : m->second) {
            merged[key] = EffectiveSetting{key, value, Level::machine};
        }
    }
    std::vector<EffectiveSetting> out;
    out.reserve(merged.size());
    for (auto& [key, setting] : merged) {
        out.push_back(std::move(setting));
    }
    return out;
}

Settings effective_settings(const Document& document, std::string_view machine) {
    Settings out;
    for (auto& s : effective(document, machine)) {
        out.emplace(std::move(s.key), std::move(s.value));
    }
    return out;
}

namespace {

[[noreturn]] void bad_value(const std::string& key,
                            const std::string& value,
                            std::string_view rule) {
    throw Error(Errc::parse,
                fmt::format("configuration setting {} = '{}' is not {}; set it again "
                            "with the certtool command for it, or roll back",
                            key,
                            value,
                            rule));
}

std::vector<std::string> words(std::string_view text) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && text[i] == ' ') {
            ++i;
        }
        const auto start = i;
        while (i < text.size() && text[i] != ' ') {
            ++i;
        }
        if (i > start) {
            out.emplace_back(text.substr(start, i - start));
        }
    }
    return out;
}

InboundTls inbound(const std::string& key, const std::string& value) {
    const auto tls = parse_inbound_tls(value);
    if (!tls || value != inbound_tls_name(*tls)) {
        bad_value(key, value, "off, preferred or required");
    }
    return *tls;
}

TlsMode outbound_mode(const std::string& key, const std::string& value) {
    for (auto mode : k_tls_modes) {
        if (value == tls_mode_key(mode)) {
            return mode;
        }
    }
    bad_value(key, value, "none, preferred, required, preferred-verify or required-verify");
}

struct ListenerDraft {
    Listener listener;
    bool has_address{false};
    std::map<std::string, SenderGroup, std::less<>> groups;
    std::map<std::string, bool, std::less<>> group_has_members;
};

void apply_listener_setting(ListenerDraft& draft,
                            const std::vector<std::string>& parts,
                            const std::string& key,
                            const std::string& value) {
    Listener& l = draft.listener;
    if (parts.size() == 3) {
        const auto& field = parts[2];
        if (field == "address") {
            try {
                l.endpoint = parse_endpoint(value);
            } catch (const Error&) {
                bad_value(key, value, "ADDRESS:PORT");
            }
            draft.has_address = true;
        } else if (field == "hostname") {
            l.hostname = value;
        } else if (field == "type") {
            if (value == "public") {
                l.type = ListenerType::public_listener;
            } else if (value == "private") {
                l.type = ListenerType::private_listener;
            } else {
                bad_value(key, value, "public or private");
            }
        } else if (field == "certificate") {
            l.certificate = value;
        } else if (field == "tls") {
            l.tls = inbound(key, value);
        } else {
            bad_value(key, value, "a known listener setting");
        }
        return;
    }
    if (parts.size() == 5 && parts[2] == "group") {
        SenderGroup& g = draft.groups[parts[3]];
        g.name = parts[3];
        const auto& field = parts[4];
        if (field == "position") {
            int position = 0;
            const auto* end = value.data() + value.size();
            auto [ptr, ec] = std::from_chars(value.data(), end, position);
            if (ec != std::errc{} || ptr != end || position < 1) {
                bad_value(key, value, "a position 1, 2, ...");
            }
            g.position = position;
        } else if (field == "members") {
            g.members.clear();
            for (const auto& w : words(value)) {
                try {
                    g.members.push_back(parse_member(w));
                } catch (const Error&) {
                    bad_value(key, value, "a list of addresses, CIDR blocks and host names");
                }
            }
            draft.group_has_members[g.name] = true;
        } else if (field == "tls") {
            g.tls = inbound(key, value);
        } else {
            bad_value(key, value, "a known sender group setting");
        }
        return;
    }
    bad_value(key, value, "a known listener setting");
}

std::filesystem::path absolute_path(const std::string& key, const std::string& value) {
    std::filesystem::path p{value};
    if (!p.is_absolute()) {
        bad_value(key, value, "an absolute path");
    }
    return p;
}

// target/nginx/...: config-file, nginx-conf, state-dir, server-name, include, listen/IFACE.
void apply_nginx_setting(NginxTarget& t,
                         const std::vector<std::string>& parts,
                         const std::string& key,
                         const std::string& value) {
    if (parts.size() == 4 && parts[2] == "listen") {
        try {
            t.listen[parts[3]] = parse_endpoint(value);
        } catch (const Error&) {
            bad_value(key, value, "ADDRESS:PORT");
        }
        return;
    }
    const std::string field = parts.size() == 3 ? parts[2] : std::string{};
    if (field == "config-file") {
        t.config_file = absolute_path(key, value);
    } else if (field == "nginx-conf") {
        t.nginx_conf = absolute_path(key, value);
    } else if (field == "state-dir") {
        t.state_dir = absolute_path(key, value);
    } else if (field == "server-name") {
        t.server_name = value;
    } else if (field == "include") {
        t.include = absolute_path(key, value);
    } else {
        bad_value(key, value, "a known nginx target setting");
    }
}

// target/files/NAME/...: certificate, key, cert, chain, fullchain, combined, reload.
void apply_files_setting(FilesTarget& t, const std::string& key, const std::string& value) {
    const std::string field = key.substr(key.rfind('/') + 1);
    if (field == "certificate") {
        t.certificate = value;
    } else if (field == "reload") {
        t.reload = value;
    } else if (std::find(FilesTarget::k_fields.begin(), FilesTarget::k_fields.end(), field) !=
               FilesTarget::k_fields.end()) {
        t.path(field) = absolute_path(key, value);
    } else {
        bad_value(key, value, "a known file target setting");
    }
}

}  // namespace

namespace {

// FilesTarget::path() for a const or a mutable target.
template <class Target>
auto& path_field(Target& t, std::string_view field) {
    if (field == "key") {
        return t.key;
    }
    if (field == "cert") {
        return t.cert;
    }
    if (field == "chain") {
        return t.chain;
    }
    if (field == "fullchain") {
        return t.fullchain;
    }
    return t.combined;
}

}  // namespace

std::optional<std::filesystem::path>& FilesTarget::path(std::string_view field) {
    return path_field(*this, field);
}

const std::optional<std::filesystem::path>& FilesTarget::path(std::string_view field) const {
    return path_field(*this, field);
}

std::filesystem::path NginxTarget::state() const {
    return state_dir.empty() ? config_file.parent_path().parent_path() / "certtool" : state_dir;
}

Configuration typed(const Settings& settings) {
    Configuration c;
    std::map<std::string, ListenerDraft, std::less<>> listeners;
    std::map<std::string, FilesTarget, std::less<>> files;
    for (const auto& [key, value] : settings) {
        const auto parts = split_key(key);
        if (parts[0] == "listener" && parts.size() >= 3) {
            ListenerDraft& draft = listeners[parts[1]];
            draft.listener.name = parts[1];
            apply_listener_setting(draft, parts, key, value);
        } else if (parts[0] == "destination" && parts.size() == 3 && parts[2] == "tls") {
            c.destinations.push_back(Destination{parts[1], outbound_mode(key, value)});
        } else if (key == k_default_destination_key) {
            c.default_tls = outbound_mode(key, value);
        } else if (key == k_outbound_certificate_key) {
            c.outbound_certificate = value;
        } else if (key == k_outbound_alert_key) {
            if (value != "on" && value != "off") {
                bad_value(key, value, "on or off");
            }
            c.alert_on_required_failure = value == "on";
        } else if (parts[0] == "service" && parts.back() == "certificate" &&
                   (parts.size() == 3 || parts.size() == 4)) {
            const auto service = parse_service(parts[1]);
            const bool https = service == Service::https;
            if (!service || (https != (parts.size() == 4))) {
                bad_value(key, value, "a known service binding");
            }
            c.services.push_back(ServiceBinding{*service, https ? parts[2] : "", value});
        } else if (key == k_postfix_target_key) {
            c.postfix_config_dir = std::filesystem::path{value};
        } else if (key == k_postfix_trust_key) {
            c.postfix_trust = std::filesystem::path{value};
        } else if (key == k_postfix_ldap_key) {
            for (const auto& w : words(value)) {
                c.postfix_ldap_tables.push_back(absolute_path(key, w));
            }
        } else if (key.starts_with(k_nginx_prefix)) {
            if (!c.nginx) {
                c.nginx.emplace();
            }
            apply_nginx_setting(*c.nginx, parts, key, value);
        } else if (key.starts_with(k_files_prefix) && parts.size() == 4) {
            FilesTarget& t = files[parts[2]];
            t.name = parts[2];
            apply_files_setting(t, key, value);
        } else {
            bad_value(key, value, "a setting this certtool knows (a newer one wrote it?)");
        }
    }
    if (c.nginx && c.nginx->config_file.empty()) {
        throw Error(Errc::parse,
                    "the nginx target has settings but no config file; set it again: certtool "
                    "target nginx --config-file FILE ...");
    }
    for (auto& [name, t] : files) {
        if (t.certificate.empty()) {
            throw Error(Errc::parse,
                        fmt::format("file target '{}' has no certificate; set it again: "
                                    "certtool target files {} --certificate ENTRY ...",
                                    name,
                                    name));
        }
        c.files.push_back(std::move(t));
    }
    for (auto& [name, draft] : listeners) {
        if (!draft.has_address) {
            throw Error(Errc::parse,
                        fmt::format("listener '{}' has settings but no address at any level (its "
                                    "definition was deleted); delete it at the level that "
                                    "still has it: certtool listener delete {} --level machine",
                                    name,
                                    name));
        }
        for (auto& [group_name, group] : draft.groups) {
            if (group.position == 0 || !draft.group_has_members[group_name]) {
                throw Error(Errc::parse,
                            fmt::format("sender group '{}' of listener '{}' is incomplete; "
                                        "delete it and add it again",
                                        group_name,
                                        name));
            }
            draft.listener.groups.push_back(std::move(group));
        }
        std::stable_sort(
            draft.listener.groups.begin(),
            draft.listener.groups.end(),
            [](const SenderGroup& a, const SenderGroup& b) { return a.position < b.position; });
        c.listeners.push_back(std::move(draft.listener));
    }
    return c;
}

// ---- Differences --------------------------------------------------------------------------------

namespace {

void diff_layer(const std::string& where,
                const Settings& before,
                const Settings& after,
                std::vector<Change>& out) {
    auto b = before.begin();
    auto a = after.begin();
    while (b != before.end() || a != after.end()) {
        if (a == after.end() || (b != before.end() && b->first < a->first)) {
            out.push_back(Change{Change::Kind::removed, where, b->first, b->second, ""});
            ++b;
        } else if (b == before.end() || a->first < b->first) {
            out.push_back(Change{Change::Kind::added, where, a->first, "", a->second});
            ++a;
        } else {
            if (a->second != b->second) {
                out.push_back(Change{Change::Kind::changed, where, a->first, b->second, a->second});
            }
            ++a;
            ++b;
        }
    }
}

}  // namespace

std::vector<Change> diff(const Document& before, const Document& after) {
    std::vector<Change> out;
    if (before.clustered != after.clustered) {
        out.push_back(Change{Change::Kind::changed,
                             "membership",
                             "clustered",
                             before.clustered ? "yes" : "no",
                             after.clustered ? "yes" : "no"});
    }
    diff_layer("cluster", before.cluster, after.cluster, out);
    std::map<std::string, int, std::less<>> machines;
    for (const auto& [m, s] : before.machines) {
        machines[m] = 0;
    }
    for (const auto& [m, s] : after.machines) {
        machines[m] = 0;
    }
    static const Settings none;
    for (const auto& [m, unused] : machines) {
        const auto b = before.machines.find(m);
        const auto a = after.machines.find(m);
        diff_layer("machine " + m,
                   b == before.machines.end() ? none : b->second,
                   a == after.machines.end() ? none : a->second,
                   out);
    }
    return out;
}

std::string summary(const std::vector<Change>& changes) {
    if (changes.empty()) {
        return "no changes";
    }
    const auto& c = changes.front();
    std::string first;
    switch (c.kind) {
        case Change::Kind::added:
            first = fmt::format("{} {} = {}", c.where, c.key, c.after);
            break;
        case Change::Kind::changed:
            first = fmt::format("{} {}: {} -> {}", c.where, c.key, c.before, c.after);
            break;
        case Change::Kind::removed:
            first = fmt::format("{} {} removed", c.where, c.key);
            break;
    }
    if (changes.size() == 1) {
        return first;
    }
    return fmt::format(
        "{} (and {} more change{})", first, changes.size() - 1, changes.size() == 2 ? "" : "s");
}

// ---- JSON
// ----------------------------------------------------------------------------------------

namespace {

constexpr int k_format = 1;

nlohmann::json settings_json(const Settings& s) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [key, value] : s) {
        j[key] = value;
    }
    return j;
}

Settings parse_settings(const nlohmann::json& j,
                        const std::string& what,
                        const std::string& source) {
    if (!j.is_object()) {
        throw Error(Errc::parse, fmt::format("{}: {} is not an object", source, what));
    }
    Settings s;
    for (const auto& [key, value] : j.items()) {
        if (!value.is_string() || key.empty()) {
            throw Error(Errc::parse,
                        fmt::format("{}: setting '{}' of {} is not text", source, key, what));
        }
        s.emplace(key, value.get<std::string>());
    }
    return s;
}

}  // namespace

std::string document_json(const Document& document) {
    nlohmann::json machines = nlohmann::json::object();
    for (const auto& [name, settings] : document.machines) {
        machines[name] = settings_json(settings);
    }
    const nlohmann::json j = {{"format", k_format},
                              {"clustered", document.clustered},
                              {"cluster", settings_json(document.cluster)},
                              {"machines", machines}};
    return j.dump(2) + "\n";
}

Document parse_document(std::string_view json_text, const std::string& source) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(json_text);
    } catch (const nlohmann::json::exception& e) {
        throw Error(Errc::parse, fmt::format("{}: not a configuration: {}", source, e.what()));
    }
    return document_from_json(j, source);
}

Document document_from_json(const nlohmann::json& j, const std::string& source) {
    if (!j.is_object() || !j.contains("format") || !j["format"].is_number_integer()) {
        throw Error(Errc::parse, fmt::format("{}: not a configuration (no format)", source));
    }
    if (j["format"].get<int>() != k_format) {
        throw Error(Errc::parse,
                    fmt::format("{}: configuration format {} is not one this "
                                "certtool reads (a newer certtool wrote it)",
                                source,
                                j["format"].dump()));
    }
    Document d;
    if (!j.contains("clustered") || !j["clustered"].is_boolean()) {
        throw Error(Errc::parse,
                    fmt::format("{}: 'clustered' is missing or not true/false", source));
    }
    d.clustered = j["clustered"].get<bool>();
    d.cluster = parse_settings(j.value("cluster", nlohmann::json::object()), "cluster", source);
    const auto machines = j.value("machines", nlohmann::json::object());
    if (!machines.is_object()) {
        throw Error(Errc::parse, fmt::format("{}: 'machines' is not an object", source));
    }
    for (const auto& [name, settings] : machines.items()) {
        try {
            validate_machine_name(name);
        } catch (const Error& e) {
            throw Error(Errc::parse, fmt::format("{}: {}", source, e.what()));
        }
        d.machines.emplace(name, parse_settings(settings, "machine " + name, source));
    }
    return d;
}

}  // namespace certtool::config
