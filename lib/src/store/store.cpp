#include "fs.hpp"

#include <certtool/error.hpp>
#include <certtool/store.hpp>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace certtool {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int k_format_version = 1;
constexpr std::string_view k_suffix = ".json";

std::optional<Origin> parse_origin(std::string_view s) {
    for (auto o : {Origin::self_signed, Origin::ca_signed, Origin::pkcs12}) {
        if (origin_name(o) == s) {
            return o;
        }
    }
    return std::nullopt;
}

json to_json(const Entry& e, const Secret& key_pem) {
    json sans = json::array();
    for (const auto& s : e.request.sans) {
        sans.push_back(s.to_string());
    }
    json chain = json::array();
    for (const auto& c : e.chain) {
        chain.push_back(c.to_pem());
    }
    const auto& dn = e.request.subject;
    return json{
        {"format", k_format_version},
        {"name", e.name},
        {"origin", origin_name(e.origin)},
        {"created", format_time(e.created)},
        {"updated", format_time(e.updated)},
        {"request",
         {{"subject",
           {{"cn", dn.common_name},
            {"o", dn.organization},
            {"ou", dn.organizational_unit},
            {"l", dn.locality},
            {"st", dn.state},
            {"c", dn.country}}},
          {"sans", sans}}},
        {"key", std::string{key_pem.view()}},
        {"certificate", e.certificate.to_pem()},
        {"chain", chain},
    };
}

Entry from_json(const json& j, const std::string& source) {
    if (j.value("format", 0) != k_format_version) {
        throw Error(Errc::parse,
                    fmt::format("'{}' has an unknown format version: it was written "
                                "by a newer certtool",
                                source));
    }
    const auto& subject = j.at("request").at("subject");
    SubjectRequest request{{subject.at("cn").get<std::string>(),
                            subject.at("o").get<std::string>(),
                            subject.at("ou").get<std::string>(),
                            subject.at("l").get<std::string>(),
                            subject.at("st").get<std::string>(),
                            subject.at("c").get<std::string>()},
                           {}};
    for (const auto& s : j.at("request").at("sans")) {
        request.sans.push_back(SubjectAltName::parse(s.get<std::string>()));
    }
    std::vector<Certificate> chain;
    for (const auto& c : j.at("chain")) {
        chain.push_back(Certificate::parse(c.get<std::string>(), source));
    }
    const auto origin = parse_origin(j.at("origin").get<std::string>());
    if (!origin) {
        throw Error(Errc::parse, fmt::format("'{}' has an unknown origin", source));
    }
    const std::string key_pem = j.at("key").get<std::string>();
    return Entry{j.at("name").get<std::string>(),
                 PrivateKey::from_pem(key_pem, source),
                 Certificate::parse(j.at("certificate").get<std::string>(), source),
                 std::move(chain),
                 std::move(request),
                 *origin,
                 parse_time(j.at("created").get<std::string>()),
                 parse_time(j.at("updated").get<std::string>())};
}

}  // namespace

std::string_view origin_name(Origin origin) noexcept {
    switch (origin) {
        case Origin::self_signed:
            return "self-signed";
        case Origin::ca_signed:
            return "ca-signed";
        case Origin::pkcs12:
            return "pkcs12";
    }
    return "self-signed";
}

fs::path Store::default_location() {
    // NOLINTBEGIN(concurrency-mt-unsafe): read once at start-up, no threads yet
    if (const char* home = std::getenv("CERTTOOL_HOME"); home != nullptr && *home != '\0') {
        return home;
    }
    if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg == '/') {
        return fs::path{xdg} / "certtool";
    }
    if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
        return fs::path{home} / ".local" / "share" / "certtool";
    }
    // NOLINTEND(concurrency-mt-unsafe)
    throw Error(Errc::invalid_argument,
                "cannot find a store location: HOME is not set; pass --store DIR or set "
                "CERTTOOL_HOME");
}

Store::Store(fs::path dir) : m_dir(std::move(dir)) {}

void Store::validate_name(std::string_view name) {
    const bool ok = !name.empty() && name.size() <= 64 &&
                    std::isalnum(static_cast<unsigned char>(name[0])) != 0 &&
                    std::all_of(name.begin(), name.end(), [](char c) {
                        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' ||
                               c == '_' || c == '-';
                    });
    if (!ok) {
        throw Error(Errc::invalid_argument,
                    fmt::format("'{}' is not a valid entry name: use 1-64 letters, digits, '.', "
                                "'_' or '-', starting with a letter or digit (e.g. mail-2026)",
                                name));
    }
}

fs::path Store::entries_dir() const {
    return m_dir / "entries";
}

