#include "postfix_render.hpp"

#include <certtool/error.hpp>
#include <certtool/hostname.hpp>

#include <fmt/format.h>

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace certtool::deploy::detail {

namespace fs = std::filesystem;
using config::InboundTls;
using config::Listener;
using config::MemberKind;

namespace {

constexpr std::string_view k_reject = "reject_plaintext_session";
constexpr std::string_view k_dunno = "DUNNO";
constexpr std::string_view k_hide = "starttls";
// A discard-map result that discards nothing (ehlo_mask() knows only this word of it): a
// client in a group that keeps STARTTLS stops the search before a later "starttls" row.
constexpr std::string_view k_keep = "silent-discard";

// Postfix splits lists on whitespace and commas and expands '$': none may appear in a path.
void check_postfix_path(const fs::path& path) {
    const std::string text = path.string();
    if (text.find_first_of(" \t\n,${}") != std::string::npos) {
        throw Error(Errc::invalid_argument,
                    fmt::format("the Postfix configuration directory '{}' has a space, comma, "
                                "'$' or brace in its path, which Postfix's lists cannot hold: "
                                "move it (certtool target postfix --config-dir DIR)",
                                text));
    }
}

Secret combined_pem(const Entry& entry) {
    Secret pem{std::string{entry.key.to_pem().view()}};
    pem.buffer() += entry.certificate.to_pem();
    for (const auto& c : entry.chain) {
        pem.buffer() += c.to_pem();
    }
    return pem;
}

bool names_host(const Certificate& certificate, const std::string& host) {
    const auto sans = certificate.subject_alt_names();
    return std::any_of(sans.begin(), sans.end(), [&](const SubjectAltName& san) {
        return san.kind == SubjectAltName::Kind::dns && dns_name_matches(san.value, host);
    });
}

// What a listener needs: which of the three policies occur on it.
struct PolicyUse {
    bool off{false};
    bool preferred{false};
    bool required{false};
    bool host_names{false};  // a group has host-name or partial-domain members
};

PolicyUse policy_use(const Listener& listener) {
    PolicyUse use;
    const auto note = [&](InboundTls tls) {
        use.off = use.off || tls == InboundTls::off;
        use.preferred = use.preferred || tls == InboundTls::preferred;
        use.required = use.required || tls == InboundTls::required;
    };
    note(listener.tls);
    for (const auto& g : listener.groups) {
        note(g.tls);
        for (const auto& m : g.members) {
            use.host_names = use.host_names || m.kind == MemberKind::host ||
                             m.kind == MemberKind::partial_domain;
        }
    }
    return use;
}

// smtpd_tls_security_level: "none" when no policy offers TLS, "encrypt" when every one requires
// it, else "may" with per-client tables.
std::string_view security_level(const PolicyUse& use) {
    if (!use.preferred && !use.required) {
        return "none";
    }
    if (!use.off && !use.preferred) {
        return "encrypt";
    }
    return "may";
}

bool is_address_member(const config::Member& m) {
    return m.kind == MemberKind::address || m.kind == MemberKind::network;
}

std::string name_pattern(const config::Member& m) {
    std::string escaped;
    for (const char c : m.text) {
        if (c == '.') {
            escaped += "\\.";
        } else {
            escaped.push_back(c);
        }
    }
    // host: the whole name; partial domain (".example.com"): any name ending in it.
    return m.kind == MemberKind::host ? "/^" + escaped + "$/" : "/" + escaped + "$/";
}

// regexp table of host-name members, in group order (first match wins): the client's name.
std::string names_table(const Listener& listener) {
    std::string table;
    for (const auto& g : listener.groups) {
        for (const auto& m : g.members) {
            if (!is_address_member(m)) {
                table += fmt::format(
                    "{} {}\n", name_pattern(m), g.tls == InboundTls::required ? k_reject : k_dunno);
            }
        }
    }
    return table;
}

// cidr table of address members in group order (first match wins), then the default policy.
std::string address_table(const Listener& listener,
                          std::string_view match,
                          std::string_view other,
                          InboundTls policy) {
    std::string table;
    for (const auto& g : listener.groups) {
        for (const auto& m : g.members) {
            if (is_address_member(m)) {
                table += fmt::format("{} {}\n", m.text, g.tls == policy ? match : other);
            }
        }
    }
    if (listener.tls == policy) {
        table += fmt::format("0.0.0.0/0 {}\n::/0 {}\n", match, match);
    }
    return table;
}

// Is `address` inside member `m` (an address or a CIDR block)?
bool member_contains(const config::Member& m, const std::string& address) {
    const auto slash = m.text.find('/');
    const std::string net = m.text.substr(0, slash);
    const int family = net.find(':') != std::string::npos ? AF_INET6 : AF_INET;
    std::array<unsigned char, 16> a{};
    std::array<unsigned char, 16> b{};
    if (::inet_pton(family, net.c_str(), a.data()) != 1 ||
        ::inet_pton(family, address.c_str(), b.data()) != 1) {
        return false;
    }
    const int total = family == AF_INET ? 32 : 128;
    const int bits = slash == std::string::npos ? total : std::stoi(m.text.substr(slash + 1));
    for (int i = 0; i < bits; ++i) {
        const auto byte = static_cast<std::size_t>(i / 8);
        const auto mask = static_cast<unsigned char>(0x80U >> static_cast<unsigned>(i % 8));
        if ((a.at(byte) & mask) != (b.at(byte) & mask)) {
            return false;
        }
    }
    return true;
}

// Would the listener offer STARTTLS to a client at `address` (matched by address only)?
bool offers_starttls(const Listener& listener, std::string_view level, const std::string& address) {
    if (level == "none") {
        return false;
    }
    for (const auto& g : listener.groups) {
        for (const auto& m : g.members) {
            if (is_address_member(m) && member_contains(m, address)) {
                return g.tls != InboundTls::off;
            }
        }
    }
    return listener.tls != InboundTls::off;
}

std::string probe_address(const std::string& address) {
    if (address == "0.0.0.0") {
        return "127.0.0.1";
    }
    return address == "::" ? "::1" : address;
}

// "-o name=value", or Postfix 3's "-o { name = value }" when the value has spaces.
std::string option(std::string_view name, std::string_view value) {
    if (value.find_first_of(" \t,") == std::string_view::npos) {
        return fmt::format("  -o {}={}", name, value);
    }
    return fmt::format("  -o {{ {} = {} }}", name, value);
}

// A user's main.cf value appended after certtool's own (certtool's entries come first and only
// reject or hide, so the user's list still decides everything else).
std::string with_user_value(std::string ours, const MainCfParameters& user, std::string_view name) {
    const auto it = user.find(name);
    if (it != user.end() && !it->second.value.empty()) {
        ours += ", " + it->second.value;
    }
    return ours;
}

class Renderer {
public:
    explicit Renderer(const RenderInput& input)
        : m_in(input),
          m_cfg(*input.configuration),
          m_dir(revision_dir(input.config_dir, input.revision)) {}

    Rendering run() {
        check_postfix_path(m_in.config_dir);
        for (const auto& listener : m_cfg.listeners) {
            render_listener(listener);
        }
        render_outbound();
        render_ldap();
        return std::move(m_out);
    }

private:
    fs::path add_file(std::string name, Secret content) {
        const fs::path path = m_dir / name;
        m_out.files.push_back(RenderedFile{std::move(name), std::move(content)});
        return path;
    }

    void render_listener(const Listener& l) {
        const Entry entry = m_in.entry(l.certificate);
        if (!l.hostname.empty() && !names_host(entry.certificate, l.hostname)) {
            m_out.warnings.push_back(fmt::format(
                "listener {}: certificate '{}' does not name the listener's host name '{}': "
                "clients that verify will not accept it; bind an entry that names it",
                l.name,
                l.certificate,
                l.hostname));
        }
        const PolicyUse use = policy_use(l);
        const std::string_view level = security_level(use);
        const fs::path chain = add_file("listener-" + l.name + ".pem", combined_pem(entry));
        m_out.master_lines.push_back(fmt::format("# listener {}: TLS {}, certificate {}",
                                                 l.name,
                                                 config::inbound_tls_name(l.tls),
                                                 l.certificate));
        m_out.master_lines.push_back(fmt::format("{} inet n - n - - smtpd", l.endpoint.text()));
        m_out.master_lines.push_back(option("syslog_name", "postfix/" + l.name));
        m_out.master_lines.push_back(option("smtpd_tls_chain_files", chain.string()));
        m_out.master_lines.push_back(option("smtpd_tls_security_level", level));
        if (level == "may") {
            render_client_checks(l, use);
        }
        note_host_name_limits(l, use, level);
        const std::string probe = probe_address(l.endpoint.address);
        m_out.listeners.push_back(ExpectedListener{l.name,
                                                   probe,
                                                   l.endpoint.port,
                                                   l.endpoint.text(),
                                                   offers_starttls(l, level, probe),
                                                   entry.certificate.sha256_fingerprint()});
    }

    void render_client_checks(const Listener& l, const PolicyUse& use) {
        if (use.required) {
            std::string checks;
            if (use.host_names) {
                const fs::path names = add_file(l.name + "-clients.regexp", Secret{names_table(l)});
                checks = "check_client_access regexp:" + names.string() + ", ";
            }
            const fs::path cidr =
                add_file(l.name + "-clients.cidr",
                         Secret{address_table(l, k_reject, k_dunno, InboundTls::required)});
            checks += "check_client_access cidr:" + cidr.string();
            note_user_list("smtpd_client_restrictions", l.name);
            // Client restrictions run at RCPT TO (after STARTTLS) only with delayed rejects.
            m_out.master_lines.push_back(option("smtpd_delay_reject", "yes"));
            m_out.master_lines.push_back(
                option("smtpd_client_restrictions",
                       with_user_value(checks, m_in.user, "smtpd_client_restrictions")));
        }
        if (use.off) {
            const fs::path ehlo = add_file(
                l.name + "-ehlo.cidr", Secret{address_table(l, k_hide, k_keep, InboundTls::off)});
            note_user_list("smtpd_discard_ehlo_keyword_address_maps", l.name);
            m_out.master_lines.push_back(
                option("smtpd_discard_ehlo_keyword_address_maps",
                       with_user_value("cidr:" + ehlo.string(),
                                       m_in.user,
                                       "smtpd_discard_ehlo_keyword_address_maps")));
        }
    }

    void note_user_list(std::string_view name, const std::string& listener) {
        const auto it = m_in.user.find(name);
        if (it != m_in.user.end() && !it->second.value.empty()) {
            m_out.warnings.push_back(fmt::format(
                "listener {}: main.cf's {} (line {}) is copied after certtool's checks into the "
                "listener's service: commit again after changing it",
                listener,
                name,
                it->second.line));
        }
    }

    void note_host_name_limits(const Listener& l, const PolicyUse& use, std::string_view level) {
        if (!use.host_names || level != "may") {
            return;
        }
        for (const auto& g : l.groups) {
            const bool names = std::any_of(g.members.begin(), g.members.end(), [](const auto& m) {
                return !is_address_member(m);
            });
            if (names && g.tls == InboundTls::off) {
                m_out.caveats.push_back(fmt::format(
                    "listener {}, sender group {}: Postfix hides STARTTLS by client address "
                    "only (smtpd_discard_ehlo_keyword_address_maps), so the group's host-name "
                    "members are still offered STARTTLS",
                    l.name,
                    g.name));
            }
        }
        m_out.caveats.push_back(fmt::format(
            "listener {}: Postfix looks a client's host name up before its address, in two "
            "tables; a client that matches sender groups both by name and by address gets the "
            "stricter of the two policies",
            l.name));
    }

    void render_outbound() {
        std::vector<std::string>& main = m_out.main_lines;
        bool verify = m_cfg.default_tls == TlsMode::preferred_verify ||
                      m_cfg.default_tls == TlsMode::required_verify;
        main.push_back(set("smtp_tls_security_level", policy_level(m_cfg.default_tls)));
        if (m_cfg.default_tls == TlsMode::required_verify) {
            main.push_back(set("smtp_tls_secure_cert_match", "hostname, nexthop, dot-nexthop"));
        }
        if (!m_cfg.destinations.empty()) {
            std::string table;
            for (const auto& d : m_cfg.destinations) {
                table += fmt::format("{} {}\n", d.domain, policy_value(d.tls));
                verify = verify || d.tls == TlsMode::preferred_verify ||
                         d.tls == TlsMode::required_verify;
            }
            const fs::path path = add_file("tls_policy", Secret{std::move(table)});
            main.push_back(set(
                "smtp_tls_policy_maps",
                with_user_value("texthash:" + path.string(), m_in.user, "smtp_tls_policy_maps")));
        }
        if (!m_cfg.outbound_certificate.empty()) {
            const fs::path path =
                add_file("outbound.pem", combined_pem(m_in.entry(m_cfg.outbound_certificate)));
            main.push_back(set("smtp_tls_chain_files", path.string()));
        }
        if (verify) {
            render_trust();
        }
        note_caveats();
    }

    // The LDAP binding, for the ldap: tables the target names: the certificate with its chain
    // and the key, each its own file (ldap_table(5): tls_cert, tls_key).
    void render_ldap() {
        const auto ldap =
            std::find_if(m_cfg.services.begin(), m_cfg.services.end(), [](const auto& s) {
                return s.service == config::Service::ldap;
            });
        if (ldap == m_cfg.services.end()) {
            return;
        }
        if (m_cfg.postfix_ldap_tables.empty()) {
            m_out.warnings.push_back(fmt::format(
                "ldap is bound to '{}', but the Postfix target names no LDAP table: add them with "
                "certtool target postfix --config-dir {} --ldap-table FILE",
                ldap->certificate,
                m_in.config_dir.string()));
            return;
        }
        const Entry entry = m_in.entry(ldap->certificate);
        std::string chain = entry.certificate.to_pem();
        for (const auto& c : entry.chain) {
            chain += c.to_pem();
        }
        const fs::path cert = add_file("ldap-client.pem", Secret{std::move(chain)});
        const fs::path key =
            add_file("ldap-client.key", Secret{std::string{entry.key.to_pem().view()}});
        m_out.group_readable = {"ldap-client.pem", "ldap-client.key"};
        m_out.ldap_lines = {"tls_cert = " + cert.string(), "tls_key = " + key.string()};
    }

    void render_trust() {
        if (!m_in.trust_pem.empty()) {
            const fs::path path = add_file("trust.pem", Secret{m_in.trust_pem});
            m_out.main_lines.push_back(set("smtp_tls_CAfile", path.string()));
        } else {
            m_out.main_lines.push_back(set("smtp_tls_CAfile", m_in.system_trust.string()));
        }
        const auto level = m_in.user.find("smtp_tls_loglevel");
        if (level == m_in.user.end() || level->second.value == "0") {
            m_out.main_lines.push_back(set("smtp_tls_loglevel", "1"));
        }
    }

    // "name = value", with a warning when the user's own main.cf sets it too.
    std::string set(std::string_view name, std::string_view value) {
        const auto it = m_in.user.find(name);
        if (it != m_in.user.end() && it->second.value != value &&
            !value.ends_with(", " + it->second.value)) {
            m_out.warnings.push_back(fmt::format(
                "main.cf line {} sets {} = {}: certtool's managed section, placed last, overrides "
                "it (Postfix takes the last definition); remove your line to silence Postfix's "
                "'overriding earlier entry' warning",
                it->second.line,
                name,
                it->second.value));
        }
        return fmt::format("{} = {}", name, value);
    }

    void note_caveats() {
        bool preferred = m_cfg.default_tls == TlsMode::preferred;
        bool preferred_verify = m_cfg.default_tls == TlsMode::preferred_verify;
        for (const auto& d : m_cfg.destinations) {
            preferred = preferred || d.tls == TlsMode::preferred;
            preferred_verify = preferred_verify || d.tls == TlsMode::preferred_verify;
        }
        if (preferred || preferred_verify) {
            m_out.caveats.push_back(
                "Preferred: Postfix's 'may' retries in the clear after a failed TLS handshake, "
                "where the appliance's Preferred does not");
        }
        if (preferred_verify) {
            m_out.caveats.push_back(
                "Preferred-Verify: Postfix's 'may' with a CA file logs whether the peer was "
                "Verified, Trusted or Untrusted but never enforces it and does not check the "
                "host name");
        }
        const auto pdms = m_in.user.find("parent_domain_matches_subdomains");
        if (!m_cfg.destinations.empty() && pdms != m_in.user.end() &&
            pdms->second.value.find("smtp_tls_policy_maps") != std::string::npos) {
            m_out.warnings.push_back(
                "main.cf lists smtp_tls_policy_maps in parent_domain_matches_subdomains: a "
                "destination row 'example.com' then also matches its subdomains");
        }
    }

    const RenderInput& m_in;
    const config::Configuration& m_cfg;
    fs::path m_dir;
    Rendering m_out;
};

}  // namespace

fs::path revision_dir(const fs::path& config_dir, int revision) {
    return config_dir / "certtool" / fmt::format("rev-{}", revision);
}

std::string_view policy_level(TlsMode mode) {
    switch (mode) {
        case TlsMode::none:
            return "none";
        case TlsMode::preferred:
        case TlsMode::preferred_verify:
            return "may";
        case TlsMode::required:
            return "encrypt";
        case TlsMode::required_verify:
            return "secure";
    }
    return "none";
}

std::string policy_value(TlsMode mode) {
    // The appliance verifies the MX host's name; Postfix's default match would refuse that.
    return mode == TlsMode::required_verify ? "secure match=hostname:nexthop:dot-nexthop"
                                            : std::string{policy_level(mode)};
}

Rendering render_postfix(const RenderInput& input) {
    return Renderer{input}.run();
}

}  // namespace certtool::deploy::detail
