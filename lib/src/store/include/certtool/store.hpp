// The certificate store: named entries, each a private key, its current certificate, the
// intermediate chain, the subject/SAN request it was made from, and timestamps.
//
// On disk (docs/store.md): DIR (0700) holds `.lock` and `entries/NAME.json` (0600), one file per
// entry. Every change writes a temporary file, fsyncs it and renames it over the old one while
// holding an exclusive flock on `.lock`, so a process killed at any instant leaves the old or the
// new entry, and concurrent commands are serialised without losing updates.
//
// A store that exists but cannot be read (permissions, a file where a directory should be) is an
// Error{io} naming the path and the fix, never an empty store. Conditions that do not stop a
// command (a store directory others can write, an entry file others can read) are reported
// through the Store's WarningSink, one line each with the chmod that fixes them.
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

// Receives one-line warnings (the problem and the fix); the application prints them.
using WarningSink = std::function<void(const std::string&)>;

struct Entry {
    std::string name;
    PrivateKey key;
    Certificate certificate;
    std::vector<Certificate> chain;  // intermediates, leaf's issuer first; no root
    SubjectRequest request;          // what export-csr asks for
    Origin origin{Origin::self_signed};
    TimePoint created;
    TimePoint updated;
    // The appliance's demonstration certificate (entry "demo", made by the first configuration
    // command): self-signed, never a certificate a peer can verify.
    bool demonstration{false};
};

// One file of entries/ as list() found it: the entry, or why it is not one.
struct ListedEntry {
    std::string name;            // the file name without ".json" (odd bytes as \xNN)
    std::string file;            // DIR/entries/NAME.json, the same way
    std::optional<Entry> entry;  // empty when the file is damaged or not an entry
    std::string problem;         // then why, never quoting the file ("the file is empty")
    std::string fix;             // and what to do ("certtool delete NAME, or restore ...")
};

class Store {
public:
    // The store location: CERTTOOL_HOME if set, else ${XDG_DATA_HOME:-$HOME/.local/share}/certtool.
    // Throws Error{invalid_argument} if neither HOME nor XDG_DATA_HOME is set.
    [[nodiscard]] static std::filesystem::path default_location();

    // No I/O: the directory is created (0700) by the first change. `warnings` receives the
    // warnings of this Store's operations, each once; without a sink they are dropped.
    explicit Store(std::filesystem::path dir, WarningSink warnings = {});

    [[nodiscard]] const std::filesystem::path& dir() const noexcept { return m_dir; }

    // The names of the files in entries/ that look like entries (NAME.json, NAME not starting
    // with a dot), sorted. An absent store has none. Throws Error{io} if the store cannot be
    // read (permissions, not a directory).
    [[nodiscard]] std::vector<std::string> names() const;

    // Every file names() finds, read: an entry, or its problem and fix when it is damaged or
    // not an entry (this never quotes the file). An entry deleted between reading the directory
    // and opening its file is not listed; each listed entry is one whole version of its file.
    // Throws Error{io} if the store or an entry file cannot be read (permissions).
    [[nodiscard]] std::vector<ListedEntry> list() const;

    // Whether DIR exists, for the files kept beside entries/ (ca/): throws Error{io} as names()
    // does when the store cannot be read, and warns as it does when others can write it.
    [[nodiscard]] bool exists() const;

    // Whether entry `name` exists. Throws Error{io} if the store cannot be read.
    [[nodiscard]] bool contains(std::string_view name) const;

    // Throws Error{not_found} (with the fix: certtool list), Error{parse} for a damaged file
    // (with the fix: delete or restore), Error{io} if the store cannot be read.
    [[nodiscard]] Entry get(std::string_view name) const;

    // Adds a new entry; with replace_existing an existing one of that name is overwritten.
    // Throws Error{already_exists}, Error{io} (also when others can write the store directory
    // or entries/: no key is written there), Error{locked}.
    void create(const Entry& entry, bool replace_existing);

    // Read-modify-write under the lock: `change` gets the current entry and returns the new one
    // (it may throw to abandon the change, leaving the store untouched). Returns the new entry.
    // Throws as get() and create().
    Entry update(std::string_view name, const std::function<Entry(Entry)>& change);

    // Throws Error{not_found}, Error{io}.
    void remove(std::string_view name);

    // Entry names: 1-64 characters of [A-Za-z0-9._-], starting with a letter or digit.
    // Throws Error{invalid_argument} naming the rule.
    static void validate_name(std::string_view name);

    // How long a command waits for another one holding the lock.
    static constexpr int k_lock_timeout_ms = 30000;

private:
    // read: warn when others can write the store; write: refuse then; probe (existence only):
    // say nothing, and a path through a file is an absent store.
    enum class Access { read, probe, write };

    [[nodiscard]] std::filesystem::path entry_path(std::string_view name) const;
    [[nodiscard]] std::filesystem::path entries_dir() const;
    // Whether the store exists (DIR and DIR/entries); throws Error{io} for a store that cannot
    // be used.
    [[nodiscard]] bool inspect(Access access) const;
    // The entry file read, or nullopt when it does not exist.
    [[nodiscard]] std::optional<ListedEntry> read_entry(const std::string& name) const;
    void prepare() const;  // creates directories; called under no lock
    void write_entry(const Entry& entry, bool replace_existing) const;
    void warn_once(const std::string& message) const;

    std::filesystem::path m_dir;
    WarningSink m_warnings;
    mutable std::vector<std::string> m_warned;  // each warning once per Store
};

}  // namespace certtool
