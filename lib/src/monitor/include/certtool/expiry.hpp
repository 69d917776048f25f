// check-expiry: every certificate this machine depends on, how long it has left, and what
// needs attention (README, "Expiry monitoring"). The items are each store entry's leaf and
// chain certificates, each custom CA of the store's CA list, each certificate binding of the
// committed configuration (this machine's effective settings) and, with a probe, the leaf each
// committed listener actually serves. Findings are what is wrong besides time: a stale service,
// a binding to the demonstration certificate, a chain that does not verify.
//
// The library decides (levels, thresholds, findings, what needs renewal) and formats the two
// machine-read outputs whose rules are external: the Nagios plugin line and the node-exporter
// textfile. The command only renders text and JSON.
#pragma once

#include <certtool/store.hpp>
#include <certtool/time.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certtool::monitor {

// An item's or the whole report's state. Ordered as the Monitoring Plugins' max_state_alt:
// critical > warning > unknown > ok (worst()).
enum class Status { ok, warning, critical, unknown };
[[nodiscard]] std::string_view status_name(Status s) noexcept;  // "ok", "warning", ...
[[nodiscard]] Status worst(Status a, Status b) noexcept;

using Seconds = std::chrono::seconds;

// The thresholds of one run. Defaults: warning with less than 30 days left, critical with less
// than 7, both shortened for short-lived certificates by the lifetime share (for_lifetime()).
struct Thresholds {
    int warn_days{30};
    int crit_days{7};
    // On by default; giving --warn-days or --crit-days turns it off (the days are then exact).
    bool lifetime_share{true};

    // The command line's thresholds: unset options keep the defaults, and giving either turns
    // the lifetime share off. Throws Error{invalid_argument} for a negative value, more than
    // 36500 days, or crit above warn (naming the fix).
    [[nodiscard]] static Thresholds from_days(std::optional<int> warn_days,
                                              std::optional<int> crit_days);
};

// The thresholds that apply to one certificate, as time left.
struct ItemThresholds {
    Seconds warn{0};
    Seconds crit{0};
};

// With the lifetime share, a certificate whose lifetime is shorter than 3 x warn_days gets both
// thresholds scaled by lifetime / (3 x warn_days): warning at 1/3 of its lifetime left, critical
// at crit_days/warn_days of that (a 90-day certificate: 30 and 7 days; a 30-day one: 10 days
// and 2 d 8 h; a 6-day one: 2 days and 11 h 12 min). Scaled thresholds are rounded up to a
// hundredth of a day (864 s), the resolution of the Nagios performance data. Without it, or for
// longer lifetimes: exactly warn_days and crit_days.
[[nodiscard]] ItemThresholds for_lifetime(const Thresholds& t, Seconds lifetime);

// critical when less than `crit` is left (so always once expired: less than zero), else
// warning when less than `warn` is left or the certificate is not valid yet, else ok.
[[nodiscard]] Status expiry_status(const ItemThresholds& t,
                                   TimePoint not_before,
                                   TimePoint not_after,
                                   TimePoint at);

enum class ItemKind {
    entry,    // a store entry's own certificate (element "leaf") or a chain certificate
    ca,       // a custom CA of the store's CA list (element "ca")
    binding,  // a certificate binding of the committed configuration (the bound entry's leaf)
    served,   // the leaf a committed listener serves (--probe)
};
[[nodiscard]] std::string_view item_kind_name(ItemKind k) noexcept;  // "entry", ...

struct ExpiryItem {
    ItemKind kind{ItemKind::entry};
    std::string entry;    // the store entry; the CA's name for ItemKind::ca
    std::string service;  // binding/served: "listener IncomingMail", "outbound", "https eth0",
                          // "ldap"; "" otherwise
    std::string level;    // binding/served: where the binding comes from, "cluster" or "machine"
    std::string element;  // "leaf", "chain1" (the leaf's issuer), "chain2", ..., "ca"
    std::string subject;
    std::string sha256;  // the certificate's SHA-256 fingerprint ("AB:CD:...")
    TimePoint not_before{};
    TimePoint not_after{};
    Seconds remaining{0};  // not_after - at (negative once expired)
    long days_left{0};     // whole days (ca_lists.hpp days_left())
    ItemThresholds thresholds;
    Status status{Status::ok};
    bool enabled{true};  // ca: whether the custom CA is enabled
    // The appliance's alert schedule (90, 60, 30, 15, 5, 4, 3, 2, 1 days): the step the item
    // is within (0 once expired; none above 90 days), whether today is that step's day (the
    // appliance alerts then), and the next step ahead (none below 1 day or once expired).
    std::optional<int> alert;
    bool alert_today{false};
    std::optional<int> next_alert;

    // "mail leaf", "mail chain1", "ca corp-Root", "listener IncomingMail", "listener
    // IncomingMail served": unique within a report.
    [[nodiscard]] std::string label() const;
};

