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

// How names are proven to the CA (--challenge and its options).
enum class AcmeChallengeType {
    http01,     // http-01, answered by certtool listening on address:http_port itself
    webroot,    // http-01, a file in the document root of the web server on port 80
    dns01,      // dns-01, a TXT record added and removed by the user's hook command
    tls_alpn01  // tls-alpn-01, answered by certtool listening on address:tls_port itself
};

// "http-01", "webroot", "dns-01", "tls-alpn-01", and back (nullopt for anything else).
[[nodiscard]] std::string_view acme_challenge_name(AcmeChallengeType type);
[[nodiscard]] std::optional<AcmeChallengeType> parse_acme_challenge(std::string_view name);
[[nodiscard]] std::vector<std::string> acme_challenge_names();

struct AcmeChallengeSettings {
    AcmeChallengeType type{AcmeChallengeType::http01};
    std::string address{"0.0.0.0"};  // http-01 and tls-alpn-01: where certtool listens
    int http_port{80};
    int tls_port{443};
    std::filesystem::path webroot;  // webroot: the document root served for http://NAME/
    // dns-01: run by /bin/sh as HOOK present|cleanup _acme-challenge.NAME. VALUE (lego's exec
    // convention); it returns once the record is served.
    std::string dns_hook;
    std::chrono::milliseconds hook_timeout{std::chrono::minutes{5}};
    friend bool operator==(const AcmeChallengeSettings&, const AcmeChallengeSettings&) = default;
};

// A certificate from the server for the store's account (acme issue): an order for the names,
// each authorization proven by the challenge, the order finalized with the key's CSR, the chain
// downloaded (the alternate whose top issuer is `preferred_chain`, when one is) and stored as
// the entry, as import_signed would (the same findings).
struct AcmeIssueRequest {
    AcmeConnection connection;
    std::string name;               // the entry
    DistinguishedName subject;      // the CN: a host name
    std::vector<std::string> sans;  // "DNS:x"; "DNS:*.x" with dns-01 only
    KeyType key_type{k_default_key_type};
    std::optional<PrivateKey> key;  // renewal with the entry's key; empty: a new key_type key
    AcmeChallengeSettings challenge;
    std::string preferred_chain;  // the CN of the chain's top issuer; "" the CA's default
    std::string replaces;         // RFC 9773: the ARI identifier of the certificate replaced
    std::vector<std::filesystem::path> trust;  // for the findings; empty: effective_trust()
    Remedies remedies;
    bool force{false};                   // replace an existing entry
    std::chrono::seconds deadline{180};  // for validation and issuance (polled)
};

struct AcmeIssueResult {
    ImportResult imported;
    std::string order_url;
    std::string certificate_url;
    std::string chain_issuer;  // the CN of the stored chain's top issuer
    int challenges_answered{0};
    int authorizations{0};  // proven in this order (reused ones not counted)
    int requests{0};
    int bad_nonce_retries{0};
    std::vector<std::string> notes;  // cleanup trouble, an unmatched preferred chain
    std::string server;              // the directory URL
};

// Nothing is written unless the certificate is issued and stored: a failed challenge (the CA's
// problem with the identifier, one line), a refused order or finalization leave the store as it
// was. The settings are remembered for the entry (acme renew). Throws Error{not_found} (no
// account for the server: register first), Error{already_exists} (the entry exists, no force),
// Error{invalid_argument} (a name that is not a DNS name; a wildcard without dns-01; the
// challenge's settings incomplete), Error{io} (the port cannot be listened on, the webroot
// cannot be written, the DNS hook failed), Error{network} (the CA refused, or the deadline
// passed), Error{key_mismatch} (the CA's certificate is not for the key).
AcmeIssueResult issue_acme_certificate(Store& store,
                                       const AcmeIssueRequest& request,
                                       TimePoint now);

// What certtool remembers of an entry it got through ACME (DIR/acme/entries/NAME.json): where
// and how, so that acme renew needs no options, and what the last order gave.
struct AcmeEntrySettings {
    std::string name;
    std::string server;
    std::optional<std::filesystem::path> ca_bundle;
    std::string common_name;
    std::vector<std::string> sans;  // as given: "DNS:x"
    KeyType key_type{k_default_key_type};
    bool reuse_key{false};  // renew with the entry's key
    AcmeChallengeSettings challenge;
    std::string preferred_chain;
    std::string order_url;
    std::string certificate_url;
    TimePoint issued;
    std::string revoked;  // the reason given to acme revoke; "" when not revoked
};

// The remembered settings of `name`, or nullopt (not issued through ACME). Throws
// Error{parse} (damaged), Error{io}.
[[nodiscard]] std::optional<AcmeEntrySettings> acme_entry_settings(const Store& store,
                                                                   std::string_view name);
