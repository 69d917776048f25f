// The appliance's configuration: where certificates are used (listeners, delivery, services) and
// the TLS policies of inbound and outbound mail, at cluster and machine level.
//
// The configuration is a set of settings, each a key and a text value, at one level: the cluster
// level, or the machine level of one machine. The effective configuration of a machine is its
// machine-level settings over the cluster-level ones, key by key, so any single value (a
// listener's certificate, a destination's TLS mode) can be overridden on one machine while the
// rest comes from the cluster. Keys (docs/configuration.md):
//
//   listener/L/address             127.0.0.1:25, [::1]:25
//   listener/L/hostname            mail.example.com (may be absent)
//   listener/L/type                public | private
//   listener/L/certificate         entry name
//   listener/L/tls                 off | preferred | required (the default mail flow policy)
//   listener/L/group/G/position    1, 2, ... (sender groups: first match wins, in this order)
//   listener/L/group/G/members     space-separated members (member_kind())
//   listener/L/group/G/tls         off | preferred | required
//   destination/D/tls              none | preferred | required | preferred-verify |
//                                  required-verify (D: example.com, or .example.com)
//   destination-default/tls        the same modes
//   outbound/certificate           entry name (the client certificate for delivery)
//   outbound/alert-on-required-failure  on | off
//   service/https/I/certificate    entry name, per interface I
//   service/S/certificate          S: ldap, url-filtering, dlp, amp
//   target/postfix/config-dir      absolute path (machine level only)
//   target/postfix/trust           absolute path of the CA file Postfix verifies receiving
//                                  servers with (-verify modes); absent: the system's
//
// Listener, group and interface names are 1-64 characters of [A-Za-z0-9._-] starting with a
// letter or digit, so a key splits on '/' without ambiguity. Every function here works on values;
// persistence (staged changes, revisions) is config_store.hpp.
#pragma once

