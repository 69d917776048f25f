// Reading inputs and writing outputs with the project's guarantees: bounded reads with errors
// naming the file; outputs written atomically, refusing to overwrite unless asked, secrets 0600.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace certtool {

// Reads a whole input file (at most 64 MiB). `what` names it in errors ("certificate file").
// Throws Error{io}.
[[nodiscard]] std::string read_input_file(const std::filesystem::path& path, std::string_view what);

// Input arguments to files: a directory stands for the regular files and symbolic links in it
// (sorted, not recursive, hidden files skipped; a link to something other than a readable file
// fails when it is read). Throws Error{io} for a path that does not exist.
[[nodiscard]] std::vector<std::filesystem::path> expand_inputs(
    const std::vector<std::string>& args);

enum class FileMode : unsigned { secret = 0600, shared = 0644 };

// Writes `data` to `path` atomically (never a half-written file). Throws Error{already_exists}
// if it exists and !overwrite, Error{io}.
void write_output_file(const std::filesystem::path& path,
                       std::string_view data,
                       FileMode mode,
                       bool overwrite);

}  // namespace certtool
