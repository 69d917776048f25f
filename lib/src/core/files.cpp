#include "fs.hpp"

#include <certtool/error.hpp>
#include <certtool/files.hpp>

#include <fmt/core.h>

#include <algorithm>

namespace certtool {

std::string read_input_file(const std::filesystem::path& path, std::string_view what) {
    return detail::read_file(path, what);
}

std::vector<std::filesystem::path> expand_inputs(const std::vector<std::string>& args) {
    std::vector<std::filesystem::path> out;
    for (const auto& a : args) {
        std::error_code ec;
        const std::filesystem::path p{a};
        if (std::filesystem::is_directory(p, ec)) {
            std::vector<std::filesystem::path> files;
            for (const auto& e : std::filesystem::directory_iterator(p, ec)) {
                // A symbolic link is taken as it is listed, without a stat per entry (that is
                // most of the listing's cost in a directory of links): one that does not lead
                // to a readable file is reported when it is read.
                if ((e.is_symlink(ec) || e.is_regular_file(ec)) &&
                    e.path().filename().string().front() != '.') {
                    files.push_back(e.path());
                }
            }
            if (ec) {
                throw Error(Errc::io,
                            fmt::format("cannot list directory '{}': {}", a, ec.message()));
            }
            std::sort(files.begin(), files.end());
            out.insert(out.end(), files.begin(), files.end());
        } else if (std::filesystem::exists(p, ec)) {
            out.push_back(p);
        } else {
            throw Error(Errc::io,
                        fmt::format("'{}' does not exist: give a file or a directory", a));
        }
    }
    return out;
}

void write_output_file(const std::filesystem::path& path,
                       std::string_view data,
                       FileMode mode,
                       bool overwrite) {
    detail::write_file_atomic(path,
                              data,
                              static_cast<unsigned>(mode),
                              overwrite ? detail::Overwrite::replace : detail::Overwrite::refuse);
}

}  // namespace certtool
