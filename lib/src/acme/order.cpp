// acme issue (acme.hpp): an order, its challenges answered (challenges.hpp), the finalization
// with the key's CSR, the chain downloaded (the preferred alternate, if any) and stored as an
// entry, the settings remembered for acme renew.
#include "acme_client.hpp"
#include "challenges.hpp"
#include "entries.hpp"
#include "jws.hpp"
#include "ossl.hpp"

#include <certtool/acme.hpp>
#include <certtool/csr.hpp>
#include <certtool/error.hpp>

#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <openssl/x509.h>

#include <algorithm>
#include <functional>
#include <thread>

namespace certtool {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using Clock = std::chrono::steady_clock;

std::string member(const json& j, const char* name) {
    const auto it = j.is_object() ? j.find(name) : j.end();
    return j.is_object() && it != j.end() && it->is_string() ? it->get<std::string>()
                                                             : std::string{};
}

// The identifiers of the order: the request's DNS names, CN first, each once.
SubjectRequest subject_of(const AcmeIssueRequest& request) {
    std::vector<SubjectAltName> sans;
    for (const auto& s : request.sans) {
        sans.push_back(SubjectAltName::parse(s));
        if (sans.back().kind != SubjectAltName::Kind::dns) {
            throw Error(Errc::invalid_argument,
                        fmt::format("acme issue validates DNS names only: '{}' cannot be in the "
                                    "certificate",
                                    s));
        }
    }
    SubjectRequest subject = SubjectRequest::make(request.subject, std::move(sans));
    for (const auto& s : subject.sans) {
        if (s.kind != SubjectAltName::Kind::dns) {
            throw Error(Errc::invalid_argument,
                        "acme issue validates DNS names only: --cn must be a host name");
        }
        if (s.value.starts_with("*.") && request.challenge.type != AcmeChallengeType::dns01) {
            throw Error(Errc::invalid_argument,
                        fmt::format("'{}' is a wildcard name: CAs prove those by dns-01 only "
                                    "(--challenge dns-01 --dns-hook CMD)",
                                    s.value));
        }
    }
    return subject;
}

// The URLs of the Link headers with rel="alternate" (RFC 8555 7.4.2: alternate chains).
std::vector<std::string> alternate_links(const std::vector<std::string>& headers) {
    std::vector<std::string> out;
    for (const auto& header : headers) {
        std::string_view rest = header;
        while (!rest.empty()) {
            const std::size_t open = rest.find('<');
            const std::size_t close = rest.find('>', open);
            if (open == std::string_view::npos || close == std::string_view::npos) {
                break;
            }
            const std::string url{rest.substr(open + 1, close - open - 1)};
            rest.remove_prefix(close + 1);
            const std::size_t next = rest.find(',');
            const std::string_view params = rest.substr(0, next);
            if (params.find("rel=\"alternate\"") != std::string_view::npos ||
                params.find("rel=alternate") != std::string_view::npos) {
                out.push_back(url);
            }
            rest.remove_prefix(next == std::string_view::npos ? rest.size() : next + 1);
        }
    }
    return out;
}

// The common name of the chain's top issuer: who the last certificate names as its issuer.
std::string top_issuer(const std::vector<Certificate>& chain) {
    if (chain.empty()) {
        return {};
    }
    const X509_NAME* issuer = X509_get_issuer_name(chain.back().native());
    const int i = X509_NAME_get_index_by_NID(issuer, NID_commonName, -1);
    if (i < 0) {
        return ossl::name_to_string(issuer);
    }
    const ASN1_STRING* cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(issuer, i));
    return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(cn)),
            static_cast<std::size_t>(ASN1_STRING_length(cn))};
}

std::vector<Certificate> parse_chain(const std::string& pem, const std::string& url) {
    try {
        return Certificate::parse_all(pem, url);
    } catch (const Error& e) {
        throw Error(Errc::network, fmt::format("the CA's certificate chain: {}", e.what()));
    }
}

