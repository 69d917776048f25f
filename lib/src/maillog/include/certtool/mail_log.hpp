// TLS report from mail gateway logs: appliance (AsyncOS mail_logs) and Postfix formats.
// One pass over the lines in bounded memory whatever the input: lines are capped (max_line), the
// connections and messages still open are bounded (the oldest are finished early when the bound
// is reached), and so are the names tallied. Lines that do not parse are counted, never fatal.
// Events read are listed in README "mail-log".
#pragma once

#include <certtool/time.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certtool::maillog {

enum class Format { esa, postfix };
[[nodiscard]] std::string_view format_name(Format f) noexcept;
[[nodiscard]] std::optional<Format> parse_format(std::string_view name) noexcept;

// Guesses the format from a sample of lines (the first few KiB of a file).
[[nodiscard]] std::optional<Format> detect_format(std::string_view sample);

// A message that went out (or came in) without TLS, as the analyzer finds it.
struct ClearMessage {
    bool outbound{false};
    std::string_view id;      // MID or Postfix queue id
    std::string_view domain;  // outbound: the destination domain, when known
};

struct Options {
    std::optional<TimePoint> since;     // lines before are skipped
    std::optional<TimePoint> until;     // lines at or after are skipped
    std::optional<std::string> domain;  // only outbound connections/messages to this domain
    std::size_t max_open{50000};        // open connections (and messages awaiting delivery) tracked
    std::size_t max_examples{50};       // malformed lines / MIDs kept as examples
    std::size_t max_line{64U * 1024U};  // longer lines are counted as over-long and skipped
    // Called for every message without TLS (the report lists only the first max_examples):
    // the whole list in constant memory. The views are valid during the call only.
    std::function<void(const ClearMessage&)> on_clear_message;
};

struct Counts {
    std::uint64_t connections{0};
    std::uint64_t tls_success{0};
    std::uint64_t tls_failed{0};
    std::uint64_t no_tls{0};  // ended with neither success nor failure
};

struct DomainStats {
    Counts counts;
    std::map<std::string, std::uint64_t> failures;  // reason -> count
};

struct DirectionReport {
    Counts counts;
    std::map<std::string, std::uint64_t> failures;   // reason -> count
    std::map<std::string, std::uint64_t> protocols;  // "TLSv1.2" -> count
    std::map<std::string, std::uint64_t> ciphers;
    std::uint64_t legacy_protocol{0};  // TLS 1.0/1.1, SSLv3
    std::uint64_t weak_cipher{0};      // RC4, DES/3DES, NULL, EXPORT, anonymous, MD5
    std::uint64_t messages_without_tls{0};
    std::vector<std::string> messages_without_tls_ids;  // first max_examples MIDs / queue ids
    std::map<std::string, DomainStats> domains;         // outbound: per destination domain
};

struct MalformedLine {
    std::uint64_t line{0};
    std::string text;
};

// A .gz input that stopped before its end. What was read before is in the report.
struct InputDamage {
    enum class Kind {
        truncated,        // ends inside a gzip member: a log still being written, or cut short
        corrupt,          // bad header, invalid compressed data, CRC or length mismatch
        trailing_garbage  // bytes after the last gzip member that are not a member
    };
    std::string path;
    Kind kind{Kind::corrupt};
    std::string detail;       // zlib's message, if any
    std::uint64_t offset{0};  // compressed byte where reading stopped
    std::uint64_t member{0};  // 1-based gzip member it was found in (or after)
    std::uint64_t lines{0};   // lines of that file read before it
    std::uint64_t bytes{0};   // decompressed bytes of that file read before it

    // Truncation is reported as a warning (the report is complete up to the end of what exists);
    // anything else means part of the file could not be read.
    [[nodiscard]] bool fatal() const noexcept { return kind != Kind::truncated; }
};

// One line: what is wrong with the file, where, and what was read before it.
[[nodiscard]] std::string describe(const InputDamage& damage);
[[nodiscard]] std::string_view kind_name(InputDamage::Kind kind) noexcept;

struct Report {
    DirectionReport inbound;
    DirectionReport outbound;
    std::uint64_t lines{0};
    std::uint64_t malformed{0};  // lines of the format that could not be read
    std::uint64_t over_long{0};  // lines longer than Options::max_line, skipped
    std::uint64_t truncated{0};  // lines cut short in their last value (which is not used)
    std::uint64_t evicted{0};    // connections finished early because of max_open
    std::uint64_t required_tls_failures{0};
    std::vector<MalformedLine> malformed_examples;
    std::vector<MalformedLine> over_long_examples;  // their first 300 bytes
    std::vector<InputDamage> damaged_inputs;        // .gz files that stopped early
    std::uint64_t recognized{0};  // lines in the shape of their format (read or not)
    // Files with lines, none of them in the shape of the format read: a wrong --format?
    std::vector<std::pair<std::string, Format>> unmatched_files;
};

// Outbound destination domains where TLS failed more than once.
[[nodiscard]] std::vector<std::string> repeated_failure_domains(const Report& report);

// Any TLS failure (either direction) or required-TLS failure: what --fail-on-tls-failure asks.
[[nodiscard]] bool tls_failure_seen(const Report& report) noexcept;

// Is this protocol / cipher weak by today's standards?
[[nodiscard]] bool is_legacy_protocol(std::string_view protocol);
[[nodiscard]] bool is_weak_cipher(std::string_view cipher);

class Analyzer {
public:
    explicit Analyzer(Options options);
    Analyzer(const Analyzer&) = delete;
    Analyzer& operator=(const Analyzer&) = delete;
    Analyzer(Analyzer&&) noexcept;
    Analyzer& operator=(Analyzer&&) noexcept;
    ~Analyzer();

    // One line (without its newline). line_number is for malformed-line examples.
    void feed(std::string_view line, Format format, std::uint64_t line_number);

    // A line longer than Options::max_line, of which `head` is the start: counted, not read.
    void over_long(std::string_view head, std::uint64_t line_number);

    // Lines fed so far in the shape of their format.
    [[nodiscard]] std::uint64_t recognized() const noexcept;

    // Finishes open connections and returns the report. The analyzer is spent afterwards.
    [[nodiscard]] Report finish();

private:
    struct State;
    std::unique_ptr<State> m_state;
};

// Reads files ("-" = stdin; gzip, detected by content, decompressed) through one Analyzer.
// `format` forces a format; otherwise it is detected per file. A damaged .gz is read up to the
// damage and listed in Report::damaged_inputs (the next file is still read). Throws Error{io}
// for an unreadable file, Error{parse} if a format cannot be detected.
[[nodiscard]] Report analyze_files(const std::vector<std::string>& paths,
                                   std::optional<Format> format,
                                   const Options& options);

}  // namespace certtool::maillog
