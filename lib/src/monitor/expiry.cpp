// check-expiry: thresholds, the items of a store and its committed configuration, findings.
#include <certtool/ca_lists.hpp>
#include <certtool/config.hpp>
#include <certtool/config_store.hpp>
#include <certtool/error.hpp>
#include <certtool/expiry.hpp>
#include <certtool/smtp_probe.hpp>
#include <certtool/tls_probe.hpp>
#include <certtool/verify.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <set>

namespace certtool::monitor {

namespace {

using std::chrono::duration_cast;

constexpr Seconds k_day{86400};
constexpr Seconds k_hundredth_day{864};
constexpr int k_max_days = 36500;

// The rank worst() compares: critical > warning > unknown > ok.
int rank(Status s) noexcept {
    switch (s) {
        case Status::ok:
            return 0;
        case Status::unknown:
            return 1;
        case Status::warning:
            return 2;
        case Status::critical:
            return 3;
    }
    return 0;
}

// Up to the next multiple of a hundredth of a day.
Seconds round_up_hundredth(Seconds s) {
    const auto n = (s.count() + k_hundredth_day.count() - 1) / k_hundredth_day.count();
    return Seconds{n * k_hundredth_day.count()};
}

// The certificate a service is (or a CA list entry, a chain element) as an item at `at`.
ExpiryItem make_item(ItemKind kind,
                     const Certificate& cert,
                     std::string entry,
                     std::string element,
                     const ExpiryRequest& request) {
    ExpiryItem item;
    item.kind = kind;
    item.entry = std::move(entry);
    item.element = std::move(element);
    item.subject = cert.subject();
    item.sha256 = cert.sha256_fingerprint();
    item.not_before = cert.not_before();
    item.not_after = cert.not_after();
    item.remaining = duration_cast<Seconds>(item.not_after - request.at);
    item.days_left = days_left(item.not_after, request.at);
    item.thresholds =
        for_lifetime(request.thresholds, duration_cast<Seconds>(item.not_after - item.not_before));
    item.status = expiry_status(item.thresholds, item.not_before, item.not_after, request.at);
    item.alert = ca_expiry_alert(item.not_after, request.at);
    item.alert_today = item.alert && *item.alert > 0 && item.days_left == *item.alert;
    if (item.remaining >= Seconds{0}) {
        for (const int step : k_ca_alert_days) {  // descending: the first below is the next
            if (step < item.days_left) {
                item.next_alert = step;
                break;
            }
        }
    }
    return item;
}

// "listener IncomingMail", "outbound", "https eth0", "ldap" for a binding key.
std::string service_of(const std::string& key) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (std::size_t slash = key.find('/'); slash != std::string::npos;
         slash = key.find('/', start)) {
        parts.push_back(key.substr(start, slash - start));
        start = slash + 1;
    }
    parts.push_back(key.substr(start));
    if (parts.size() == 3 && parts[0] == "listener") {
        return "listener " + parts[1];
    }
    if (parts.size() == 4 && parts[0] == "service") {
        return parts[1] + " " + parts[2];
    }
    if (parts.size() == 4 && parts[0] == "target") {
        return "file target " + parts[2];
    }
    if (parts.size() == 3 && parts[0] == "service") {
        return parts[1];
    }
    return parts[0];  // "outbound"
}

bool is_binding_key(const std::string& key) {
    return key.ends_with("/certificate") &&
           (key.starts_with("listener/") || key.starts_with("outbound/") ||
            key.starts_with("service/") || key.starts_with("target/files/"));
}

// Where the probe connects: a wildcard address means this machine.
std::string probe_address(const std::string& address) {
    if (address == "0.0.0.0") {
        return "127.0.0.1";
    }
    if (address == "::") {
        return "::1";
    }
    return address;
}

struct Bound {
    std::string service;
    std::string level;
    std::string entry;
};

// The certificate bindings of `machine`'s effective committed configuration.
std::vector<Bound> bound_entries(const config::Document& document, const std::string& machine) {
    std::vector<Bound> out;
    for (const auto& s : config::effective(document, machine)) {
        if (is_binding_key(s.key)) {
            out.push_back({service_of(s.key), std::string{config::level_name(s.level)}, s.value});
        }
    }
    return out;
}

class Checker {
public:
    Checker(const Store& store, const ExpiryRequest& request, ExpiryReport& report)
        : m_store(store), m_request(request), m_report(report) {}

