#include "ossl.hpp"

#include <certtool/library.hpp>

#include <openssl/rand.h>

namespace certtool {

bool initialize() noexcept {
    static const bool ok = [] {
        const bool set = RAND_set_DRBG_type(nullptr, "HASH-DRBG", nullptr, nullptr, "SHA256") == 1;
        ossl::clear_errors();
        return set;
    }();
    return ok;
}

}  // namespace certtool
