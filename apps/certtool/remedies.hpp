// The advice findings give, in each command's own terms: every remedy is a command line or an
// option that works where the user is (tests/cli/test_cli_advice.cpp runs each one).
#pragma once

#include <certtool/finding.hpp>
#include <certtool/store.hpp>

#include <string>

namespace certtool::cli {

// import-signed NAME: the chain being imported.
[[nodiscard]] Remedies import_signed_remedies(const std::string& name);
// import-pkcs12 NAME: the chain that came in the file.
[[nodiscard]] Remedies import_pkcs12_remedies(const std::string& name);
// acme issue: the CA's chain, stored as the entry.
[[nodiscard]] Remedies acme_issue_remedies(const std::string& name);
// verify NAME: a stored entry (renewal depends on how it was made).
[[nodiscard]] Remedies verify_entry_remedies(const Entry& entry);
// verify --cert FILE: certificates in files.
[[nodiscard]] Remedies verify_files_remedies();
// fix-chain: a bag of certificates.
[[nodiscard]] Remedies fix_chain_remedies();
// check-tls: what a server sends.
[[nodiscard]] Remedies check_tls_remedies();

}  // namespace certtool::cli
