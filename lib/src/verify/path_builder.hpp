// Candidate paths from a leaf to a trust anchor: a depth-first search over issuers.
#pragma once

#include <certtool/verify.hpp>

#include <algorithm>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace certtool::detail {

// Depth-first search over issuers: trust anchors first (under the openssl profile an anchor
// that is not a root and has no trust settings is a trusted intermediate, not an end), then
// certificates whose key verifies the signature, then the rest (so a bad signature is still
// reported when nothing better exists); among those, ones valid at the validation time and newer
// first. Borrows `pool`, `anchors` and `options`, which must outlive it.
class PathBuilder {
public:
    PathBuilder(const std::vector<Certificate>& pool,
                const TrustStore& anchors,
                const VerifyOptions& options,
                TimePoint at)
        : m_pool(pool), m_anchors(anchors), m_options(options), m_at(at) {}

    // Calls visit(path, anchored) for each complete or dead-end path until it returns true.
    template <typename Visit>
    void run(const Certificate& leaf, Visit&& visit) {
        std::vector<Certificate> path{leaf};
        extend(path, visit);
    }

private:
    struct Candidate {
        Certificate cert;
        bool anchor;
        int rank;
    };

    template <typename Visit>
    bool extend(std::vector<Certificate>& path, Visit& visit) {
        if (m_visits >= m_options.max_paths || ++m_steps > k_max_steps) {
            return true;
        }
        const Certificate cur = path.back();
        if (ends_here(cur)) {
            ++m_visits;
            return visit(path, true);
        }
        const std::size_t max_len =
            static_cast<std::size_t>(std::max(m_options.max_depth, 0)) + k_self_issued_slack + 2;
        auto next = path.size() < max_len ? candidates(cur, path) : std::vector<Candidate>{};
        if (next.empty()) {
            ++m_visits;
            return visit(path, false);
        }
        for (auto& c : next) {
            path.push_back(c.cert);
            const bool stop = c.anchor ? (++m_visits, visit(path, true)) : extend(path, visit);
            path.pop_back();
            if (stop || m_visits >= m_options.max_paths) {
                return true;
            }
        }
        return false;
    }

    // Is `c` an anchor the path ends at (anchor_trust.hpp's ends_path)?
    [[nodiscard]] bool ends_here(const Certificate& c) const;
    // The possible issuers of `cur` not already on `path`, best first.
    std::vector<Candidate> candidates(const Certificate& cur, const std::vector<Certificate>& path);
    void add_anchor_candidates(const Certificate& cur,
                               const std::vector<Certificate>& path,
                               std::vector<Candidate>& out);
    void add_pool_candidates(const Certificate& cur,
                             const std::vector<Certificate>& path,
                             std::vector<Candidate>& out) const;
    void rank(const Certificate& cur, std::vector<Candidate>& out);

    // Does issuer's key verify child's signature? (cached per pair)
    bool signature_ok(const Certificate& child, const Certificate& issuer);
    [[nodiscard]] bool valid_at(const Certificate& c) const;

    static constexpr std::size_t k_max_steps = 4096;  // issuer lookups: a bound for hostile input
    static constexpr std::size_t k_self_issued_slack = 4;

    const std::vector<Certificate>& m_pool;
    const TrustStore& m_anchors;
    const VerifyOptions& m_options;
    TimePoint m_at;
    std::map<std::string, bool> m_signatures;
    std::size_t m_visits{0};
    std::size_t m_steps{0};
};

}  // namespace certtool::detail
