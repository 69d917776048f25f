#include "fs.hpp"
#include "ossl.hpp"

#include <certtool/error.hpp>
#include <certtool/trust.hpp>

#include <fmt/core.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include <algorithm>

namespace certtool {

TrustStore TrustStore::system() {
    std::shared_ptr<X509_STORE> store =
        ossl::share(ossl::check_ptr(X509_STORE_new(), "X509_STORE_new"));
    ossl::check1(X509_STORE_set_default_paths(store.get()), "loading the system trust store");
    return {std::move(store), "the system trust store"};
}

namespace {

// Adds the anchors in `path` (a file, or a directory of files) to `store`. Throws Error{parse}
// when it holds none.
void add_path(X509_STORE* store, const std::filesystem::path& path) {
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
            if (entry.is_regular_file(ec)) {
                files.push_back(entry.path());
            }
        }
        std::sort(files.begin(), files.end());
    } else {
        files.push_back(path);
    }
    std::size_t count = 0;
    for (const auto& f : files) {
        const std::string data = detail::read_file(f, "trust file");
        std::vector<Certificate> certs;
        try {
            certs = Certificate::parse_all(data, f.string());
        } catch (const Error&) {
            if (files.size() == 1) {
                throw;
            }
            continue;  // a directory may hold other files (hash links, READMEs)
        }
        for (const auto& c : certs) {
            ossl::check1(X509_STORE_add_cert(store, c.native()), "adding trust anchor");
            ++count;
        }
    }
    if (count == 0) {
        throw Error(Errc::parse,
                    fmt::format("no certificate found in trust path '{}'", path.string()));
    }
}

}  // namespace

TrustStore TrustStore::from_path(const std::filesystem::path& path) {
    return from_paths({path});
}

TrustStore TrustStore::from_paths(const std::vector<std::filesystem::path>& paths) {
    std::shared_ptr<X509_STORE> store =
        ossl::share(ossl::check_ptr(X509_STORE_new(), "X509_STORE_new"));
    std::string description;
    for (const auto& path : paths) {
        add_path(store.get(), path);
        description += fmt::format("{}'{}'", description.empty() ? "" : ", ", path.string());
    }
    if (paths.empty()) {
        throw Error(Errc::invalid_argument, "no trust path given");
    }
    return {std::move(store), std::move(description)};
}

TrustStore TrustStore::from_certificates(const std::vector<Certificate>& anchors,
                                         std::string description) {
    std::shared_ptr<X509_STORE> store =
        ossl::share(ossl::check_ptr(X509_STORE_new(), "X509_STORE_new"));
    for (const auto& c : anchors) {
        ossl::check1(X509_STORE_add_cert(store.get(), c.native()), "adding trust anchor");
    }
    return {std::move(store), std::move(description)};
}

std::vector<Certificate> TrustStore::issuers_of(const Certificate& cert) const {
    ossl::X509StoreCtxPtr ctx{ossl::check_ptr(X509_STORE_CTX_new(), "X509_STORE_CTX_new")};
    ossl::check1(X509_STORE_CTX_init(ctx.get(), m_store.get(), nullptr, nullptr),
                 "X509_STORE_CTX_init");
    ossl::X509StackPtr found{
        X509_STORE_CTX_get1_certs(ctx.get(), X509_get_issuer_name(cert.native()))};
    ossl::clear_errors();
    std::vector<Certificate> out;
    for (int i = 0; found && i < sk_X509_num(found.get()); ++i) {
        out.push_back(Certificate::adopt(sk_X509_value(found.get(), i)));
    }
    return out;
}

bool TrustStore::contains(const Certificate& cert) const {
    return find(cert).has_value();
}

std::optional<Certificate> TrustStore::find(const Certificate& cert) const {
    ossl::X509StoreCtxPtr ctx{ossl::check_ptr(X509_STORE_CTX_new(), "X509_STORE_CTX_new")};
    ossl::check1(X509_STORE_CTX_init(ctx.get(), m_store.get(), nullptr, nullptr),
                 "X509_STORE_CTX_init");
    ossl::X509StackPtr found{
        X509_STORE_CTX_get1_certs(ctx.get(), X509_get_subject_name(cert.native()))};
    ossl::clear_errors();
    for (int i = 0; found && i < sk_X509_num(found.get()); ++i) {
        if (X509_cmp(sk_X509_value(found.get(), i), cert.native()) == 0) {
            return Certificate::adopt(sk_X509_value(found.get(), i));
        }
    }
    return std::nullopt;
}

