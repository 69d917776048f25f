// Mail logs through the public entry, maillog::analyze_files(): format detection, gzip found by
// its magic bytes (multi-member files, damage of every kind), line splitting, the appliance and
// Postfix parsers and the tally. The log is an in-memory file (memfd), read as a path is.
//
// Input: one option byte, then the log (plain text or gzip).
//   bits 0-1  format: 1 esa, 2 postfix, else detected (as without --format)
//   bit 2     tight bounds (max_open 3, max_line 160, max_examples 2): eviction, over-long lines
//   bit 3     a time window (--since/--until): the time stamps are parsed
//   bit 4     a domain filter (--domain example.com)
#include "fuzz_input.hpp"

#include <certtool/error.hpp>
#include <certtool/mail_log.hpp>
#include <certtool/time.hpp>

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

namespace {

using namespace certtool;

// An anonymous in-memory file holding `data`, named by a /proc/self/fd path.
class MemFile {
public:
    explicit MemFile(std::string_view data) : m_fd(::memfd_create("fuzz-log", MFD_CLOEXEC)) {
        if (m_fd < 0) {
            std::abort();  // the harness cannot run: not a finding
        }
        std::size_t done = 0;
        while (done < data.size()) {
            const ssize_t n = ::write(m_fd, data.data() + done, data.size() - done);
            if (n <= 0) {
                std::abort();
            }
            done += static_cast<std::size_t>(n);
        }
    }

    MemFile(const MemFile&) = delete;
    MemFile& operator=(const MemFile&) = delete;
    MemFile(MemFile&&) = delete;
    MemFile& operator=(MemFile&&) = delete;

    ~MemFile() { ::close(m_fd); }

    [[nodiscard]] std::string path() const { return "/proc/self/fd/" + std::to_string(m_fd); }

private:
    int m_fd;
};

// Reads every part of the report, so that ASan sees each string and view.
std::size_t touch(const maillog::Report& r) {
    std::size_t n = r.lines + r.malformed + r.over_long + r.truncated + r.evicted;
    for (const auto* d : {&r.inbound, &r.outbound}) {
        for (const auto* m : {&d->failures, &d->protocols, &d->ciphers}) {
            for (const auto& [name, count] : *m) {
                n += name.size() + count + (maillog::is_weak_cipher(name) ? 1U : 0U) +
                     (maillog::is_legacy_protocol(name) ? 1U : 0U);
            }
        }
        for (const auto& [domain, stats] : d->domains) {
            n += domain.size() + stats.failures.size() + stats.counts.tls_failed;
        }
        for (const auto& id : d->messages_without_tls_ids) {
            n += id.size();
        }
    }
    for (const auto& damage : r.damaged_inputs) {
        n += maillog::describe(damage).size() + maillog::kind_name(damage.kind).size();
    }
    for (const auto& line : r.malformed_examples) {
        n += line.text.size();
    }
    for (const auto& line : r.over_long_examples) {
        n += line.text.size();
    }
    n += maillog::repeated_failure_domains(r).size();
    return n + (maillog::tls_failure_seen(r) ? 1U : 0U);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Input in{data, size};
    const std::uint8_t options = in.byte();
    std::optional<maillog::Format> format;
    if ((options & 3U) == 1U) {
        format = maillog::Format::esa;
    } else if ((options & 3U) == 2U) {
        format = maillog::Format::postfix;
    }
    maillog::Options o;
    if ((options & 4U) != 0) {
        o.max_open = 3;
        o.max_line = 160;
        o.max_examples = 2;
    }
    if ((options & 8U) != 0) {
        o.since = parse_time("2018-04-16T00:00:00Z");
        o.until = parse_time("2024-11-28T00:00:00Z");
    }
    if ((options & 16U) != 0) {
        o.domain = "example.com";
    }
    std::size_t seen = 0;
    o.on_clear_message = [&](const maillog::ClearMessage& m) {
        seen += std::string{m.id}.size() + std::string{m.domain}.size();  // the views are live
    };
    const MemFile log{in.rest()};
    fuzz::attempt([&] { seen += touch(maillog::analyze_files({log.path()}, format, o)); });
    fuzz::keep(seen);
    return 0;
}