#include <certtool/store.hpp>
#include <certtool/tls_policy.hpp>

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certtool::config {

enum class Level { cluster, machine };
[[nodiscard]] std::string_view level_name(Level level) noexcept;  // "cluster", "machine"

// Settings of one level: key -> value, sorted by key.
using Settings = std::map<std::string, std::string, std::less<>>;

// The whole configuration: every level of every machine. `clustered` is false once this
// machine has left the cluster: then only machine-level settings exist.
struct Document {
    bool clustered{true};
    Settings cluster;
    std::map<std::string, Settings, std::less<>> machines;  // machine name -> its settings

    friend bool operator==(const Document&, const Document&) = default;
};

// Where a change goes, and whose effective configuration is meant.
struct Scope {
    Level level{Level::cluster};
    std::string machine;  // this host's name unless --machine; the machine of Level::machine
};

// This host's machine name: the node name from uname(2), as the appliance names machines.
[[nodiscard]] std::string local_machine_name();

// Machine names follow the listener-name rule. Throws Error{invalid_argument}.
void validate_machine_name(std::string_view name);

// The settings of `scope`'s level (created empty for a new machine). Throws
// Error{invalid_argument} for Level::cluster once the machine has left the cluster.
[[nodiscard]] Settings& layer(Document& document, const Scope& scope);

struct EffectiveSetting {
    std::string key;
    std::string value;
    Level level{Level::cluster};  // where the value comes from
};

// Machine over cluster, key by key, sorted by key.
[[nodiscard]] std::vector<EffectiveSetting> effective(const Document& document,
                                                      std::string_view machine);
[[nodiscard]] Settings effective_settings(const Document& document, std::string_view machine);

// ---- The typed view (of one machine's effective settings) -------------------------------------

enum class InboundTls { off, preferred, required };
[[nodiscard]] std::string_view inbound_tls_name(InboundTls tls) noexcept;  // "off", ...
// "off", "preferred", "required", case-insensitive.
[[nodiscard]] std::optional<InboundTls> parse_inbound_tls(std::string_view text);

// Outbound modes in the settings and on the command line: "none", "preferred-verify", ...
[[nodiscard]] std::string tls_mode_key(TlsMode mode);

enum class ListenerType { public_listener, private_listener };
[[nodiscard]] std::string_view listener_type_name(ListenerType type) noexcept;  // "public", ...

struct Endpoint {
    std::string address;  // an IPv4 or IPv6 literal, without brackets
    std::uint16_t port{0};
    [[nodiscard]] std::string text() const;  // "127.0.0.1:25", "[::1]:25"
};

// "127.0.0.1:25", "[::1]:25". Throws Error{invalid_argument} naming the rule.
[[nodiscard]] Endpoint parse_endpoint(std::string_view text);

// A sender group member, normalised: an IPv4/IPv6 address, a CIDR block (network bits only),
// a host name (exact, lower case A-label) or a partial domain ".example.com" (its subdomains).
enum class MemberKind { address, network, host, partial_domain };

struct Member {
    MemberKind kind{MemberKind::address};
    std::string
        text;  // normalised: "10.0.0.0/8", "2001:db8::/32", "mx.example.com", ".example.com"
};

// Throws Error{invalid_argument} naming the accepted forms.
[[nodiscard]] Member parse_member(std::string_view text);

// A destination domain: "example.com" (that domain) or ".example.com" (its subdomains), lower
// case A-labels. Throws Error{invalid_argument}.
[[nodiscard]] std::string parse_destination_domain(std::string_view text);

struct SenderGroup {
    std::string name;
    int position{0};
    std::vector<Member> members;
    InboundTls tls{InboundTls::preferred};
};

struct Listener {
    std::string name;
    Endpoint endpoint;
    std::string hostname;  // may be empty
    ListenerType type{ListenerType::public_listener};
    std::string certificate;
    InboundTls tls{InboundTls::preferred};
    std::vector<SenderGroup> groups;  // by position
};

struct Destination {
    std::string domain;  // "example.com" or ".example.com"
    TlsMode tls{TlsMode::none};
};

enum class Service { https, ldap, url_filtering, dlp, amp };
[[nodiscard]] std::string_view service_name(Service service) noexcept;  // "url-filtering"
[[nodiscard]] std::optional<Service> parse_service(std::string_view text);

struct ServiceBinding {
    Service service{Service::https};
    std::string interface;  // https only
    std::string certificate;
};

// The nginx target (machine level): the HTTPS bindings become server blocks in `config_file`,
// a file certtool owns (nginx includes it, e.g. from conf.d/).
struct NginxTarget {
    std::filesystem::path config_file;
    std::filesystem::path nginx_conf{"/etc/nginx/nginx.conf"};  // for nginx -t and -s reload
    std::filesystem::path state_dir;  // empty: certtool/ beside config_file's directory
    std::map<std::string, Endpoint, std::less<>> listen;  // HTTPS interface -> address:port
    std::string server_name;                              // empty: none
    std::optional<std::filesystem::path> include;         // the server block's body

    // state_dir, or its default: /etc/nginx/conf.d/certtool.conf -> /etc/nginx/certtool.
    [[nodiscard]] std::filesystem::path state() const;
};

// A file target (machine level): an entry's key and certificates written to fixed paths for any
// daemon, then `reload` run (by /bin/sh -c) once every file is in place.
struct FilesTarget {
    std::string name;
    std::string certificate;                         // the entry
    std::optional<std::filesystem::path> key;        // the private key (0600)
    std::optional<std::filesystem::path> cert;       // the leaf
    std::optional<std::filesystem::path> chain;      // the intermediates
    std::optional<std::filesystem::path> fullchain;  // leaf + intermediates
    std::optional<std::filesystem::path> combined;   // key + leaf + intermediates (0600)
    std::string reload;                              // empty: none

    // The file fields by their names in settings and options: key, cert, chain, fullchain,
    // combined (key and combined hold the private key).
    static constexpr std::array<std::string_view, 5> k_fields{
        "key", "cert", "chain", "fullchain", "combined"};
    [[nodiscard]] std::optional<std::filesystem::path>& path(std::string_view field);
    [[nodiscard]] const std::optional<std::filesystem::path>& path(std::string_view field) const;
};

struct Configuration {
    std::vector<Listener> listeners;        // by name
    std::vector<Destination> destinations;  // by domain
    TlsMode default_tls{TlsMode::none};
    std::string outbound_certificate;  // empty: none bound
    bool alert_on_required_failure{false};
    std::vector<ServiceBinding> services;
    std::optional<std::filesystem::path> postfix_config_dir;
    std::optional<std::filesystem::path> postfix_trust;  // CA file for the -verify modes
    // ldap: table files whose lookups present the LDAP client certificate (tls_cert/tls_key)
    std::vector<std::filesystem::path> postfix_ldap_tables;
    std::optional<NginxTarget> nginx;
    std::vector<FilesTarget> files;  // by name
};

// The typed view of effective settings. Throws Error{parse} naming the key and the fix when a
// value is malformed or a listener has no address at any level.
[[nodiscard]] Configuration typed(const Settings& effective);

// ---- Changes (each validates, and throws before changing anything) -----------------------------

// The entry every binding starts on.
inline constexpr std::string_view k_demo_entry = "demo";

// What a configuration command needs besides the document: the store (bound entries must
// exist), the time (for the expiry warning) and where warnings go (an expired certificate, a
// certificate whose names leave out the listener's host name: warnings, as the appliance allows
// them).
struct Context {
    const Store* store{nullptr};
    TimePoint now{};
    WarningSink warn;
};

struct ListenerSpec {
    std::string name;
    Endpoint endpoint;
    std::string hostname;
    ListenerType type{ListenerType::public_listener};
};

// A new listener on the demo certificate with TLS Preferred. Throws Error{already_exists} if
// the machine's effective configuration has one of that name, Error{invalid_argument} if
// another listener has that address and port.
void add_listener(Document& document,
                  const Scope& scope,
                  const ListenerSpec& spec,
                  const Context& context);

struct ListenerChange {
    std::optional<std::string> certificate;
    std::optional<InboundTls> tls;
    std::optional<std::string> hostname;
};

// Throws Error{not_found} naming the listeners there are.
void set_listener(Document& document,
                  const Scope& scope,
                  const std::string& name,
                  const ListenerChange& change,
                  const Context& context);
// Removes the listener's settings at `scope`'s level. Throws Error{not_found}.
void delete_listener(Document& document, const Scope& scope, const std::string& name);

void add_sender_group(Document& document,
                      const Scope& scope,
                      const std::string& listener,
                      const std::string& group,
                      const std::vector<Member>& members,
                      InboundTls tls);
void delete_sender_group(Document& document,
                         const Scope& scope,
                         const std::string& listener,
                         const std::string& group);

void set_destination(Document& document,
                     const Scope& scope,
                     const std::string& domain,
                     TlsMode tls);
void set_default_destination(Document& document, const Scope& scope, TlsMode tls);
void delete_destination(Document& document, const Scope& scope, const std::string& domain);

struct OutboundChange {
    std::optional<std::string> certificate;
    std::optional<bool> alert_on_required_failure;
};

void set_outbound(Document& document,
                  const Scope& scope,
                  const OutboundChange& change,
                  const Context& context);

void set_service(Document& document,
                 const Scope& scope,
                 Service service,
                 const std::string& interface,
                 const std::string& certificate,
                 const Context& context);

// The Postfix instance a commit applies this machine's configuration to (machine level).
// `trust`: the CA file for the -verify delivery modes (absent: the system's CA bundle).
// `ldap_tables`: ldap: table files (ldap_table(5)) that get the LDAP binding's tls_cert and
// tls_key.
void set_postfix_target(Document& document,
                        const std::string& machine,
                        const std::filesystem::path& config_dir,
                        const std::optional<std::filesystem::path>& trust,
                        const std::vector<std::filesystem::path>& ldap_tables = {});

// The nginx target of `machine`, replacing the one it had. Throws Error{invalid_argument}
// naming a relative path or a bad interface name.
void set_nginx_target(Document& document, const std::string& machine, const NginxTarget& target);

// A file target of `machine` (replacing one of that name); the entry must exist. Throws
// Error{invalid_argument} (no path, a relative or repeated path, a bad name).
void set_files_target(Document& document,
                      const std::string& machine,
                      const FilesTarget& target,
                      const Context& context);

// Removes a target of `machine`: "postfix", "nginx" or "files/NAME". Throws Error{not_found}.
void delete_target(Document& document, const std::string& machine, const std::string& which);

// This machine leaves the cluster: the cluster-level settings become its own, except that its
// machine-level certificate bindings are lost (the cluster's apply), as the appliance does.
// Returns the keys whose machine-level value was lost.
std::vector<std::string> leave_cluster(Document& document, const std::string& machine);

// ---- Where certificates are used ---------------------------------------------------------------

struct Binding {
    Level level{Level::cluster};
    std::string machine;  // for Level::machine
    std::string key;      // "listener/IncomingMail/certificate"
    std::string entry;
    [[nodiscard]] std::string where() const;  // "listener IncomingMail (cluster)"
};

// Every binding at every level, sorted by level, machine and key.
[[nodiscard]] std::vector<Binding> bindings(const Document& document);
[[nodiscard]] std::vector<Binding> bindings_of(const Document& document, std::string_view entry);
// Points every binding of `from` at `to`. Returns how many changed.
std::size_t rebind(Document& document, std::string_view from, std::string_view to);

// The entries a document binds that the store does not have.
[[nodiscard]] std::vector<std::string> missing_entries(const Document& document,
                                                       const Store& store);

// Warnings a configuration command shows: every service still on the demo certificate
// ("... cannot offer a verifiable connection").
[[nodiscard]] std::vector<std::string> demo_warnings(const Document& document);

// ---- Differences -------------------------------------------------------------------------------

struct Change {
    enum class Kind { added, changed, removed };
    Kind kind{Kind::added};
    std::string where;  // "cluster", "machine mail1", "membership"
    std::string key;
    std::string before;  // empty when added
    std::string after;   // empty when removed
};

[[nodiscard]] std::vector<Change> diff(const Document& before, const Document& after);
// One line for history: "listener IncomingMail: certificate demo -> mail; 2 more changes".
[[nodiscard]] std::string summary(const std::vector<Change>& changes);

// The document as JSON text (what the store and backups hold) and back. parse_document throws
// Error{parse} naming what is wrong.
[[nodiscard]] std::string document_json(const Document& document);
[[nodiscard]] Document parse_document(std::string_view json_text, const std::string& source);

}  // namespace certtool::config