    void run() {
        if (!m_store.exists()) {
            m_report.findings.push_back(
                {FindingCode::store_missing,
                 Status::unknown,
                 "store " + m_store.dir().string(),
                 fmt::format("the store '{}' does not exist: nothing to check; point --store or "
                             "CERTTOOL_HOME at the store the certificates are in",
                             m_store.dir().string())});
            return;
        }
        const config::ConfigStore configs{m_store};
        m_report.revision = configs.current_revision();
        const config::Document committed = configs.committed();
        const std::vector<Bound> bindings = bound_entries(committed, m_report.machine);
        std::set<std::string> bound_names;
        for (const auto& b : bindings) {
            bound_names.insert(b.entry);
        }
        for (const auto& listed : m_store.list()) {
            add_entry(listed, bound_names.contains(listed.name));
        }
        for (const auto& ca : read_ca_lists(m_store).custom) {
            ExpiryItem item = make_item(ItemKind::ca, ca.certificate, ca.name, "ca", m_request);
            item.enabled = ca.enabled;
            m_report.items.push_back(std::move(item));
        }
        for (const auto& b : bindings) {
            add_binding(b);
        }
        if (m_request.probe) {
            probe_listeners(committed, bindings);
        }
    }

private:
    void add_entry(const ListedEntry& listed, bool bound) {
        if (!listed.entry) {
            m_report.findings.push_back(
                {FindingCode::entry_damaged,
                 Status::unknown,
                 "entry " + listed.name,
                 fmt::format("store entry '{}' is damaged ({}): its expiry is unknown; {}",
                             listed.name,
                             listed.problem,
                             listed.fix)});
            return;
        }
        const Entry& e = *listed.entry;
        m_entries.emplace(listed.name, e.certificate);
        if (e.demonstration) {
            m_demo.insert(listed.name);
        }
        m_report.items.push_back(
            make_item(ItemKind::entry, e.certificate, listed.name, "leaf", m_request));
        for (std::size_t i = 0; i < e.chain.size(); ++i) {
            m_report.items.push_back(make_item(ItemKind::entry,
                                               e.chain[i],
                                               listed.name,
                                               fmt::format("chain{}", i + 1),
                                               m_request));
        }
        if (!e.certificate.is_self_signed()) {
            check_chain(e, bound);
        }
    }

    // The chain against the store's CA lists, time aside (expiry is the items' business).
    void check_chain(const Entry& e, bool bound) {
        if (!m_trust) {
            m_trust = effective_trust(m_store);
        }
        VerifyOptions options;
        options.at = m_request.at;
        options.check_time = false;
        const ChainReport report = verify_chain(e.certificate, e.chain, *m_trust, options);
        if (report.valid) {
            return;
        }
        std::string why = "no path to a trust anchor";
        for (const auto& f : report.findings) {
            if (f.severity == Severity::error) {
                why = fmt::format("{}: {}", finding_name(f.code), f.message);
                break;
            }
        }
        m_report.findings.push_back(
            {FindingCode::chain_invalid,
             bound ? Status::critical : Status::warning,
             "entry " + e.name,
             fmt::format("the chain of entry '{}' does not verify against {} ({}); certtool "
                         "verify {} shows the whole path",
                         e.name,
                         m_trust->description(),
                         why,
                         e.name)});
    }

