// The nginx target: a machine's HTTPS bindings as server blocks in a file certtool owns, applied
// all or nothing (README, "HTTPS: the nginx target").
#pragma once

#include <certtool/config.hpp>
#include <certtool/store.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace certtool::deploy {

struct HttpsServed {
    std::string interface;
    std::string endpoint;     // "127.0.0.1:8443"
    std::string fingerprint;  // SHA-256 of the leaf the probe saw ("" when not probed)
    bool probed{false};       // false when nginx is not running (nothing was reloaded)
};

struct NginxApplyOptions {
    std::chrono::milliseconds probe_timeout{10000};
};

struct NginxReport {
    std::vector<std::string> steps;
    std::vector<HttpsServed> served;
};

// Renders every HTTPS binding of `configuration` (each interface needs a listen address in the
// target) as revision `revision`: STATE/rev-N/ holds each interface's full chain and key (0600)
// and the rendered file; the target's config file is swapped, `nginx -t` checks the whole
// configuration, nginx is reloaded when it runs, and each server block is probed over TLS until
// it serves the bound leaf. A failed step puts the previous file back (and reloads again) and
// throws Error{io} naming the step. STATE/journal records the apply until recover_nginx()
// learns whether the store committed it. Throws Error{unsupported} when nginx is not installed,
// Error{invalid_argument} for an HTTPS binding without a listen address, Error{not_found} for an
// entry the store lacks, Error{locked}.
NginxReport apply_nginx(const Store& store,
                        const config::Configuration& configuration,
                        int revision,
                        const NginxApplyOptions& options);

// Completes or undoes an apply a killed (or a later failing) step left: the config file becomes
// revision `committed_revision`'s. Never throws for a target without certtool's files.
void recover_nginx(const config::NginxTarget& target, int committed_revision);

}  // namespace certtool::deploy
