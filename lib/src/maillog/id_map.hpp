// A hash map from 64-bit log ids (ICID, DCID, MID, pid) to values, with open addressing and
// linear probing: one probe into a contiguous array instead of std::unordered_map's bucket ->
// node pointer chase. The mail-log scan does several lookups per line over tens of thousands of
// open connections, where those cache misses were a third of the time.
//
// Contract differences from std::unordered_map: inserting may move every element (rehash), and
// erasing may move other elements (backward-shift deletion, no tombstones): do not hold a
// reference or iterator across an insert or an erase on the same map.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace certtool::maillog {

template <typename V>
class IdMap {
public:
    using Key = std::uint64_t;

    struct Slot {
        Key first{0};
        V second{};
    };

    template <typename M, typename S>
    class Iter {
    public:
        Iter(M* map, std::size_t i) : m_map(map), m_i(i) { skip(); }

        S& operator*() const { return m_map->m_slots[m_i]; }

        S* operator->() const { return &m_map->m_slots[m_i]; }

        Iter& operator++() {
            ++m_i;
            skip();
            return *this;
        }

        bool operator==(const Iter& o) const { return m_i == o.m_i; }

        [[nodiscard]] std::size_t index() const { return m_i; }

    private:
        void skip() {
            while (m_i < m_map->m_used.size() && m_map->m_used[m_i] == 0) {
                ++m_i;
            }
        }

        M* m_map;
        std::size_t m_i;
    };

    using iterator = Iter<IdMap, Slot>;
    using const_iterator = Iter<const IdMap, const Slot>;

    IdMap() { rehash(64); }

    [[nodiscard]] std::size_t size() const noexcept { return m_size; }

    [[nodiscard]] bool empty() const noexcept { return m_size == 0; }

    iterator begin() { return {this, 0}; }

    iterator end() { return {this, m_used.size()}; }

    const_iterator begin() const { return {this, 0}; }

    const_iterator end() const { return {this, m_used.size()}; }

    iterator find(Key key) {
        for (std::size_t i = ideal(key);; i = (i + 1) & m_mask) {
            if (m_used[i] == 0) {
                return end();
            }
            if (m_slots[i].first == key) {
                return {this, i};
            }
        }
    }

    std::pair<iterator, bool> try_emplace(Key key) {
        if ((m_size + 1) * 2 > m_used.size()) {
            rehash(m_used.size() * 2);
        }
        std::size_t i = ideal(key);
        for (; m_used[i] != 0; i = (i + 1) & m_mask) {
            if (m_slots[i].first == key) {
                return {iterator{this, i}, false};
            }
        }
        m_used[i] = 1;
        m_slots[i].first = key;
        ++m_size;
        return {iterator{this, i}, true};
    }

    void erase(iterator it) { erase_at(it.index()); }

    std::size_t erase(Key key) {
        const auto it = find(key);
        if (it == end()) {
            return 0;
        }
        erase_at(it.index());
        return 1;
    }

    void clear() {
        m_slots.assign(m_slots.size(), Slot{});
        m_used.assign(m_used.size(), 0);
        m_size = 0;
    }

private:
    [[nodiscard]] std::size_t ideal(Key key) const noexcept {
        return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ULL) >> m_shift) & m_mask;
    }

    // Backward-shift deletion: pull later members of the probe run into the hole.
    void erase_at(std::size_t hole) {
        std::size_t j = hole;
        for (;;) {
            j = (j + 1) & m_mask;
            if (m_used[j] == 0) {
                break;
            }
            const std::size_t k = ideal(m_slots[j].first);
            const bool movable = hole <= j ? (k <= hole || k > j) : (k <= hole && k > j);
            if (movable) {
                m_slots[hole] = std::move(m_slots[j]);
                hole = j;
            }
        }
        m_slots[hole] = Slot{};  // frees what the value held
        m_used[hole] = 0;
        --m_size;
    }

    void rehash(std::size_t capacity) {
        std::vector<Slot> old_slots = std::move(m_slots);
        std::vector<std::uint8_t> old_used = std::move(m_used);
        m_slots = std::vector<Slot>(capacity);
        m_used.assign(capacity, 0);
        m_mask = capacity - 1;
        m_shift = 64;
        for (std::size_t c = capacity; c > 1; c >>= 1U) {
            --m_shift;
        }
        m_size = 0;
        for (std::size_t i = 0; i < old_used.size(); ++i) {
            if (old_used[i] != 0) {
                auto [it, inserted] = try_emplace(old_slots[i].first);
                it->second = std::move(old_slots[i].second);
            }
        }
    }

    std::vector<Slot> m_slots;
    std::vector<std::uint8_t> m_used;
    std::size_t m_mask{0};
    unsigned m_shift{64};
    std::size_t m_size{0};
};

}  // namespace certtool::maillog
