// The appliance's trust lists (certconfig -> CERTAUTHORITY): the system CA list (OpenSSL's
// default CA file; it can be disabled) and the custom CA list kept in the store (imported,
// enabled, disabled, deleted, exported). Together they are the effective list: the anchors
// commands verify against when no --trust is given.
//
// On disk (docs/store.md): DIR/ca/lists.json (the system list's switch and each custom CA's
// name, fingerprint, enabled flag and import time) and DIR/ca/custom/<sha256>.pem (one
// certificate each, with its OpenSSL trust settings). Changes hold the store lock DIR/.lock
// and write through detail::AtomicFile; lists.json is written last on import and first on
// delete, so a killed process leaves the old or the new lists. An absent DIR/ca is the
// default: the system list enabled, no custom CA.
#pragma once

#include <certtool/certificate.hpp>
#include <certtool/store.hpp>
#include <certtool/time.hpp>
#include <certtool/trust.hpp>

#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certtool {

struct CustomCa {
    std::string name;         // 1-64 of [A-Za-z0-9._-] (Store::validate_name)
    Certificate certificate;  // with its trust settings, if it had any
    bool enabled{true};
    TimePoint added;
    std::string sha256;  // lower-case hex, no colons: the file name under ca/custom/
};

struct CaLists {
    bool system_enabled{true};
    std::vector<CustomCa> custom;  // sorted by name
};

// Reads DIR/ca. An absent store or DIR/ca is the default (system enabled, no custom CA).
// Throws Error{io} if the store cannot be read, Error{parse} if lists.json or a certificate file
// it names is damaged (the fix: restore it from a backup).
[[nodiscard]] CaLists read_ca_lists(const Store& store);

// The system CA list's file: $SSL_CERT_FILE if set, else OpenSSL's default CA file.
[[nodiscard]] std::filesystem::path system_ca_file();

// The certificates of system_ca_file(); none when the file does not exist. Throws Error{io} if
// it cannot be read, Error{parse} if it holds no certificate.
[[nodiscard]] std::vector<Certificate> system_ca_certificates();

// The anchors commands verify against when no --trust is given: the enabled custom CAs plus the
// system list when it is enabled; described as "the store's CA lists (custom: 2, system: 146)".
// A store that does not exist yet gives the system list. Throws as read_ca_lists().
[[nodiscard]] TrustStore effective_trust(const Store& store);

// The same anchors as one PEM bundle for a server's CA file: a comment line with the description,
// then each certificate (with its trust settings). Throws as read_ca_lists().
[[nodiscard]] std::string effective_trust_pem(const Store& store);

// What a check found about one certificate. `code` is stable (kebab-case): ca-expired,
// ca-not-yet-valid, ca-duplicate, not-a-ca, ca-without-root, ca-in-system-list.
struct CaFinding {
    std::string code;
    bool refused{false};  // refuses the whole import; else a warning
    std::string message;  // one line: the certificate, the problem, the fix
};

struct CaImportRequest {
    std::filesystem::path file;  // PEM (also TRUSTED CERTIFICATE), DER or PKCS#7
    std::string name;            // empty: derived from each certificate's CN, made unique
    TimePoint now;
};

struct CaImportResult {
    std::vector<CustomCa> imported;
    std::vector<CaFinding> warnings;
};

// Adds every certificate of the file to the custom list, or none: one refusal refuses the whole
// file and changes nothing. Refusals throw with the codes of every refused certificate at the
// start of the message ("ca-expired: ..."; several joined by "; "): Error{already_exists} when
// the first refusal is ca-duplicate, else Error{invalid_argument} (ca-expired, not-a-ca,
// ca-without-root). Also Error{io}, Error{parse} (the file), Error{invalid_argument} (a bad
// --name, or --name with several certificates), Error{already_exists} (the name is taken),
// Error{locked}.
CaImportResult import_ca(const Store& store, const CaImportRequest& request);

// The custom CA named `name_or_sha256` (a name, or the SHA-256 fingerprint in hex, with or
// without colons, any case). Throws Error{not_found} naming `certtool ca list`.
[[nodiscard]] const CustomCa& find_ca(const CaLists& lists, std::string_view name_or_sha256);

// Removes a custom CA (and its file). Returns it. Throws Error{not_found}, Error{io},
// Error{locked}.
CustomCa delete_ca(const Store& store, std::string_view name_or_sha256);

// Enables or disables a custom CA. Returns it as it is now. Throws as delete_ca().
CustomCa set_ca_enabled(const Store& store, std::string_view name_or_sha256, bool enabled);

// Enables or disables the system list. Throws Error{io}, Error{locked}.
void set_system_list_enabled(const Store& store, bool enabled);

// Replaces both lists (restore of a backup). Each CA's sha256 is computed again from its
// certificate; names must be valid and distinct (Error{invalid_argument} names the first that
// is not). Throws Error{io}, Error{locked}.
void replace_ca_lists(const Store& store, CaLists lists);

// The certificates as one PEM bundle (TRUSTED CERTIFICATE blocks keep their trust settings).
[[nodiscard]] std::string ca_bundle(const std::vector<Certificate>& certificates);

// The appliance's alert schedule: days left at which an expiring CA is reported.
inline constexpr std::array<int, 9> k_ca_alert_days{90, 60, 30, 15, 5, 4, 3, 2, 1};

// The alert step `not_after` is within at `now` (90, 60, ..., 1; 0 once expired), or nullopt
// when it is more than 90 days away.
[[nodiscard]] std::optional<int> ca_expiry_alert(TimePoint not_after, TimePoint now);

// Whole days from `now` to `not_after` (negative once expired).
[[nodiscard]] long days_left(TimePoint not_after, TimePoint now);

// The trust settings in words: "trusted for serverAuth, clientAuth; rejected for emailProtection"
// (empty when it has none).
[[nodiscard]] std::string trust_settings_text(const TrustSettings& settings);

}  // namespace certtool
