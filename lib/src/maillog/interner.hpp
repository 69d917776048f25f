// Interned strings: a connection refers to protocol, cipher, reason and domain by a 32-bit id,
// so tracking it allocates nothing and tallies are vector increments. Id 0 is "".
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
    Interner() { m_names.emplace_back(); }

    // The id of `text`, added if new.
    Sym id(std::string_view text) {
        if (text.empty()) {
            return 0;
        }
        const auto it = m_index.find(text);  // heterogeneous: no std::string built
        if (it != m_index.end()) {
            return it->second;
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
};

}  // namespace certtool::maillog
