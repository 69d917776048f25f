// Interned strings: a connection refers to protocol, cipher, reason and domain by a 32-bit id,
// so tracking it allocates nothing and tallies are vector increments. Id 0 is "". Bounded: a
// name is cut at k_max_text bytes, and once k_max_names are known a new one is "(other)".
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace certtool::maillog {

using Sym = std::uint32_t;

class Interner {
public:
    static constexpr std::size_t k_max_text = 256;
    static constexpr std::size_t k_max_names = 100000;

    Interner() {
        m_names.emplace_back();
        m_other = id("(other)");
    }

    // The id of `text`, added if new and there is room.
    Sym id(std::string_view text) {
        if (text.empty()) {
            return 0;
        }
        text = text.substr(0, k_max_text);
        const auto it = m_index.find(text);  // heterogeneous: no std::string built
        if (it != m_index.end()) {
            return it->second;
        }
        if (m_names.size() >= k_max_names) {
            return m_other;
        }
        const auto sym = static_cast<Sym>(m_names.size());
        m_names.emplace_back(text);
        m_index.emplace(m_names.back(), sym);
        return sym;
    }

    [[nodiscard]] const std::string& name(Sym sym) const { return m_names[sym]; }

    [[nodiscard]] std::size_t size() const { return m_names.size(); }

private:
    struct Hash {
        using is_transparent = void;

        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };

    std::vector<std::string> m_names;
    std::unordered_map<std::string, Sym, Hash, std::equal_to<>> m_index;
    Sym m_other{0};
};

}  // namespace certtool::maillog
