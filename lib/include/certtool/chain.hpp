// Chains: assembly (from a bag of certificates in any order to leaf -> intermediates -> root,
// with what was dropped and why) and verification (build a path to a trust anchor, validate it,
// and explain every problem with a stable finding code).
#pragma once

#include <certtool/certificate.hpp>
#include <certtool/hostname.hpp>
#include <certtool/key.hpp>

#include <openssl/types.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace certtool {

enum class Severity { info, warning, error };
[[nodiscard]] std::string_view severity_name(Severity s) noexcept;

// One observation about a chain. `code` is stable (the README lists them all). Findings of
// severity error make a chain invalid; warnings and info do not.
struct ChainFinding {
    std::string code;
    Severity severity{Severity::warning};
    std::string message;  // plain English, with the fix where there is one
    std::string subject;  // the certificate concerned, if any
    std::optional<std::size_t> position{};  // its index in the verified path (0 = leaf)
};

struct AssembledChain {
    Certificate leaf;
    std::vector<Certificate> intermediates;  // the leaf's issuer first; no self-signed root
    std::optional<Certificate> root;         // a self-signed root found in the input, not stored
    std::vector<Certificate> unrelated;      // dropped: not on the leaf's path
    std::vector<ChainFinding> findings;
};

// Picks the certificate that matches `key` as the leaf (the newest if several do) and orders
// the rest leaf -> root, de-duplicated. Throws Error{key_mismatch} if none matches the key.
[[nodiscard]] AssembledChain assemble_chain(const PrivateKey& key,
                                            const std::vector<Certificate>& pool,
                                            TimePoint now);

// The same, for a known leaf.
[[nodiscard]] AssembledChain assemble_chain(const Certificate& leaf,
                                            const std::vector<Certificate>& pool,
                                            TimePoint now);

// The leaf of a bag of certificates: one that issued none of the others, preferring
// certificates that are not CAs. Throws Error{invalid_argument} when there is no single answer
// (the fix names --key), Error{parse} for an empty bag.
[[nodiscard]] Certificate find_leaf(const std::vector<Certificate>& pool);

// Fetching missing issuers from the Authority Information Access caIssuers URL (RFC 5280
// 4.2.2.1: HTTP, DER or PKCS#7).
struct AiaOptions {
    std::chrono::milliseconds timeout{5000};  // per fetch: connect, send and every read
    std::size_t max_bytes{1U << 20U};         // per response
    int max_fetches{4};                       // issuers fetched at most (depth)
};

// Appends the issuers of the chain's top certificate fetched via AIA until a self-signed or
// trusted certificate is reached, a certificate has no http caIssuers URL, or a limit is hit.
// Returns what happened as findings: aia-fetched (info) per certificate, aia-failed (warning)
// naming the URL and the reason.
[[nodiscard]] std::vector<ChainFinding> complete_chain_via_aia(AssembledChain& chain,
                                                               const AiaOptions& options);

// A set of trust anchors.
class TrustStore {
public:
    // The system's default CA store (OpenSSL's default paths). Loading it costs ~15 ms, so only
    // commands that verify against it call this.
    [[nodiscard]] static TrustStore system();
    // CA certificates from a PEM/DER/PKCS#7 file, or a directory of such files.
    // Throws Error{io} or Error{parse}.
    [[nodiscard]] static TrustStore from_path(const std::filesystem::path& path);

    // Exactly these certificates.
    [[nodiscard]] static TrustStore from_certificates(const std::vector<Certificate>& anchors,
                                                      std::string description);

    // The anchors whose subject is `cert`'s issuer name.
    [[nodiscard]] std::vector<Certificate> issuers_of(const Certificate& cert) const;
    // Is this exact certificate an anchor?
    [[nodiscard]] bool contains(const Certificate& cert) const;

    [[nodiscard]] X509_STORE* native() const noexcept { return m_store.get(); }

    [[nodiscard]] const std::string& description() const noexcept { return m_description; }

private:
    TrustStore(std::shared_ptr<X509_STORE> store, std::string description)
        : m_store(std::move(store)), m_description(std::move(description)) {}

    std::shared_ptr<X509_STORE> m_store;
    std::string m_description;
};

