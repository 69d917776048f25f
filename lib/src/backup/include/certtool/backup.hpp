// Backups of the whole store in one file (docs/backup.md): every entry (the private keys as
// encrypted PKCS#8, each readable by `openssl pkey -passin`), the configuration (the committed
// document, the staged changes and the revision history), the CA lists, the ACME accounts (their
// keys encrypted as the entries') and each entry's ACME settings, and an HMAC-SHA256 over the
// content keyed from the password, so a modified file is refused. `--mask` leaves the keys out:
// such a file needs no password, is protected by a checksum only, and cannot be restored.
#pragma once

#include <certtool/secret.hpp>
#include <certtool/store.hpp>
#include <certtool/time.hpp>

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace certtool {

// The format this certtool writes and the newest it reads.
inline constexpr int k_backup_format = 1;
// PBKDF2-HMAC-SHA256 iterations for the file's MAC key and for each private key: the PKCS#12
// modern profile's figure (OWASP's for PBKDF2-HMAC-SHA256).
inline constexpr int k_backup_iterations = 600000;

struct BackupRequest {
    std::filesystem::path output;
    bool mask{false};   // leave the private keys out (no password; cannot be restored)
    bool force{false};  // overwrite `output`
};

// What a backup file holds.
struct BackupSummary {
    std::filesystem::path file;
    TimePoint created{};
    std::string machine;  // the host that made it
    bool masked{false};
    std::vector<std::string> entries;     // names, sorted
    int revision{0};                      // the committed revision when it was made (0: none)
    std::size_t history{0};               // revisions it holds
    bool staged{false};                   // it holds staged changes
    int iterations{0};                    // PBKDF2 iterations (0 for a masked file)
    bool ca_lists{false};                 // it holds the CA lists (certtool 0.1's backups do not)
    std::vector<std::string> custom_cas;  // their names, sorted
    bool system_list_enabled{true};
    bool acme{false};                        // it holds the ACME state (older backups do not)
    std::vector<std::string> acme_accounts;  // their servers
    std::vector<std::string> acme_entries;   // the entries with ACME settings
};

// Fails before the password is asked: Error{already_exists} when `output` exists without
// force, Error{io} when its directory does not exist.
void check_backup_output(const BackupRequest& request);

// Writes the backup of `store` atomically, mode 0600. A consistent snapshot: the configuration
// and store locks are held while it is read (not while keys are encrypted). `password` is
// required (not empty) unless request.mask, where it is not used.
// Throws Error{invalid_argument} (empty password), Error{already_exists}, Error{parse} (a
// damaged entry or configuration file, named), Error{io}, Error{locked}.
BackupSummary write_backup(const Store& store,
                           const BackupRequest& request,
                           const Secret& password,
                           TimePoint now);

// Reads a backup without its password: the format, the checksum (accidental damage, and any
// flipped byte) and what it holds. Throws Error{io}, Error{parse} naming the problem (not a
// backup, damaged, written by a newer certtool).
[[nodiscard]] BackupSummary read_backup_summary(const std::filesystem::path& file);

struct RestoreRequest {
    std::filesystem::path file;
    bool force{false};  // replace a store that has entries or a configuration
};

// Everything restore checks before the password is asked: the file (read_backup_summary), that
// it is not masked, and that the store is empty unless request.force. Throws Error{parse} (also
// for a masked backup), Error{already_exists} naming what the store has, Error{io}.
BackupSummary check_restore(const Store& store, const RestoreRequest& request);

struct RestoreResult {
    BackupSummary backup;
    std::vector<std::string> removed;  // entries the store had and the backup has not (--force)
    int revision{0};                   // the revision recorded for the restored configuration
    std::size_t history_restored{0};   // the backup's revisions replayed before it
    bool staged{false};                // the backup's staged changes are staged again
    std::vector<std::string> notes;    // what the user should know (history kept, machines)
    std::string next_step;             // the command that applies it to the Postfix target
};

// Restores `request.file` into `store`: check_restore(), then the password opens the file (its
// HMAC), every key is decrypted and every entry and configuration document validated; only
// then is anything written. The store's entries become the backup's (others are removed), the
// configuration becomes a new revision (ConfigStore::replace) with a comment naming the
// backup, the store's staged changes are dropped and the backup's staged again. Into a
// configuration with no revisions the backup's history is replayed first (numbers, times,
// comments and documents; user and summary are the restore's). Nothing is applied to Postfix.
// Throws as check_restore(), and Error{bad_password} (nothing written), Error{parse} (the file
// was modified: its HMAC does not match), Error{io}, Error{locked}.
RestoreResult restore_backup(Store& store,
                             const RestoreRequest& request,
                             const Secret& password,
                             TimePoint now);

}  // namespace certtool
