#include "ossl.hpp"
#include "x509_build.hpp"

#include <certtool/csr.hpp>
#include <certtool/error.hpp>

#include <openssl/pem.h>

namespace certtool {

std::string create_csr(const PrivateKey& key, const SubjectRequest& request, Encoding encoding) {
    ossl::X509ReqPtr req{ossl::check_ptr(X509_REQ_new(), "X509_REQ_new")};
    ossl::check1(X509_REQ_set_version(req.get(), X509_REQ_VERSION_1), "X509_REQ_set_version");
    auto name = detail::make_name(request.subject);
    ossl::check1(X509_REQ_set_subject_name(req.get(), name.get()), "setting CSR subject");
    ossl::check1(X509_REQ_set_pubkey(req.get(), key.native()), "setting CSR key");

    ossl::ExtensionStackPtr exts{ossl::check_ptr(sk_X509_EXTENSION_new_null(), "extensions")};
    auto push = [&](X509_EXTENSION* ext) {
        ossl::X509ExtPtr owned{ossl::check_ptr(ext, "building CSR extension")};
        if (sk_X509_EXTENSION_push(exts.get(), owned.get()) <= 0) {
            ossl::throw_error(Errc::crypto, "sk_X509_EXTENSION_push");
        }
        static_cast<void>(owned.release());
    };
    auto gens = detail::make_general_names(request.sans);
    push(X509V3_EXT_i2d(NID_subject_alt_name, 0, gens.get()));
    X509V3_CTX ctx{};
    X509V3_set_ctx(&ctx, nullptr, nullptr, req.get(), nullptr, 0);
    push(X509V3_EXT_conf_nid(nullptr, &ctx, NID_ext_key_usage, "serverAuth,clientAuth"));
    ossl::check1(X509_REQ_add_extensions(req.get(), exts.get()), "adding CSR extensions");

    if (X509_REQ_sign(req.get(), key.native(), detail::signing_digest(key)) <= 0) {
        ossl::throw_error(Errc::crypto, "signing CSR");
    }
    auto bio = ossl::mem_bio();
    if (encoding == Encoding::pem) {
        ossl::check1(PEM_write_bio_X509_REQ(bio.get(), req.get()), "writing CSR");
    } else {
        ossl::check1(i2d_X509_REQ_bio(bio.get(), req.get()), "writing CSR");
    }
    return ossl::bio_to_string(bio.get());
}

}  // namespace certtool
