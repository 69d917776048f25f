// The one error model of certtool: every failure is a certtool::Error carrying an Errc.
// Outcomes that are answers (a chain is invalid, a key does not match) are values, not errors,
// where the API returns a report; the CLI maps Errc to exit codes in exactly one place.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace certtool {

enum class Errc {
    io,            // a file or directory could not be read or written
    parse,         // input is malformed: not PEM/DER/PKCS#7/PKCS#12, truncated, trailing garbage
    crypto,        // an OpenSSL operation failed unexpectedly
    bad_password,  // the password does not open the PKCS#12 file
    unsupported,  // a valid request this build or entry cannot serve (e.g. renew a CA-signed entry)
    network,      // a peer or DNS server could not be reached or did not answer (check-tls, AIA)
    invalid_argument,  // the request itself is wrong (bad name, bad SAN, bad country code)
    not_found,         // no store entry of that name
    already_exists,    // entry or output file exists and --force was not given
    key_mismatch,      // no certificate matches the key, or there is no key at all
    locked,            // the store lock could not be taken in time
    in_use,            // the entry is bound to a service (the configuration uses it)
};

// Stable kebab-case identifier used in JSON output ("bad-password").
[[nodiscard]] std::string_view errc_name(Errc code) noexcept;

// `text` fit for a one-line message: control characters and DEL as \n, \r, \t or \xNN, bytes
// that are not UTF-8 as \xNN; printable text (UTF-8 included) as it is. A name or a file's
// content quoted in a message can then neither break the line nor drive the terminal.
[[nodiscard]] std::string printable(std::string_view text);

class Error : public std::runtime_error {
public:
    // The message is made printable(): an error is always one line of text.
    Error(Errc code, const std::string& message)
        : std::runtime_error(printable(message)), m_code(code) {}

    [[nodiscard]] Errc code() const noexcept { return m_code; }

private:
    Errc m_code;
};

}  // namespace certtool
