// The verification checks OpenSSL does not make, by profile (see Profile in verify.hpp).
#pragma once

#include <certtool/verify.hpp>

#include <vector>

namespace certtool::detail {

// Appends error findings for rules of options.profile that `path` (leaf first; the last one
// is the trust anchor if `anchored`) breaks.
void lint_path(const std::vector<Certificate>& path,
               bool anchored,
               const VerifyOptions& options,
               std::vector<ChainFinding>& out);

// OpenSSL reports a name-constraints violation at `depth` also when only the subject CN, read
// as a host name, is outside the constraints. Under rfc5280 (when the certificate has SANs) and
// webpki the CN is not an identity, so such a violation does not count: true if the SANs and
// the subject DN satisfy every constraint above `depth`.
[[nodiscard]] bool violation_only_in_common_name(const std::vector<Certificate>& path,
                                                 std::size_t depth,
                                                 Profile profile);

}  // namespace certtool::detail
