// policy explain: which sender group or destination row of the pending configuration applies,
// and what it means for the mail (config/policy.hpp decides); --probe adds what a probe of the
// domain's MX hosts says (net), read through the row's mode (tls_policy's delivery()).
#include "cli.hpp"
#include "config_common.hpp"

#include <certtool/policy.hpp>
#include <certtool/smtp_probe.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <chrono>

namespace certtool::cli {

namespace {

struct PolicyExplainOptions {
    std::string listener;
    std::string client;
    std::string client_name;
    std::string domain;
    bool probe{false};
    std::string machine;
    // --probe only
    std::vector<std::string> trust;
    std::string dns_server;
    unsigned port{25};
    double timeout{10};
};

struct PendingConfiguration {
    std::string machine;
    bool staged{false};
    config::Configuration configuration;
};

// The staged configuration if there is one, else the committed one, as `machine` sees it.
PendingConfiguration read_pending(const PolicyExplainOptions& opt, const Common& common) {
    const Store store = open_store(common);
    const config::ConfigStore configs{store};
    const auto staged = configs.staged();
    const std::string machine = machine_of(LevelOptions{"", opt.machine});
    const config::Document document = staged ? *staged : configs.committed();
    return {
        machine, staged.has_value(), config::typed(config::effective_settings(document, machine))};
}

void print_policy_caveats(std::ostream& out, const std::vector<std::string>& caveats) {
    for (const auto& c : caveats) {
        out << "caveat: " << c << '\n';
    }
}

ExitCode explain_inbound(const PolicyExplainOptions& opt,
                         const PendingConfiguration& pending,
                         Output& out) {
    const auto e =
        config::explain_client(pending.configuration, {opt.listener, opt.client, opt.client_name});
    const std::string tls{config::inbound_tls_name(e.tls)};
    if (out.json()) {
        nlohmann::json group = nullptr;
        if (e.match) {
            group = {{"name", e.match->group},
                     {"position", e.match->position},
                     {"member", e.match->member.text},
                     {"member_kind", config::member_kind_name(e.match->member.kind)}};
        }
        out.result() = {
            {"machine", pending.machine},
            {"staged", pending.staged},
            {"listener", e.listener},
            {"endpoint", e.endpoint},
            {"client",
             {{"address", e.client_address},
              {"name", e.client_name.empty() ? nlohmann::json{} : nlohmann::json(e.client_name)},
              {"ipv4_mapped", e.ipv4_mapped}}},
            {"group", group},
            {"tls", tls},
            {"meaning", e.meaning},
            {"caveats", e.caveats}};
        return ExitCode::ok;
    }
    auto& o = out.text();
    o << fmt::format("listener {} ({}), client {}{}\n",
                     e.listener,
                     e.endpoint,
                     e.client_address,
                     e.client_name.empty() ? "" : " (" + e.client_name + ")");
    if (e.match) {
        o << fmt::format("sender group {} (position {}), matched by {} {}\n",
                         e.match->group,
                         e.match->position,
                         config::member_kind_name(e.match->member.kind),
                         e.match->member.text);
    } else {
        o << "no sender group matches: the listener's default policy\n";
    }
    o << fmt::format("TLS {}: {}\n", tls, e.meaning);
    print_policy_caveats(o, e.caveats);
    return ExitCode::ok;
}

nlohmann::json outbound_json(const config::OutboundExplanation& e) {
    nlohmann::json outcomes = nlohmann::json::array();
    for (const auto& r : e.outcomes) {
        outcomes.push_back({{"outcome", std::string(1, outcome_letter(r.outcome))},
                            {"description", outcome_description(r.outcome)},
                            {"delivered", r.delivery.delivered},
                            {"encrypted", r.delivery.encrypted},
                            {"verified", r.delivery.verified},
                            {"result", r.result}});
    }
    return {{"domain", e.domain},
            {"row",
             {{"kind", config::row_kind_name(e.row)},
              {"domain", e.row_domain.empty() ? nlohmann::json{} : nlohmann::json(e.row_domain)}}},
            {"mode", config::tls_mode_key(e.mode)},
            {"meaning", e.meaning},
            {"outcomes", outcomes},
            {"caveats", e.caveats}};
}

void print_outbound(std::ostream& o, const config::OutboundExplanation& e) {
    const std::string row =
        e.row == config::RowKind::exact ? "row " + e.row_domain
        : e.row == config::RowKind::parent
            ? fmt::format("row {} (no row for {} itself)", e.row_domain, e.domain)
            : fmt::format("the default row (no row for {} or a parent)", e.domain);
    o << fmt::format("domain {}: {}\n", e.domain, row);
    o << fmt::format("mode {}: {}\n", tls_mode_name(e.mode), e.meaning);
    for (const auto& r : e.outcomes) {
        o << fmt::format("  {}  {:<48}  {}\n",
                         outcome_letter(r.outcome),
                         outcome_description(r.outcome),
                         r.result);
    }
    print_policy_caveats(o, e.caveats);
}

// The probe of the domain's MX hosts (net), read through the row's mode.
nlohmann::json probe_domain(const PolicyExplainOptions& opt,
                            const Common& common,
                            const config::OutboundExplanation& e,
                            config::ProbeAnswer& answer) {
    ProbeOptions po;
    po.timeout = std::chrono::milliseconds{static_cast<long>(opt.timeout * 1000)};
    if (!opt.dns_server.empty()) {
        po.dns_server = DnsServer::parse(opt.dns_server);
    }
    const TrustStore trust = trust_from_option(opt.trust, common);
    const MxReport report = probe_mx(e.domain, static_cast<std::uint16_t>(opt.port), trust, po);
    answer = config::probe_answer(e, report);
    nlohmann::json hosts = nlohmann::json::array();
    for (const auto& h : report.hosts) {
        hosts.push_back({{"host", h.host},
                         {"preference", h.mx_preference},
                         {"outcome", std::string(1, outcome_letter(h.outcome))},
                         {"result", config::delivery_result(delivery(e.mode, h.outcome))}});
    }
    return {{"verdict", answer.verdict},
            {"host", answer.host},
            {"outcome", std::string(1, outcome_letter(answer.outcome))},
            {"delivered", answer.delivery.delivered},
            {"as_demanded", answer.delivery.as_demanded},
            {"result", config::delivery_result(answer.delivery)},
            {"hosts", hosts}};
}

ExitCode explain_outbound(const PolicyExplainOptions& opt,
                          const Common& common,
                          const PendingConfiguration& pending,
                          Output& out) {
    const auto e = config::explain_domain(pending.configuration, opt.domain);
    nlohmann::json j = outbound_json(e);
    j["machine"] = pending.machine;
    j["staged"] = pending.staged;
    config::ProbeAnswer answer;
    if (opt.probe) {
        j["probe"] = probe_domain(opt, common, e, answer);
    }
    if (out.json()) {
        out.result() = j;
    } else {
        print_outbound(out.text(), e);
        if (opt.probe) {
            out.text() << "probe: mail for " << e.domain << ' ' << answer.verdict << '\n';
        }
    }
    return opt.probe && !answer.delivery.as_demanded ? ExitCode::check_failed : ExitCode::ok;
}

ExitCode run_policy_explain(const PolicyExplainOptions& opt, const Common& common, Output& out) {
    if (opt.domain.empty() == opt.listener.empty()) {
        throw Error(Errc::invalid_argument,
                    "give --listener L --client IP, or --domain D (one of them)");
    }
    if (!opt.listener.empty() && opt.client.empty()) {
        throw Error(Errc::invalid_argument, "--listener needs --client IP");
    }
    const PendingConfiguration pending = read_pending(opt, common);
    if (pending.staged) {
        out.note("explaining the pending configuration: it includes staged changes");
    }
    return opt.domain.empty() ? explain_inbound(opt, pending, out)
                              : explain_outbound(opt, common, pending, out);
}

}  // namespace

void add_policy_commands(CLI::App& app, Dispatch& dispatch) {
    auto* group = app.add_subcommand(
        "policy", "explain which sender group or destination row applies, and what it does");
    group->require_subcommand(1);
    add_common(*group, dispatch.common);
    auto opt = std::make_shared<PolicyExplainOptions>();
    auto* sub = group->add_subcommand(
        "explain", "which TLS policy applies to a client or a domain, and what it does to mail");
    auto* listener =
        sub->add_option("--listener", opt->listener, "the listener a client connects to")
            ->type_name("NAME");
    auto* client = sub->add_option("--client", opt->client, "the client's IPv4 or IPv6 address")
                       ->type_name("IP");
    auto* name = sub->add_option("--client-name",
                                 opt->client_name,
                                 "the client's verified reverse name (for host-name members)")
                     ->type_name("HOST");
    auto* domain =
        sub->add_option("--domain", opt->domain, "a destination mail domain")->type_name("DOMAIN");
    auto* probe = sub->add_flag(
        "--probe", opt->probe, "probe the domain's MX hosts: what happens to its mail now");
    auto* trust = add_trust_option(
        *sub,
        opt->trust,
        "trust anchors for --probe (default: the store's CA lists, certtool ca list)");
    auto* dns = sub->add_option("--dns-server",
                                opt->dns_server,
                                "resolve MX and host names with this server (--probe)")
                    ->type_name("IP[:PORT]");
    auto* port = sub->add_option("--port", opt->port, "SMTP port to probe (default 25)")
                     ->check(CLI::Range(1, 65535));
    auto* timeout =
        sub->add_option("--timeout", opt->timeout, "seconds allowed per probe phase (default 10)")
            ->check(CLI::Range(0.05, 600.0));
    sub->add_option("--machine", opt->machine, "the machine (default: this host's name)")
        ->type_name("NAME");
    add_common(*sub, dispatch.common);
    client->needs(listener);
    name->needs(client);
    domain->excludes(listener)->excludes(client)->excludes(name);
    for (CLI::Option* o : {trust, dns, port, timeout}) {
        o->needs(probe);
    }
    probe->needs(domain);
    sub->footer(
        footer({"certtool policy explain --listener IncomingMail --client 192.0.2.7 --client-name "
                "mx.partner.example",
                "certtool policy explain --domain example.com",
                "certtool policy explain --domain example.com --probe --json"}));
    dispatch.runners[sub] = [opt, &common = dispatch.common](Output& out) {
        return run_policy_explain(*opt, common, out);
    };
}

}  // namespace certtool::cli