// Every entry with remembered settings, by name.
[[nodiscard]] std::vector<AcmeEntrySettings> acme_entries(const Store& store);

// acme renew: the remembered settings, each overridable (and then remembered).
struct AcmeRenewRequest {
    std::string name;
    bool force{false};  // renew now, due or not
    std::optional<std::string> server;
    std::optional<std::filesystem::path> ca_bundle;
    std::optional<std::string> common_name;
    std::optional<std::vector<std::string>> sans;
    std::optional<KeyType> key_type;  // a new key of that type (reuse_key off)
    std::optional<bool> reuse_key;
    std::optional<AcmeChallengeSettings> challenge;
    std::optional<std::string> preferred_chain;
    std::vector<std::filesystem::path> trust;
    Remedies remedies;
    std::chrono::seconds deadline{180};
    std::chrono::milliseconds timeout{30000};
    // Random in [0, 1): where in the CA's ARI window this run renews (RFC 9773 4.2); tests fix it.
    std::optional<double> window_point;
};

// Whether a certificate is due, and why (one line).
struct AcmeRenewalDue {
    bool due{false};
    std::string reason;  // "a third of its lifetime is left", "the CA's renewal window ..."
    TimePoint renew_at;  // when it becomes due (the chosen point of the ARI window)
    bool from_ari{false};
    std::string explanation_url;  // ARI's, when the CA gave one
};

struct AcmeRenewResult {
    std::string name;
    AcmeRenewalDue due;
    std::optional<AcmeIssueResult> issued;  // when it was renewed
};

// Renews the entry when it is due (or forced): ARI when the directory offers renewalInfo (the
// order then names the certificate it replaces), else when a third of the lifetime or less is
// left, or at once when the certificate was revoked. Throws Error{not_found} (no entry, or
// not issued through ACME and no --server given), and as issue_acme_certificate.
AcmeRenewResult renew_acme_certificate(Store& store,
                                       const AcmeRenewRequest& request,
                                       TimePoint now);

// The RFC 5280 reason codes ACME servers accept for revocation, by name (unspecified,
// keyCompromise, affiliationChanged, superseded, cessationOfOperation).
[[nodiscard]] std::vector<std::string> acme_revocation_reasons();

struct AcmeRevokeRequest {
    std::string name;
    std::string reason{"unspecified"};
    std::optional<AcmeConnection> connection;  // default: the entry's remembered server
};

struct AcmeRevokeResult {
    std::string server;
    std::string serial;
    std::string reason;
    bool signed_with_certificate_key{false};  // keyCompromise: proof of the key itself
    int requests{0};
};

// Revokes the entry's certificate at the CA (RFC 8555 7.6), signed with the account key, or
// with the certificate's own key for keyCompromise; the settings record it, so acme renew
// renews it at once. The entry itself stays. Throws Error{not_found} (no entry; no server
// known), Error{invalid_argument} (an unknown reason), Error{network} (the CA refused: already
// revoked, not this account's).
AcmeRevokeResult revoke_acme_certificate(Store& store,
                                         const AcmeRevokeRequest& request,
                                         TimePoint now);

// The store's ACME state, for backups (backup.hpp): every account with its key, and every
// entry's settings.
struct AcmeAccountState {
    std::string server;
    std::string url;
    std::string status;
    std::vector<std::string> contact;
    std::string eab_kid;
    std::string terms_of_service;
    TimePoint created;
    TimePoint updated;
    PrivateKey key;
};

// Every account file of the store, by server. Throws Error{parse} (a damaged file), Error{io}.
[[nodiscard]] std::vector<AcmeAccountState> acme_accounts(const Store& store);
// Writes these accounts and removes the store's others. Throws Error{io}, Error{locked}.
void replace_acme_accounts(const Store& store, const std::vector<AcmeAccountState>& accounts);
// Writes these entries' settings and removes the others. Throws as replace_acme_accounts.
void replace_acme_entries(const Store& store, const std::vector<AcmeEntrySettings>& entries);
// Entry settings as the JSON of their file (compact), and back; `source` names the text in
// errors. Throws Error{parse}.
[[nodiscard]] std::string acme_entry_settings_json(const AcmeEntrySettings& settings);
[[nodiscard]] AcmeEntrySettings parse_acme_entry_settings(std::string_view json_text,
                                                          std::string_view source);

// Where the store keeps the account for that server (DIR/acme/accounts/ID.json).
[[nodiscard]] std::filesystem::path acme_account_file(const Store& store, std::string_view server);

}  // namespace certtool
