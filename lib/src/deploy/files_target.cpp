// apply_files: write each configured file from the entry, run the reload command, put the
// previous files back when it fails. recover_files: finish or undo what a killed apply left.
#include "fs.hpp"
#include "journal.hpp"
#include "process.hpp"

#include <certtool/error.hpp>
#include <certtool/files_target.hpp>

#include <fmt/format.h>

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <optional>

namespace certtool::deploy {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr auto k_reload_timeout = 60s;
constexpr std::string_view k_journal_magic = "certtool files journal 1";

struct Slot {
    const char* field;  // "key", "cert", ...
    fs::path path;
    bool secret{false};
    Secret content;
};

// The files the target names, with what goes in each.
std::vector<Slot> slots(const config::FilesTarget& t, const Entry& e) {
    std::string chain;
    for (const auto& c : e.chain) {
        chain += c.to_pem();
    }
    const std::string leaf = e.certificate.to_pem();
    const std::string key{e.key.to_pem().view()};
    std::vector<Slot> out;
    if (t.key) {
        out.push_back(Slot{"key", *t.key, true, Secret{key}});
    }
    if (t.cert) {
        out.push_back(Slot{"cert", *t.cert, false, Secret{leaf}});
    }
    if (t.chain) {
        out.push_back(Slot{"chain", *t.chain, false, Secret{chain}});
    }
    if (t.fullchain) {
        out.push_back(Slot{"fullchain", *t.fullchain, false, Secret{leaf + chain}});
    }
    if (t.combined) {
        out.push_back(Slot{"combined", *t.combined, true, Secret{key + leaf + chain}});
    }
    return out;
}

fs::path revision_dir(const fs::path& state, int revision) {
    return state / fmt::format("rev-{}", revision);
}

// Writes `content` at `path` atomically: an existing file's owner, group and mode are kept (a
// secret loses any access for others); a new one is 0600 (secret) or 0644.
void put(const fs::path& path, std::string_view content, bool secret) {
    struct stat st {};

    const bool existed = ::stat(path.c_str(), &st) == 0;
    unsigned mode = secret ? 0600U : 0644U;
    if (existed) {
        mode = st.st_mode & 07777U;
        if (secret) {
            mode &= ~0007U;
        }
    }
    ::certtool::detail::write_file_atomic(
        path, content, mode, ::certtool::detail::Overwrite::replace);
    if (existed && (st.st_uid != ::geteuid() || st.st_gid != ::getegid())) {
        if (::chown(path.c_str(), st.st_uid, st.st_gid) != 0) {
            throw Error(
                Errc::io,
                fmt::format(
                    "cannot give {} back its owner: {}", path.string(), std::strerror(errno)));
        }
    }
}

void remove_file(const fs::path& path) {
    std::error_code ec;
    fs::remove(path, ec);
    ::certtool::detail::sync_directory(path.parent_path());
}

// Puts revision `rev`'s `which` side ("next" or "previous") of every field in place.
void roll(const config::FilesTarget& t, const fs::path& rev, std::string_view which) {
    for (const auto field : config::FilesTarget::k_fields) {
        const auto& path = t.path(field);
        if (!path) {
            continue;
        }
        const fs::path saved = rev / fmt::format("{}.{}", field, which);
        std::error_code ec;
        const bool secret =
            std::string_view{field} == "key" || std::string_view{field} == "combined";
        if (fs::exists(saved, ec)) {
            const std::string content = ::certtool::detail::read_file(saved, "a saved file");
            if (!fs::exists(*path, ec) ||
                ::certtool::detail::read_file(*path, "a target file") != content) {
                put(*path, content, secret);
            }
        } else if (fs::exists(rev / fmt::format("{}.absent", field), ec) && which == "previous") {
            remove_file(*path);
        }
    }
}

std::optional<int> journal_revision(const fs::path& state) {
    const auto j =
        detail::read_journal(state / "journal", k_journal_magic, "remove it and commit again");
    return j ? std::optional{j->revision} : std::nullopt;
}

void remove_journal(const fs::path& state) {
    detail::remove_journal(state / "journal");
}

void recover_locked(const config::FilesTarget& t, int committed, const fs::path& state) {
    const auto revision = journal_revision(state);
    if (!revision) {
        return;
    }
    const fs::path rev = revision_dir(state, *revision);
    const bool forward = committed >= *revision;
    roll(t, rev, forward ? "next" : "previous");
    std::error_code ec;
    fs::remove_all(rev, ec);
    remove_journal(state);
}

certtool::detail::ProcessResult run_reload(const std::string& command) {
    return certtool::detail::run_process({"/bin/sh", "-c", command}, k_reload_timeout);
}

std::string why(const certtool::detail::ProcessResult& r) {
    if (r.timed_out) {
        return fmt::format("it did not finish within {} s", k_reload_timeout.count());
    }
    const std::string line = r.first_problem();
    return line.empty() ? fmt::format("exit status {}", r.exit_code)
                        : fmt::format("exit status {}: {}", r.exit_code, line);
}

}  // namespace

