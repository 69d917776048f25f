// The settings remembered per entry (acme.hpp AcmeEntrySettings), one file each:
// DIR/acme/entries/NAME.json, written atomically under DIR/acme/.lock.
#pragma once

#include <certtool/acme.hpp>

namespace certtool::detail {

// Writes (replaces) the entry's settings. Throws Error{io}, Error{locked}.
void write_acme_entry(const Store& store, const AcmeEntrySettings& settings);

}  // namespace certtool::detail
