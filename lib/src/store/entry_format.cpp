#include "entry_format.hpp"

#include <certtool/error.hpp>
#include <certtool/time.hpp>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <vector>

namespace certtool::detail {

using nlohmann::json;

namespace {

constexpr int k_format_version = 1;

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
    json j{
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
    if (e.demonstration) {
        j["demonstration"] = true;
    }
    return j;
}

const json& member(const json& j, std::string_view key, std::string_view where = {}) {
    const auto it = j.find(key);
    if (it == j.end()) {
        throw DamagedEntry(fmt::format("member '{}{}' is missing", where, key));
    }
    return *it;
}

std::string string_member(const json& j, std::string_view key, std::string_view where = {}) {
    const json& m = member(j, key, where);
    if (!m.is_string()) {
        throw DamagedEntry(fmt::format("member '{}{}' is not a string", where, key));
    }
    return m.get<std::string>();
}

const json& array_member(const json& j, std::string_view key, std::string_view where = {}) {
    const json& m = member(j, key, where);
    if (!m.is_array()) {
        throw DamagedEntry(fmt::format("member '{}{}' is not an array", where, key));
    }
    return m;
}

const json& object_member(const json& j, std::string_view key, std::string_view where = {}) {
    const json& m = member(j, key, where);
    if (!m.is_object()) {
        throw DamagedEntry(fmt::format("member '{}{}' is not an object", where, key));
    }
    return m;
}

std::string string_item(const json& item, std::string_view what) {
    if (!item.is_string()) {
        throw DamagedEntry(fmt::format("{} is not a string", what));
    }
    return item.get<std::string>();
}

// f() parses part of the entry with the library; its failure becomes "WHAT does not parse".
template <typename F>
auto parsed(std::string_view what, const F& f) {
    try {
        return f();
    } catch (const Error&) {
        throw DamagedEntry(fmt::format("{} does not parse", what));
    }
}

void check_format(const json& j) {
    if (!j.is_object()) {
        throw DamagedEntry("not a certtool entry: not a JSON object");
    }
    const auto format = j.find("format");
    if (format == j.end()) {
        throw DamagedEntry("not a certtool entry: no 'format' member");
    }
    if (!format->is_number_integer()) {
        throw DamagedEntry("not a certtool entry: 'format' is not a number");
    }
    if (format->get<std::int64_t>() > k_format_version) {
        throw NewerEntryFormat("written by a newer certtool: unknown format version");
    }
    if (format->get<std::int64_t>() != k_format_version) {
        throw DamagedEntry("unknown format version");
    }
}

Entry from_json(const json& j, const std::string& source) {
    check_format(j);
    const json& subject = object_member(object_member(j, "request"), "subject", "request.");
    constexpr std::string_view in_subject = "request.subject.";
    SubjectRequest request{{string_member(subject, "cn", in_subject),
                            string_member(subject, "o", in_subject),
                            string_member(subject, "ou", in_subject),
                            string_member(subject, "l", in_subject),
                            string_member(subject, "st", in_subject),
                            string_member(subject, "c", in_subject)},
                           {}};
    for (const auto& s : array_member(j.at("request"), "sans", "request.")) {
        const std::string what = fmt::format("SAN {}", request.sans.size() + 1);
        const std::string text = string_item(s, what);
        request.sans.push_back(parsed(what, [&] { return SubjectAltName::parse(text); }));
    }
    std::vector<Certificate> chain;
    for (const auto& c : array_member(j, "chain")) {
        const std::string what = fmt::format("chain certificate {}", chain.size() + 1);
        const std::string pem = string_item(c, what);
        chain.push_back(parsed(what, [&] { return Certificate::parse(pem, source); }));
    }
    const auto origin = parse_origin(string_member(j, "origin"));
    if (!origin) {
        throw DamagedEntry("member 'origin' is not self-signed, ca-signed or pkcs12");
    }
    const std::string name = string_member(j, "name");
    const std::string cert_pem = string_member(j, "certificate");
    const std::string created = string_member(j, "created");
    const std::string updated = string_member(j, "updated");
    const Secret key_pem{string_member(j, "key")};
    return Entry{
        name,
        parsed("the private key", [&] { return PrivateKey::from_pem(key_pem.view(), source); }),
        parsed("the certificate", [&] { return Certificate::parse(cert_pem, source); }),
        std::move(chain),
        std::move(request),
        *origin,
        parsed("member 'created'", [&] { return parse_time(created); }),
        parsed("member 'updated'", [&] { return parse_time(updated); }),
        j.contains("demonstration") && j["demonstration"].is_boolean() &&
            j["demonstration"].get<bool>()};
}

}  // namespace

Secret entry_text(const Entry& entry) {
    const Secret key_pem = entry.key.to_pem();
    return Secret{to_json(entry, key_pem).dump(2) + "\n"};
}

Entry parse_entry(std::string_view text, const std::string& source) {
    if (text.empty()) {
        throw DamagedEntry("the file is empty");
    }
    try {
        return from_json(json::parse(text), source);
    } catch (const json::parse_error& e) {
        throw DamagedEntry(fmt::format("not JSON: syntax error at byte {}", e.byte));
    }
}

}  // namespace certtool::detail
