#include "fs.hpp"
#include "ossl.hpp"

#include <certtool/chain.hpp>
#include <certtool/error.hpp>

#include <fmt/core.h>
#include <openssl/pem.h>

#include <algorithm>

namespace certtool {

namespace {

constexpr std::size_t k_max_depth = 10;

bool contains(const std::vector<Certificate>& certs, const Certificate& c) {
    return std::any_of(
        certs.begin(), certs.end(), [&](const Certificate& x) { return x.same_as(c); });
}

std::string quoted(const Certificate& c) {
    return fmt::format("'{}'", c.subject());
}

}  // namespace

AssembledChain assemble_chain(const PrivateKey& key,
                              const std::vector<Certificate>& pool,
                              TimePoint now) {
    std::optional<Certificate> leaf;
    for (const auto& c : pool) {
        if (c.matches_key(key) && (!leaf || c.not_after() > leaf->not_after())) {
            leaf = c;
        }
    }
    if (!leaf) {
        throw Error(Errc::key_mismatch,
                    fmt::format("none of the {} certificate(s) given matches the entry's private "
                                "key: give the certificate the CA issued for this entry's CSR",
                                pool.size()));
    }
    return assemble_chain(*leaf, pool, now);
}

AssembledChain assemble_chain(const Certificate& leaf,
                              const std::vector<Certificate>& pool,
                              TimePoint now) {
    AssembledChain out{leaf, {}, std::nullopt, {}, {}};

    // De-duplicate, remembering the input order of the non-leaf certificates.
    std::vector<Certificate> unique;
    for (const auto& c : pool) {
        if (c.same_as(leaf)) {
            continue;
        }
        if (contains(unique, c)) {
            out.findings.push_back(
                {FindingCode::duplicate_certificate,
                 Severity::info,
                 fmt::format("{} was given more than once: kept once", quoted(c)),
                 c.subject()});
            continue;
        }
        unique.push_back(c);
    }
    // A certificate as messages name it: its subject, and, when another one given has the same
    // subject (an old and a renewed intermediate), its serial and validity, so the user knows
    // which one is meant.
    const auto named = [&](const Certificate& c) {
        const bool ambiguous = std::any_of(unique.begin(), unique.end(), [&](const Certificate& o) {
            return !o.same_as(c) && o.subject() == c.subject();
        });
        return ambiguous ? fmt::format("{} (serial {}, valid {} to {})",
                                       quoted(c),
                                       c.serial_hex(),
                                       format_time(c.not_before()),
                                       format_time(c.not_after()))
                         : quoted(c);
    };

    // Walk issuer by issuer. Among several candidates prefer one valid now, then the newest.
    std::vector<Certificate> path;
    Certificate current = leaf;
    while (!current.is_self_signed() && path.size() < k_max_depth) {
        std::optional<Certificate> best;
        for (const auto& c : unique) {
            if (contains(path, c) || c.same_as(current) || !current.is_issued_by(c)) {
                continue;
            }
            const bool valid = c.not_before() <= now && now <= c.not_after();
            const bool best_valid = best && best->not_before() <= now && now <= best->not_after();
            if (!best || (valid && !best_valid) ||
                (valid == best_valid && c.not_after() > best->not_after())) {
                best = c;
            }
        }
        if (!best) {
            break;
        }
        path.push_back(*best);
        current = *best;
    }

    for (const auto& c : unique) {
        if (!contains(path, c)) {
            out.unrelated.push_back(c);
            const auto used = std::find_if(path.begin(), path.end(), [&](const Certificate& p) {
                return p.subject() == c.subject();
            });
            out.findings.push_back(
                {FindingCode::unrelated_certificate,
                 Severity::warning,
                 used != path.end()
                     ? fmt::format("{} has the same subject as {}, which the chain uses (valid "
                                   "now, or the newer): dropped",
                                   named(c),
                                   named(*used))
                     : fmt::format("{} is not part of this certificate's chain: dropped", named(c)),
                 c.subject()});
        }
    }

    // Was the input already in leaf -> root order?
    std::vector<Certificate> input_order;
    for (const auto& c : unique) {
        if (contains(path, c)) {
            input_order.push_back(c);
        }
    }
    if (!std::equal(input_order.begin(),
                    input_order.end(),
                    path.begin(),
                    path.end(),
                    [](const Certificate& a, const Certificate& b) { return a.same_as(b); })) {
        out.findings.push_back({FindingCode::wrong_order,
                                Severity::info,
                                "the certificates were not in leaf-to-root order: put in that "
                                "order",
                                {}});
    }

    for (const auto& c : path) {
        if (c.is_self_signed()) {
            out.root = c;
            out.findings.push_back({FindingCode::root_not_stored,
                                    Severity::info,
                                    fmt::format("root {} is a trust anchor: left out of the "
                                                "chain servers send",
                                                named(c)),
                                    c.subject()});
            continue;
        }
        out.intermediates.push_back(c);
        if (c.not_after() < now) {
            out.findings.push_back({FindingCode::expired,
                                    Severity::warning,
                                    fmt::format("intermediate {} expired on {}: get the current "
                                                "intermediate from the CA",
                                                named(c),
                                                format_time(c.not_after())),
                                    c.subject()});
        } else if (c.not_after() < leaf.not_after()) {
            out.findings.push_back({FindingCode::expires_before_leaf,
                                    Severity::warning,
                                    fmt::format("intermediate {} expires on {}, before the "
                                                "certificate ({}): the chain breaks then; get the "
                                                "newer intermediate from the CA",
                                                named(c),
                                                format_time(c.not_after()),
                                                format_time(leaf.not_after())),
                                    c.subject()});
        }
    }
    return out;
}

Certificate find_leaf(const std::vector<Certificate>& pool) {
    if (pool.empty()) {
        throw Error(Errc::parse, "no certificate given");
    }
    std::vector<Certificate> candidates;
    for (const auto& c : pool) {
        const bool issued_other = std::any_of(pool.begin(), pool.end(), [&](const Certificate& o) {
            return !o.same_as(c) && !c.is_self_signed() ? o.is_issued_by(c)
                                                        : (!o.same_as(c) && o.is_issued_by(c));
        });
        if (!issued_other && !contains(candidates, c)) {
            candidates.push_back(c);
        }
    }
    std::vector<Certificate> end_entities;
    for (const auto& c : candidates) {
        if (!c.is_ca()) {
            end_entities.push_back(c);
        }
    }
    const auto& pick = end_entities.empty() ? candidates : end_entities;
    if (pick.size() != 1) {
        throw Error(
            Errc::invalid_argument,
            fmt::format("{} certificates could be the leaf{}: give --key FILE (the "
                        "server's private key) to pick it",
                        pick.size(),
                        pick.empty() ? "" : fmt::format(" ('{}', ...)", pick[0].subject())));
    }
    return pick.front();
}

}  // namespace certtool
