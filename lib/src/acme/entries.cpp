// Remembered ACME settings per entry (acme.hpp, entries.hpp).
#include "entries.hpp"

#include "acme_client.hpp"
#include "fs.hpp"

#include <certtool/error.hpp>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

namespace certtool {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int k_entry_format = 1;
constexpr std::size_t k_max_entry_file = std::size_t{1} << 20U;

fs::path entries_dir(const Store& store) {
    return store.dir() / "acme" / "entries";
}

fs::path entry_file(const Store& store, std::string_view name) {
    return entries_dir(store) / (std::string{name} + ".json");
}

json challenge_json(const AcmeChallengeSettings& c) {
    return {{"type", acme_challenge_name(c.type)},
            {"address", c.address},
            {"http_port", c.http_port},
            {"tls_port", c.tls_port},
            {"webroot", c.webroot.string()},
            {"dns_hook", c.dns_hook},
            {"hook_timeout_ms", c.hook_timeout.count()}};
}

AcmeChallengeSettings challenge_of(const json& j) {
    AcmeChallengeSettings c;
    const auto type = parse_acme_challenge(j.at("type").get<std::string>());
    if (!type) {
        throw json::other_error::create(501, "unknown challenge type", &j);
    }
    c.type = *type;
    c.address = j.at("address").get<std::string>();
    c.http_port = j.at("http_port").get<int>();
    c.tls_port = j.at("tls_port").get<int>();
    c.webroot = j.at("webroot").get<std::string>();
    c.dns_hook = j.at("dns_hook").get<std::string>();
    c.hook_timeout = std::chrono::milliseconds{j.at("hook_timeout_ms").get<long long>()};
    return c;
}

AcmeEntrySettings parse_entry(std::string_view text, const fs::path& file, std::string_view name) {
    const json j = json::parse(text, nullptr, false);
    const auto damaged = [&](std::string_view why) {
        return Error(Errc::parse,
                     fmt::format("the ACME settings of entry '{}' ('{}') are damaged ({}): issue "
                                 "it again with certtool acme issue {} --force ...",
                                 name,
                                 file.string(),
                                 why,
                                 name));
    };
    if (j.is_discarded() || !j.is_object()) {
        throw damaged("not JSON");
    }
    AcmeEntrySettings s;
    try {
        if (j.at("format").get<int>() != k_entry_format) {
            throw Error(Errc::parse,
                        fmt::format("'{}' was written by a newer certtool: use a newer certtool",
                                    file.string()));
        }
        s.name = j.at("name").get<std::string>();
        s.server = j.at("server").get<std::string>();
        if (const auto& b = j.at("ca_bundle"); b.is_string()) {
            s.ca_bundle = b.get<std::string>();
        }
        s.common_name = j.at("common_name").get<std::string>();
        s.sans = j.at("sans").get<std::vector<std::string>>();
        const auto key_type = parse_key_type(j.at("key_type").get<std::string>());
        if (!key_type) {
            throw damaged("unknown key type");
        }
        s.key_type = *key_type;
        s.reuse_key = j.at("reuse_key").get<bool>();
        s.challenge = challenge_of(j.at("challenge"));
        s.preferred_chain = j.at("preferred_chain").get<std::string>();
        s.order_url = j.at("order_url").get<std::string>();
        s.certificate_url = j.at("certificate_url").get<std::string>();
        s.issued = parse_time(j.at("issued").get<std::string>());
        s.revoked = j.at("revoked").get<std::string>();
    } catch (const json::exception&) {
        throw damaged("a member is missing or of the wrong type");
    } catch (const Error& e) {
        if (e.code() != Errc::parse) {
            throw;
        }
        throw damaged(e.what());
    }
    if (!name.empty() && s.name != name) {
        throw damaged(fmt::format("they are entry '{}''s", s.name));
    }
    return s;
}

AcmeEntrySettings read_entry(const fs::path& file, std::string_view name) {
    return parse_entry(
        detail::read_file(file, "ACME entry settings", k_max_entry_file), file, name);
}

json entry_json(const AcmeEntrySettings& s) {
    return {{"format", k_entry_format},
            {"name", s.name},
            {"server", s.server},
            {"ca_bundle", s.ca_bundle ? json(s.ca_bundle->string()) : json(nullptr)},
            {"common_name", s.common_name},
            {"sans", s.sans},
            {"key_type", key_type_name(s.key_type)},
            {"reuse_key", s.reuse_key},
            {"challenge", challenge_json(s.challenge)},
            {"preferred_chain", s.preferred_chain},
            {"order_url", s.order_url},
            {"certificate_url", s.certificate_url},
            {"issued", format_time(s.issued)},
            {"revoked", s.revoked}};
}

}  // namespace

