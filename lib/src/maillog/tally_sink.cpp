#include "tally_sink.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>

namespace certtool::maillog {

namespace {

// Deliveries remembered per open connection before they are settled early (memory bound).
constexpr std::size_t k_max_pending = 64;
// Queue ids longer than this are cut (Postfix's are 10-20 characters).
constexpr std::size_t k_max_queue_id = 64;

void bump(std::vector<std::uint64_t>& v, Sym sym) {
    if (v.size() <= sym) {
        v.resize(sym + 1U);
    }
    ++v[sym];
}

}  // namespace

TallySink::TallySink(Options options) : m_options(std::move(options)) {
    if (m_options.domain) {
        m_domain_filter = intern_lower(*m_options.domain);
    }
}

// --- connections ---

Conn& TallySink::open(ConnTable t, Id id) {
    evict_if_needed(1);  // before inserting: IdMap moves elements when it erases
    auto [it, inserted] = table(t).try_emplace(id);
    if (!inserted) {
        finish_conn(it->second);  // an id reused without a close: the old one ended
        it->second = Conn{};
    }
    it->second.outbound = is_outbound(t);
    it->second.seq = ++m_seq;
    m_open_order.push_back({t, id, it->second.seq});
    return it->second;
}

Conn& TallySink::get(ConnTable t, Id id) {
    auto it = table(t).find(id);
    if (it != table(t).end()) {
        return it->second;
    }
    return open(t, id);  // first seen mid-stream (log began after the open)
}

Conn* TallySink::find(ConnTable t, Id id) {
    auto it = table(t).find(id);
    return it == table(t).end() ? nullptr : &it->second;
}

void TallySink::close(ConnTable t, Id id) {
    auto it = table(t).find(id);
    if (it == table(t).end()) {
        Conn c;
        c.outbound = is_outbound(t);
        finish_conn(c);  // a close for a connection opened before the log began
        return;
    }
    finish_conn(it->second);
    table(t).erase(it);
}

std::size_t TallySink::open_count() const {
    std::size_t n = 0;
    for (const auto& t : m_tables) {
        n += t.size();
    }
    return n;
}

// Makes room for `incoming` more open connections within options.max_open.
void TallySink::evict_if_needed(std::size_t incoming) {
    std::size_t open = open_count();
    while (open + incoming > m_options.max_open && !m_open_order.empty()) {
        const OpenEntry e = m_open_order.front();
        m_open_order.pop_front();
        auto it = table(e.table).find(e.id);
        if (it != table(e.table).end() && it->second.seq == e.seq) {
            finish_conn(it->second);
            table(e.table).erase(it);
            ++m_report.evicted;
            --open;
        }
    }
    if (m_open_order.size() > 2 * m_options.max_open + 1024) {
        compact_open_order();
    }
}

// Keeps the order queue from growing with entries already closed.
void TallySink::compact_open_order() {
    std::erase_if(m_open_order, [this](const OpenEntry& e) {
        auto it = table(e.table).find(e.id);
        return it == table(e.table).end() || it->second.seq != e.seq;
    });
}

// --- messages ---

void TallySink::add_recipient(Id mid, Id rid, Sym domain) {
    auto [it, inserted] = m_recipients.try_emplace(mid);
    Recipients& rc = it->second;
    if (rc.count < rc.first.size() && rid <= UINT32_MAX) {
        rc.first[rc.count++] = {static_cast<std::uint32_t>(rid), domain};
    } else if (m_extra_recipients < m_options.max_open) {
        if (!rc.more) {
            rc.more = std::make_unique<std::vector<std::pair<Id, Sym>>>();
        }
        rc.more->emplace_back(rid, domain);
        ++m_extra_recipients;
    }
    if (inserted) {
        m_message_order.push_back(mid);
        bound_messages(mid);
    }
}

// Bounds the messages remembered; never drops the one just added (it is the newest).
void TallySink::bound_messages(Id newest) {
    while (m_recipients.size() > m_options.max_open && m_message_order.front() != newest) {
        erase_message(m_message_order.front());
        m_message_order.pop_front();
    }
    if (m_message_order.size() > 2 * m_options.max_open + 1024) {
        compact_message_order();
    }
}

// Keeps the order queue from growing with messages already finished.
void TallySink::compact_message_order() {
    std::erase_if(m_message_order,
                  [this](Id mid) { return m_recipients.find(mid) == m_recipients.end(); });
}

void TallySink::erase_message(Id mid) {
    const auto it = m_recipients.find(mid);
    if (it == m_recipients.end()) {
        return;
    }
    if (it->second.more) {
        m_extra_recipients -= it->second.more->size();
    }
    m_recipients.erase(it);
}

Sym TallySink::recipient_domain(Id mid, Id rid) {
    const auto it = m_recipients.find(mid);
    if (it == m_recipients.end()) {
        return 0;
    }
    const Recipients& rc = it->second;
    for (std::size_t k = 0; k < rc.count && k < rc.first.size(); ++k) {
        if (rc.first[k].first == rid) {
            return rc.first[k].second;
        }
    }
    if (rc.more) {
        for (const auto& [r_id, domain] : *rc.more) {
            if (r_id == rid) {
                return domain;
            }
        }
    }
    return 0;
}

void TallySink::forget_message(Id mid) {
    erase_message(mid);
}

void TallySink::delivered(Conn& c, Id mid) {
    if (c.mids.size() >= k_max_pending) {
        settle_deliveries(c);
    }
    c.mids.push_back(mid);
}

void TallySink::delivered(Conn& c, std::string_view queue_id) {
    if (c.queue_ids.size() >= k_max_pending) {
        settle_deliveries(c);
    }
    c.queue_ids.emplace_back(queue_id.substr(0, k_max_queue_id));
}

// A connection with many deliveries: decides for those now, as finish_conn would at its close
// (TLS is negotiated before the first delivery, so the answer would not change).
void TallySink::settle_deliveries(Conn& c) {
    if (c.tls != Tls::success && domain_selected(c)) {
        DirectionReport& d = c.outbound ? m_report.outbound : m_report.inbound;
        for (const Id m : c.mids) {
            note_clear_message(d, m, c.domain);
        }
        for (const auto& q : c.queue_ids) {
            note_clear_message(d, q, c.domain);
        }
    }
    c.mids.clear();
    c.queue_ids.clear();
}

// --- names ---

Sym TallySink::intern_lower(std::string_view text) {
    m_lower_buffer.assign(text);
    for (char& ch : m_lower_buffer) {
        if (ch >= 'A' && ch <= 'Z') {
            ch = static_cast<char>(ch - 'A' + 'a');
        }
    }
    return m_names.id(m_lower_buffer);
}

Sym TallySink::domain_of_address(std::string_view address) {
    address = trim(address);
    if (!address.empty() && address.front() == '<') {
        address.remove_prefix(1);
    }
    address = address.substr(0, address.find('>'));
    const auto at = address.rfind('@');
    return at == std::string_view::npos ? 0 : intern_lower(address.substr(at + 1));
}

// --- line-level facts ---

void TallySink::malformed(std::string_view line, std::uint64_t number) {
    ++m_report.malformed;
    if (m_report.malformed_examples.size() < m_options.max_examples) {
        m_report.malformed_examples.push_back({number, std::string{line.substr(0, 300)}});
    }
}

void TallySink::over_long(std::string_view head, std::uint64_t number) {
    ++m_report.over_long;
    if (m_report.over_long_examples.size() < m_options.max_examples) {
        std::string text{head.substr(0, 300)};
        for (char& ch : text) {  // often binary (a file of zeros): printable in a report
            const auto u = static_cast<unsigned char>(ch);
            ch = u < 0x20 || u == 0x7f ? '.' : ch;
        }
        m_report.over_long_examples.push_back({number, std::move(text)});
    }
}

void TallySink::clear_message(bool outbound, Id id) {
    note_clear_message(outbound ? m_report.outbound : m_report.inbound, id, 0);
}

void TallySink::clear_message(bool outbound, std::string_view id) {
    note_clear_message(outbound ? m_report.outbound : m_report.inbound, id, 0);
}

void TallySink::note_clear_message(DirectionReport& d, Id id, Sym domain) {
    if (m_options.on_clear_message || d.messages_without_tls_ids.size() < m_options.max_examples) {
        note_clear_message(d, std::to_string(id), domain);
    } else {
        ++d.messages_without_tls;
    }
}

void TallySink::note_clear_message(DirectionReport& d, std::string_view id, Sym domain) {
    ++d.messages_without_tls;
    if (d.messages_without_tls_ids.size() < m_options.max_examples) {
        d.messages_without_tls_ids.emplace_back(id);
    }
    if (m_options.on_clear_message) {
        m_options.on_clear_message({&d == &m_report.outbound, id, m_names.name(domain)});
    }
}

bool TallySink::in_window(std::optional<TimePoint> t) const {
    if (!t || !has_window()) {
        return true;
    }
    return (!m_options.since || *t >= *m_options.since) &&
           (!m_options.until || *t < *m_options.until);
}

// --- tallies ---

bool TallySink::domain_selected(const Conn& c) const {
    return !m_domain_filter || !c.outbound || c.domain == *m_domain_filter;
}

void TallySink::finish_conn(const Conn& c) {
    if (!domain_selected(c)) {
        return;
    }
    DirectionReport& d = c.outbound ? m_report.outbound : m_report.inbound;
    Tallies& t = c.outbound ? m_outbound : m_inbound;
    Counts* dc = nullptr;
    const Sym domain = c.domain == 0 ? m_unknown_domain : c.domain;
    if (c.outbound) {
        if (t.domains.size() <= domain) {
            t.domains.resize(domain + 1U);
        }
        dc = &t.domains[domain];
        ++dc->connections;
    }
    ++d.counts.connections;
    tally_tls(c, d, t, dc, domain);
    if (c.tls != Tls::success) {
        for (const Id m : c.mids) {
            note_clear_message(d, m, c.domain);
        }
        for (const auto& q : c.queue_ids) {
            note_clear_message(d, q, c.domain);
        }
    }
}

void TallySink::tally_tls(const Conn& c, DirectionReport& d, Tallies& t, Counts* dc, Sym domain) {
    switch (c.tls) {
        case Tls::success:
            ++d.counts.tls_success;
            if (dc != nullptr) {
                ++dc->tls_success;
            }
            if (c.protocol != 0) {
                bump(t.protocols, c.protocol);
            }
            if (c.cipher != 0) {
                bump(t.ciphers, c.cipher);
            }
            break;
        case Tls::failed:
            ++d.counts.tls_failed;
            bump(t.failures, c.reason);
            if (dc != nullptr) {
                ++dc->tls_failed;
                ++t.domain_failures[{domain, c.reason}];
            }
            break;
        case Tls::none:
            ++d.counts.no_tls;
            if (dc != nullptr) {
                ++dc->no_tls;
            }
            break;
    }
}

// Connections still open at the end of the log: counted as they stand, oldest first.
void TallySink::finish_open_connections() {
    std::vector<std::pair<std::uint64_t, Conn*>> left;
    for (auto& t : m_tables) {
        for (auto& [id, c] : t) {
            left.emplace_back(c.seq, &c);
        }
    }
    std::sort(left.begin(), left.end());
    for (auto& [seq, c] : left) {
        finish_conn(*c);
    }
    for (auto& t : m_tables) {
        t.clear();
    }
}

void TallySink::fill_direction(DirectionReport& d, const Tallies& t) const {
    auto to_map = [&](const std::vector<std::uint64_t>& v,
                      std::map<std::string, std::uint64_t>& m) {
        for (std::size_t sym = 0; sym < v.size(); ++sym) {
            if (v[sym] != 0) {
                m[m_names.name(static_cast<Sym>(sym))] += v[sym];
            }
        }
    };
    to_map(t.protocols, d.protocols);
    to_map(t.ciphers, d.ciphers);
    to_map(t.failures, d.failures);
    for (std::size_t sym = 0; sym < t.domains.size(); ++sym) {
        const Counts& c = t.domains[sym];
        if (c.connections != 0) {
            d.domains[m_names.name(static_cast<Sym>(sym))].counts = c;
        }
    }
    for (const auto& [key, n] : t.domain_failures) {
        d.domains[m_names.name(key.first)].failures[m_names.name(key.second)] += n;
    }
    for (const auto& [protocol, n] : d.protocols) {
        d.legacy_protocol += is_legacy_protocol(protocol) ? n : 0;
    }
    for (const auto& [cipher, n] : d.ciphers) {
        d.weak_cipher += is_weak_cipher(cipher) ? n : 0;
    }
}

Report TallySink::finish() {
    finish_open_connections();
    fill_direction(m_report.inbound, m_inbound);
    fill_direction(m_report.outbound, m_outbound);
    return std::move(m_report);
}

}  // namespace certtool::maillog
