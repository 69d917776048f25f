#include "anchor_trust.hpp"

#include "ossl.hpp"
#include "purpose.hpp"

#include <openssl/x509.h>

namespace certtool::detail {

AnchorTrust anchor_trust(const Certificate& anchor, Purpose purpose) {
    const int rc = X509_check_trust(
        anchor.native(), purpose_info(purpose).x509_trust, X509_TRUST_NO_SS_COMPAT);
    ossl::clear_errors();
    switch (rc) {
        case X509_TRUST_TRUSTED:
            return AnchorTrust::trusted;
        case X509_TRUST_REJECTED:
            return AnchorTrust::rejected;
        default:
            return AnchorTrust::neutral;
    }
}

bool ends_path(const Certificate& anchor, const VerifyOptions& options) {
    return options.profile != Profile::openssl || anchor.is_self_signed() ||
           anchor_trust(anchor, options.purpose) != AnchorTrust::neutral;
}

}  // namespace certtool::detail
