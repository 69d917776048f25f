// Can a server listen on an address and port? Asked before a configuration makes Postfix bind a
// new listener: Postfix's master exits on a reload when a listener cannot be bound.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace certtool {

// Binds a TCP socket to `address` (an IPv4 or IPv6 literal) and `port`, with SO_REUSEADDR as
// servers do, and closes it. Returns why that failed ("Cannot assign requested address",
// "Address already in use"), or nullopt when it worked. Never throws.
[[nodiscard]] std::optional<std::string> listen_problem(const std::string& address,
                                                        std::uint16_t port);

}  // namespace certtool
