#include "cli.hpp"
#include "render.hpp"

#include <certtool/mail_log.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>

namespace certtool::cli {

namespace {

struct MailLogOptions {
    std::vector<std::string> files;
    std::string format;
    std::string since;
    std::string until;
    std::string domain;
    std::string clear_messages;  // FILE for the whole list of messages without TLS
    std::size_t top{10};
    bool fail_on_tls_failure{false};
    bool verbose{false};
};

maillog::Options library_options(const MailLogOptions& opt) {
    maillog::Options options;
    if (!opt.since.empty()) {
        options.since = parse_time(opt.since);
    }
    if (!opt.until.empty()) {
        options.until = parse_time(opt.until);
    }
    if (!opt.domain.empty()) {
        options.domain = opt.domain;
    }
    return options;
}

// --clear-messages FILE: opens it and returns the callback writing one JSON object per line for
// every message without TLS ({"direction", "id", "domain"}), however many there are.
std::function<void(const maillog::ClearMessage&)> clear_list_writer(const std::string& path,
                                                                    std::ofstream& file) {
    file.open(path, std::ios::out | std::ios::trunc);
    if (!file) {
        const int err = errno;
        throw Error(Errc::io,
                    fmt::format("cannot write '{}': {}: pass a writable path to --clear-messages",
                                path,
                                std::strerror(err)));
    }
    return [&file](const maillog::ClearMessage& m) {
        nlohmann::json j{{"direction", m.outbound ? "outbound" : "inbound"}, {"id", m.id}};
        if (!m.domain.empty()) {
            j["domain"] = m.domain;
        }
        file << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    };
}

void close_clear_list(std::ofstream& file, const std::string& path) {
    file.close();
    if (!file) {
        throw Error(Errc::io, fmt::format("cannot write '{}': the list is incomplete", path));
    }
}

// Warns about what the report could not read; returns the first damage that fails the run.
const maillog::InputDamage* warn_about_input(const maillog::Report& report,
                                             const maillog::Options& options,
                                             Output& out) {
    if (report.over_long != 0) {
        out.warn(fmt::format("{} line(s) longer than {} bytes were skipped (is this a text log?)",
                             report.over_long,
                             options.max_line));
    }
    for (const auto& [path, format] : report.unmatched_files) {
        out.warn(
            fmt::format("no line of '{}' is {} log line: the report is empty for it; drop "
                        "--format to detect the format, or check the file",
                        path,
                        format == maillog::Format::esa ? "an appliance (esa)" : "a Postfix"));
    }
    const maillog::InputDamage* fatal = nullptr;
    for (const auto& d : report.damaged_inputs) {
        if (d.fatal() && fatal == nullptr) {
            fatal = &d;
        } else {
            out.warn(maillog::describe(d));
        }
    }
    return fatal;
}

// A damaged .gz: the report stands for what was read, and the run exits 4 (malformed input).
ExitCode fail_on_damage(const maillog::InputDamage& damage, Output& out) {
    const std::string message = maillog::describe(damage) +
                                ": the report covers only that part; restore the file from a "
                                "backup or leave it out";
    if (!out.json()) {
        throw Error(Errc::parse, message);
    }
    out.result()["error"] = {{"code", "parse"}, {"message", message}};
    out.result()["exit_code"] = static_cast<int>(ExitCode::malformed_input);
    return ExitCode::malformed_input;
}

// --top: a whole number of rows. CLI11's PositiveNumber would answer "Value 0 not in range
// 0.000000 to 1797...".
const CLI::Validator k_row_count{
    [](const std::string& text) {
        const bool digits = !text.empty() && text.size() <= 9 &&
                            text.find_first_not_of("0123456789") == std::string::npos;
        return digits ? std::string{}
                      : "'" + text + "' is not a number of rows: give 0 (all) or more";
    },
    "N"};

// Rows to show: 0 asks for all of them.
std::size_t row_limit(std::size_t top) {
    return top == 0 ? std::numeric_limits<std::size_t>::max() : top;
}

ExitCode run_mail_log(const MailLogOptions& opt, Output& out) {
    maillog::Options options = library_options(opt);
    std::ofstream clear_list;
    if (!opt.clear_messages.empty()) {
        options.on_clear_message = clear_list_writer(opt.clear_messages, clear_list);
    }
    const auto format = opt.format.empty() ? std::nullopt : maillog::parse_format(opt.format);
    const maillog::Report report = maillog::analyze_files(opt.files, format, options);
    if (!opt.clear_messages.empty()) {
        close_clear_list(clear_list, opt.clear_messages);
    }
    if (out.json()) {
        out.result() = mail_log_json(report, row_limit(opt.top), opt.verbose);
    } else {
        print_mail_log(out.text(), report, row_limit(opt.top), opt.verbose);
    }
    if (const auto* damage = warn_about_input(report, options, out)) {
        return fail_on_damage(*damage, out);
    }
    return opt.fail_on_tls_failure && maillog::tls_failure_seen(report) ? ExitCode::check_failed
                                                                        : ExitCode::ok;
}

}  // namespace

void add_mail_log(CLI::App& app, Dispatch& dispatch) {
    auto opt = std::make_shared<MailLogOptions>();
    auto* sub = app.add_subcommand("mail-log", "TLS report from appliance or Postfix mail logs");
    sub->add_option("FILE", opt->files, "log files ('-' = stdin; .gz read directly)")->required();
    sub->add_option("--format", opt->format, "force the format (default: detected per file)")
        ->check(CLI::IsMember({"esa", "postfix"}));
    sub->add_option("--since", opt->since, "only lines at or after TIME (RFC 3339)")
        ->type_name("TIME");
    sub->add_option("--until", opt->until, "only lines before TIME (RFC 3339)")->type_name("TIME");
    sub->add_option("--domain", opt->domain, "only outbound traffic to this domain");
    sub->add_option("--top", opt->top, "rows per distribution (default 10; 0 = all)")
        ->type_name("N")
        ->check(k_row_count);
    sub->add_flag("--fail-on-tls-failure",
                  opt->fail_on_tls_failure,
                  "exit 1 if any TLS failure or required-TLS failure is in the log");
    sub->add_option("--clear-messages",
                    opt->clear_messages,
                    "write every message without TLS to FILE, one JSON object per line")
        ->type_name("FILE");
    sub->add_flag("-v,--verbose", opt->verbose, "show malformed lines with their numbers");
    add_common(*sub, dispatch.common);
    sub->footer(footer({"certtool mail-log /var/log/mail_logs.current mail_logs.*.gz",
                        "certtool mail-log --json --since 2026-11-01T00:00:00Z /var/log/mail.log",
                        "certtool mail-log --fail-on-tls-failure --domain example.com mail.log"}));
    dispatch.runners[sub] = [opt](Output& out) { return run_mail_log(*opt, out); };
}

}  // namespace certtool::cli
