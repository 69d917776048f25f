#include "remedies.hpp"

#include <fmt/core.h>

namespace certtool::cli {

namespace {

constexpr const char* k_trust_anchor =
    "add it to the store's CA list with certtool ca import ROOT.pem, or verify against it with "
    "--trust ROOT.pem (and put it in the peers' trust stores)";

std::string new_from_ca(const std::string& name) {
    return fmt::format(
        "ask the CA for a new one: certtool export-csr {0} -o {0}.csr, then certtool "
        "import-signed {0} --cert SIGNED.pem",
        name);
}

}  // namespace

Remedies import_signed_remedies(const std::string& name) {
    return {
        "add it with --intermediate FILE",
        "add it with certtool ca import ROOT.pem, or check against it with --trust ROOT.pem (and "
        "put it in the peers' trust stores)",
        new_from_ca(name),
        new_from_ca(name)};
}

Remedies import_pkcs12_remedies(const std::string& name) {
    return {
        fmt::format("add it with certtool import-signed {} --intermediate FILE", name),
        "add it with certtool ca import ROOT.pem, or check against it with --trust ROOT.pem (and "
        "put it in the peers' trust stores)",
        new_from_ca(name),
        new_from_ca(name)};
}

Remedies acme_issue_remedies(const std::string& name) {
    return {fmt::format("add it with certtool import-signed {} --intermediate FILE", name),
            "add it with certtool ca import ROOT.pem (an ACME CA's root), or check against it with "
            "--trust ROOT.pem (and put it in the peers' trust stores)",
            fmt::format("issue it again: certtool acme issue {} --force ...", name),
            fmt::format("issue it again: certtool acme issue {} --force ...", name)};
}

Remedies verify_entry_remedies(const Entry& entry) {
    const std::string& name = entry.name;
    return {fmt::format("add it with certtool import-signed {} --intermediate FILE", name),
            k_trust_anchor,
            entry.origin == Origin::self_signed ? fmt::format("renew it: certtool renew {}", name)
                                                : new_from_ca(name),
            fmt::format("have a CA sign it: certtool export-csr {} -o {}.csr", name, name)};
}

Remedies verify_files_remedies() {
    return {"pass it with --chain FILE",
            k_trust_anchor,
            "get a new certificate from the CA",
            "get a CA-signed certificate, or verify against this one with --trust FILE"};
}

Remedies fix_chain_remedies() {
    return {
        "add it with --bundle FILE (--aia fetches it from the caIssuers URL, if any)",
        "add it with certtool ca import ROOT.pem, or check against it with --trust ROOT.pem (and "
        "put it in the peers' trust stores)",
        "get a new certificate from the CA",
        "get a CA-signed certificate"};
}

Remedies check_tls_remedies() {
    return {
        "configure the server to send it after its certificate (certtool export NAME "
        "--fullchain-out FILE writes certificate and chain)",
        k_trust_anchor,
        "renew the server's certificate",
        "give the server a CA-signed certificate, or check against this one with --trust "
        "FILE"};
}

}  // namespace certtool::cli