    void add_binding(const Bound& b) {
        if (b.entry == config::k_demo_entry || m_demo.contains(b.entry)) {
            m_report.findings.push_back(
                {FindingCode::demo_bound,
                 Status::warning,
                 b.service,
                 fmt::format("{} ({}) is bound to the demonstration certificate '{}', which no "
                             "peer can verify: bind a certificate of your own and commit",
                             b.service,
                             b.level,
                             b.entry)});
        }
        const auto it = m_entries.find(b.entry);
        if (it == m_entries.end()) {
            if (!m_store.contains(b.entry)) {  // a damaged one is reported as such
                m_report.findings.push_back(
                    {FindingCode::entry_missing,
                     Status::critical,
                     b.service,
                     fmt::format("{} ({}) is bound to entry '{}', which the store does not have: "
                                 "restore it from a backup, or bind another entry and commit",
                                 b.service,
                                 b.level,
                                 b.entry)});
            }
            return;
        }
        ExpiryItem item = make_item(ItemKind::binding, it->second, b.entry, "leaf", m_request);
        item.service = b.service;
        item.level = b.level;
        m_report.items.push_back(std::move(item));
    }

    void probe_listeners(const config::Document& committed, const std::vector<Bound>& bindings) {
        const config::Configuration typed =
            config::typed(config::effective_settings(committed, m_report.machine));
        for (const auto& l : typed.listeners) {
            ListenerProbe p;
            p.listener = l.name;
            p.endpoint = l.endpoint.text();
            p.entry = l.certificate;
            if (const auto it = m_entries.find(l.certificate); it != m_entries.end()) {
                p.expected_sha256 = it->second.sha256_fingerprint();
            }
            if (l.tls != config::InboundTls::off) {
                probe_one(l, p, bindings);
            } else {
                p.detail = "TLS is off for this listener: no certificate to compare";
            }
            m_report.probes.push_back(std::move(p));
        }
        if (typed.nginx) {
            probe_https(typed, bindings);
        }
    }

    // Each HTTPS binding the nginx target serves: TLS from the first byte on its interface's
    // address, the served leaf compared with the bound entry's.
    void probe_https(const config::Configuration& typed, const std::vector<Bound>& bindings) {
        for (const auto& s : typed.services) {
            if (s.service != config::Service::https) {
                continue;
            }
            const auto listen = typed.nginx->listen.find(s.interface);
            if (listen == typed.nginx->listen.end()) {
                continue;  // the commit refuses such a binding
            }
            ListenerProbe p;
            p.listener = "https " + s.interface;
            p.endpoint = listen->second.text();
            p.entry = s.certificate;
            if (const auto it = m_entries.find(s.certificate); it != m_entries.end()) {
                p.expected_sha256 = it->second.sha256_fingerprint();
            }
            p.probed = true;
            const std::string& names = typed.nginx->server_name;
            try {
                const ServedChain served = probe_tls(probe_address(listen->second.address),
                                                     listen->second.port,
                                                     names.substr(0, names.find(' ')),
                                                     m_request.probe_timeout);
                p.reached = true;
                compare_served(
                    p, p.listener, served.certificates.front(), bindings, "the web server");
            } catch (const Error& e) {
                p.detail = e.what();
                m_report.findings.push_back(
                    {FindingCode::service_unreachable,
                     Status::unknown,
                     p.listener,
                     fmt::format("{} ({}) could not be reached ({}): what it serves is unknown; "
                                 "is nginx running?",
                                 p.listener,
                                 p.endpoint,
                                 p.detail)});
            }
            m_report.probes.push_back(std::move(p));
        }
    }