// POST-as-GET `url` until `status` is no longer one of `waiting` or the deadline passes.
json poll(detail::AcmeClient& client,
          std::string_view operation,
          const std::string& url,
          const detail::JwsKey& key,
          const std::string& kid,
          std::initializer_list<std::string_view> waiting,
          Clock::time_point deadline) {
    // The server's Retry-After when it gives one (at most 10 s), else 250 ms doubling to 8 s:
    // a CA that decides at once is not waited on for a whole second.
    std::chrono::milliseconds backoff{250};
    for (;;) {
        const auto r = client.post(operation, url, std::nullopt, key, kid);
        const std::string status = member(r.body, "status");
        if (std::find(waiting.begin(), waiting.end(), status) == waiting.end()) {
            return r.body;
        }
        const std::chrono::milliseconds pause =
            r.retry_after ? std::clamp<std::chrono::milliseconds>(
                                *r.retry_after, std::chrono::seconds{1}, std::chrono::seconds{10})
                          : backoff;
        backoff = std::min<std::chrono::milliseconds>(backoff * 2, std::chrono::seconds{8});
        if (Clock::now() + pause > deadline) {
            throw Error(Errc::network,
                        fmt::format("{} at {}: still '{}' at the deadline; the CA may finish "
                                    "later (see {})",
                                    operation,
                                    client.server(),
                                    status,
                                    url));
        }
        std::this_thread::sleep_for(pause);
    }
}

// Why an authorization is invalid: its failed challenge's problem, one line.
std::string authorization_failure(const json& authz) {
    const std::string id = fmt::format("{}:{}",
                                       member(authz.value("identifier", json::object()), "type"),
                                       member(authz.value("identifier", json::object()), "value"));
    for (const auto& c : authz.value("challenges", json::array())) {
        if (c.is_object() && c.contains("error")) {
            return fmt::format("{} challenge for {} failed: {}",
                               member(c, "type"),
                               id,
                               detail::parse_problem(0, c.at("error").dump()).text);
        }
    }
    return fmt::format("the authorization for {} is '{}'", id, member(authz, "status"));
}

}  // namespace

AcmeIssueResult issue_acme_certificate(Store& store,
                                       const AcmeIssueRequest& request,
                                       TimePoint now) {
    detail::AcmeClient client{request.connection};
    return detail::issue_with(client, store, request, now);
}

