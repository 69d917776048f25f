// Process-wide set-up of the library. Optional: everything works without it; the CLI calls it
// once at start.
#pragma once

namespace certtool {

// Selects Hash_DRBG with SHA-256 (NIST SP 800-90A, 256-bit strength, in OpenSSL's default and
// FIPS providers) as OpenSSL's random generator instead of the default CTR_DRBG with AES-256.
// Same security strength; but commands that use no cipher no longer build OpenSSL 3.0's whole
// cipher table just to seed the generator (~3.5 M instructions, ~1 ms per process). Must run
// before anything draws random numbers; later calls do nothing. Returns false if OpenSSL
// refused (the default generator is then used).
bool initialize() noexcept;

}  // namespace certtool
