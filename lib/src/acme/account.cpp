// ACME accounts (acme.hpp): the account file in the store and the three account operations.
#include "acme_client.hpp"
#include "fs.hpp"
#include "jws.hpp"
#include "ossl.hpp"

#include <certtool/acme.hpp>
#include <certtool/error.hpp>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <set>

namespace certtool {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int k_account_format = 1;
constexpr std::size_t k_max_account_file = std::size_t{1} << 20U;
constexpr std::string_view k_unauthorized = "urn:ietf:params:acme:error:unauthorized";

// What DIR/acme/accounts/ID.json holds (docs/store.md "ACME accounts").
struct AccountRecord {
    std::string server;
    std::string url;  // empty until the server has answered a registration
    std::string status{"new"};
    std::vector<std::string> contact;
    std::optional<PrivateKey> key;
    std::string eab_kid;
    std::string terms_of_service;
    TimePoint created;
    TimePoint updated;
};

fs::path acme_dir(const Store& store) {
    return store.dir() / "acme";
}

fs::path accounts_dir(const Store& store) {
    return acme_dir(store) / "accounts";
}

Error damaged(const fs::path& file, const std::string& reason) {
    return Error(Errc::parse,
                 fmt::format("the ACME account file '{}' is damaged ({}): restore it from a "
                             "backup, or move it away and register again (a new key, a new "
                             "account)",
                             file.string(),
                             reason));
}

AccountRecord read_record_file(const fs::path& file) {
    const std::string text = detail::read_file(file, "ACME account file", k_max_account_file);
    const json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        throw damaged(file, "not JSON");
    }
    AccountRecord r;
    try {
        if (j.at("format").get<int>() != k_account_format) {
            throw Error(Errc::parse,
                        fmt::format("'{}' was written by a newer certtool: use a newer certtool",
                                    file.string()));
        }
        r.server = j.at("server").get<std::string>();
        r.url = j.at("url").get<std::string>();
        r.status = j.at("status").get<std::string>();
        r.contact = j.at("contact").get<std::vector<std::string>>();
        r.eab_kid = j.at("eab_kid").get<std::string>();
        r.terms_of_service = j.at("terms_of_service").get<std::string>();
        const Secret pem{j.at("key").get<std::string>()};
        try {
            r.key = PrivateKey::from_pem(pem.view(), file.string());
            r.created = parse_time(j.at("created").get<std::string>());
            r.updated = parse_time(j.at("updated").get<std::string>());
        } catch (const Error& e) {
            throw damaged(file, e.what());
        }
    } catch (const json::exception&) {
        throw damaged(file, "a member is missing or of the wrong type");
    }
    return r;
}

std::optional<AccountRecord> read_record(const Store& store, std::string_view server) {
    static_cast<void>(store.exists());  // an unreadable store is an error, as for entries
    const fs::path file = acme_account_file(store, server);
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(file, ec))) {
        return std::nullopt;
    }
    AccountRecord r = read_record_file(file);
    if (r.server != server) {
        throw damaged(file, fmt::format("it is the account of '{}'", r.server));
    }
    return r;
}

