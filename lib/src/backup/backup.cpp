// Backup files (backup.hpp; the format is docs/backup.md).
//
// The file is one JSON object. Its integrity rests on two members computed over the canonical
// form of the rest (nlohmann's compact dump: members sorted, no whitespace): "sha256", an
// unkeyed checksum over everything but itself, read before the password is asked, so any
// damaged byte is named as damage (and never taken for a wrong password); and "hmac-sha256",
// keyed from the password, over everything but the two. The MAC key and a password check come
// from one PBKDF2 run (HMAC-SHA256 of the PBKDF2 output with two labels), so a wrong password
// is told apart from a modified file without a second expensive derivation.
#include "fs.hpp"
#include "ossl.hpp"

#include <certtool/acme.hpp>
#include <certtool/backup.hpp>
#include <certtool/ca_lists.hpp>
#include <certtool/config.hpp>
#include <certtool/config_store.hpp>
#include <certtool/error.hpp>

#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>

namespace certtool {

// The configuration is most of what a backup holds.
using namespace config;  // NOLINT(google-build-using-namespace)

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* k_marker = "certtool-backup";
constexpr std::size_t k_max_backup_bytes = std::size_t{256} * 1024 * 1024;
constexpr int k_min_iterations = 10000;
constexpr int k_max_iterations = 10000000;
constexpr std::size_t k_salt_bytes = 16;
constexpr std::size_t k_hash_bytes = 32;
constexpr const char* k_kdf = "pbkdf2-hmac-sha256";

// ---- Bytes ------------------------------------------------------------------------------------

int hex_digit(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

// Lower-case hex of exactly `size` bytes, else nothing.
std::optional<std::string> unhex(std::string_view text, std::size_t size) {
    if (text.size() != size * 2) {
        return std::nullopt;
    }
    std::string out;
    out.reserve(size);
    for (std::size_t i = 0; i < text.size(); i += 2) {
        const int hi = hex_digit(text[i]);
        const int lo = hex_digit(text[i + 1]);
        if (hi < 0 || lo < 0) {
            return std::nullopt;
        }
        out += static_cast<char>(hi * 16 + lo);
    }
    return out;
}

const unsigned char* bytes(std::string_view s) {
    return reinterpret_cast<const unsigned char*>(s.data());
}

bool same_bytes(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

struct FileKeys {
    Secret mac;
    Secret check;
};

FileKeys derive_keys(const Secret& password, std::string_view salt, int iterations) {
    Secret master;
    master.buffer().assign(k_hash_bytes, '\0');
    ossl::check1(PKCS5_PBKDF2_HMAC(password.c_str(),
                                   static_cast<int>(password.size()),
                                   bytes(salt),
                                   static_cast<int>(salt.size()),
                                   iterations,
                                   EVP_sha256(),
                                   static_cast<int>(k_hash_bytes),
                                   reinterpret_cast<unsigned char*>(master.buffer().data())),
                 "deriving the backup key (PBKDF2)");
    FileKeys keys;
    ossl::hmac_sha256(master.view(), "certtool backup: file MAC", keys.mac.buffer());
    ossl::hmac_sha256(master.view(), "certtool backup: password check", keys.check.buffer());
    return keys;
}

// The canonical content: the object without `left_out`, compact, members sorted.
std::string canonical(json j, std::initializer_list<const char*> left_out) {
    for (const char* key : left_out) {
        j.erase(key);
    }
    return j.dump();
}

// ---- Reading, strictly ------------------------------------------------------------------------

[[noreturn]] void damaged(const std::string& file, const std::string& why) {
    throw Error(Errc::parse, fmt::format("backup {} is damaged ({}); use another copy", file, why));
}

const json& member(const json& j, const char* key, const std::string& file, std::string_view in) {
    if (!j.is_object() || !j.contains(key)) {
        damaged(file, fmt::format("{}member '{}' is missing", in, key));
    }
    return j[key];
}

std::string text_member(const json& j,
                        const char* key,
                        const std::string& file,
                        std::string_view in = {}) {
    const json& m = member(j, key, file, in);
    if (!m.is_string()) {
        damaged(file, fmt::format("{}member '{}' is not a string", in, key));
    }
    return m.get<std::string>();
}

std::int64_t number_member(const json& j,
                           const char* key,
                           const std::string& file,
                           std::string_view in = {}) {
    const json& m = member(j, key, file, in);
    if (!m.is_number_integer()) {
        damaged(file, fmt::format("{}member '{}' is not a whole number", in, key));
    }
    return m.get<std::int64_t>();
}

bool flag_member(const json& j,
                 const char* key,
                 const std::string& file,
                 std::string_view in = {}) {
    const json& m = member(j, key, file, in);
    if (!m.is_boolean()) {
        damaged(file, fmt::format("{}member '{}' is not true or false", in, key));
    }
    return m.get<bool>();
}

const json& array_member(const json& j,
                         const char* key,
                         const std::string& file,
                         std::string_view in = {}) {
    const json& m = member(j, key, file, in);
    if (!m.is_array()) {
        damaged(file, fmt::format("{}member '{}' is not an array", in, key));
    }
    return m;
}

TimePoint time_member(const json& j,
                      const char* key,
                      const std::string& file,
                      std::string_view in = {}) {
    const std::string text = text_member(j, key, file, in);
    try {
        return parse_time(text);
    } catch (const Error&) {
        damaged(file, fmt::format("{}member '{}' is not an RFC 3339 time", in, key));
    }
}

// The file read and its checksum checked: a certtool backup of a format this version reads.
json read_backup(const fs::path& path) {
    const std::string file = path.string();
    const std::string text = detail::read_file(path, "backup", k_max_backup_bytes);
    json j;
    try {
        j = json::parse(text);
    } catch (const json::parse_error& e) {
        throw Error(
            Errc::parse,
            fmt::format(
                "{} is not a certtool backup: not JSON (syntax error at byte {})", file, e.byte));
    }
    if (!j.is_object() || !j.contains(k_marker)) {
        throw Error(Errc::parse,
                    fmt::format("{} is not a certtool backup (no '{}' member): certtool backup "
                                "makes one",
                                file,
                                k_marker));
    }
    const std::int64_t format = number_member(j, k_marker, file);
    if (format > k_backup_format) {
        throw Error(Errc::parse,
                    fmt::format("{} was written by a newer certtool (backup format {}; this one "
                                "reads format {}): restore it with that version or a later one",
                                file,
                                format,
                                k_backup_format));
    }
    if (format < 1) {
        damaged(file, fmt::format("unknown backup format {}", format));
    }
    const std::string sum = text_member(j, "sha256", file);
    if (sum != ossl::sha256_hex(canonical(j, {"sha256"}))) {
        throw Error(Errc::parse,
                    fmt::format("backup {} is damaged or was modified: its checksum (sha256) "
                                "does not match its content; use another copy",
                                file));
    }
    return j;
}

BackupSummary summary_of(const json& j, const fs::path& path) {
    const std::string file = path.string();
    BackupSummary s;
    s.file = path;
    s.created = time_member(j, "created", file);
    s.machine = text_member(j, "machine", file);
    s.masked = flag_member(j, "masked", file);
    for (const auto& e : array_member(j, "entries", file)) {
        s.entries.push_back(text_member(e, "name", file, "entry: "));
    }
    std::sort(s.entries.begin(), s.entries.end());
    const json& configuration = member(j, "configuration", file, {});
    s.revision = static_cast<int>(number_member(configuration, "revision", file, "configuration."));
    s.history = array_member(configuration, "history", file, "configuration.").size();
    s.staged = !member(configuration, "staged", file, "configuration.").is_null();
    if (!s.masked) {
        s.iterations = static_cast<int>(
            number_member(member(j, "protection", file, {}), "iterations", file, "protection."));
    }
    if (j.contains("ca")) {
        const json& ca = j["ca"];
        s.ca_lists = true;
        s.system_list_enabled = flag_member(ca, "system-enabled", file, "ca.");
        for (const auto& c : array_member(ca, "custom", file, "ca.")) {
            s.custom_cas.push_back(text_member(c, "name", file, "ca.custom: "));
        }
        std::sort(s.custom_cas.begin(), s.custom_cas.end());
    }
    if (j.contains("acme")) {
        const json& acme = j["acme"];
        s.acme = true;
        for (const auto& a : array_member(acme, "accounts", file, "acme.")) {
            s.acme_accounts.push_back(text_member(a, "server", file, "acme.accounts: "));
        }
        for (const auto& e : array_member(acme, "entries", file, "acme.")) {
            s.acme_entries.push_back(text_member(e, "name", file, "acme.entries: "));
        }
    }
    return s;
}

// ---- ACME accounts and entry settings -----------------------------------------------------------

json acme_json(const std::vector<AcmeAccountState>& accounts,
               const std::vector<AcmeEntrySettings>& entries,
               const Secret* password) {
    json a = json::array();
    for (const auto& account : accounts) {
        json one{{"server", account.server},
                 {"url", account.url},
                 {"status", account.status},
                 {"contact", account.contact},
                 {"eab-kid", account.eab_kid},
                 {"terms-of-service", account.terms_of_service},
                 {"created", format_time(account.created)},
                 {"updated", format_time(account.updated)}};
        if (password != nullptr) {
            one["key"] = account.key.to_encrypted_pem(*password, k_backup_iterations);
        }
        a.push_back(std::move(one));
    }
    json e = json::array();
    for (const auto& settings : entries) {
        e.push_back(json::parse(acme_entry_settings_json(settings)));
    }
    return {{"accounts", a}, {"entries", e}};
}

struct AcmeBackup {
    std::vector<AcmeAccountState> accounts;
    std::vector<AcmeEntrySettings> entries;
};

AcmeBackup read_acme_json(const json& acme, const Secret& password, const std::string& file) {
    AcmeBackup out;
    for (const auto& a : array_member(acme, "accounts", file, "acme.")) {
        const std::string server = text_member(a, "server", file, "acme.accounts: ");
        const std::string in = fmt::format("acme account '{}': ", server);
        std::vector<std::string> contact;
        for (const auto& c : array_member(a, "contact", file, in)) {
            if (!c.is_string()) {
                damaged(file, in + "a contact is not a string");
            }
            contact.push_back(c.get<std::string>());
        }
        const std::string key_pem = text_member(a, "key", file, in);
        std::optional<PrivateKey> key;
        try {
            key = PrivateKey::from_encrypted_pem(
                key_pem, password, fmt::format("backup {} {}", file, in));
        } catch (const Error& e) {
            damaged(file, in + e.what());
        }
        out.accounts.push_back({server,
                                text_member(a, "url", file, in),
                                text_member(a, "status", file, in),
                                std::move(contact),
                                text_member(a, "eab-kid", file, in),
                                text_member(a, "terms-of-service", file, in),
                                time_member(a, "created", file, in),
                                time_member(a, "updated", file, in),
                                std::move(*key)});
    }
    for (const auto& e : array_member(acme, "entries", file, "acme.")) {
        try {
            out.entries.push_back(
                parse_acme_entry_settings(e.dump(), fmt::format("backup {} acme.entries", file)));
        } catch (const Error& err) {
            damaged(file, err.what());
        }
    }
    return out;
}

// ---- CA lists ---------------------------------------------------------------------------------

json ca_lists_json(const CaLists& lists) {
    json custom = json::array();
    for (const auto& c : lists.custom) {
        custom.push_back({{"name", c.name},
                          {"enabled", c.enabled},
                          {"added", format_time(c.added)},
                          {"certificate", c.certificate.to_trusted_pem()}});
    }
    return {{"system-enabled", lists.system_enabled}, {"custom", custom}};
}

CaLists read_ca_lists_json(const json& ca, const std::string& file) {
    CaLists lists;
    lists.system_enabled = flag_member(ca, "system-enabled", file, "ca.");
    for (const auto& c : array_member(ca, "custom", file, "ca.")) {
        const std::string name = text_member(c, "name", file, "ca.custom: ");
        const std::string in = fmt::format("custom CA '{}': ", name);
        std::vector<Certificate> certs;
        try {
            certs = Certificate::parse_all(text_member(c, "certificate", file, in), file);
        } catch (const Error& e) {
            damaged(file, in + e.what());
        }
        if (certs.size() != 1) {
            damaged(file, in + "not one certificate");
        }
        CustomCa custom{name,
                        certs.front(),
                        flag_member(c, "enabled", file, in),
                        time_member(c, "added", file, in),
                        {}};
        try {
            Store::validate_name(custom.name);
        } catch (const Error& e) {
            damaged(file, in + e.what());
        }
        for (const auto& other : lists.custom) {
            if (other.name == custom.name) {
                damaged(file, in + "named twice");
            }
        }
        lists.custom.push_back(std::move(custom));
    }
    return lists;
}

// ---- Entries ----------------------------------------------------------------------------------

json entry_json(const Entry& e, const std::optional<std::string>& encrypted_key) {
    json sans = json::array();
    for (const auto& s : e.request.sans) {
        sans.push_back(s.to_string());
    }
    json chain = json::array();
    for (const auto& c : e.chain) {
        chain.push_back(c.to_pem());
    }
    const auto& dn = e.request.subject;
    json j{{"name", e.name},
           {"origin", origin_name(e.origin)},
           {"created", format_time(e.created)},
           {"updated", format_time(e.updated)},
           {"demonstration", e.demonstration},
           {"request",
            {{"subject",
              {{"cn", dn.common_name},
               {"o", dn.organization},
               {"ou", dn.organizational_unit},
               {"l", dn.locality},
               {"st", dn.state},
               {"c", dn.country}}},
             {"sans", sans}}},
           {"certificate", e.certificate.to_pem()},
           {"chain", chain}};
    if (encrypted_key) {
        j["key"] = *encrypted_key;
    }
    return j;
}

std::optional<Origin> parse_origin(std::string_view s) {
    for (auto o : {Origin::self_signed, Origin::ca_signed, Origin::pkcs12}) {
        if (origin_name(o) == s) {
            return o;
        }
    }
    return std::nullopt;
}

// One entry, its key decrypted and checked against its certificate.
Entry read_entry(const json& j, const Secret& password, const std::string& file) {
    const std::string name = text_member(j, "name", file, "entry: ");
    const std::string in = fmt::format("entry '{}': ", name);
    // What the library says about a part of the entry, as damage of the file.
    const auto parsed = [&](const auto& f) {
        try {
            return f();
        } catch (const Error& e) {
            damaged(file, in + e.what());
        }
    };
    parsed([&] {
        Store::validate_name(name);
        return 0;
    });
    const auto origin = parse_origin(text_member(j, "origin", file, in));
    if (!origin) {
        damaged(file, in + "member 'origin' is not self-signed, ca-signed or pkcs12");
    }
    const json& request = member(j, "request", file, in);
    const json& subject = member(request, "subject", file, in);
    SubjectRequest req{{text_member(subject, "cn", file, in),
                        text_member(subject, "o", file, in),
                        text_member(subject, "ou", file, in),
                        text_member(subject, "l", file, in),
                        text_member(subject, "st", file, in),
                        text_member(subject, "c", file, in)},
                       {}};
    for (const auto& s : array_member(request, "sans", file, in)) {
        if (!s.is_string()) {
            damaged(file, in + "a SAN is not a string");
        }
        req.sans.push_back(parsed([&] { return SubjectAltName::parse(s.get<std::string>()); }));
    }
    const std::string source = fmt::format("backup {} entry '{}'", file, name);
    std::vector<Certificate> chain;
    for (const auto& c : array_member(j, "chain", file, in)) {
        if (!c.is_string()) {
            damaged(file, in + "a chain certificate is not a string");
        }
        chain.push_back(parsed([&] { return Certificate::parse(c.get<std::string>(), source); }));
    }
    const std::string cert_pem = text_member(j, "certificate", file, in);
    const Certificate certificate = parsed([&] { return Certificate::parse(cert_pem, source); });
    const std::string key_pem = text_member(j, "key", file, in);
    PrivateKey key =
        parsed([&] { return PrivateKey::from_encrypted_pem(key_pem, password, source); });
    if (!certificate.matches_key(key)) {
        damaged(file, in + "the private key does not match the certificate");
    }
    return Entry{name,
                 std::move(key),
                 certificate,
                 std::move(chain),
                 std::move(req),
                 *origin,
                 time_member(j, "created", file, in),
                 time_member(j, "updated", file, in),
                 flag_member(j, "demonstration", file, in)};
}

// ---- The configuration ------------------------------------------------------------------------

json document_value(const Document& d) {
    return json::parse(document_json(d));
}

json revision_json(const Revision& r) {
    return {{"revision", r.number},
            {"time", format_time(r.time)},
            {"user", r.user},
            {"comment", r.comment},
            {"summary", r.summary},
            {"configuration", document_value(r.document)}};
}

struct ConfigBackup {
    int revision{0};
    Document committed;
    std::optional<Document> staged;
    std::vector<Revision> history;
};

ConfigBackup read_configuration(const json& j, const std::string& file) {
    constexpr std::string_view in = "configuration.";
    const json& c = member(j, "configuration", file, {});
    const auto document = [&](const json& d, const std::string& what) {
        if (!d.is_object()) {
            damaged(file, fmt::format("{} is not an object", what));
        }
        return parse_document(d.dump(), fmt::format("backup {} ({})", file, what));
    };
    ConfigBackup out;
    out.revision = static_cast<int>(number_member(c, "revision", file, in));
    out.committed = document(member(c, "committed", file, in), "the committed configuration");
    if (const json& s = member(c, "staged", file, in); !s.is_null()) {
        out.staged = document(s, "the staged changes");
    }
    for (const auto& r : array_member(c, "history", file, in)) {
        Revision revision;
        revision.number = static_cast<int>(number_member(r, "revision", file, "revision: "));
        const std::string rin = fmt::format("revision {}: ", revision.number);
        if (revision.number != static_cast<int>(out.history.size()) + 1) {
            damaged(file, rin + "the revisions are not numbered 1, 2, ...");
        }
        revision.time = time_member(r, "time", file, rin);
        revision.user = text_member(r, "user", file, rin);
        revision.comment = text_member(r, "comment", file, rin);
        revision.summary = text_member(r, "summary", file, rin);
        revision.document = document(member(r, "configuration", file, rin),
                                     fmt::format("revision {}", revision.number));
        out.history.push_back(std::move(revision));
    }
    if (out.revision != static_cast<int>(out.history.size()) ||
        !(out.committed == (out.history.empty() ? Document{} : out.history.back().document))) {
        damaged(file, "the committed configuration is not the newest revision");
    }
    return out;
}

// ---- The store's state ------------------------------------------------------------------------

bool directory_exists(const fs::path& p) {
    std::error_code ec;
    return fs::is_directory(p, ec);
}

struct Snapshot {
    std::vector<Entry> entries;
    std::vector<Revision> history;
    std::optional<Document> staged;
    CaLists ca;
};

// Everything read under the configuration lock, then the store's (the locks' order), so no
// command changes the store half way through.
Snapshot take_snapshot(const Store& store) {
    const ConfigStore configs{store};
    std::optional<detail::FileLock> config_lock;
    std::optional<detail::FileLock> store_lock;
    if (directory_exists(configs.dir())) {
        config_lock.emplace(configs.dir() / ".lock", Store::k_lock_timeout_ms);
    }
    if (directory_exists(store.dir())) {
        store_lock.emplace(store.dir() / ".lock", Store::k_lock_timeout_ms);
    }
    Snapshot s;
    for (const auto& name : store.names()) {
        s.entries.push_back(store.get(name));
    }
    s.history = configs.history();
    s.staged = configs.staged();
    s.ca = read_ca_lists(store);
    return s;
}

// What the store holds, for the message that refuses to restore over it ("" when empty).
std::string store_contents(const Store& store) {
    std::vector<std::string> parts;
    const auto names = store.names();
    if (!names.empty()) {
        std::string list;
        for (std::size_t i = 0; i < names.size() && i < 5; ++i) {
            list += (i == 0 ? "" : ", ") + names[i];
        }
        if (names.size() > 5) {
            list += fmt::format(" and {} more", names.size() - 5);
        }
        parts.push_back(
            fmt::format("{} entr{} ({})", names.size(), names.size() == 1 ? "y" : "ies", list));
    }
    const ConfigStore configs{store};
    if (const int n = configs.current_revision(); n > 0) {
        parts.push_back(fmt::format("configuration revision {}", n));
    }
    if (configs.staged()) {
        parts.push_back("staged configuration changes");
    }
    if (const auto accounts = acme_accounts(store); !accounts.empty()) {
        parts.push_back(
            fmt::format("{} ACME account{}", accounts.size(), accounts.size() == 1 ? "" : "s"));
    }
    if (const auto ca = read_ca_lists(store); !ca.custom.empty()) {
        parts.push_back(
            fmt::format("{} custom CA{}", ca.custom.size(), ca.custom.size() == 1 ? "" : "s"));
    }
    std::string out;
    for (const auto& p : parts) {
        out += (out.empty() ? "" : ", ") + p;
    }
    return out;
}

void check_target(const Store& store, const RestoreRequest& request) {
    if (request.force) {
        return;
    }
    if (const std::string what = store_contents(store); !what.empty()) {
        throw Error(Errc::already_exists,
                    fmt::format("store {} is not empty: it has {}; restore --force replaces "
                                "them with the backup (entries it does not hold are deleted)",
                                store.dir().string(),
                                what));
    }
}

BackupSummary check_parsed(const Store& store, const RestoreRequest& request, const json& j) {
    BackupSummary s = summary_of(j, request.file);
    if (s.masked) {
        throw Error(Errc::parse,
                    "this backup was made with --mask: it has no private keys and cannot be "
                    "restored; make one without --mask");
    }
    check_target(store, request);
    return s;
}

// The password opens the file: its check value, then the HMAC over the content.
void authenticate(const json& j, const Secret& password, const std::string& file) {
    constexpr std::string_view in = "protection.";
    const json& p = member(j, "protection", file, {});
    if (text_member(p, "kdf", file, in) != k_kdf) {
        damaged(file, fmt::format("unknown key derivation; this certtool uses {}", k_kdf));
    }
    const std::int64_t iterations = number_member(p, "iterations", file, in);
    if (iterations < k_min_iterations || iterations > k_max_iterations) {
        damaged(
            file,
            fmt::format(
                "the iteration count is not within {} to {}", k_min_iterations, k_max_iterations));
    }
    const auto salt = unhex(text_member(p, "salt", file, in), k_salt_bytes);
    const auto check = unhex(text_member(p, "password-check", file, in), k_hash_bytes);
    const auto mac = unhex(text_member(j, "hmac-sha256", file), k_hash_bytes);
    if (!salt || !check || !mac) {
        damaged(file, "the salt, password check or HMAC is not lower-case hex of its size");
    }
    const FileKeys keys = derive_keys(password, *salt, static_cast<int>(iterations));
    if (!same_bytes(keys.check.view(), *check)) {
        throw Error(Errc::bad_password, fmt::format("wrong password for backup {}", file));
    }
    std::string expected;
    ossl::hmac_sha256(keys.mac.view(), canonical(j, {"sha256", "hmac-sha256"}), expected);
    if (!same_bytes(expected, *mac)) {
        throw Error(Errc::parse,
                    fmt::format("backup {} was modified: its HMAC does not match its content "
                                "(the checksum was made again, so not by accident); use "
                                "another copy",
                                file));
    }
}

// The next step the restore's output names.
std::string next_step(const ConfigStore& configs, int revision, bool staged) {
    if (staged) {
        return "certtool changes shows the restored staged changes; certtool commit applies them "
               "with the restored configuration to the Postfix target";
    }
    const auto settings = effective_settings(configs.committed(), local_machine_name());
    if (!settings.contains("target/postfix/config-dir")) {
        return fmt::format(
            "nothing to apply on this machine (it has no Postfix target); certtool config show "
            "shows revision {}",
            revision);
    }
    return fmt::format(
        "revision {} is recorded, not yet applied: certtool rollback {} applies it to the "
        "Postfix target (certtool commit applies staged changes only)",
        revision,
        revision);
}

}  // namespace

void check_backup_output(const BackupRequest& request) {
    detail::check_output_path(
        request.output, request.force ? detail::Overwrite::replace : detail::Overwrite::refuse);
}

BackupSummary write_backup(const Store& store,
                           const BackupRequest& request,
                           const Secret& password,
                           TimePoint now) {
    if (!request.mask && password.empty()) {
        throw Error(Errc::invalid_argument,
                    "the backup password is empty: the keys in a backup are encrypted with it");
    }
    check_backup_output(request);
    const Snapshot snapshot = take_snapshot(store);
    json entries = json::array();
    for (const auto& e : snapshot.entries) {
        entries.push_back(entry_json(
            e,
            request.mask ? std::nullopt
                         : std::optional{e.key.to_encrypted_pem(password, k_backup_iterations)}));
    }
    json history = json::array();
    for (const auto& r : snapshot.history) {
        history.push_back(revision_json(r));
    }
    const Document committed =
        snapshot.history.empty() ? Document{} : snapshot.history.back().document;
    json j{
        {k_marker, k_backup_format},
        {"created", format_time(now)},
        {"machine", local_machine_name()},
        {"masked", request.mask},
        {"entries", entries},
        {"configuration",
         {{"revision", snapshot.history.empty() ? 0 : snapshot.history.back().number},
          {"committed", document_value(committed)},
          {"staged", snapshot.staged ? document_value(*snapshot.staged) : json{}},
          {"history", history}}},
        {"ca", ca_lists_json(snapshot.ca)},
        {"acme",
         acme_json(acme_accounts(store), acme_entries(store), request.mask ? nullptr : &password)}};
    if (!request.mask) {
        std::array<unsigned char, k_salt_bytes> salt{};
        ossl::check1(RAND_bytes(salt.data(), static_cast<int>(salt.size())), "RAND_bytes");
        const std::string_view salt_bytes{reinterpret_cast<const char*>(salt.data()), salt.size()};
        const FileKeys keys = derive_keys(password, salt_bytes, k_backup_iterations);
        j["protection"] = {{"kdf", k_kdf},
                           {"iterations", k_backup_iterations},
                           {"salt", ossl::to_hex(salt_bytes)},
                           {"password-check", ossl::to_hex(keys.check.view())}};
        std::string mac;
        ossl::hmac_sha256(keys.mac.view(), canonical(j, {}), mac);
        j["hmac-sha256"] = ossl::to_hex(mac);
    }
    j["sha256"] = ossl::sha256_hex(canonical(j, {}));
    detail::AtomicFile out{request.output,
                           0600,
                           request.force ? detail::Overwrite::replace : detail::Overwrite::refuse};
    out.write(j.dump(2) + "\n");
    out.commit();
    return summary_of(j, request.output);
}

BackupSummary read_backup_summary(const fs::path& file) {
    return summary_of(read_backup(file), file);
}

BackupSummary check_restore(const Store& store, const RestoreRequest& request) {
    return check_parsed(store, request, read_backup(request.file));
}

RestoreResult restore_backup(Store& store,
                             const RestoreRequest& request,
                             const Secret& password,
                             TimePoint now) {
    const std::string file = request.file.string();
    const json j = read_backup(request.file);
    RestoreResult result;
    result.backup = check_parsed(store, request, j);
    authenticate(j, password, file);

    // Everything is read and checked before anything is written.
    std::vector<Entry> entries;
    std::set<std::string, std::less<>> names;
    for (const auto& e : array_member(j, "entries", file)) {
        entries.push_back(read_entry(e, password, file));
        if (!names.insert(entries.back().name).second) {
            damaged(file, fmt::format("entry '{}' is there twice", entries.back().name));
        }
    }
    const ConfigBackup config = read_configuration(j, file);
    std::optional<CaLists> ca;
    if (j.contains("ca")) {
        ca = read_ca_lists_json(j["ca"], file);
    } else {
        result.notes.push_back(
            "the backup holds no CA lists (made by certtool 0.1): the store's are kept");
    }
    std::optional<AcmeBackup> acme;
    if (j.contains("acme")) {
        acme = read_acme_json(j["acme"], password, file);
    } else {
        result.notes.push_back(
            "the backup holds no ACME accounts or settings (an older "
            "certtool made it): the store's are kept");
    }
    for (const auto& b : bindings(config.committed)) {
        if (!names.contains(b.entry)) {
            result.notes.push_back(fmt::format(
                "{} is bound to '{}', which the backup does not hold", b.where(), b.entry));
        }
    }
    check_target(store, request);  // again: the password prompt may have taken a while
    ConfigStore configs{store};
    static_cast<void>(configs.committed());  // a damaged revision stops us before any write

    for (const auto& e : entries) {
        store.create(e, true);
    }
    for (const auto& name : store.names()) {
        if (!names.contains(name)) {
            store.remove(name);
            result.removed.push_back(name);
        }
    }
    if (ca) {
        replace_ca_lists(store, std::move(*ca));
    }
    if (acme) {
        replace_acme_accounts(store, acme->accounts);
        replace_acme_entries(store, acme->entries);
    }
    if (configs.current_revision() == 0) {
        for (const auto& r : config.history) {
            static_cast<void>(configs.replace(r.document, r.comment, r.time));
            ++result.history_restored;
        }
    } else if (!config.history.empty()) {
        result.notes.push_back(fmt::format(
            "the backup's history ({} revision{}) was not restored: this store keeps its own",
            config.history.size(),
            config.history.size() == 1 ? "" : "s"));
    }
    const Revision r = configs.replace(config.committed,
                                       fmt::format("restored from backup {} (made {} on {}, "
                                                   "revision {})",
                                                   file,
                                                   format_time(result.backup.created),
                                                   result.backup.machine,
                                                   config.revision),
                                       now);
    result.revision = r.number;
    if (config.staged) {
        static_cast<void>(configs.stage([&](Document& d) { d = *config.staged; }));
        result.staged = true;
    }
    const std::string machine = local_machine_name();
    std::string others;
    for (const auto& [name, settings] : config.committed.machines) {
        if (name != machine && !settings.empty()) {
            others += (others.empty() ? "" : ", ") + name;
        }
    }
    if (!others.empty()) {
        result.notes.push_back(fmt::format(
            "the backup has machine-level settings for {} (this host is {}): certtool config "
            "show --machine NAME shows them",
            others,
            machine));
    }
    result.next_step = next_step(configs, r.number, result.staged);
    return result;
}

}  // namespace certtool
