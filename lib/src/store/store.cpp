#include "entry_format.hpp"
#include "fs.hpp"

#include <certtool/error.hpp>
#include <certtool/store.hpp>

#include <fmt/core.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace certtool {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view k_suffix = ".json";

bool is_valid_name(std::string_view name) {
    return !name.empty() && name.size() <= 64 &&
           std::isalnum(static_cast<unsigned char>(name[0])) != 0 &&
           std::all_of(name.begin(), name.end(), [](char c) {
               return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' ||
                      c == '-';
           });
}

std::string mode_text(mode_t mode) {
    return fmt::format("{:04o}", mode & 07777U);
}

std::string kind_of(mode_t mode) {
    if (S_ISDIR(mode)) {
        return "a directory";
    }
    if (S_ISLNK(mode)) {
        return "a symbolic link";
    }
    if (S_ISFIFO(mode)) {
        return "a named pipe";
    }
    if (S_ISSOCK(mode)) {
        return "a socket";
    }
    if (S_ISREG(mode)) {
        return "a regular file";
    }
    return "a device";
}

// The first directory on the way to `path` (or `path` itself) this process may not enter or
// read, with its owner and mode: what a permission error is about.
std::string denied_part(const fs::path& path) {
    fs::path partial;
    for (const auto& part : path) {
        partial /= part;
        const bool last = partial == path;

        struct stat st {};

        if (::stat(partial.c_str(), &st) != 0) {
            break;
        }
        const int need = S_ISDIR(st.st_mode) ? (last ? R_OK | X_OK : X_OK) : R_OK;
        if (::faccessat(AT_FDCWD, partial.c_str(), need, AT_EACCESS) != 0) {
            return fmt::format(
                "'{}' (owner uid {}, mode {})", partial.string(), st.st_uid, mode_text(st.st_mode));
        }
    }
    return fmt::format("'{}'", path.string());
}

