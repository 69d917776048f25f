#include <certtool/files.hpp>
#include <certtool/fix_chain.hpp>

namespace certtool {

std::string server_chain_pem(const AssembledChain& chain) {
    std::string pem = chain.leaf.to_pem();
    for (const auto& c : chain.intermediates) {
        pem += c.to_pem();
    }
    return pem;
}

FixedChain fix_chain(const FixChainRequest& request, const TrustStore& trust) {
    std::vector<Certificate> pool;
    for (const auto& f : request.inputs) {
        for (auto& c : Certificate::load_all(f)) {
            pool.push_back(std::move(c));
        }
    }
    FixedChain out{
        request.key_file
            ? assemble_chain(PrivateKey::parse(read_input_file(*request.key_file, "key file"),
                                               request.key_file->string()),
                             pool,
                             request.now)
            : assemble_chain(find_leaf(pool), pool, request.now),
        {},
        false,
        {}};
    out.findings = out.chain.findings;
    if (request.aia) {
        for (auto& f : complete_chain_via_aia(out.chain, *request.aia)) {
            out.findings.push_back(std::move(f));
        }
    }
    const auto trust_findings = check_trust(out.chain, trust, request.remedies);
    out.findings.insert(out.findings.end(), trust_findings.begin(), trust_findings.end());
    out.complete = trust_findings.empty();
    out.pem = server_chain_pem(out.chain);
    return out;
}

}  // namespace certtool
