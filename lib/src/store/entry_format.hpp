// The entry file's content (docs/store.md, "Entry file"): the JSON certtool writes, and reading
// it back with a reason, never a quotation, when the file is not an entry.
#pragma once

#include <certtool/secret.hpp>
#include <certtool/store.hpp>

#include <stdexcept>
#include <string>
#include <string_view>

namespace certtool::detail {

// The content is not an entry: what() says why ("member 'key' is missing", "not JSON: syntax
// error at byte 1") without quoting the file, which may be anything, even someone's key.
class DamagedEntry : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// An entry of a format this certtool does not know: a newer one wrote it.
class NewerEntryFormat : public DamagedEntry {
public:
    using DamagedEntry::DamagedEntry;
};

// The file's text for `entry`: JSON, two-space indentation, keys sorted, a final newline.
[[nodiscard]] Secret entry_text(const Entry& entry);

// The entry in `text`; `source` names the file in the errors of the certificate and key parsers
// (which are caught: they never leave this function). Throws DamagedEntry, NewerEntryFormat.
[[nodiscard]] Entry parse_entry(std::string_view text, const std::string& source);

}  // namespace certtool::detail