std::string_view acme_challenge_name(AcmeChallengeType type) {
    switch (type) {
        case AcmeChallengeType::http01:
            return "http-01";
        case AcmeChallengeType::webroot:
            return "webroot";
        case AcmeChallengeType::dns01:
            return "dns-01";
        case AcmeChallengeType::tls_alpn01:
            return "tls-alpn-01";
    }
    return "?";
}

std::optional<AcmeChallengeType> parse_acme_challenge(std::string_view name) {
    for (const auto t : {AcmeChallengeType::http01,
                         AcmeChallengeType::webroot,
                         AcmeChallengeType::dns01,
                         AcmeChallengeType::tls_alpn01}) {
        if (acme_challenge_name(t) == name) {
            return t;
        }
    }
    return std::nullopt;
}

std::vector<std::string> acme_challenge_names() {
    return {"http-01", "webroot", "dns-01", "tls-alpn-01"};
}

std::optional<AcmeEntrySettings> acme_entry_settings(const Store& store, std::string_view name) {
    Store::validate_name(name);
    static_cast<void>(store.exists());
    const fs::path file = entry_file(store, name);
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(file, ec))) {
        return std::nullopt;
    }
    return read_entry(file, name);
}

std::vector<AcmeEntrySettings> acme_entries(const Store& store) {
    static_cast<void>(store.exists());
    std::vector<AcmeEntrySettings> out;
    std::error_code ec;
    for (const auto& f : fs::directory_iterator(entries_dir(store), ec)) {
        const std::string file = f.path().filename().string();
        if (f.path().extension() != ".json" || file.starts_with(".")) {
            continue;
        }
        const std::string name = f.path().stem().string();
        out.push_back(read_entry(f.path(), name));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
}

std::string acme_entry_settings_json(const AcmeEntrySettings& settings) {
    return entry_json(settings).dump();
}

AcmeEntrySettings parse_acme_entry_settings(std::string_view json_text, std::string_view source) {
    return parse_entry(json_text, fs::path{source}, {});
}

void replace_acme_entries(const Store& store, const std::vector<AcmeEntrySettings>& entries) {
    for (const auto& s : entries) {
        Store::validate_name(s.name);
    }
    detail::change_acme_dir(store, entries_dir(store), [&] {
        std::set<std::string> kept;
        for (const auto& s : entries) {
            detail::write_file_atomic(entry_file(store, s.name),
                                      entry_json(s).dump(2) + "\n",
                                      0600,
                                      detail::Overwrite::replace);
            kept.insert(s.name + ".json");
        }
        std::error_code ec;
        for (const auto& f : fs::directory_iterator(entries_dir(store), ec)) {
            const std::string file = f.path().filename().string();
            if (f.path().extension() == ".json" && !kept.contains(file)) {
                fs::remove(f.path());
            }
        }
    });
}

namespace detail {

void write_acme_entry(const Store& store, const AcmeEntrySettings& s) {
    change_acme_dir(store, entries_dir(store), [&] {
        write_file_atomic(
            entry_file(store, s.name), entry_json(s).dump(2) + "\n", 0600, Overwrite::replace);
    });
}

}  // namespace detail

}  // namespace certtool