// Stable codes (scripts match on them; never renamed or reused).
enum class FindingCode {
    stale_service,        // a listener serves another leaf than the committed one, or none
    service_unreachable,  // a committed listener could not be reached (--probe)
    demo_bound,           // a binding points at the demonstration certificate
    chain_invalid,        // an entry's chain does not verify against the store's CA lists
    entry_damaged,        // an entry file cannot be read as an entry
    entry_missing,        // the committed configuration binds an entry the store lacks
    store_missing,        // the store directory does not exist (a wrong path?)
};
[[nodiscard]] std::string_view finding_code_name(FindingCode c) noexcept;  // "stale-service"

struct ExpiryFinding {
    FindingCode code{FindingCode::stale_service};
    Status status{Status::warning};
    std::string subject;  // what it is about: "listener IncomingMail", "entry mail"
    std::string message;  // one line: the problem and the fix
};

// What one listener probe saw (--probe).
struct ListenerProbe {
    std::string listener;
    std::string endpoint;  // "127.0.0.1:25" as committed
    std::string entry;     // the bound entry
    bool probed{false};    // false when the listener's TLS is off (nothing to compare)
    bool reached{false};
    std::string expected_sha256;  // the bound entry's leaf ("" if the entry is missing)
    std::string served_sha256;    // "" when nothing was served
    std::string detail;           // why it was not reached / served nothing
};

struct ExpiryRequest {
    TimePoint at{};  // evaluate as of this time
    Thresholds thresholds;
    std::string machine;  // whose effective committed configuration; "" = this host
    bool probe{false};
    std::chrono::milliseconds probe_timeout{5000};  // per phase; each probe ends within 2x
};

struct ExpiryReport {
    std::string store;  // the store directory
    TimePoint at{};
    Thresholds thresholds;
    std::string machine;
    int revision{0};  // the committed revision read (0: none yet)
    std::vector<ExpiryItem> items;
    std::vector<ExpiryFinding> findings;
    std::vector<ListenerProbe> probes;

    // The worst status of every item and finding (ok when there is none).
    [[nodiscard]] Status status() const;
    // Entries whose leaf or a chain certificate is at warning or critical (sorted, once each):
    // what a renewal job should renew.
    [[nodiscard]] std::vector<std::string> needs_renewal() const;
};

// Reads the store (entries, CA lists), the committed configuration and, when asked, probes the
// committed listeners (STARTTLS, request.probe_timeout per phase). Answers are values: an
// unreachable listener, a damaged entry or a missing store are findings. Throws Error{io} when
// the store or its configuration cannot be read, Error{parse} when a revision or the CA lists
// are damaged, Error{invalid_argument} for a bad machine name.
[[nodiscard]] ExpiryReport check_expiry(const Store& store, const ExpiryRequest& request);

// ---- Machine-read outputs ----------------------------------------------------------------------

// The Nagios plugin exit code of a status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
[[nodiscard]] int nagios_code(Status s) noexcept;

// The plugin output (Nagios Plugin Development Guidelines): a first line
// "CERTTOOL EXPIRY <STATUS> - <summary> | <perfdata>", then one line per item or finding that
// is not ok. Performance data: one 'label'=days;warn;crit per item, days left rounded down to
// a hundredth, thresholds as ranges ("30:": alert below 30), so a value alerts in Nagios exactly
// when the item is at that level.
[[nodiscard]] std::string nagios_output(const ExpiryReport& report);
// "CERTTOOL EXPIRY UNKNOWN - <message>\n" (the message made one line).
[[nodiscard]] std::string nagios_unknown(std::string_view message);
// A perfdata label: quoted in single quotes, a quote doubled, '=' replaced by '_'.
[[nodiscard]] std::string nagios_label(std::string_view label);

// The node-exporter textfile collector format (HELP, TYPE, one sample per line, label values
// escaped): certtool_certificate_not_after (unix seconds) and _not_before per item with the
// labels kind, entry, service, level and element, and certtool_certificate_status (0 ok,
// 1 warning, 2 critical) with the same labels; certtool_check_expiry_findings per
// code; certtool_check_expiry_status (0 ok, 1 warning, 2 critical, 3 unknown) and
// certtool_check_expiry_last_run_timestamp_seconds (`run_time`).
[[nodiscard]] std::string prometheus_text(const ExpiryReport& report, TimePoint run_time);
// The file of a run that could not check (the store cannot be read): status 3 and the run time
// only, so an alert on the status fires rather than the old values staying in place.
[[nodiscard]] std::string prometheus_unknown(TimePoint run_time);
// A label value escaped for the exposition format: backslash, double quote and line feed.
[[nodiscard]] std::string prometheus_label_value(std::string_view value);

}  // namespace certtool::monitor
