// What every target shares while it applies a revision (private to deploy): a failed step, and
// the journal. The journal every target keeps while it applies a revision (private to deploy):
// which revision is being applied and which one it replaces, until recovery learns whether the
// store recorded it. One small file, "<magic>\nrevision N\nprevious P\n", written atomically
// (0600).
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace certtool::deploy::detail {

// A step of an apply that failed: its name and why; the target restores, then reports both.
struct StepFailure {
    std::string step;
    std::string reason;
};

[[noreturn]] inline void fail(std::string step, std::string reason) {
    throw StepFailure{std::move(step), std::move(reason)};
}

// A reload is asynchronous: for a moment after it, an nginx worker or an smtpd process of the
// old configuration may still take a new connection. A listener counts as serving its bound leaf
// once this many probes in a row, each a new connection, have met it.
inline constexpr int k_settled_probes = 3;

// The probes of one listener after a reload, one at a time (Postfix's and nginx's targets).
class SettleCount {
public:
    // Records a probe that did (`met`) or did not meet the bound leaf, or failed; true when
    // probing can stop with the leaf served: k_settled_probes in a row met it, or `late` (the
    // deadline has passed) and this last one did.
    bool record(bool met, bool late) {
        m_in_a_row = met ? m_in_a_row + 1 : 0;
        return m_in_a_row == k_settled_probes || (met && late);
    }

    // The pause before the next probe: short while the leaf is being confirmed.
    [[nodiscard]] std::chrono::milliseconds pause(std::chrono::milliseconds otherwise) const {
        return m_in_a_row > 0 ? std::chrono::milliseconds{50} : otherwise;
    }

private:
    int m_in_a_row{0};
};

struct Journal {
    int revision{0};  // the revision being applied
    int previous{0};  // the revision it replaces (0: none)
};

void write_journal(const std::filesystem::path& file, std::string_view magic, const Journal& j);

// nullopt when `file` does not exist. Throws Error{parse} "'FILE' is damaged: <fix>" when it is
// not a journal with `magic`.
[[nodiscard]] std::optional<Journal> read_journal(const std::filesystem::path& file,
                                                  std::string_view magic,
                                                  std::string_view fix);

// Removes `file` and syncs its directory.
void remove_journal(const std::filesystem::path& file);

}  // namespace certtool::deploy::detail
