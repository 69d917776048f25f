// The Analyzer: picks the parser for a line's format and drives it into the tally sink. The
// formats live in esa_parser.cpp and postfix_parser.cpp, the counting in tally_sink.cpp, file
// reading in mail_log_files.cpp.
#include "esa_parser.hpp"
#include "postfix_parser.hpp"
#include "scan.hpp"
#include "tally_sink.hpp"
#include "text.hpp"

#include <certtool/mail_log.hpp>

#include <memory>

namespace certtool::maillog {

std::string_view format_name(Format f) noexcept {
    return f == Format::esa ? "esa" : "postfix";
}

std::optional<Format> parse_format(std::string_view name) noexcept {
    if (name == "esa") {
        return Format::esa;
    }
    if (name == "postfix") {
        return Format::postfix;
    }
    return std::nullopt;
}

std::optional<Format> detect_format(std::string_view sample) {
    std::size_t esa = 0;
    std::size_t postfix = 0;
    std::size_t start = 0;
    while (start < sample.size()) {
        std::size_t end = sample.find('\n', start);
        if (end == std::string_view::npos) {
            end = sample.size();
        }
        const std::string_view line = sample.substr(start, end - start);
        if (line.find(" Info: ") != std::string_view::npos ||
            line.find(" Warning: ") != std::string_view::npos) {
            ++esa;
        }
        if (line.find("postfix") != std::string_view::npos &&
            line.find("]: ") != std::string_view::npos) {
            ++postfix;
        }
        start = end + 1;
    }
    if (esa == 0 && postfix == 0) {
        return std::nullopt;
    }
    return esa >= postfix ? Format::esa : Format::postfix;
}

std::vector<std::string> repeated_failure_domains(const Report& report) {
    std::vector<std::string> domains;
    for (const auto& [domain, stats] : report.outbound.domains) {
        if (stats.counts.tls_failed >= 2) {
            domains.push_back(domain);
        }
    }
    return domains;
}

bool tls_failure_seen(const Report& report) noexcept {
    return report.inbound.counts.tls_failed + report.outbound.counts.tls_failed +
               report.required_tls_failures >
           0;
}

bool is_legacy_protocol(std::string_view protocol) {
    return protocol == "TLSv1" || protocol == "TLSv1.0" || protocol == "TLSv1.1" ||
           starts_with(protocol, "SSL");
}

bool is_weak_cipher(std::string_view cipher) {
    const std::string c = text::ascii_lower(cipher);
    for (const char* weak : {"rc4",
                             "des-cbc",
                             "des-cbc3",
                             "3des",
                             "_des_",
                             "null",
                             "exp",
                             "adh",
                             "aecdh",
                             "anon",
                             "md5",
                             "rc2"}) {
        if (c.find(weak) != std::string::npos) {
            return true;
        }
    }
    return false;
}

struct Analyzer::State {
    explicit State(Options options) : sink(std::move(options)) {}

    TallySink sink;
    EsaParser esa{sink};
    PostfixParser postfix{sink};
};

Analyzer::Analyzer(Options options) : m_state(std::make_unique<State>(std::move(options))) {}

Analyzer::Analyzer(Analyzer&&) noexcept = default;
Analyzer& Analyzer::operator=(Analyzer&&) noexcept = default;
Analyzer::~Analyzer() = default;

void Analyzer::feed(std::string_view line, Format format, std::uint64_t line_number) {
    m_state->sink.count_line();
    if (!line.empty() && line.back() == '\r') {
        line.remove_suffix(1);
    }
    if (line.empty() || (line.front() == ' ' && trim(line).empty())) {
        return;
    }
    if (format == Format::esa) {
        m_state->esa.feed(line, line_number);
    } else {
        m_state->postfix.feed(line, line_number);
    }
}

void Analyzer::over_long(std::string_view head, std::uint64_t line_number) {
    m_state->sink.count_line();
    m_state->sink.over_long(head, line_number);
}

std::uint64_t Analyzer::recognized() const noexcept {
    return m_state->sink.recognized();
}

Report Analyzer::finish() {
    return m_state->sink.finish();
}

}  // namespace certtool::maillog
