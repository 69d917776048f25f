// Batch verification's fast path: decides "this leaf is valid under this already-validated
// issuer" from the DER alone, without libcrypto 3.0's full X509 parse (whose public-key decoder
// set-up is half the cost of a leaf). It understands a conservative subset of certificates:
// v3, a positive serial of at most 20 octets, ECDSA/RSA with SHA-256/384/512, P-256/384/521 or
// RSA >= 2048 keys, and only the extensions below with well-formed, unsurprising contents.
// Anything else, and any leaf that would not be valid, returns nullopt: the caller then runs
// the full verify_chain, which produces the report. So the fast path can only ever say "valid"
// where verify_chain says "valid" (tests/unit/test_chain.cpp checks this differentially).
#pragma once

#include "der.hpp"
#include "ecdsa_fixed.hpp"

#include <certtool/batch.hpp>

#include <openssl/evp.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace certtool::detail {

// What the fast path needs of one issuer (computed once).
struct FastIssuer {
    der::Bytes subject_der;  // the issuer's subject Name, as encoded
    der::Bytes key_id;       // its subjectKeyIdentifier, if any
    EVP_PKEY* key{nullptr};  // owned by the issuer's X509
};

// Per issuer, shared by the verifier's copies: whether a full verification has confirmed a leaf
// that the fast path also accepted, and, after enough fast-path leaves to repay the table
// (table_after), a FixedKeyEcdsa for the issuer's key.
struct IssuerFastState {
    explicit IssuerFastState(std::size_t after) : table_after(after) {}

    const std::size_t table_after;
    std::atomic<bool> confirmed{false};
    std::atomic<std::size_t> hits{0};
    std::once_flag table_once;
    std::unique_ptr<FixedKeyEcdsa> table;
    std::atomic<const FixedKeyEcdsa*> ecdsa{nullptr};

    // The accelerator for `key`, for `leaves` more leaves: built once table_after leaves have
    // asked for it; nullptr before.
    const FixedKeyEcdsa* accelerator(EVP_PKEY* key, std::size_t leaves);
};

// Whether the options allow the fast path at all (no names, CRLs, policy; openssl or rfc5280
// profile; a fixed validation time).
[[nodiscard]] bool fast_path_applies(const VerifyOptions& options);

// A leaf that passed every fast-path check except its signature (views into its DER).
struct FastLeaf {
    const EVP_MD* md;
    int key_type;
    der::Bytes tbs;        // the signed TBSCertificate, as encoded
    der::Bytes signature;  // the signature's octets
    der::Bytes subject;    // the subject Name, as encoded
};

// Everything but the signature: nullopt if `der` is not a certificate the fast path understands
// or it would not be valid under `issuer` with `options`.
[[nodiscard]] std::optional<FastLeaf> fast_check_leaf(der::Bytes der,
                                                      const FastIssuer& issuer,
                                                      const VerifyOptions& options);

// The signature, with EVP_DigestVerify (FixedKeyEcdsa::verify_all checks many ECDSA signatures
// under one key faster, once its table is built).
[[nodiscard]] bool fast_signature_ok(const FastLeaf& leaf, EVP_PKEY* issuer_key);

// The leaf's subject, printed; nullopt if its encoding does not parse.
[[nodiscard]] std::optional<std::string> fast_subject(const FastLeaf& leaf);

// The issuer Name bytes of a certificate, for picking its issuer; nullopt if not parseable.
[[nodiscard]] std::optional<der::Bytes> issuer_name_der(der::Bytes der);

}  // namespace certtool::detail
