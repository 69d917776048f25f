// Splits a byte stream read in chunks into lines, with a cap on the line length: memory stays
// bounded whatever the input (a file of zeros, a gzip bomb, a binary file). A line longer than
// the cap is not kept: its first bytes are reported with its number and the rest is skipped.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace certtool::maillog {

class LineSplitter {
public:
    static constexpr std::size_t k_head = 300;  // bytes of an over-long line kept as its example

    explicit LineSplitter(std::size_t max_line) : m_max(max_line) {}

    // Calls on_line(line, number) for each complete line of `data` (the newline removed) and
    // on_over_long(head, number) for each line longer than the cap, once its end is seen.
    template <typename OnLine, typename OnOverLong>
    void push(std::string_view data, OnLine&& on_line, OnOverLong&& on_over_long) {
        while (!data.empty()) {
            const void* nl = std::memchr(data.data(), '\n', data.size());
            if (nl == nullptr) {
                keep(data);  // copied: the chunk is reused for the next read
                return;
            }
            const auto end = static_cast<std::size_t>(static_cast<const char*>(nl) - data.data());
            ++m_number;
            if (m_carry.empty() && !m_skipping && end <= m_max) {
                on_line(data.substr(0, end), m_number);  // the common case: no copy
            } else {
                keep(data.substr(0, end));
                end_line(on_line, on_over_long);
            }
            data.remove_prefix(end + 1);
        }
    }

    // The last line, if the stream did not end with a newline.
    template <typename OnLine, typename OnOverLong>
    void finish(OnLine&& on_line, OnOverLong&& on_over_long) {
        if (!m_carry.empty() || m_skipping) {
            ++m_number;
            end_line(on_line, on_over_long);
        }
    }

    [[nodiscard]] std::uint64_t line_number() const noexcept { return m_number; }

private:
    // Appends part of the current line, or only its head once the line passed the cap.
    void keep(std::string_view part) {
        if (m_skipping) {
            if (m_carry.size() < k_head) {
                m_carry.append(part.substr(0, k_head - m_carry.size()));
            }
            return;
        }
        if (m_carry.size() + part.size() > m_max) {
            m_skipping = true;
            m_carry.resize(std::min(m_carry.size(), k_head));
            m_carry.append(part.substr(0, k_head - m_carry.size()));
            return;
        }
        m_carry.append(part);
    }

    template <typename OnLine, typename OnOverLong>
    void end_line(OnLine& on_line, OnOverLong& on_over_long) {
        if (m_skipping) {
            on_over_long(std::string_view{m_carry}, m_number);
        } else {
            on_line(std::string_view{m_carry}, m_number);
        }
        m_carry.clear();
        m_skipping = false;
    }

    std::size_t m_max;
    std::string m_carry;     // a line split across chunks (at most m_max bytes)
    bool m_skipping{false};  // the current line passed m_max: the rest is dropped
    std::uint64_t m_number{0};
};

}  // namespace certtool::maillog
