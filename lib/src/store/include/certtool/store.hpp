// The certificate store: named entries, each a private key, its current certificate, the
// intermediate chain, the subject/SAN request it was made from, and timestamps.
//
// On disk (docs/store.md): DIR (0700) holds `.lock` and `entries/NAME.json` (0600), one file per
// entry. Every change writes a temporary file, fsyncs it and renames it over the old one while
// holding an exclusive flock on `.lock`, so a process killed at any instant leaves the old or the
// new entry, and concurrent commands are serialised without losing updates.
#pragma once

#include <certtool/certificate.hpp>
#include <certtool/key.hpp>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certtool {

enum class Origin { self_signed, ca_signed, pkcs12 };
[[nodiscard]] std::string_view origin_name(Origin origin) noexcept;  // "self-signed", ...

struct Entry {
    std::string name;
    PrivateKey key;
    Certificate certificate;
    std::vector<Certificate> chain;  // intermediates, leaf's issuer first; no root
    SubjectRequest request;          // what export-csr asks for
    Origin origin{Origin::self_signed};
    TimePoint created;
    TimePoint updated;
};

class Store {
public:
    // The store location: CERTTOOL_HOME if set, else ${XDG_DATA_HOME:-$HOME/.local/share}/certtool.
    // Throws Error{invalid_argument} if neither HOME nor XDG_DATA_HOME is set.
    [[nodiscard]] static std::filesystem::path default_location();

    // No I/O: the directory is created (0700) by the first change.
    explicit Store(std::filesystem::path dir);

    [[nodiscard]] const std::filesystem::path& dir() const noexcept { return m_dir; }

    // Entry names, sorted. An absent store has none.
    [[nodiscard]] std::vector<std::string> names() const;

    [[nodiscard]] bool contains(std::string_view name) const;

    // Throws Error{not_found} (with the fix: certtool list), Error{parse} for a damaged file.
    [[nodiscard]] Entry get(std::string_view name) const;

    // Adds a new entry; with replace_existing an existing one of that name is overwritten.
    // Throws Error{already_exists}, Error{io}, Error{locked}.
    void create(const Entry& entry, bool replace_existing);

    // Read-modify-write under the lock: `change` gets the current entry and returns the new one
    // (it may throw to abandon the change, leaving the store untouched). Returns the new entry.
    Entry update(std::string_view name, const std::function<Entry(Entry)>& change);

    // Throws Error{not_found}.
    void remove(std::string_view name);

    // Entry names: 1-64 characters of [A-Za-z0-9._-], starting with a letter or digit.
    // Throws Error{invalid_argument} naming the rule.
    static void validate_name(std::string_view name);

    // How long a command waits for another one holding the lock.
    static constexpr int k_lock_timeout_ms = 30000;

private:
    [[nodiscard]] std::filesystem::path entry_path(std::string_view name) const;
    [[nodiscard]] std::filesystem::path entries_dir() const;
    void prepare() const;  // creates directories; called under no lock
    void remove_stale_temporaries() const;
    void write_entry(const Entry& entry, bool replace_existing) const;

    std::filesystem::path m_dir;
};

}  // namespace certtool
