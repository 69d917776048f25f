// acme issue (acme.hpp): an order, its http-01 challenges answered by certtool itself, the
// finalization with a new key's CSR, the chain downloaded and stored as an entry.
#include "acme_client.hpp"
#include "http01.hpp"
#include "jws.hpp"

#include <certtool/acme.hpp>
#include <certtool/csr.hpp>
#include <certtool/error.hpp>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>
#include <thread>

namespace certtool {

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
    if (std::any_of(subject.sans.begin(), subject.sans.end(), [](const SubjectAltName& s) {
            return s.kind != SubjectAltName::Kind::dns;
        })) {
        throw Error(Errc::invalid_argument,
                    "acme issue validates DNS names only: --cn must be a host name");
    }
    return subject;
}

// POST-as-GET `url` until `status` is no longer one of `waiting` or the deadline passes.
json poll(detail::AcmeClient& client,
          std::string_view operation,
          const std::string& url,
          const detail::JwsKey& key,
          const std::string& kid,
          std::initializer_list<std::string_view> waiting,
          Clock::time_point deadline) {
    for (;;) {
        const auto r = client.post(operation, url, std::nullopt, key, kid);
        const std::string status = member(r.body, "status");
        if (std::find(waiting.begin(), waiting.end(), status) == waiting.end()) {
            return r.body;
        }
        auto pause = std::clamp(r.retry_after.value_or(std::chrono::seconds{1}),
                                std::chrono::seconds{1},
                                std::chrono::seconds{10});
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
    // Listening first: a port in use fails before the CA is asked for anything.
    detail::Http01Responder responder{request.http_address, request.http_port};
    detail::AcmeClient client{request.connection};
    const auto deadline = Clock::now() + request.deadline;

    json identifiers = json::array();
    for (const auto& san : subject.sans) {
        identifiers.push_back({{"type", "dns"}, {"value", san.value}});
    }
    const auto order = client.post(
        "newOrder", client.directory().new_order, json{{"identifiers", identifiers}}, key, kid);
    const std::string order_url = order.location;
    const std::string finalize = member(order.body, "finalize");
    if (order_url.empty() || finalize.empty()) {
        throw Error(Errc::network,
                    fmt::format("newOrder at {}: the answer has no order URL or finalize URL",
                                client.server()));
    }

    // Each authorization: its http-01 challenge answered, then polled until decided.
    std::vector<std::string> pending;
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
        const auto challenges = authz.value("challenges", json::array());
        const auto http01 = std::find_if(challenges.begin(), challenges.end(), [](const json& c) {
            return c.is_object() && member(c, "type") == "http-01";
        });
        if (http01 == challenges.end()) {
            throw Error(Errc::network,
                        fmt::format("the CA offers no http-01 challenge for {}",
                                    member(authz.value("identifier", json::object()), "value")));
        }
        const std::string token = member(*http01, "token");
        if (token.empty() || !detail::base64url_decode(token)) {
            throw Error(Errc::network, "the CA's http-01 token is not base64url");
        }
        responder.add(token, token + "." + thumbprint);
        client.post("challenge", member(*http01, "url"), json::object(), key, kid);
        pending.push_back(url);
    }
    for (const auto& url : pending) {
        const json authz = poll(client, "authorization", url, key, kid, {"pending"}, deadline);
        if (member(authz, "status") != "valid") {
            throw Error(Errc::network, authorization_failure(authz));
        }
    }

    // Finalize with a new key's CSR, wait for the certificate, download the chain.
    const PrivateKey cert_key = PrivateKey::generate(request.key_type);
    const std::string csr = create_csr(cert_key, subject, Encoding::der);
    json done =
        client.post("finalize", finalize, json{{"csr", detail::base64url(csr)}}, key, kid).body;
    if (member(done, "status") != "valid") {
        done = poll(
            client, "order", order_url, key, kid, {"pending", "ready", "processing"}, deadline);
    }
    const std::string certificate_url = member(done, "certificate");
    if (member(done, "status") != "valid" || certificate_url.empty()) {
        throw Error(Errc::network,
                    fmt::format("the order {} ended '{}'{}",
                                order_url,
                                member(done, "status"),
                                done.contains("error")
                                    ? ": " + detail::parse_problem(0, done.at("error").dump()).text
                                    : std::string{}));
    }
    const auto pem = client.post("certificate",
                                 certificate_url,
                                 std::nullopt,
                                 key,
                                 kid,
                                 "application/pem-certificate-chain");
    std::vector<Certificate> certificates;
    try {
        certificates = Certificate::parse_all(pem.raw, certificate_url);
    } catch (const Error& e) {
        throw Error(Errc::network, fmt::format("the CA's certificate chain: {}", e.what()));
    }

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
    return {std::move(*imported),
            order_url,
            certificate_url,
            responder.answered(),
            client.requests(),
            client.bad_nonce_retries()};
}

}  // namespace certtool