fs::path Store::entry_path(std::string_view name) const {
    validate_name(name);
    return entries_dir() / (std::string{name} + std::string{k_suffix});
}

std::vector<std::string> Store::names() const {
    std::vector<std::string> out;
    std::error_code ec;
    if (!fs::is_directory(entries_dir(), ec)) {
        return out;
    }
    for (const auto& item : fs::directory_iterator(entries_dir(), ec)) {
        const std::string file = item.path().filename().string();
        if (file.empty() || file.front() == '.' || file.size() <= k_suffix.size() ||
            file.compare(file.size() - k_suffix.size(), k_suffix.size(), k_suffix) != 0) {
            continue;  // temporaries and foreign files
        }
        out.push_back(file.substr(0, file.size() - k_suffix.size()));
    }
    if (ec) {
        throw Error(Errc::io,
                    fmt::format("cannot list store '{}': {}", m_dir.string(), ec.message()));
    }
    std::sort(out.begin(), out.end());
    return out;
}

bool Store::contains(std::string_view name) const {
    std::error_code ec;
    return fs::exists(entry_path(name), ec);
}

Entry Store::get(std::string_view name) const {
    const fs::path path = entry_path(name);
    std::error_code ec;
    if (!fs::exists(path, ec)) {
        throw Error(
            Errc::not_found,
            fmt::format("no entry '{}' in store '{}': see 'certtool list'", name, m_dir.string()));
    }
    const Secret text{detail::read_file(path, "store entry")};
    try {
        return from_json(json::parse(text.view()), path.string());
    } catch (const json::exception& e) {
        throw Error(Errc::parse,
                    fmt::format("store entry '{}' is damaged ({}): restore it from a "
                                "backup or delete it",
                                path.string(),
                                e.what()));
    }
}

void Store::prepare() const {
    detail::create_private_directories(m_dir);
    detail::create_private_directories(entries_dir());
}

void Store::remove_stale_temporaries() const {
    // Only called with the lock held: no other writer exists, so any temporary is a leftover
    // of a killed process.
    std::error_code ec;
    for (const auto& item : fs::directory_iterator(entries_dir(), ec)) {
        const std::string file = item.path().filename().string();
        if (!file.empty() && file.front() == '.' && file.find(".tmp-") != std::string::npos) {
            fs::remove(item.path(), ec);
        }
    }
}

void Store::write_entry(const Entry& entry, bool replace_existing) const {
    const Secret key_pem = entry.key.to_pem();
    const Secret text{to_json(entry, key_pem).dump(2) + "\n"};
    detail::AtomicFile file{
        entry_path(entry.name),
        0600,
        replace_existing ? detail::Overwrite::replace : detail::Overwrite::refuse};
    detail::crash_point("store:temp-created");
    file.write(text.view().substr(0, text.size() / 2));
    detail::crash_point("store:temp-half-written");
    file.write(text.view().substr(text.size() / 2));
    detail::crash_point("store:temp-written");
    file.commit();
    detail::crash_point("store:committed");
}

void Store::create(const Entry& entry, bool replace_existing) {
    validate_name(entry.name);
    prepare();
    detail::FileLock lock{m_dir / ".lock", k_lock_timeout_ms};
    detail::crash_point("store:locked");
    remove_stale_temporaries();
    if (!replace_existing && contains(entry.name)) {
        throw Error(Errc::already_exists,
                    fmt::format("entry '{}' already exists: use --force to replace it, or choose "
                                "another name",
                                entry.name));
    }
    write_entry(entry, replace_existing);
}

Entry Store::update(std::string_view name, const std::function<Entry(Entry)>& change) {
    validate_name(name);
    prepare();
    detail::FileLock lock{m_dir / ".lock", k_lock_timeout_ms};
    detail::crash_point("store:locked");
    remove_stale_temporaries();
    Entry updated = change(get(name));
    updated.name = std::string{name};
    write_entry(updated, true);
    return updated;
}

void Store::remove(std::string_view name) {
    validate_name(name);
    const fs::path path = entry_path(name);
    std::error_code ec;
    if (!fs::is_directory(entries_dir(), ec)) {
        throw Error(
            Errc::not_found,
            fmt::format("no entry '{}' in store '{}': see 'certtool list'", name, m_dir.string()));
    }
    detail::FileLock lock{m_dir / ".lock", k_lock_timeout_ms};
    if (!fs::exists(path, ec)) {
        throw Error(
            Errc::not_found,
            fmt::format("no entry '{}' in store '{}': see 'certtool list'", name, m_dir.string()));
    }
    if (!fs::remove(path, ec) || ec) {
        throw Error(Errc::io, fmt::format("cannot delete '{}': {}", path.string(), ec.message()));
    }
    detail::sync_directory(entries_dir());
}

}  // namespace certtool
