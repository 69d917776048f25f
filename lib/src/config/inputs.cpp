// What a commit deploys besides its document (config_store.hpp, Inputs): the bound entries'
// certificates and the Postfix target's CA list, as digests.
#include "fs.hpp"
#include "ossl.hpp"

#include <certtool/ca_lists.hpp>
#include <certtool/config_store.hpp>
#include <certtool/error.hpp>

#include <fmt/core.h>

#include <set>

namespace certtool::config {

namespace {

constexpr std::string_view k_entry_prefix = "entry/";
constexpr std::string_view k_trust_key = "trust";
constexpr std::size_t k_shown_digits = 16;

// "<leaf sha256>/<sha256 of the chain's fingerprints>", both lower-case hex.
std::string entry_digest(const Entry& entry) {
    std::string chain;
    for (const auto& c : entry.chain) {
        chain += c.sha256_fingerprint();
        chain += '\n';
    }
    return ossl::sha256_hex(entry.certificate.to_der()) + "/" + ossl::sha256_hex(chain);
}

std::string shown(std::string_view digest) {
    return std::string{digest.substr(0, k_shown_digits)};
}

}  // namespace

Inputs deployed_inputs(const Document& document, const std::string& machine, const Store& store) {
    Inputs out;
    Configuration cfg;
    try {
        cfg = typed(effective_settings(document, machine));
    } catch (const Error&) {
        return out;  // a malformed document: the commit refuses it with the reason
    }
    std::set<std::string> entries;
    for (const auto& l : cfg.listeners) {
        entries.insert(l.certificate);
    }
    for (const auto& s : cfg.services) {
        entries.insert(s.certificate);
    }
    for (const auto& f : cfg.files) {
        entries.insert(f.certificate);
    }
    if (!cfg.outbound_certificate.empty()) {
        entries.insert(cfg.outbound_certificate);
    }
    for (const auto& name : entries) {
        if (name.empty()) {
            continue;
        }
        try {
            out[std::string{k_entry_prefix} + name] = entry_digest(store.get(name));
        } catch (const Error&) {
            // missing or damaged: the commit names it
        }
    }
    if (cfg.postfix_config_dir) {
        try {
            out[std::string{k_trust_key}] = ossl::sha256_hex(
                cfg.postfix_trust
                    ? ::certtool::detail::read_file(*cfg.postfix_trust, "the Postfix trust file")
                    : effective_trust_pem(store));
        } catch (const Error&) {
            // unreadable: the commit names it
        }
    }
    return out;
}

std::vector<Change> input_changes(const Inputs& before, const Inputs& after) {
    std::vector<Change> out;
    for (const auto& [key, value] : after) {
        const auto it = before.find(key);
        if (it == before.end() || it->second == value) {
            continue;  // newly bound: a change of the document itself
        }
        Change c;
        c.kind = Change::Kind::changed;
        c.where = "store";
        if (key == k_trust_key) {
            c.key = "CA list (trust)";
            c.before = shown(it->second);
            c.after = shown(value);
        } else {
            const std::string_view name = std::string_view{key}.substr(k_entry_prefix.size());
            const auto slash_before = it->second.find('/');
            const auto slash_after = value.find('/');
            const bool same_leaf =
                it->second.substr(0, slash_before) == value.substr(0, slash_after);
            c.key = fmt::format("entry {} {}", name, same_leaf ? "chain" : "certificate");
            c.before = same_leaf ? shown(it->second.substr(slash_before + 1)) : shown(it->second);
            c.after = same_leaf ? shown(value.substr(slash_after + 1)) : shown(value);
        }
        out.push_back(std::move(c));
    }
    return out;
}

}  // namespace certtool::config