namespace detail {

AcmeIssueResult issue_with(AcmeClient& client,
                           Store& store,
                           const AcmeIssueRequest& request,
                           TimePoint now) {
    Store::validate_name(request.name);
    if (!request.force && store.contains(request.name)) {
        throw Error(Errc::already_exists,
                    fmt::format("entry '{}' already exists: use --force to replace it, or choose "
                                "another name",
                                request.name));
    }
    const SubjectRequest subject = subject_of(request);
    const detail::StoredAccount account = detail::registered_account(store, request.connection);
    const detail::JwsKey key = detail::jws_key(account.key);
    const std::string thumbprint = detail::jwk_thumbprint(key.jwk);
    const std::string& kid = account.url;
    // Set up first: a port in use or a missing webroot fails before the CA is asked anything.
    const std::unique_ptr<detail::ChallengeSolver> solver = detail::make_solver(request.challenge);
    const auto deadline = Clock::now() + request.deadline;

    json identifiers = json::array();
    for (const auto& san : subject.sans) {
        identifiers.push_back({{"type", "dns"}, {"value", san.value}});
    }
    json new_order{{"identifiers", identifiers}};
    if (!request.replaces.empty()) {
        new_order["replaces"] = request.replaces;
    }
    const auto order = client.post("newOrder", client.directory().new_order, new_order, key, kid);
    const std::string order_url = order.location;
    const std::string finalize = member(order.body, "finalize");
    if (order_url.empty() || finalize.empty()) {
        throw Error(Errc::network,
                    fmt::format("newOrder at {}: the answer has no order URL or finalize URL",
                                client.server()));
    }

    // Each pending authorization's challenge presented (all of them before the CA is told: a
    // name and its wildcard share one TXT record name), then answered, then polled.
    struct Pending {
        std::string authorization;
        std::string challenge;
    };

    std::vector<Pending> pending;
    for (const auto& a : order.body.value("authorizations", json::array())) {
        const std::string url = a.is_string() ? a.get<std::string>() : std::string{};
        const json authz = client.post("authorization", url, std::nullopt, key, kid).body;
        const std::string status = member(authz, "status");
        if (status == "valid") {
            continue;  // reused: proven before
        }
        if (status != "pending") {
            throw Error(Errc::network, authorization_failure(authz));
        }
        const std::string domain = member(authz.value("identifier", json::object()), "value");
        const auto challenges = authz.value("challenges", json::array());
        const auto offered = std::find_if(challenges.begin(), challenges.end(), [&](const json& c) {
            return c.is_object() && member(c, "type") == solver->type();
        });
        if (offered == challenges.end()) {
            throw Error(Errc::network,
                        fmt::format("the CA offers no {} challenge for {}: choose another "
                                    "--challenge",
                                    solver->type(),
                                    domain));
        }
        const std::string token = member(*offered, "token");
        if (token.empty() || !detail::base64url_decode(token)) {
            throw Error(Errc::network,
                        fmt::format("the CA's {} token is not base64url", solver->type()));
        }
        solver->present(domain, token, token + "." + thumbprint);
        pending.push_back({url, member(*offered, "url")});
    }
    for (const auto& p : pending) {
        client.post("challenge", p.challenge, json::object(), key, kid);
    }
    for (const auto& p : pending) {
        const json authz =
            poll(client, "authorization", p.authorization, key, kid, {"pending"}, deadline);
        if (member(authz, "status") != "valid") {
            throw Error(Errc::network, authorization_failure(authz));
        }
    }
    std::vector<std::string> notes = solver->cleanup();
    const int answered = solver->answered();

    // Finalize with the key's CSR, wait for the certificate, download the chain.
    const PrivateKey cert_key = request.key ? *request.key : PrivateKey::generate(request.key_type);
    const std::string csr = create_csr(cert_key, subject, Encoding::der);
    json done =
        client.post("finalize", finalize, json{{"csr", detail::base64url(csr)}}, key, kid).body;
    if (member(done, "status") != "valid") {
        done = poll(
            client, "order", order_url, key, kid, {"pending", "ready", "processing"}, deadline);
    }
    std::string certificate_url = member(done, "certificate");
    if (member(done, "status") != "valid" || certificate_url.empty()) {
        throw Error(Errc::network,
                    fmt::format("the order {} ended '{}'{}",
                                order_url,
                                member(done, "status"),
                                done.contains("error")
                                    ? ": " + detail::parse_problem(0, done.at("error").dump()).text
                                    : std::string{}));
    }
    constexpr std::string_view pem_chain = "application/pem-certificate-chain";
    const auto pem = client.post("certificate", certificate_url, std::nullopt, key, kid, pem_chain);
    std::vector<Certificate> certificates = parse_chain(pem.raw, certificate_url);
    if (!request.preferred_chain.empty() && top_issuer(certificates) != request.preferred_chain) {
        bool found = false;
        for (const auto& url : alternate_links(pem.links)) {
            const auto alt = client.post("alternate chain", url, std::nullopt, key, kid, pem_chain);
            auto chain = parse_chain(alt.raw, url);
            if (top_issuer(chain) == request.preferred_chain) {
                certificates = std::move(chain);
                certificate_url = url;
                found = true;
                break;
            }
        }
        if (!found) {
            notes.push_back(
                fmt::format("no chain of the CA's ends at '{}' (--preferred-chain): "
                            "the default chain, up to '{}', is stored",
                            request.preferred_chain,
                            top_issuer(certificates)));
        }
    }
    const std::string chain_issuer = top_issuer(certificates);

    ImportIssuedRequest import{request.name,
                               subject,
                               std::move(certificates),
                               request.trust,
                               request.remedies,
                               request.force};
    std::optional<ImportResult> imported;
    try {
        imported = import_issued(store, import, cert_key, now);
    } catch (const Error& e) {
        if (e.code() != Errc::key_mismatch) {
            throw;
        }
        // The CA's doing, not the user's: nothing was stored.
        throw Error(
            Errc::network,
            fmt::format(
                "the certificate {} is not for the key of the CSR: {}", certificate_url, e.what()));
    }

    AcmeEntrySettings remembered;
    remembered.name = request.name;
    remembered.server = request.connection.server;
    if (request.connection.ca_bundle) {
        remembered.ca_bundle = fs::absolute(*request.connection.ca_bundle);
    }
    remembered.common_name = request.subject.common_name;
    remembered.sans = request.sans;
    remembered.key_type =
        request.key ? imported->entry.key.type().value_or(request.key_type) : request.key_type;
    remembered.reuse_key = request.key.has_value();
    remembered.challenge = request.challenge;
    if (!remembered.challenge.webroot.empty()) {
        remembered.challenge.webroot = fs::absolute(remembered.challenge.webroot);
    }
    remembered.preferred_chain = request.preferred_chain;
    remembered.order_url = order_url;
    remembered.certificate_url = certificate_url;
    remembered.issued = now;
    try {
        detail::write_acme_entry(store, remembered);
    } catch (const Error& e) {
        notes.push_back(
            fmt::format("the certificate is stored, but its ACME settings could not be "
                        "remembered (acme renew will need them as options): {}",
                        e.what()));
    }
    return {std::move(*imported),
            order_url,
            certificate_url,
            chain_issuer,
            answered,
            static_cast<int>(pending.size()),
            client.requests(),
            client.bad_nonce_retries(),
            std::move(notes),
            request.connection.server};
}

}  // namespace detail

}  // namespace certtool