FilesReport apply_files(const Store& store,
                        const config::FilesTarget& target,
                        int revision,
                        const fs::path& state) {
    const Entry entry = store.get(target.certificate);
    ::certtool::detail::create_private_directories(state);
    const ::certtool::detail::FileLock lock{state / ".lock", Store::k_lock_timeout_ms};
    recover_locked(target, revision - 1, state);
    FilesReport report;
    const auto files = slots(target, entry);
    // The revision directory: each file's new content and what it replaces.
    const fs::path rev = revision_dir(state, revision);
    const fs::path temp = rev.string() + ".tmp";
    fs::remove_all(temp);
    fs::remove_all(rev);
    ::certtool::detail::create_private_directories(temp);
    for (const auto& s : files) {
        const auto write = [&](const std::string& name, std::string_view content) {
            ::certtool::detail::write_file_atomic(
                temp / name, content, 0600, ::certtool::detail::Overwrite::replace);
        };
        write(fmt::format("{}.next", s.field), s.content.view());
        std::error_code ec;
        if (fs::exists(s.path, ec)) {
            write(fmt::format("{}.previous", s.field),
                  ::certtool::detail::read_file(s.path, "a target file"));
        } else {
            write(fmt::format("{}.absent", s.field), "");
        }
    }
    fs::rename(temp, rev);
    detail::write_journal(state / "journal", k_journal_magic, {revision, revision - 1});
    ::certtool::detail::crash_point("files:journal-written");
    try {
        for (const auto& s : files) {
            put(s.path, s.content.view(), s.secret);
            ::certtool::detail::crash_point(fmt::format("files:wrote-{}", s.field));
        }
    } catch (const Error& e) {
        roll(target, rev, "previous");
        fs::remove_all(rev);
        remove_journal(state);
        throw Error(Errc::io,
                    fmt::format("commit failed at 'write' for file target {}: {}; the previous "
                                "files are back in place",
                                target.name,
                                e.what()));
    }
    report.steps.push_back(fmt::format("file target {}: wrote {} file(s) from entry {}",
                                       target.name,
                                       files.size(),
                                       target.certificate));
    if (!target.reload.empty()) {
        const auto r = run_reload(target.reload);
        if (r.exit_code != 0) {
            roll(target, rev, "previous");
            fs::remove_all(rev);
            remove_journal(state);
            static_cast<void>(run_reload(target.reload));
            throw Error(Errc::io,
                        fmt::format("commit failed at 'reload' for file target {}: '{}' failed "
                                    "({}); the previous files are back in place",
                                    target.name,
                                    target.reload,
                                    why(r)));
        }
        report.steps.push_back(fmt::format("file target {}: ran '{}'", target.name, target.reload));
    }
    return report;
}

void recover_files(const config::FilesTarget& target,
                   int committed_revision,
                   const fs::path& state) {
    std::error_code ec;
    if (!fs::exists(state / "journal", ec)) {
        return;
    }
    const ::certtool::detail::FileLock lock{state / ".lock", Store::k_lock_timeout_ms};
    recover_locked(target, committed_revision, state);
}

}  // namespace certtool::deploy
