// What every library call promises about OpenSSL's per-thread error queue: it is empty again
// when the call returns or throws (ossl::throw_error drains it into the message, an expected
// failure calls ossl::clear_errors). An error left behind would be taken for the cause of a
// later failure (ossl::last_error_reason) and holds memory, so a target checks after each input.
//
// Then the queue is cleared: OpenSSL 3.0 keeps the file and function strings of a popped error
// until its slot is reused or cleared, so without this an input's mallocs and frees rarely
// balance, and libFuzzer runs a full LeakSanitizer scan after nearly every input (a tenth of the
// speed until it gives up on leak detection after 1000 scans).
#pragma once

#include "ossl.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace certtool::fuzz {

inline void end_of_input() {
    if (const std::string left = ossl::drain_errors(); !left.empty()) {
        std::fprintf(stderr, "OpenSSL errors left in the queue: %s\n", left.c_str());
        std::abort();
    }
    ossl::clear_errors();
}

}  // namespace certtool::fuzz
