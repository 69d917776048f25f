// The certificate lifecycle as the CLI and scripts use it: each function is one command's
// whole decision, on a Store. They throw certtool::Error and never print.
#pragma once

#include <certtool/chain.hpp>
#include <certtool/csr.hpp>
#include <certtool/pkcs12.hpp>
#include <certtool/secret.hpp>
#include <certtool/store.hpp>
#include <certtool/trust.hpp>
#include <certtool/verify.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace certtool {

inline constexpr int k_default_days = 365;

struct CreateSelfSignedRequest {
    std::string name;
    DistinguishedName subject;
    std::vector<std::string> sans;  // "DNS:x", "IP:x", "email:x"
    KeyType key_type{k_default_key_type};
    int days{k_default_days};
    bool force{false};          // replace an existing entry of that name
    bool demonstration{false};  // the appliance's demonstration certificate (Entry)
};

// New key + self-signed certificate stored under request.name. The name is checked before the
// (slow) key generation and again under the store lock.
Entry create_selfsigned(Store& store, const CreateSelfSignedRequest& request, TimePoint now);

// The CSR for the entry's key, subject and SANs.
[[nodiscard]] std::string export_csr(const Store& store,
                                     const std::string& name,
                                     Encoding encoding);

struct ImportSignedRequest {
    std::string name;
    // The CA's answer (any format/bundle). Empty: keep the stored CA-signed certificate and
    // complete its chain from intermediate_files.
    std::vector<std::filesystem::path> cert_files;
    std::vector<std::filesystem::path> intermediate_files;  // more certificates
    std::vector<std::filesystem::path> trust;               // empty: effective_trust()
    Remedies remedies;  // how findings tell the user to fix the chain
};

struct ImportResult {
    Entry entry;
    std::vector<ChainFinding> findings;
};

// Replaces the entry's certificate with the CA-signed one matching its key and stores the
// assembled chain. Findings (as import_pkcs12's for the same chain): the assembly's, the trust
// check's, `expired`, and `name-mismatch` when the certificate leaves out names the entry's
// request asked for. Throws Error{key_mismatch} (nothing changed) if no certificate matches.
ImportResult import_signed(Store& store, const ImportSignedRequest& request, TimePoint now);

struct ImportPkcs12Request {
    std::string name;
    std::filesystem::path file;
    bool force{false};
    std::vector<std::filesystem::path> trust;  // empty: effective_trust(), the CA lists
    Remedies remedies;                         // how findings tell the user to fix the chain
};

// Bring-your-own: key, the leaf matching it, and the chain, as a new entry; the same findings
// as import_signed.
// Throws Error{bad_password}, Error{parse}, Error{key_mismatch} ("no private key in ...").
ImportResult import_pkcs12(Store& store,
                           const ImportPkcs12Request& request,
                           const Secret& password,
                           TimePoint now);

// A certificate a CA issued for a key made here (ACME): the CA's answer as certificates, any
// order, leaf and chain.
struct ImportIssuedRequest {
    std::string name;
    SubjectRequest request;  // what was asked for: the entry's request (export-csr)
    std::vector<Certificate> certificates;
    std::vector<std::filesystem::path> trust;  // empty: effective_trust(), the CA lists
    Remedies remedies;
    bool force{false};  // replace an existing entry of that name
};

// A new entry (with force, a replacement) of `key`, the leaf matching it and the chain assembled
// from the certificates, origin ca-signed, with import_signed's findings (name-mismatch against
// `request` included). Throws Error{key_mismatch} (no certificate matches the key; nothing
// written), Error{already_exists}, and as Store::create().
ImportResult import_issued(Store& store,
                           const ImportIssuedRequest& request,
                           const PrivateKey& key,
                           TimePoint now);

struct ExportPkcs12Request {
    std::string name;
    std::filesystem::path output;
    Pkcs12ExportOptions options;  // friendly_name defaults to the entry name
    bool force{false};
};

void export_pkcs12(const Store& store, const ExportPkcs12Request& request, const Secret& password);

struct RenewRequest {
    std::string name;
    std::optional<int> days;  // default: the current certificate's validity period
};

// Re-signs a self-signed entry (same key and subject, new serial and validity).
// Throws Error{unsupported} for CA-signed entries, with the export-csr/import-signed recipe.
Entry renew(Store& store, const RenewRequest& request, TimePoint now);

// What verify NAME adds to the chain's own findings for a stored entry: `demo-certificate` for
// the demonstration certificate (the appliance's warning: no verifiable connection).
[[nodiscard]] std::vector<ChainFinding> entry_findings(const Entry& entry);

// Outputs named "-" go to standard output (returned, not written), in the order below.
struct ExportFilesRequest {
    std::string name;
    std::optional<std::filesystem::path> cert_out;
    std::optional<std::filesystem::path> key_out;  // written 0600
    std::optional<std::filesystem::path> chain_out;
    std::optional<std::filesystem::path> fullchain_out;  // leaf + chain
    // key + leaf + chain in one file, 0600: Postfix's smtpd_tls_chain_files takes this form.
    std::optional<std::filesystem::path> combined_out;
    bool force{false};
};

struct ExportedFiles {
    std::vector<std::filesystem::path> written;  // in the order of the request
    Secret standard_output;                      // what the "-" outputs hold (may be a key)
};

// Writes the requested files; all or none: every target is checked before any is written, two
// outputs naming the same file (after resolving the paths; "-" counts too) are refused, and if
// renaming one into place fails the files this call created are removed again.
// Throws Error{invalid_argument} (nothing requested, same file twice), Error{already_exists},
// Error{io}.
ExportedFiles export_files(const Store& store, const ExportFilesRequest& request);

}  // namespace certtool