// Refuses a store others can write: they could replace the account key.
void check_writable(const Store& store, const fs::path& subdir) {
    for (const fs::path& dir : {store.dir(), acme_dir(store), subdir}) {
        struct stat st {};

        if (::stat(dir.c_str(), &st) == 0 && (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
            throw Error(Errc::io,
                        fmt::format("refusing to write ACME state in store '{}': '{}' "
                                    "is writable by group or others: run chmod 700 '{}'",
                                    store.dir().string(),
                                    dir.string(),
                                    dir.string()));
        }
    }
}

void write_record(const Store& store, const AccountRecord& r) {
    json j{{"format", k_account_format},
           {"server", r.server},
           {"url", r.url},
           {"status", r.status},
           {"contact", r.contact},
           {"eab_kid", r.eab_kid},
           {"terms_of_service", r.terms_of_service},
           {"created", format_time(r.created)},
           {"updated", format_time(r.updated)}};
    const Secret pem = r.key->to_pem();
    j["key"] = std::string{pem.view()};
    const Secret text{j.dump(2) + "\n"};
    // 0600 from creation, written beside the target and renamed into place.
    detail::AtomicFile file{acme_account_file(store, r.server), 0600, detail::Overwrite::replace};
    file.write(text.view());
    file.commit();
}

// Runs `change` on the account file under DIR/acme/.lock and writes what it returns.
AccountRecord change_record(
    const Store& store,
    std::string_view server,
    const std::function<AccountRecord(std::optional<AccountRecord>)>& change) {
    AccountRecord updated;
    detail::change_acme_dir(store, accounts_dir(store), [&] {
        updated = change(read_record(store, server));
        write_record(store, updated);
    });
    return updated;
}

AccountRecord existing_record(const Store& store, const AcmeConnection& connection) {
    auto r = read_record(store, connection.server);
    if (!r || r->url.empty()) {
        throw Error(Errc::not_found,
                    fmt::format("store '{}' has no ACME account for {}: certtool acme account "
                                "register --server {} --agree-tos",
                                store.dir().string(),
                                connection.server,
                                connection.server));
    }
    return std::move(*r);
}

std::vector<std::string> string_list(const json& j, const char* name) {
    std::vector<std::string> out;
    const auto it = j.find(name);
    if (it != j.end() && it->is_array()) {
        for (const auto& v : *it) {
            if (v.is_string()) {
                out.push_back(v.get<std::string>());
            }
        }
    }
    return out;
}

std::string status_of(const json& body, const std::string& fallback) {
    const auto it = body.is_object() ? body.find("status") : body.end();
    return body.is_object() && it != body.end() && it->is_string() ? it->get<std::string>()
                                                                   : fallback;
}

AcmeAccountResult result_of(const Store& store,
                            const AccountRecord& r,
                            const detail::AcmeClient& client) {
    AcmeAccountResult out;
    out.account.server = r.server;
    out.account.url = r.url;
    out.account.status = r.status;
    out.account.contact = r.contact;
    out.account.key = r.key->describe();
    out.account.key_thumbprint = detail::jwk_thumbprint(detail::jws_key(*r.key).jwk);
    out.account.terms_of_service = r.terms_of_service;
    out.account.eab_kid = r.eab_kid;
    out.account.file = acme_account_file(store, r.server);
    out.account.created = r.created;
    out.requests = client.requests();
    out.bad_nonce_retries = client.bad_nonce_retries();
    return out;
}

// "admin@example.com" as "mailto:admin@example.com"; refuses what cannot be one address.
std::string mailto(const std::string& email) {
    const std::size_t at = email.find('@');
    const bool plain = std::none_of(email.begin(), email.end(), [](char c) {
        return std::isspace(static_cast<unsigned char>(c)) != 0 || c == ',' || c == '?' ||
               c == '<' || c == '>' || std::iscntrl(static_cast<unsigned char>(c)) != 0;
    });
    if (at == std::string::npos || at == 0 || at + 1 == email.size() || !plain ||
        email.find('@', at + 1) != std::string::npos) {
        throw Error(Errc::invalid_argument,
                    fmt::format("'{}' is not an email address (--email admin@example.com)", email));
    }
    return "mailto:" + email;
}

std::string slug_of(std::string_view server) {
    std::string_view rest = server;
    if (rest.starts_with("https://")) {
        rest.remove_prefix(8);
    }
    std::string out;
    for (const char c : rest) {
        const auto u = static_cast<unsigned char>(c);
        const bool keep = std::isalnum(u) != 0 || c == '.' || c == '-';
        if (keep) {
            out += static_cast<char>(std::tolower(u));
        } else if (!out.empty() && out.back() != '_') {
            out += '_';
        }
        if (out.size() >= 80) {
            break;
        }
    }
    while (!out.empty() && out.back() == '_') {
        out.pop_back();
    }
    return out.empty() ? "server" : out;
}

}  // namespace

namespace detail {

StoredAccount registered_account(const Store& store, const AcmeConnection& connection) {
    AccountRecord r = existing_record(store, connection);
    if (r.status == "deactivated" || r.status == "revoked") {
        throw Error(Errc::not_found,
                    fmt::format("the store's ACME account for {} is {}: certtool acme account "
                                "register --server {} --agree-tos makes a new one",
                                connection.server,
                                r.status,
                                connection.server));
    }
    return {std::move(*r.key), std::move(r.url)};
}

}  // namespace detail

namespace detail {

void change_acme_dir(const Store& store,
                     const fs::path& subdir,
                     const std::function<void()>& change) {
    static_cast<void>(store.exists());
    check_writable(store, subdir);
    create_private_directories(subdir);
    FileLock lock{acme_dir(store) / ".lock", Store::k_lock_timeout_ms};
    remove_all_temporaries(subdir);
    change();
}

}  // namespace detail

