// A strict, minimal DER reader: definite lengths, single-byte tags, nothing else. Used where
// parsing a whole X509 with libcrypto 3.0 costs too much (batch verification reads only a
// leaf's signed bytes, names, validity and a few extensions). Anything it does not understand
// is reported as "no" so that the caller falls back to OpenSSL.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace certtool::der {

using Bytes = std::span<const unsigned char>;

namespace tag {
inline constexpr unsigned char boolean = 0x01;
inline constexpr unsigned char integer = 0x02;
inline constexpr unsigned char bit_string = 0x03;
inline constexpr unsigned char octet_string = 0x04;
inline constexpr unsigned char null = 0x05;
inline constexpr unsigned char oid = 0x06;
inline constexpr unsigned char utc_time = 0x17;
inline constexpr unsigned char generalized_time = 0x18;
inline constexpr unsigned char sequence = 0x30;
inline constexpr unsigned char set = 0x31;
}  // namespace tag

struct Tlv {
    unsigned char tag{0};
    Bytes value;  // contents
    Bytes whole;  // tag, length and contents
};

class Reader {
public:
    explicit Reader(Bytes data) : m_data(data) {}

    [[nodiscard]] bool empty() const noexcept { return m_data.empty(); }

    [[nodiscard]] std::optional<unsigned char> peek_tag() const noexcept {
        return m_data.empty() ? std::nullopt : std::optional<unsigned char>{m_data[0]};
    }

    // The next element; nullopt on anything malformed or not minimally encoded.
    std::optional<Tlv> next() {
        if (m_data.size() < 2 || (m_data[0] & 0x1FU) == 0x1FU) {
            return std::nullopt;
        }
        std::size_t len = m_data[1];
        std::size_t header = 2;
        if ((len & 0x80U) != 0) {
            const std::size_t n = len & 0x7FU;
            if (n == 0 || n > 3 || m_data.size() < 2 + n || m_data[2] == 0) {
                return std::nullopt;
            }
            len = 0;
            for (std::size_t i = 0; i < n; ++i) {
                len = (len << 8U) | m_data[2 + i];
            }
            if (len < 0x80) {
                return std::nullopt;  // not minimal
            }
            header += n;
        }
        if (m_data.size() - header < len) {
            return std::nullopt;
        }
        Tlv t{m_data[0], m_data.subspan(header, len), m_data.first(header + len)};
        m_data = m_data.subspan(header + len);
        return t;
    }

    // The next element if it has tag `t`.
    std::optional<Tlv> next(unsigned char t) {
        if (peek_tag() != t) {
            return std::nullopt;
        }
        return next();
    }

private:
    Bytes m_data;
};

[[nodiscard]] inline bool equal(Bytes a, Bytes b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// Content bytes of a DER OID compared with a dotted-decimal-free literal (its encoded bytes).
template <std::size_t N>
[[nodiscard]] bool is_oid(Bytes value, const unsigned char (&encoded)[N]) noexcept {
    return equal(value, Bytes{encoded, N});
}

}  // namespace certtool::der