// Does the chain reach a trust anchor? Times are not checked here (assembly reports expiry).
// Returns missing-intermediate / untrusted-root / chain-invalid findings; empty when trusted.
[[nodiscard]] std::vector<ChainFinding> check_trust(const AssembledChain& chain,
                                                    const TrustStore& trust);

// A certificate revocation list (PEM or DER).
class Crl {
public:
    // Every CRL in `data`. Throws Error{parse}.
    [[nodiscard]] static std::vector<Crl> parse_all(std::string_view data, std::string_view source);

    [[nodiscard]] X509_CRL* native() const noexcept { return m_crl.get(); }

private:
    explicit Crl(std::shared_ptr<X509_CRL> crl) : m_crl(std::move(crl)) {}
    std::shared_ptr<X509_CRL> m_crl;
};

enum class Purpose { server, client, any };

// How strict verification is. Each profile includes the one before it.
enum class Profile {
    openssl,  // OpenSSL's own checks (X509_verify_cert), CN fallback for host names
    rfc5280,  // + RFC 5280 rules OpenSSL leaves out (serial numbers, empty EKU, constraint
              //   criticality, name syntax, wildcards vs. excluded subtrees); the default
    webpki,   // + CA/Browser Forum rules: SAN required (no CN fallback), CN among the SANs,
              //   EKU required on the leaf and not anyEKU, RSA >= 2048 and a multiple of 8,
              //   no DSA, v3 only, no EKU on roots, well-formed AKI/AIA
};
[[nodiscard]] std::string_view profile_name(Profile p) noexcept;
[[nodiscard]] std::optional<Profile> parse_profile(std::string_view name) noexcept;

// RFC 5280 6.1.1 policy inputs; off unless enabled.
struct PolicyOptions {
    bool enabled{false};
    std::vector<std::string> initial_policies;  // dotted OIDs; empty means anyPolicy
    bool require_explicit{false};
    bool inhibit_mapping{false};
    bool inhibit_any{false};
};

struct VerifyOptions {
    std::optional<TimePoint> at;  // validation time; unset: clock()
    std::function<TimePoint()> clock{[] { return std::chrono::system_clock::now(); }};
    bool check_time{true};
    std::vector<SubjectAltName> names;  // every one must match the leaf
    Purpose purpose{Purpose::server};
    int max_depth{8};  // intermediates between leaf and anchor (self-issued ones not counted)
    std::vector<Crl> crls;  // given: every certificate must have a current CRL from its issuer
    Profile profile{Profile::rfc5280};
    // Cryptographic strength (rfc5280 and webpki profiles): SHA-1 signatures are rejected
    // unless allowed; so are keys below this many bits of security (112: RSA 2048, P-224).
    // MD5 and MD2 signatures are always rejected.
    bool allow_sha1{false};
    int min_security_bits{112};
    // Strict purpose (as Chromium's *_STRICT): the leaf must list the purpose in its EKU
    // (anyEKU does not count; no code/OCSP/time-stamp signing; not a CA), and with `chain` every
    // CA with an EKU must list the purpose itself. The webpki profile implies `leaf`.
    enum class StrictEku { off, leaf, chain };
    StrictEku strict_eku{StrictEku::off};
    // The subject CN counts as a DNS name when the certificate has no DNS SAN (RFC 6125 6.4.4).
    // Never under the webpki profile.
    bool common_name_fallback{true};
    // RFC 5280 treats a trust anchor as a name and a key. These apply its certificate's
    // validity period, and its CA/key-usage/EKU/path-length fields, too.
    bool anchor_validity{true};
    bool anchor_constraints{true};
    PolicyOptions policy;
    std::size_t max_paths{32};  // candidate paths tried before giving up
};

// One certificate of the verified path.
struct PathCertificate {
    Certificate certificate;
    bool trust_anchor{false};
    std::vector<std::string> problems;  // codes of the error findings about this certificate
};

struct ChainReport {
    bool valid{false};
    std::vector<PathCertificate> path;  // leaf first; ends at the anchor when one was reached
    bool reached_anchor{false};
    std::vector<ChainFinding> findings;
    std::vector<NameMatch> names;
    TimePoint validated_at;
    bool time_checked{true};
    Profile profile{Profile::rfc5280};
    std::size_t paths_tried{0};
};

