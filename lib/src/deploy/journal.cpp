// The targets' journal file (journal.hpp).
#include "journal.hpp"

#include "fs.hpp"

#include <certtool/error.hpp>

#include <fmt/format.h>

#include <cstdio>

namespace certtool::deploy::detail {

namespace fs = std::filesystem;

void write_journal(const fs::path& file, std::string_view magic, const Journal& j) {
    ::certtool::detail::write_file_atomic(
        file,
        fmt::format("{}\nrevision {}\nprevious {}\n", magic, j.revision, j.previous),
        0600,
        ::certtool::detail::Overwrite::replace);
}

std::optional<Journal> read_journal(const fs::path& file,
                                    std::string_view magic,
                                    std::string_view fix) {
    std::error_code ec;
    if (!fs::exists(file, ec)) {
        return std::nullopt;
    }
    const std::string text = ::certtool::detail::read_file(file, "a target's journal");
    Journal j;
    if (!text.starts_with(magic) ||
        std::sscanf(text.c_str() + magic.size(),  // NOLINT(cert-err34-c): checked by the count
                    "\nrevision %d\nprevious %d",
                    &j.revision,
                    &j.previous) != 2) {
        throw Error(Errc::parse, fmt::format("'{}' is damaged: {}", file.string(), fix));
    }
    return j;
}

void remove_journal(const fs::path& file) {
    std::error_code ec;
    fs::remove(file, ec);
    ::certtool::detail::sync_directory(file.parent_path());
}

}  // namespace certtool::deploy::detail
