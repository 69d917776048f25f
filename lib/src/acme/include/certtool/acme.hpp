// ACME (RFC 8555) accounts: register, look up and deactivate an account at an ACME server, its
// key kept in the store. The protocol itself (HTTPS through libcurl, JWS, nonces, problem
// documents) is private to lib/src/acme; these functions are each one command's decision and
// throw certtool::Error, never print.
//
// The account key lives in the store, one file per server: DIR/acme/accounts/ID.json (0600,
// written atomically like an entry, under DIR/acme/.lock; docs/store.md "ACME accounts").
#pragma once

#include <certtool/key.hpp>
#include <certtool/lifecycle.hpp>
#include <certtool/secret.hpp>
#include <certtool/store.hpp>
#include <certtool/time.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certtool {

// The named directories --server accepts besides a URL.
inline constexpr std::string_view k_letsencrypt_directory =
    "https://acme-v02.api.letsencrypt.org/directory";
inline constexpr std::string_view k_letsencrypt_staging_directory =
    "https://acme-staging-v02.api.letsencrypt.org/directory";

// "letsencrypt" and "letsencrypt-staging" as their directory URLs; an https:// URL as given.
// Throws Error{invalid_argument} for anything else (http://: RFC 8555 6.1 requires HTTPS).
[[nodiscard]] std::string resolve_acme_server(std::string_view name_or_url);

// How to reach the server.
struct AcmeConnection {
    std::string server;  // the directory URL (resolve_acme_server())
    // CA certificates (PEM) that verify the server's HTTPS certificate instead of the system's:
    // a private ACME server. Verification is never turned off.
    std::optional<std::filesystem::path> ca_bundle;
    std::chrono::milliseconds timeout{30000};  // each HTTP request, connection included
    int max_bad_nonce_retries{16};             // badNonce answers retried per request
    std::chrono::seconds max_retry_after{60};  // a longer Retry-After is an error, not a wait
};

// The account key types the CLI offers (--key-type): JWS ES256, RS256 and EdDSA.
[[nodiscard]] std::vector<std::string> acme_key_type_names();

// External Account Binding (RFC 8555 7.3.4): the key identifier and MAC key a CA issues.
struct ExternalAccountBinding {
    std::string kid;
    Secret hmac_key;  // the decoded key bytes
};

// Reads the MAC key as CAs hand it out: base64url text (padding, surrounding whitespace and a
// final newline tolerated). Throws Error{io} (cannot read), Error{parse} (not base64url, or
// empty).
[[nodiscard]] Secret read_eab_hmac_key(const std::filesystem::path& file);

struct AcmeAccountRequest {
    AcmeConnection connection;
    std::vector<std::string> emails;  // contact, sent as mailto: URLs
    bool agree_tos{false};            // required: the CA's terms of service are agreed
    std::optional<ExternalAccountBinding> eab;
    KeyType key_type{KeyType::ec_p256};  // for a new key: ec_p256, rsa2048 or ed25519
};

struct AcmeAccount {
    std::string server;  // the directory URL
    std::string url;     // the account URL (the JWS kid)
    std::string status;  // "valid", "deactivated" or "revoked"
    std::vector<std::string> contact;
    std::string key;             // "EC P-256", ...
    std::string key_thumbprint;  // RFC 7638, base64url
    std::string terms_of_service;
    std::string eab_kid;  // the binding it was registered with, if any
    std::filesystem::path file;
    TimePoint created;
};

struct AcmeAccountResult {
    AcmeAccount account;
    bool created{false};       // register: the server made a new account
    int requests{0};           // HTTP requests made
    int bad_nonce_retries{0};  // of them, retries after badNonce
};

// Registers an account (newAccount with contact, termsOfServiceAgreed and the binding), with
// the key stored for this server or a new one (written before the request, so a second run
// after a failure uses the same key). An account that exists for that key is returned as it
// is (created false); one the store records as deactivated is replaced by a new key and
// account. Throws Error{invalid_argument} (no agree_tos; the server requires a binding and none
// was given), Error{network} (unreachable, or the server refused: its problem as one line),
// Error{parse} (the store's account file is damaged), Error{io}, Error{locked}.
AcmeAccountResult register_acme_account(const Store& store,
                                        const AcmeAccountRequest& request,
                                        TimePoint now);

// The store's account for the server, looked up at the server (newAccount with
// onlyReturnExisting): its URL, status and contact. Throws Error{not_found} (no account for
// that server in the store, or the server does not know the key), and as register.
AcmeAccountResult show_acme_account(const Store& store, const AcmeConnection& connection);

// Deactivates the store's account at the server (RFC 8555 7.3.6; it cannot be undone) and
// records it. Throws as show.
AcmeAccountResult deactivate_acme_account(const Store& store,
                                          const AcmeConnection& connection,
                                          TimePoint now);

// A certificate from the server for the store's account (acme issue): a new key, an order
// for the names, each authorization proven by the http-01 challenge with certtool itself
// answering on http_address:http_port, the order finalized with the key's CSR, the chain
// downloaded and stored as the entry, as import_signed would (the same findings).
struct AcmeIssueRequest {
    AcmeConnection connection;
    std::string name;               // the entry
    DistinguishedName subject;      // the CN: a host name
    std::vector<std::string> sans;  // "DNS:x" (ACME validates DNS names only, here)
    KeyType key_type{k_default_key_type};
    std::string http_address{"0.0.0.0"};
    int http_port{80};
    std::vector<std::filesystem::path> trust;  // for the findings; empty: effective_trust()
    Remedies remedies;
    bool force{false};                   // replace an existing entry
    std::chrono::seconds deadline{180};  // for validation and issuance (polled)
};

struct AcmeIssueResult {
    ImportResult imported;
    std::string order_url;
    std::string certificate_url;
    int challenges_answered{0};
    int requests{0};
    int bad_nonce_retries{0};
};

// Nothing is written unless the certificate is issued and stored: a failed challenge (the CA's
// problem with the identifier, one line), a refused order or finalization leave the store as it
// was. Throws Error{not_found} (no account for the server: register first),
// Error{already_exists} (the entry exists, no force), Error{invalid_argument} (a name that is
// not a DNS name), Error{io} (the port cannot be listened on), Error{network} (the CA refused,
// or the deadline passed), Error{key_mismatch} (the CA's certificate is not for the key).
AcmeIssueResult issue_acme_certificate(Store& store,
                                       const AcmeIssueRequest& request,
                                       TimePoint now);

// Where the store keeps the account for that server (DIR/acme/accounts/ID.json).
[[nodiscard]] std::filesystem::path acme_account_file(const Store& store, std::string_view server);

}  // namespace certtool