// Error{io} for a store path that cannot be used (errno err), with the fix.
Error unusable(const fs::path& store, const fs::path& path, int err) {
    if (err == EACCES || err == EPERM) {
        return {Errc::io,
                fmt::format("cannot read store '{}': permission denied on {}: run certtool "
                            "as the user that owns the store, or pass --store with a store "
                            "you can read",
                            store.string(),
                            denied_part(path))};
    }
    if (err == ENOTDIR) {
        return {Errc::io,
                fmt::format("cannot read store '{}': a part of '{}' is not a directory: pass "
                            "--store with a directory",
                            store.string(),
                            path.string())};
    }
    return {Errc::io,
            fmt::format("cannot read store '{}': '{}': {}: check the path and its permissions",
                        store.string(),
                        path.string(),
                        std::strerror(err))};
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

Store::Store(fs::path dir, WarningSink warnings)
    : m_dir(std::move(dir)), m_warnings(std::move(warnings)) {}

void Store::validate_name(std::string_view name) {
    if (!is_valid_name(name)) {
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

void Store::warn_once(const std::string& message) const {
    if (!m_warnings || std::find(m_warned.begin(), m_warned.end(), message) != m_warned.end()) {
        return;
    }
    m_warned.push_back(message);
    m_warnings(message);
}

bool Store::inspect(Access access) const {
    // The store directory, then entries/: absent is an empty store; present but unusable is
    // an error, never an empty store; writable by others is a warning, or a refusal to write.
    for (const fs::path& dir : {m_dir, entries_dir()}) {
        struct stat st {};

        if (::stat(dir.c_str(), &st) != 0) {
            const int err = errno;
            // Before a write (probe, write), a path through a file is reported by prepare() as
            // it fails to create the directory.
            if (err == ENOENT || (access != Access::read && err == ENOTDIR)) {
                return false;
            }
            throw unusable(m_dir, dir, err);
        }
        if (!S_ISDIR(st.st_mode)) {
            throw Error(Errc::io,
                        dir == m_dir
                            ? fmt::format("store '{}' is {}, not a directory: pass --store with a "
                                          "directory (or a path that does not exist yet), or move "
                                          "it away",
                                          dir.string(),
                                          kind_of(st.st_mode))
                            : fmt::format("store '{}' is damaged: '{}' is {}, not a directory: "
                                          "move it away and restore entries/ from a backup",
                                          m_dir.string(),
                                          dir.string(),
                                          kind_of(st.st_mode)));
        }
        if ((st.st_mode & (S_IWGRP | S_IWOTH)) == 0) {
            continue;
        }
        if (access == Access::probe) {
            continue;
        }
        if (access == Access::write) {
            throw Error(Errc::io,
                        fmt::format("refusing to write a private key into store '{}': '{}' is "
                                    "writable by group or others (mode {}): run chmod 700 '{}'",
                                    m_dir.string(),
                                    dir.string(),
                                    mode_text(st.st_mode),
                                    dir.string()));
        }
        warn_once(
            fmt::format("store directory '{}' is writable by group or others (mode {}), "
                        "so they can replace its entries: run chmod 700 '{}'",
                        dir.string(),
                        mode_text(st.st_mode),
                        dir.string()));
    }
    return true;
}

std::vector<std::string> Store::names() const {
    std::vector<std::string> out;
    if (!inspect(Access::read)) {
        return out;
    }
    std::error_code ec;
    for (fs::directory_iterator it{entries_dir(), ec}; !ec && it != fs::directory_iterator{};
         it.increment(ec)) {
        const std::string file = it->path().filename().string();
        if (file.empty() || file.front() == '.' || file.size() <= k_suffix.size() ||
            file.compare(file.size() - k_suffix.size(), k_suffix.size(), k_suffix) != 0) {
            continue;  // temporaries and foreign files
        }
        out.push_back(file.substr(0, file.size() - k_suffix.size()));
    }
    if (ec) {
        throw unusable(m_dir, entries_dir(), ec.value());
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::optional<ListedEntry> Store::read_entry(const std::string& name) const {
    const fs::path path = entries_dir() / (name + std::string{k_suffix});
    ListedEntry out{name, printable(path.string()), std::nullopt, {}, {}};
    // O_NONBLOCK: a named pipe in entries/ must not hang the command.
    const detail::Fd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)};
    if (fd.get() < 0) {
        const int err = errno;
        if (err == ENOENT) {
            return std::nullopt;  // deleted since the directory was read: not listed
        }
        throw unusable(m_dir, path, err);
    }

    struct stat st {};

    if (::fstat(fd.get(), &st) != 0) {
        throw unusable(m_dir, path, errno);
    }
    if (!S_ISREG(st.st_mode)) {
        out.problem = fmt::format("it is {}, not a file", kind_of(st.st_mode));
        out.fix = fmt::format("move it out of '{}'", entries_dir().string());
        return out;
    }
    try {
        const Secret text{detail::read_all(fd, path, "store entry")};
        out.entry = detail::parse_entry(text.view(), path.string());
    } catch (const detail::NewerEntryFormat& e) {
        out.problem = e.what();
        out.fix = "use a newer certtool";
    } catch (const detail::DamagedEntry& e) {
        out.problem = e.what();
    } catch (const Error& e) {
        if (e.code() != Errc::parse) {
            throw;
        }
        out.problem = fmt::format("larger than {} MiB", detail::k_max_read_bytes >> 20U);
    }
    if (out.entry && (st.st_mode & 077U) != 0) {
        warn_once(
            fmt::format("store entry '{}' holds a private key and group or others may "
                        "access it (mode {}): run chmod 600 '{}'",
                        out.file,
                        mode_text(st.st_mode),
                        out.file));
    }
    if (!out.entry && out.fix.empty()) {
        out.fix = fmt::format("certtool delete {}, or restore it from a backup", name);
    }
    return out;
}

std::vector<ListedEntry> Store::list() const {
    std::vector<ListedEntry> out;
    for (const auto& name : names()) {
        if (!is_valid_name(name)) {
            const std::string file = printable((entries_dir() / (name + ".json")).string());
            out.push_back({printable(name),
                           file,
                           std::nullopt,
                           "not an entry: its name is not an entry name",
                           fmt::format("move it out of '{}'", entries_dir().string())});
        } else if (auto listed = read_entry(name)) {
            out.push_back(std::move(*listed));
        }
    }
    return out;
}

bool Store::exists() const {
    static_cast<void>(inspect(Access::read));
    std::error_code ec;
    return fs::is_directory(m_dir, ec);
}

bool Store::contains(std::string_view name) const {
    const fs::path path = entry_path(name);
    if (!inspect(Access::probe)) {
        return false;
    }

    struct stat st {};

    if (::stat(path.c_str(), &st) == 0) {
        return true;
    }
    const int err = errno;
    if (err == ENOENT) {
        return false;
    }
    throw unusable(m_dir, path, err);
}

Entry Store::get(std::string_view name) const {
    validate_name(name);
    auto listed = inspect(Access::read) ? read_entry(std::string{name}) : std::nullopt;
    if (!listed) {
        throw Error(
            Errc::not_found,
            fmt::format("no entry '{}' in store '{}': see 'certtool list'", name, m_dir.string()));
    }
    if (!listed->entry) {
        throw Error(Errc::parse,
                    fmt::format("store entry '{}' is damaged ({}): {}",
                                listed->file,
                                listed->problem,
                                listed->fix));
    }
    return std::move(*listed->entry);
}

void Store::prepare() const {
    detail::create_private_directories(m_dir);
    detail::create_private_directories(entries_dir());
}

void Store::write_entry(const Entry& entry, bool replace_existing) const {
    const Secret text = detail::entry_text(entry);
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
    static_cast<void>(inspect(Access::write));  // before anything is created
    prepare();
    detail::FileLock lock{m_dir / ".lock", k_lock_timeout_ms};
    detail::crash_point("store:locked");
    // Under the lock no other writer exists: every temporary is a killed process's leftover.
    detail::remove_all_temporaries(entries_dir());
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
    static_cast<void>(inspect(Access::write));
    prepare();
    detail::FileLock lock{m_dir / ".lock", k_lock_timeout_ms};
    detail::crash_point("store:locked");
    detail::remove_all_temporaries(entries_dir());
    Entry updated = change(get(name));
    updated.name = std::string{name};
    write_entry(updated, true);
    return updated;
}

void Store::remove(std::string_view name) {
    const fs::path path = entry_path(name);
    const auto not_found = [&] {
        return Error(
            Errc::not_found,
            fmt::format("no entry '{}' in store '{}': see 'certtool list'", name, m_dir.string()));
    };
    if (!inspect(Access::read)) {
        throw not_found();
    }
    detail::FileLock lock{m_dir / ".lock", k_lock_timeout_ms};
    detail::remove_all_temporaries(entries_dir());
    if (!contains(name)) {
        throw not_found();
    }
    if (::unlink(path.c_str()) != 0) {
        const int err = errno;
        throw Error(Errc::io,
                    fmt::format("cannot delete '{}': {}: check the permissions of '{}'",
                                path.string(),
                                std::strerror(err),
                                entries_dir().string()));
    }
    detail::sync_directory(entries_dir());
}

}  // namespace certtool
