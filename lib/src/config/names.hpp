// Private to config/: the name rule and the setting keys (config.hpp lists them).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace certtool::config {

// Listener, group, interface and machine names: 1-64 of [A-Za-z0-9._-], starting with a letter
// or digit. Throws Error{invalid_argument} naming `what` and the rule.
void validate_config_name(std::string_view what, std::string_view name);

// "listener/L/certificate" -> {"listener", "L", "certificate"}.
[[nodiscard]] std::vector<std::string> split_key(std::string_view key);

[[nodiscard]] inline std::string listener_key(std::string_view listener, std::string_view field) {
    return "listener/" + std::string{listener} + "/" + std::string{field};
}

[[nodiscard]] inline std::string group_key(std::string_view listener,
                                           std::string_view group,
                                           std::string_view field) {
    return "listener/" + std::string{listener} + "/group/" + std::string{group} + "/" +
           std::string{field};
}

[[nodiscard]] inline std::string destination_key(std::string_view domain) {
    return "destination/" + std::string{domain} + "/tls";
}

inline constexpr std::string_view k_default_destination_key = "destination-default/tls";
inline constexpr std::string_view k_outbound_certificate_key = "outbound/certificate";
inline constexpr std::string_view k_outbound_alert_key = "outbound/alert-on-required-failure";
inline constexpr std::string_view k_postfix_target_key = "target/postfix/config-dir";
inline constexpr std::string_view k_postfix_trust_key = "target/postfix/trust";
inline constexpr std::string_view k_postfix_ldap_key = "target/postfix/ldap-tables";
inline constexpr std::string_view k_nginx_prefix = "target/nginx/";
inline constexpr std::string_view k_files_prefix = "target/files/";

}  // namespace certtool::config
