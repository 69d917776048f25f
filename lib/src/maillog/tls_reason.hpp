// TLS failure reasons as logged, reduced to what the report groups by.
#pragma once

#include <string>
#include <string_view>

namespace certtool::maillog {

// "(336109761, 'error:1408A0C1:SSL routines:ssl3_get_client_hello:no shared cipher')"
//   -> "no shared cipher"; text cut off by the log keeps what is there; empty -> "unknown".
[[nodiscard]] std::string failure_reason(std::string_view raw);

}  // namespace certtool::maillog
