// PathBuilder's issuer search: which certificates may issue the current one, and in what order.
#include "path_builder.hpp"

#include "anchor_trust.hpp"
#include "ossl.hpp"

namespace certtool::detail {

namespace {

// The child's authorityKeyIdentifier names the candidate's subjectKeyIdentifier (or one of them
// is absent).
bool key_ids_agree(const Certificate& child, const Certificate& issuer) {
    const ASN1_OCTET_STRING* akid = X509_get0_authority_key_id(child.native());
    const ASN1_OCTET_STRING* skid = X509_get0_subject_key_id(issuer.native());
    return akid == nullptr || skid == nullptr || ASN1_OCTET_STRING_cmp(akid, skid) == 0;
}

bool on_path(const Certificate& c, const std::vector<Certificate>& path) {
    return std::any_of(
        path.begin(), path.end(), [&](const Certificate& p) { return p.same_as(c); });
}

}  // namespace

bool PathBuilder::signature_ok(const Certificate& child, const Certificate& issuer) {
    const std::string key = child.sha256_fingerprint() + issuer.sha256_fingerprint();
    auto it = m_signatures.find(key);
    if (it == m_signatures.end()) {
        EVP_PKEY* pub = X509_get0_pubkey(issuer.native());
        const bool ok = pub != nullptr && X509_verify(child.native(), pub) == 1;
        ossl::clear_errors();
        it = m_signatures.emplace(key, ok).first;
    }
    return it->second;
}

bool PathBuilder::ends_here(const Certificate& c) const {
    const std::optional<Certificate> anchor = m_anchors.find(c);
    return anchor && ends_path(*anchor, m_options);
}

bool PathBuilder::valid_at(const Certificate& c) const {
    return !m_options.check_time || (c.not_before() <= m_at && m_at <= c.not_after());
}

// An anchor of the right name but another key is not this certificate's issuer (a re-keyed or
// look-alike root): leave it out, so the report says what is missing.
void PathBuilder::add_anchor_candidates(const Certificate& cur,
                                        const std::vector<Certificate>& path,
                                        std::vector<Candidate>& out) {
    const bool has_akid = X509_get0_authority_key_id(cur.native()) != nullptr;
    for (auto& a : m_anchors.issuers_of(cur)) {
        const bool ids_decide = has_akid && X509_get0_subject_key_id(a.native()) != nullptr;
        if (!on_path(a, path) && key_ids_agree(cur, a) && (ids_decide || signature_ok(cur, a))) {
            out.push_back({a, ends_path(a, m_options), 0});
        }
    }
}

void PathBuilder::add_pool_candidates(const Certificate& cur,
                                      const std::vector<Certificate>& path,
                                      std::vector<Candidate>& out) const {
    for (const auto& c : m_pool) {
        if (on_path(c, path) ||
            X509_NAME_cmp(X509_get_subject_name(c.native()), X509_get_issuer_name(cur.native())) !=
                0 ||
            m_anchors.contains(c)) {
            continue;
        }
        out.push_back({c, false, 0});
    }
}

void PathBuilder::rank(const Certificate& cur, std::vector<Candidate>& out) {
    for (auto& c : out) {
        // Lower is better.
        c.rank = (c.anchor ? 0 : 4) + (signature_ok(cur, c.cert) ? 0 : 8) +
                 (key_ids_agree(cur, c.cert) ? 0 : 2) + (valid_at(c.cert) ? 0 : 1);
    }
    std::stable_sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) {
        if (a.rank != b.rank) {
            return a.rank < b.rank;
        }
        return a.cert.not_before() > b.cert.not_before();
    });
}

std::vector<PathBuilder::Candidate> PathBuilder::candidates(const Certificate& cur,
                                                            const std::vector<Certificate>& path) {
    std::vector<Candidate> out;
    add_anchor_candidates(cur, path, out);
    add_pool_candidates(cur, path, out);
    if (out.size() >= 2) {  // with fewer, nothing to rank: OpenSSL checks the signature anyway
        rank(cur, out);
    }
    return out;
}

}  // namespace certtool::detail
