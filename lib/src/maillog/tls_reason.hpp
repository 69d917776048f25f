// TLS failure reasons as logged, reduced to what the report groups by.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace certtool::maillog {

// "(336109761, 'error:1408A0C1:SSL routines:ssl3_get_client_hello:no shared cipher')"
//   -> "no shared cipher"; text cut off by the log keeps what is there; empty -> "unknown".
[[nodiscard]] std::string failure_reason(std::string_view raw);

// Reason text that ends a line and was cut there: "(336109761, 'error:1408A0C1:SSL routines:SSL3"
// (the tuple is never closed).
[[nodiscard]] bool reason_cut_short(std::string_view raw);

// A cipher name that ends a line and looks whole: its last part is one a cipher suite name ends
// with (SHA, SHA256, SHA384, MD5, POLY1305, CCM, CCM8, GOST89...), and a GCM suite ends with
// SHA256 or SHA384. "ECDHE-RSA-AES256-GCM-S" is not.
[[nodiscard]] bool cipher_looks_whole(std::string_view cipher);

// The OpenSSL reason text for the error code in a logged tuple, "(336109761, 'error:1408A0C1:..."
// -> "no shared cipher"; nullopt if there is no SSL library code there or it is unknown.
[[nodiscard]] std::optional<std::string_view> ssl_reason_from_code(std::string_view raw);

// What a reason cut short in the log is reported as (its partial text is kept out).
inline constexpr std::string_view k_reason_cut_short = "(reason cut short in the log)";

}  // namespace certtool::maillog