std::string resolve_acme_server(std::string_view name_or_url) {
    if (name_or_url == "letsencrypt") {
        return std::string{k_letsencrypt_directory};
    }
    if (name_or_url == "letsencrypt-staging") {
        return std::string{k_letsencrypt_staging_directory};
    }
    if (!name_or_url.starts_with("https://") || name_or_url.size() <= 8 ||
        std::any_of(name_or_url.begin(), name_or_url.end(), [](char c) {
            return std::isspace(static_cast<unsigned char>(c)) != 0 ||
                   std::iscntrl(static_cast<unsigned char>(c)) != 0;
        })) {
        throw Error(Errc::invalid_argument,
                    fmt::format("--server '{}' is neither letsencrypt, letsencrypt-staging nor "
                                "an https:// directory URL (ACME is HTTPS only, RFC 8555 6.1)",
                                name_or_url));
    }
    return std::string{name_or_url};
}

std::vector<std::string> acme_key_type_names() {
    return {std::string{key_type_name(KeyType::ec_p256)},
            std::string{key_type_name(KeyType::rsa2048)},
            std::string{key_type_name(KeyType::ed25519)}};
}

fs::path acme_account_file(const Store& store, std::string_view server) {
    return accounts_dir(store) /
           fmt::format("{}-{}.json", slug_of(server), ossl::sha256_hex(server).substr(0, 8));
}

Secret read_eab_hmac_key(const fs::path& file) {
    Secret text{detail::read_file(file, "External Account Binding HMAC key file", 4096)};
    std::string_view v = text.view();
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back())) != 0) {
        v.remove_suffix(1);
    }
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front())) != 0) {
        v.remove_prefix(1);
    }
    while (!v.empty() && v.back() == '=') {
        v.remove_suffix(1);
    }
    auto key = detail::base64url_decode(v);
    if (!key || key->empty()) {
        throw Error(Errc::parse,
                    fmt::format("'{}' does not hold an HMAC key in base64url (the text the CA "
                                "gives as the EAB HMAC key)",
                                file.string()));
    }
    return Secret{std::move(*key)};
}

AcmeAccountResult register_acme_account(const Store& store,
                                        const AcmeAccountRequest& request,
                                        TimePoint now) {
    const AcmeConnection& connection = request.connection;
    if (!request.agree_tos) {
        throw Error(Errc::invalid_argument,
                    "registering an ACME account agrees to the CA's terms of service: read "
                    "them, then add --agree-tos");
    }
    std::vector<std::string> contact;
    for (const auto& e : request.emails) {
        contact.push_back(mailto(e));
    }
    const auto types = acme_key_type_names();
    if (std::find(types.begin(), types.end(), key_type_name(request.key_type)) == types.end()) {
        throw Error(Errc::invalid_argument,
                    fmt::format("an ACME account key is ec-p256, rsa2048 or ed25519, not {}",
                                key_type_name(request.key_type)));
    }
    detail::AcmeClient client{connection};
    const detail::AcmeDirectory& directory = client.directory();
    if (directory.external_account_required && !request.eab) {
        throw Error(Errc::invalid_argument,
                    fmt::format("the ACME server {} requires External Account Binding: pass "
                                "--eab-kid KID and --eab-hmac-file FILE with what the CA issued",
                                connection.server));
    }
    // The key first, recorded before the server sees it: a registration that fails half way
    // is retried with the same key, which the server maps to the same account.
    AccountRecord record =
        change_record(store, connection.server, [&](std::optional<AccountRecord> current) {
            // A key the server never accepted gives way to one of the type asked for.
            if (current && current->status != "deactivated" && current->status != "revoked" &&
                (!current->url.empty() || current->key->type() == request.key_type)) {
                return std::move(*current);
            }
            AccountRecord fresh;
            fresh.server = connection.server;
            fresh.key = PrivateKey::generate(request.key_type);
            fresh.created = now;
            fresh.updated = now;
            return fresh;
        });
    const detail::JwsKey key = detail::jws_key(*record.key);
    json payload{{"termsOfServiceAgreed", true}};
    if (!contact.empty()) {
        payload["contact"] = contact;
    }
    if (request.eab) {
        payload["externalAccountBinding"] = detail::eab_jws(
            key.jwk, request.eab->kid, request.eab->hmac_key, directory.new_account);
    }
    const auto r = client.post("newAccount", directory.new_account, payload, key, {});
    if (r.location.empty()) {
        throw Error(Errc::network,
                    fmt::format("newAccount at {}: the ACME server answered HTTP {} without the "
                                "account's URL (no Location header)",
                                connection.server,
                                r.status));
    }
    record = change_record(store, connection.server, [&](std::optional<AccountRecord> current) {
        AccountRecord updated = current.value_or(record);
        updated.key = record.key;
        updated.url = r.location;
        updated.status = status_of(r.body, "valid");
        updated.contact = r.body.is_object() ? string_list(r.body, "contact") : contact;
        if (request.eab) {
            updated.eab_kid = request.eab->kid;
        }
        updated.terms_of_service = directory.terms_of_service;
        updated.updated = now;
        return updated;
    });
    AcmeAccountResult out = result_of(store, record, client);
    out.created = r.status == 201;
    return out;
}