std::vector<Crl> Crl::parse_all(std::string_view data, std::string_view source) {
    std::vector<Crl> out;
    if (data.find("-----BEGIN X509 CRL-----") != std::string_view::npos) {
        auto bio = ossl::mem_bio(data);
        while (X509_CRL* crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr)) {
            out.push_back(Crl{ossl::share(crl)});
        }
        ossl::clear_errors();
    } else {
        const auto* p = reinterpret_cast<const unsigned char*>(data.data());
        X509_CRL* crl = d2i_X509_CRL(nullptr, &p, static_cast<long>(data.size()));
        if (crl != nullptr) {
            out.push_back(Crl{ossl::share(crl)});
            // Decoding caches the extensions: one that does not parse (an authority key id)
            // leaves its error queued though the CRL is returned.
            ossl::clear_errors();
        }
    }
    if (out.empty()) {
        ossl::throw_error(
            Errc::parse,
            fmt::format("no certificate revocation list (PEM or DER) in '{}'", source));
    }
    return out;
}

std::vector<ChainFinding> check_trust(const AssembledChain& chain,
                                      const TrustStore& trust,
                                      const Remedies& remedies) {
    ossl::X509StackPtr untrusted{ossl::check_ptr(sk_X509_new_null(), "sk_X509_new_null")};
    for (const auto& c : chain.intermediates) {
        ossl::check1(X509_add_cert(untrusted.get(), c.native(), X509_ADD_FLAG_UP_REF),
                     "X509_add_cert");
    }
    if (chain.root) {
        ossl::check1(X509_add_cert(untrusted.get(), chain.root->native(), X509_ADD_FLAG_UP_REF),
                     "X509_add_cert");
    }
    ossl::X509StoreCtxPtr ctx{ossl::check_ptr(X509_STORE_CTX_new(), "X509_STORE_CTX_new")};
    ossl::check1(
        X509_STORE_CTX_init(ctx.get(), trust.native(), chain.leaf.native(), untrusted.get()),
        "X509_STORE_CTX_init");
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_NO_CHECK_TIME);
    const int rc = X509_verify_cert(ctx.get());
    ossl::clear_errors();
    if (rc == 1) {
        return {};
    }
    const int err = X509_STORE_CTX_get_error(ctx.get());
    const Certificate top = chain.intermediates.empty() ? chain.leaf : chain.intermediates.back();
    if (err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
        err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT) {
        if (chain.root) {
            return {
                {FindingCode::untrusted_root,
                 Severity::warning,
                 fmt::format("the chain ends at root '{}', which is not in {}: clients will not "
                             "trust it unless they have that root; if it is your private CA, {}",
                             chain.root->subject(),
                             trust.description(),
                             remedies.add_anchor),
                 chain.root->subject()}};
        }
        return {{FindingCode::missing_intermediate,
                 Severity::warning,
                 fmt::format("the chain does not reach a trust anchor in {}: the issuer '{}' of "
                             "'{}' is missing; if it is an intermediate CA, get it from the CA "
                             "and {}; if it is your private root, {}",
                             trust.description(),
                             top.issuer(),
                             top.subject(),
                             remedies.add_intermediate,
                             remedies.add_anchor),
                 top.issuer()}};
    }
    if (err == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
        err == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT) {
        const std::string root = chain.root ? chain.root->subject() : top.subject();
        return {{FindingCode::untrusted_root,
                 Severity::warning,
                 fmt::format("the chain ends at root '{}', which is not in {}: clients will not "
                             "trust it unless they have that root; if it is your private CA, {}",
                             root,
                             trust.description(),
                             remedies.add_anchor),
                 root}};
    }
    return {{FindingCode::chain_invalid,
             Severity::warning,
             fmt::format("the chain does not verify against {}: {}",
                         trust.description(),
                         X509_verify_cert_error_string(err)),
             {}}};
}

}  // namespace certtool
