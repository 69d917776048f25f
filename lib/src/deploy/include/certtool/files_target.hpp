// The file target: an entry's key and certificates written to fixed paths for any daemon
// (Dovecot, an LDAP client, the appliance's other client-certificate users), then its reload
// command run; all or nothing (README, "Other daemons: the file target").
#pragma once

#include <certtool/config.hpp>
#include <certtool/store.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace certtool::deploy {

struct FilesReport {
    std::vector<std::string> steps;
};

// Writes the files `target` names from its entry (key and combined 0600; an existing file keeps
// its owner and group, and its mode without any access for others), each atomically, then runs
// `target.reload` by /bin/sh -c (60 s at most). When the reload fails, the previous files are
// put back, the reload is run again, and Error{io} names the step and the command's complaint.
// `state` (a private directory, e.g. in the store) keeps the previous files and a journal
// until recover_files() learns whether the store committed revision `revision`. Throws
// Error{not_found} for a missing entry, Error{io}, Error{locked}.
FilesReport apply_files(const Store& store,
                        const config::FilesTarget& target,
                        int revision,
                        const std::filesystem::path& state);

// Completes or undoes an apply a killed (or a later failing) step left: the files become
// revision `committed_revision`'s. Never throws when `state` has no journal.
void recover_files(const config::FilesTarget& target,
                   int committed_revision,
                   const std::filesystem::path& state);

}  // namespace certtool::deploy