// Builds candidate paths from `leaf` through `untrusted` (any order, duplicates and strays
// allowed) to an anchor in `anchors`, trying alternative issuers until one path validates, and
// reports the valid path or the most complete failed one with every problem found. Never
// throws for an invalid chain; throws Error{crypto} only if OpenSSL itself fails.
[[nodiscard]] ChainReport verify_chain(const Certificate& leaf,
                                       const std::vector<Certificate>& untrusted,
                                       const TrustStore& anchors,
                                       const VerifyOptions& options);

// One line of a batch: the file, and the verdict or why the file could not be read.
struct BatchItem {
    std::size_t index{0};
    std::string file;
    bool valid{false};
    std::string subject;
    std::vector<std::string> codes;  // error finding codes
    std::string message;             // the first error finding, or the read error
    bool read_error{false};
};

// Verifies many leaves against the same anchors and intermediates: the intermediates' own
// paths are validated once, and each leaf whose issuer is among them (and whose path has no
// name, policy or path-length constraints that depend on the leaf) is then checked against that
// issuer alone. Anything else goes through verify_chain. Same reports as verify_chain.
namespace detail {
struct IssuerFastState;  // lib/src/batch_fast.hpp
}

class BatchVerifier {
public:
    // After `precompute_after` fast-path leaves under one EC issuer, its key gets a precomputed
    // signature-verification table (lib/src/ecdsa_fixed.hpp): ~37 ms once, then each leaf's
    // signature check costs about half as much.
    static constexpr std::size_t k_precompute_after = 512;
    BatchVerifier(TrustStore anchors, std::vector<Certificate> intermediates, VerifyOptions options,
                  std::size_t precompute_after = k_precompute_after);

    [[nodiscard]] ChainReport verify(const Certificate& leaf) const;

    // The verdict on the first certificate in `data` (PEM or DER; `source` names it in errors).
    // Leaves under a shared intermediate are first tried on a fast path that reads only the DER
    // (lib/src/batch_fast.hpp): it can only confirm "valid", and only for an issuer for which
    // the full verification has already confirmed such a leaf; everything else, and every
    // invalid leaf, gets verify()'s full report. Throws Error{parse} if there is no certificate.
    [[nodiscard]] BatchItem verify_encoded(std::string_view data, std::string_view source) const;

    // verify_encoded() for many certificates at once (one per input, in order); fast-path
    // signatures under one issuer are then checked together (FixedKeyEcdsa::verify_all). An
    // input with no certificate becomes an item with read_error set instead of a throw.
    struct Encoded {
        std::string_view data;
        std::string_view source;
    };
    [[nodiscard]] std::vector<BatchItem> verify_encoded_all(std::span<const Encoded> inputs) const;

    // How many verify_encoded() verdicts came from the fast path (in this process).
    [[nodiscard]] std::size_t fast_path_hits() const noexcept { return m_fast_hits->load(); }

private:
    struct Issuer {
        Certificate cert;
        ChainReport path;  // the issuer's own validation (purpose any, no names)
        bool simple;       // no constraints above it that the leaf could break
        TrustStore as_anchor;
        std::vector<unsigned char> subject_der;  // for the fast path
        std::vector<unsigned char> key_id;
        // Whether the fast path is confirmed for this issuer, and its signature accelerator.
        std::shared_ptr<detail::IssuerFastState> fast;
    };
    struct Prepared;  // one input's DER, issuer candidate and fast-path checks (batch.cpp)
    [[nodiscard]] Prepared prepare(std::string_view data) const;
    void check_signatures(std::span<Prepared> items) const;
    [[nodiscard]] BatchItem finish(Prepared& p, std::string_view data,
                                   std::string_view source) const;

    TrustStore m_anchors;
    std::vector<Certificate> m_intermediates;
    VerifyOptions m_options;
    std::vector<Issuer> m_issuers;
    std::size_t m_precompute_after;
    std::shared_ptr<std::atomic<std::size_t>> m_fast_hits{
        std::make_shared<std::atomic<std::size_t>>(0)};
};

// Verifies the first certificate of each file with `jobs` worker processes (the leaf parse cost
// of libcrypto 3.0 does not shrink with threads), calling `sink` in input order. Files that
// cannot be read become items with read_error set.
void verify_batch(const BatchVerifier& verifier,
                  const std::vector<std::filesystem::path>& files,
                  unsigned jobs,
                  const std::function<void(const BatchItem&)>& sink);

}  // namespace certtool