    // The served leaf as an item, and a stale-service finding when it is not the bound one.
    void compare_served(ListenerProbe& p,
                        const std::string& service,
                        const Certificate& leaf,
                        const std::vector<Bound>& bindings,
                        std::string_view server) {
        p.served_sha256 = leaf.sha256_fingerprint();
        ExpiryItem item = make_item(ItemKind::served, leaf, p.entry, "leaf", m_request);
        item.service = service;
        for (const auto& b : bindings) {
            if (b.service == service) {
                item.level = b.level;
            }
        }
        m_report.items.push_back(std::move(item));
        if (!p.expected_sha256.empty() && p.served_sha256 != p.expected_sha256) {
            m_report.findings.push_back(
                {FindingCode::stale_service,
                 Status::warning,
                 service,
                 fmt::format("{} ({}) serves '{}' (SHA-256 {}), not the committed entry '{}' "
                             "(SHA-256 {}): {} was not reloaded since the commit, or serves "
                             "another configuration (certtool changes shows a renewal not "
                             "committed yet)",
                             service,
                             p.endpoint,
                             leaf.subject(),
                             p.served_sha256,
                             p.entry,
                             p.expected_sha256,
                             server)});
        }
    }

    void probe_one(const config::Listener& l,
                   ListenerProbe& p,
                   const std::vector<Bound>& bindings) {
        static const TrustStore none = TrustStore::from_certificates({}, "none");
        ProbeOptions options;
        options.mode = ProbeMode::starttls;
        options.timeout = m_request.probe_timeout;
        options.deadline = 2 * m_request.probe_timeout;
        const std::string service = "listener " + l.name;
        const ProbeResult r =
            probe_smtp(probe_address(l.endpoint.address), l.endpoint.port, none, options);
        p.probed = true;
        p.reached = r.summary.connect;
        const auto failure = [&r] {
            for (const auto& s : r.steps) {
                if (s.status == StepStatus::failed) {
                    return fmt::format("{}: {}", s.name, s.detail);
                }
            }
            return std::string{"no reply"};
        };
        if (!p.reached) {
            p.detail = failure();
            m_report.findings.push_back(
                {FindingCode::service_unreachable,
                 Status::unknown,
                 service,
                 fmt::format("{} ({}) could not be reached ({}): what it serves is unknown; is "
                             "the mail server running?",
                             service,
                             p.endpoint,
                             p.detail)});
            return;
        }
        if (r.served.empty()) {
            p.detail = failure();
            m_report.findings.push_back(
                {FindingCode::stale_service,
                 Status::critical,
                 service,
                 fmt::format("{} ({}) serves no certificate ({}), but the committed "
                             "configuration has TLS {} with entry '{}': reload the mail server",
                             service,
                             p.endpoint,
                             p.detail,
                             config::inbound_tls_name(l.tls),
                             l.certificate)});
            return;
        }
        compare_served(p, service, r.served.front(), bindings, "the mail server");
    }

    const Store& m_store;
    const ExpiryRequest& m_request;
    ExpiryReport& m_report;
    std::map<std::string, Certificate> m_entries;  // readable entries: name -> leaf
    std::set<std::string> m_demo;                  // entries flagged as demonstration
    std::optional<TrustStore> m_trust;             // loaded for the first chain to verify
};

}  // namespace

std::string_view status_name(Status s) noexcept {
    switch (s) {
        case Status::ok:
            return "ok";
        case Status::warning:
            return "warning";
        case Status::critical:
            return "critical";
        case Status::unknown:
            return "unknown";
    }
    return "unknown";
}

Status worst(Status a, Status b) noexcept {
    return rank(a) >= rank(b) ? a : b;
}

std::string_view item_kind_name(ItemKind k) noexcept {
    switch (k) {
        case ItemKind::entry:
            return "entry";
        case ItemKind::ca:
            return "ca";
        case ItemKind::binding:
            return "binding";
        case ItemKind::served:
            return "served";
    }
    return "entry";
}