AcmeAccountResult show_acme_account(const Store& store, const AcmeConnection& connection) {
    AccountRecord record = existing_record(store, connection);
    detail::AcmeClient client{connection};
    const detail::JwsKey key = detail::jws_key(*record.key);
    const auto r = client.post("account lookup",
                               client.directory().new_account,
                               json{{"onlyReturnExisting", true}},
                               key,
                               {},
                               {},
                               true);
    if (r.problem) {
        // Some servers (Boulder) no longer answer for a deactivated account's key.
        if (r.problem->type == k_unauthorized && record.status == "deactivated") {
            return result_of(store, record, client);
        }
        throw client.refused("account lookup", r);
    }
    const std::string status = status_of(r.body, record.status);
    const auto contact = string_list(r.body, "contact");
    if (status != record.status || contact != record.contact ||
        (!r.location.empty() && r.location != record.url)) {
        record = change_record(store, connection.server, [&](std::optional<AccountRecord> current) {
            AccountRecord updated = current.value_or(record);
            updated.status = status;
            updated.contact = contact;
            updated.url = r.location.empty() ? updated.url : r.location;
            return updated;
        });
    }
    return result_of(store, record, client);
}

AcmeAccountResult deactivate_acme_account(const Store& store,
                                          const AcmeConnection& connection,
                                          TimePoint now) {
    AccountRecord record = existing_record(store, connection);
    detail::AcmeClient client{connection};
    if (record.status == "deactivated") {
        return result_of(store, record, client);
    }
    const detail::JwsKey key = detail::jws_key(*record.key);
    client.directory();
    const auto r =
        client.post("deactivate", record.url, json{{"status", "deactivated"}}, key, record.url);
    const std::string status = status_of(r.body, "deactivated");
    record = change_record(store, connection.server, [&](std::optional<AccountRecord> current) {
        AccountRecord updated = current.value_or(record);
        updated.status = status;
        updated.updated = now;
        return updated;
    });
    return result_of(store, record, client);
}

std::vector<AcmeAccountState> acme_accounts(const Store& store) {
    static_cast<void>(store.exists());
    std::vector<AcmeAccountState> out;
    std::error_code ec;
    for (const auto& f : fs::directory_iterator(accounts_dir(store), ec)) {
        const std::string name = f.path().filename().string();
        if (f.path().extension() != ".json" || name.starts_with(".")) {
            continue;
        }
        AccountRecord r = read_record_file(f.path());
        if (acme_account_file(store, r.server) != f.path()) {
            throw damaged(f.path(), fmt::format("it is the account of '{}'", r.server));
        }
        out.push_back({r.server,
                       r.url,
                       r.status,
                       r.contact,
                       r.eab_kid,
                       r.terms_of_service,
                       r.created,
                       r.updated,
                       std::move(*r.key)});
    }
    std::sort(
        out.begin(), out.end(), [](const auto& a, const auto& b) { return a.server < b.server; });
    return out;
}

void replace_acme_accounts(const Store& store, const std::vector<AcmeAccountState>& accounts) {
    detail::change_acme_dir(store, accounts_dir(store), [&] {
        std::set<fs::path> kept;
        for (const auto& a : accounts) {
            AccountRecord r;
            r.server = a.server;
            r.url = a.url;
            r.status = a.status;
            r.contact = a.contact;
            r.key = a.key;
            r.eab_kid = a.eab_kid;
            r.terms_of_service = a.terms_of_service;
            r.created = a.created;
            r.updated = a.updated;
            write_record(store, r);
            kept.insert(acme_account_file(store, a.server));
        }
        std::error_code ec;
        for (const auto& f : fs::directory_iterator(accounts_dir(store), ec)) {
            if (f.path().extension() == ".json" && !kept.contains(f.path())) {
                fs::remove(f.path());
            }
        }
    });
}

}  // namespace certtool
