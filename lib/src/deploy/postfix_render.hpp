// A machine's configuration as Postfix files: the per-revision file set (key + chain files,
// lookup tables, the trust file) and the lines of the managed sections of main.cf and master.cf.
// Pure: reads nothing, writes nothing; apply_postfix() does the I/O. Private to deploy (and its
// unit tests). The mapping is README's "The configuration in Postfix".
#pragma once

#include "managed_section.hpp"

#include <certtool/config.hpp>
#include <certtool/secret.hpp>
#include <certtool/store.hpp>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace certtool::deploy::detail {

struct RenderedFile {
    std::string name;  // relative to the revision directory ("listener-IncomingMail.pem")
    Secret content;    // key files hold key material: wiped when released
};

// What the commit expects each listener to serve to a probe from the machine itself.
struct ExpectedListener {
    std::string name;
    std::string probe_address;  // the listener's address; 0.0.0.0 -> 127.0.0.1, :: -> ::1
    std::uint16_t port{0};
    std::string endpoint;     // as configured, "127.0.0.1:2525"
    bool starttls{true};      // STARTTLS offered to the probe's address
    std::string fingerprint;  // SHA-256 of the bound leaf
};

struct Rendering {
    std::vector<RenderedFile> files;
    std::vector<std::string> main_lines;    // the managed section of main.cf
    std::vector<std::string> master_lines;  // the managed section of master.cf
    // The managed section of every ldap: table (tls_cert, tls_key of the LDAP binding); empty
    // when nothing is bound to ldap
    std::vector<std::string> ldap_lines;
    // Files Postfix's unprivileged daemons read themselves (the LDAP client's key and
    // certificate, loaded by the LDAP library at lookup time): readable by the mail owner's group
    std::vector<std::string> group_readable;
    std::vector<std::string> warnings;  // problems a commit reports but does not refuse
    std::vector<std::string> caveats;   // where Postfix does not do what the appliance does
    std::vector<ExpectedListener> listeners;
};

struct RenderInput {
    const config::Configuration* configuration{nullptr};
    int revision{0};
    std::filesystem::path config_dir;  // absolute
    // The entry a binding names (Store::get). Throws as Store::get does.
    std::function<Entry(const std::string&)> entry;
    // The CA certificates (PEM) the -verify modes trust: configuration.postfix_trust's content,
    // else the store's effective CA list (apply_postfix fills it); empty: the system's bundle
    // at `system_trust`.
    std::string trust_pem;
    std::filesystem::path system_trust{"/etc/ssl/certs/ca-certificates.crt"};
    MainCfParameters user;  // main.cf outside the managed section
};

// The directory of revision N's files: DIR/certtool/rev-N.
[[nodiscard]] std::filesystem::path revision_dir(const std::filesystem::path& config_dir,
                                                 int revision);

// Throws Error{not_found} (an unknown entry) as input.entry does.
[[nodiscard]] Rendering render_postfix(const RenderInput& input);

// The smtp_tls_policy_maps value of one outbound mode ("secure
// match=hostname:nexthop:dot-nexthop").
[[nodiscard]] std::string policy_value(TlsMode mode);
// The smtp_tls_security_level of the default row ("secure" for Required-Verify).
[[nodiscard]] std::string_view policy_level(TlsMode mode);

}  // namespace certtool::deploy::detail