std::string_view finding_code_name(FindingCode c) noexcept {
    switch (c) {
        case FindingCode::stale_service:
            return "stale-service";
        case FindingCode::service_unreachable:
            return "service-unreachable";
        case FindingCode::demo_bound:
            return "demo-bound";
        case FindingCode::chain_invalid:
            return "chain-invalid";
        case FindingCode::entry_damaged:
            return "entry-damaged";
        case FindingCode::entry_missing:
            return "entry-missing";
        case FindingCode::store_missing:
            return "store-missing";
    }
    return "stale-service";
}

Thresholds Thresholds::from_days(std::optional<int> warn_days, std::optional<int> crit_days) {
    Thresholds t;
    for (const auto& [name, value] :
         {std::pair{"--warn-days", warn_days}, {"--crit-days", crit_days}}) {
        if (value && (*value < 0 || *value > k_max_days)) {
            throw Error(
                Errc::invalid_argument,
                fmt::format("{} {} is out of range: give 0 to {} days", name, *value, k_max_days));
        }
    }
    t.lifetime_share = !warn_days && !crit_days;
    t.warn_days = warn_days.value_or(t.warn_days);
    t.crit_days = crit_days.value_or(t.crit_days);
    if (t.crit_days > t.warn_days) {
        throw Error(Errc::invalid_argument,
                    fmt::format("--crit-days {} is more than --warn-days {}: the critical "
                                "threshold must not be above the warning one (give --warn-days {} "
                                "or more)",
                                t.crit_days,
                                t.warn_days,
                                t.crit_days));
    }
    return t;
}

ItemThresholds for_lifetime(const Thresholds& t, Seconds lifetime) {
    const Seconds warn = t.warn_days * k_day;
    const Seconds crit = t.crit_days * k_day;
    if (!t.lifetime_share || warn.count() == 0 || lifetime >= 3 * warn) {
        return {warn, crit};
    }
    // Scaled by lifetime / (3 warn), in integer arithmetic (seconds fit easily in 64 bits).
    const Seconds life = std::max(lifetime, Seconds{0});
    return {round_up_hundredth(Seconds{life.count() / 3}),
            round_up_hundredth(Seconds{life.count() * crit.count() / (3 * warn.count())})};
}

Status expiry_status(const ItemThresholds& t,
                     TimePoint not_before,
                     TimePoint not_after,
                     TimePoint at) {
    const auto remaining = duration_cast<Seconds>(not_after - at);
    if (remaining < t.crit || remaining < Seconds{0}) {
        return Status::critical;
    }
    if (remaining < t.warn || at < not_before) {
        return Status::warning;
    }
    return Status::ok;
}

std::string ExpiryItem::label() const {
    switch (kind) {
        case ItemKind::entry:
            return entry + " " + element;
        case ItemKind::ca:
            return "ca:" + entry;
        case ItemKind::binding: {
            std::string out = service;
            std::replace(out.begin(), out.end(), ' ', ':');
            return out;
        }
        case ItemKind::served:
            return "served:" + service.substr(service.find(' ') + 1);
    }
    return entry;
}

Status ExpiryReport::status() const {
    Status s = Status::ok;
    for (const auto& i : items) {
        s = worst(s, i.status);
    }
    for (const auto& f : findings) {
        s = worst(s, f.status);
    }
    return s;
}

std::vector<std::string> ExpiryReport::needs_renewal() const {
    std::set<std::string> names;
    for (const auto& i : items) {
        if (i.kind == ItemKind::entry &&
            (i.status == Status::warning || i.status == Status::critical)) {
            names.insert(i.entry);
        }
    }
    return {names.begin(), names.end()};
}

ExpiryReport check_expiry(const Store& store, const ExpiryRequest& request) {
    ExpiryReport report;
    report.store = store.dir().string();
    report.at = request.at;
    report.thresholds = request.thresholds;
    if (request.machine.empty()) {
        report.machine = config::local_machine_name();
    } else {
        config::validate_machine_name(request.machine);
        report.machine = request.machine;
    }
    Checker{store, request, report}.run();
    return report;
}

}  // namespace certtool::monitor
