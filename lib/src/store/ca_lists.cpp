#include "fs.hpp"

#include <certtool/ca_lists.hpp>
#include <certtool/error.hpp>

#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <openssl/x509.h>

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <functional>

namespace certtool {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int k_format_version = 1;

fs::path ca_dir(const Store& store) {
    return store.dir() / "ca";
}

fs::path lists_file(const Store& store) {
    return ca_dir(store) / "lists.json";
}

fs::path custom_dir(const Store& store) {
    return ca_dir(store) / "custom";
}

fs::path certificate_file(const Store& store, const std::string& sha256) {
    return custom_dir(store) / (sha256 + ".pem");
}

// "AB:CD:..." or "abcd..." to "abcd...".
std::string hex_of(std::string_view fingerprint) {
    std::string out;
    for (const char c : fingerprint) {
        if (c != ':') {
            out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
    }
    return out;
}

Error damaged(const Store& store, const std::string& reason) {
    return Error(Errc::parse,
                 fmt::format("the CA lists of store '{}' are damaged ({}): restore '{}' from a "
                             "backup, or move it away to start again from the system list alone",
                             store.dir().string(),
                             reason,
                             ca_dir(store).string()));
}

CaLists parse_lists(const Store& store, const std::string& text) {
    CaLists lists;
    json j;
    try {
        j = json::parse(text);
    } catch (const json::exception&) {
        throw damaged(store, "lists.json is not JSON");
    }
    try {
        if (j.at("format").get<int>() != k_format_version) {
            throw Error(Errc::parse,
                        fmt::format("'{}' was written by a newer certtool: use a newer certtool",
                                    lists_file(store).string()));
        }
        lists.system_enabled = j.at("system").at("enabled").get<bool>();
        for (const auto& c : j.at("custom")) {
            const auto sha256 = c.at("sha256").get<std::string>();
            if (sha256.size() != 64 || !std::all_of(sha256.begin(), sha256.end(), [](char ch) {
                    return std::isxdigit(static_cast<unsigned char>(ch)) != 0 &&
                           std::tolower(static_cast<unsigned char>(ch)) == ch;
                })) {
                throw damaged(store, "a custom CA's sha256 is not 64 lower-case hex digits");
            }
            const fs::path file = certificate_file(store, sha256);
            std::error_code ec;
            if (!fs::exists(file, ec)) {
                throw damaged(store, fmt::format("'{}' is missing", file.string()));
            }
            const std::string pem = detail::read_file(file, "CA certificate file");
            std::vector<Certificate> certs;
            try {
                certs = Certificate::parse_all(pem, file.string());
            } catch (const Error&) {
                throw damaged(store, fmt::format("'{}' does not parse", file.string()));
            }
            if (hex_of(certs.front().sha256_fingerprint()) != sha256) {
                throw damaged(store, fmt::format("'{}' holds another certificate", file.string()));
            }
            TimePoint added;
            try {
                added = parse_time(c.at("added").get<std::string>());
            } catch (const Error&) {
                throw damaged(store, "a custom CA's 'added' is not an RFC 3339 time");
            }
            lists.custom.push_back(CustomCa{c.at("name").get<std::string>(),
                                            certs.front(),
                                            c.at("enabled").get<bool>(),
                                            added,
                                            sha256});
        }
    } catch (const json::exception&) {
        throw damaged(store, "lists.json lacks a member or has one of the wrong type");
    }
    std::sort(lists.custom.begin(), lists.custom.end(), [](const auto& a, const auto& b) {
        return a.name < b.name;
    });
    return lists;
}

std::string lists_text(const CaLists& lists) {
    json custom = json::array();
    for (const auto& c : lists.custom) {
        custom.push_back({{"name", c.name},
                          {"sha256", c.sha256},
                          {"enabled", c.enabled},
                          {"added", format_time(c.added)},
                          {"subject", c.certificate.subject()}});
    }
    const json j{{"format", k_format_version},
                 {"system", {{"enabled", lists.system_enabled}}},
                 {"custom", custom}};
    return j.dump(2) + "\n";
}

// Refuses a store others can write: they could replace the trust anchors.
void check_writable(const Store& store) {
    for (const fs::path& dir : {store.dir(), ca_dir(store), custom_dir(store)}) {
        struct stat st {};

        if (::stat(dir.c_str(), &st) == 0 && (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
            throw Error(Errc::io,
                        fmt::format("refusing to change the CA lists of store '{}': '{}' is "
                                    "writable by group or others, who could replace the trust "
                                    "anchors: run chmod 700 '{}'",
                                    store.dir().string(),
                                    dir.string(),
                                    dir.string()));
        }
    }
}

// Under the store lock: reads the lists, lets `change` edit them, then writes the certificate
// files that are missing, lists.json (the commit point), and removes the files no CA names.
CaLists change_lists(const Store& store, const std::function<void(CaLists&)>& change) {
    static_cast<void>(store.exists());  // an unreadable store is an error, as for entries
    check_writable(store);
    detail::create_private_directories(store.dir());
    detail::FileLock lock{store.dir() / ".lock", Store::k_lock_timeout_ms};
    CaLists lists = read_ca_lists(store);
    change(lists);  // may throw: then nothing under DIR/ca was touched
    detail::create_private_directories(custom_dir(store));
    detail::remove_all_temporaries(ca_dir(store));
    detail::remove_all_temporaries(custom_dir(store));
    std::error_code ec;
    for (const auto& c : lists.custom) {
        // Written when missing or different: the same certificate may come back with other
        // trust settings (a restore over a store that had it), which the fingerprint ignores.
        const fs::path file = certificate_file(store, c.sha256);
        const std::string pem = c.certificate.to_trusted_pem();
        if (!fs::exists(file, ec) || detail::read_file(file, "CA certificate file") != pem) {
            detail::write_file_atomic(file, pem, 0644, detail::Overwrite::replace);
        }
    }
    detail::write_file_atomic(
        lists_file(store), lists_text(lists), 0644, detail::Overwrite::replace);
    for (fs::directory_iterator it{custom_dir(store), ec}; !ec && it != fs::directory_iterator{};
         it.increment(ec)) {
        const std::string file = it->path().filename().string();
        const bool named = std::any_of(lists.custom.begin(),
                                       lists.custom.end(),
                                       [&](const auto& c) { return file == c.sha256 + ".pem"; });
        std::error_code rm;
        if (!named && file.size() == 68 && file.ends_with(".pem")) {
            fs::remove(it->path(), rm);  // a deleted CA's file, or an import killed half way
        }
    }
    detail::sync_directory(custom_dir(store));
    return lists;
}

// A name from the certificate's CN (else its subject): [A-Za-z0-9._-], other runs as '-'.
std::string derived_name(const Certificate& cert) {
    std::string source = cert.subject_name().common_name;
    if (source.empty()) {
        source = cert.subject();
    }
    std::string out;
    for (const char c : source) {
        const bool allowed =
            std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
        if (allowed) {
            out += c;
        } else if (!out.empty() && out.back() != '-') {
            out += '-';
        }
    }
    while (!out.empty() && (out.back() == '-' || out.back() == '.')) {
        out.pop_back();
    }
    out = out.substr(0, 56);
    if (out.empty() || std::isalnum(static_cast<unsigned char>(out.front())) == 0) {
        out = "ca-" + out;
    }
    return out;
}

std::string unique_name(const std::string& base, const std::vector<std::string>& taken) {
    std::string name = base;
    for (int i = 2; std::find(taken.begin(), taken.end(), name) != taken.end(); ++i) {
        name = fmt::format("{}-{}", base, i);
    }
    return name;
}

std::string described(const Certificate& cert) {
    return fmt::format("'{}' (SHA-256 {})", cert.subject(), cert.sha256_fingerprint());
}

// The import checks of one certificate of the file, against the file, the lists and the
// system list (when enabled).
std::vector<CaFinding> check_import(const Certificate& cert,
                                    const std::vector<Certificate>& file,
                                    const CaLists& lists,
                                    const std::vector<Certificate>& system,
                                    TimePoint now) {
    std::vector<CaFinding> out;
    const std::string what = described(cert);
    const auto in_system = [&](const auto& pred) {
        return lists.system_enabled && std::any_of(system.begin(), system.end(), pred);
    };
    const std::string sha256 = hex_of(cert.sha256_fingerprint());
    const auto dup = std::find_if(lists.custom.begin(), lists.custom.end(), [&](const auto& c) {
        return c.sha256 == sha256;
    });
    if (dup != lists.custom.end()) {
        out.push_back({"ca-duplicate",
                       true,
                       fmt::format("{} is already in the custom CA list as '{}': nothing to "
                                   "import (certtool ca list)",
                                   what,
                                   dup->name)});
    }
    if (!cert.is_ca()) {
        out.push_back({"not-a-ca",
                       true,
                       fmt::format("{} is not a CA (no basicConstraints CA:TRUE): import the CA "
                                   "certificate that issued it, not a server's certificate",
                                   what)});
    }
    if (cert.not_after() < now) {
        out.push_back({"ca-expired",
                       true,
                       fmt::format("{} expired on {}: get the CA's current certificate and "
                                   "import that",
                                   what,
                                   format_time(cert.not_after()))});
    }
    if (cert.not_before() > now) {
        out.push_back({"ca-not-yet-valid",
                       false,
                       fmt::format("{} is not valid before {}: it anchors no chain until then",
                                   what,
                                   format_time(cert.not_before()))});
    }
    if (!cert.is_self_signed()) {
        const auto issues = [&](const Certificate& c) { return cert.is_issued_by(c); };
        const bool found =
            std::any_of(file.begin(), file.end(), issues) ||
            std::any_of(lists.custom.begin(),
                        lists.custom.end(),
                        [&](const auto& c) { return cert.is_issued_by(c.certificate); }) ||
            in_system(issues);
        if (!found) {
            out.push_back({"ca-without-root",
                           true,
                           fmt::format("{} is an intermediate CA whose issuer '{}' is neither in "
                                       "this file, nor in the custom CA list{}: import its root "
                                       "first, or both in one file",
                                       what,
                                       cert.issuer(),
                                       lists.system_enabled ? ", nor in the system list" : "")});
        }
    }
    if (in_system([&](const Certificate& c) { return c.same_as(cert); })) {
        out.push_back({"ca-in-system-list",
                       false,
                       fmt::format("{} is already in the system CA list: the custom copy keeps "
                                   "it trusted when the system list is disabled",
                                   what)});
    }
    return out;
}

}  // namespace

CaLists read_ca_lists(const Store& store) {
    if (!store.exists()) {
        return {};
    }

    struct stat st {};

    if (::stat(lists_file(store).c_str(), &st) != 0 && errno == ENOENT) {
        return {};
    }
    return parse_lists(store, detail::read_file(lists_file(store), "CA lists file"));
}

fs::path system_ca_file() {
    // NOLINTNEXTLINE(concurrency-mt-unsafe): read once per command, no threads yet
    if (const char* env = std::getenv(X509_get_default_cert_file_env());
        env != nullptr && *env != '\0') {
        return env;
    }
    return X509_get_default_cert_file();
}

std::vector<Certificate> system_ca_certificates() {
    const fs::path file = system_ca_file();
    std::error_code ec;
    if (!fs::exists(file, ec)) {
        return {};
    }
    return Certificate::load_all(file);
}

namespace {

// The enabled custom CAs, then the system list when enabled; `description` says which.
std::vector<Certificate> effective_certificates(const Store& store, std::string& description) {
    const CaLists lists = read_ca_lists(store);
    std::vector<Certificate> anchors;
    for (const auto& c : lists.custom) {
        if (c.enabled) {
            anchors.push_back(c.certificate);
        }
    }
    const std::size_t custom = anchors.size();
    std::string system = "disabled";
    if (lists.system_enabled) {
        const auto certs = system_ca_certificates();
        anchors.insert(anchors.end(), certs.begin(), certs.end());
        system = std::to_string(certs.size());
    }
    description = fmt::format("the store's CA lists (custom: {}, system: {})", custom, system);
    return anchors;
}

}  // namespace

TrustStore effective_trust(const Store& store) {
    std::string description;
    auto anchors = effective_certificates(store, description);
    return TrustStore::from_certificates(anchors, std::move(description));
}

std::string effective_trust_pem(const Store& store) {
    std::string description;
    const auto anchors = effective_certificates(store, description);
    return fmt::format("# certtool: {}\n{}", description, ca_bundle(anchors));
}

CaImportResult import_ca(const Store& store, const CaImportRequest& request) {
    // The slow part before the lock: reading the file and the system list.
    std::vector<Certificate> certs;
    for (auto& c : Certificate::load_all(request.file)) {
        if (std::none_of(certs.begin(), certs.end(), [&](const auto& d) { return d.same_as(c); })) {
            certs.push_back(std::move(c));
        }
    }
    if (!request.name.empty()) {
        Store::validate_name(request.name);
        if (certs.size() > 1) {
            throw Error(Errc::invalid_argument,
                        fmt::format("--name names one CA, but '{}' holds {} certificates: import "
                                    "them without --name (each is named after its CN), or one "
                                    "per file",
                                    request.file.string(),
                                    certs.size()));
        }
    }
    const std::vector<Certificate> system = system_ca_certificates();
    CaImportResult result;
    change_lists(store, [&](CaLists& lists) {
        std::vector<std::string> refusals;
        std::optional<Errc> code;
        for (const auto& cert : certs) {
            for (auto& f : check_import(cert, certs, lists, system, request.now)) {
                if (f.refused) {
                    refusals.push_back(f.code + ": " + f.message);
                    code = code.value_or(f.code == "ca-duplicate" ? Errc::already_exists
                                                                  : Errc::invalid_argument);
                } else {
                    result.warnings.push_back(std::move(f));
                }
            }
        }
        if (code) {
            std::string message;
            for (const auto& r : refusals) {
                message += (message.empty() ? "" : "; ") + r;
            }
            throw Error(
                *code,
                fmt::format("{} (nothing imported from '{}')", message, request.file.string()));
        }
        std::vector<std::string> taken;
        for (const auto& c : lists.custom) {
            taken.push_back(c.name);
        }
        if (!request.name.empty() &&
            std::find(taken.begin(), taken.end(), request.name) != taken.end()) {
            throw Error(Errc::already_exists,
                        fmt::format("a custom CA named '{}' exists: choose another --name, or "
                                    "certtool ca delete {} first",
                                    request.name,
                                    request.name));
        }
        for (const auto& cert : certs) {
            const std::string name =
                request.name.empty() ? unique_name(derived_name(cert), taken) : request.name;
            taken.push_back(name);
            result.imported.push_back(
                CustomCa{name, cert, true, request.now, hex_of(cert.sha256_fingerprint())});
            lists.custom.push_back(result.imported.back());
        }
    });
    return result;
}

const CustomCa& find_ca(const CaLists& lists, std::string_view name_or_sha256) {
    const std::string hex = hex_of(name_or_sha256);
    for (const auto& c : lists.custom) {
        if (c.name == name_or_sha256 || c.sha256 == hex) {
            return c;
        }
    }
    throw Error(Errc::not_found,
                fmt::format("no custom CA '{}' (by name or SHA-256): see certtool ca list",
                            name_or_sha256));
}

CustomCa delete_ca(const Store& store, std::string_view name_or_sha256) {
    // Nothing to lock in a store without CA lists: the CA is not there.
    static_cast<void>(find_ca(read_ca_lists(store), name_or_sha256));
    std::optional<CustomCa> removed;
    change_lists(store, [&](CaLists& lists) {
        const CustomCa& ca = find_ca(lists, name_or_sha256);
        removed = ca;
        std::erase_if(lists.custom, [&](const auto& c) { return c.sha256 == removed->sha256; });
    });
    return *removed;
}

CustomCa set_ca_enabled(const Store& store, std::string_view name_or_sha256, bool enabled) {
    static_cast<void>(find_ca(read_ca_lists(store), name_or_sha256));
    std::optional<CustomCa> changed;
    change_lists(store, [&](CaLists& lists) {
        const CustomCa& ca = find_ca(lists, name_or_sha256);
        for (auto& c : lists.custom) {
            if (c.sha256 == ca.sha256) {
                c.enabled = enabled;
                changed = c;
            }
        }
    });
    return *changed;
}

void set_system_list_enabled(const Store& store, bool enabled) {
    change_lists(store, [&](CaLists& lists) { lists.system_enabled = enabled; });
}

void replace_ca_lists(const Store& store, CaLists lists) {
    std::vector<std::string> names;
    for (auto& c : lists.custom) {
        Store::validate_name(c.name);
        if (std::find(names.begin(), names.end(), c.name) != names.end()) {
            throw Error(Errc::invalid_argument,
                        fmt::format("two custom CAs are named '{}'", c.name));
        }
        names.push_back(c.name);
        c.sha256 = hex_of(c.certificate.sha256_fingerprint());
    }
    std::sort(lists.custom.begin(), lists.custom.end(), [](const auto& a, const auto& b) {
        return a.name < b.name;
    });
    change_lists(store, [&](CaLists& current) { current = std::move(lists); });
}

std::string ca_bundle(const std::vector<Certificate>& certificates) {
    std::string out;
    for (const auto& c : certificates) {
        out += fmt::format("# {}\n{}", c.subject(), c.to_trusted_pem());
    }
    return out;
}

long days_left(TimePoint not_after, TimePoint now) {
    const auto hours = std::chrono::duration_cast<std::chrono::hours>(not_after - now).count();
    return static_cast<long>(hours >= 0 ? hours / 24 : -((-hours + 23) / 24));
}

std::optional<int> ca_expiry_alert(TimePoint not_after, TimePoint now) {
    const long days = days_left(not_after, now);
    if (not_after < now) {
        return 0;
    }
    std::optional<int> step;
    for (const int s : k_ca_alert_days) {
        if (days <= s) {
            step = s;  // the schedule descends: the last match is the nearest step
        }
    }
    return step;
}

std::string trust_settings_text(const TrustSettings& settings) {
    const auto joined = [](const std::vector<std::string>& v) {
        std::string out;
        for (const auto& s : v) {
            out += (out.empty() ? "" : ", ") + s;
        }
        return out;
    };
    std::string out;
    if (!settings.trusted.empty()) {
        out = "trusted for " + joined(settings.trusted);
    }
    if (!settings.rejected.empty()) {
        out += (out.empty() ? "" : "; ") + ("rejected for " + joined(settings.rejected));
    }
    return out;
}

}  // namespace certtool
