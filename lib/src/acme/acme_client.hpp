// One conversation with an ACME server (RFC 8555): its directory, fetched once; the nonces
// (HEAD newNonce when none is left, every response's Replay-Nonce kept for the next request);
// POSTs signed with the account key (JWS, jws.hpp), retried on badNonce up to a bound and
// after a Retry-After up to a cap; problem documents (RFC 7807) turned into one-line errors.
#pragma once

#include "http.hpp"
#include "jws.hpp"

#include <certtool/acme.hpp>
#include <certtool/error.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace certtool::detail {

// The directory's resources (RFC 8555 7.1.1) and meta fields certtool reads.
struct AcmeDirectory {
    std::string new_nonce;
    std::string new_account;
    std::string new_order;
    std::string revoke_cert;
    std::string key_change;
    std::string renewal_info;  // RFC 9773, when offered
    std::string terms_of_service;
    std::string website;
    bool external_account_required{false};
};

// Reads a directory object. Throws Error{network} naming the server when a required resource
// (newNonce, newAccount, newOrder) is missing or not a string.
[[nodiscard]] AcmeDirectory parse_directory(const nlohmann::json& j, std::string_view server);

// A problem document as one line: "DETAIL (TYPE[, IDENTIFIER])[; subproblem ...]". `body` is
// the response's body; an unparsable body gives the HTTP status alone.
struct AcmeProblem {
    std::string type;    // "urn:ietf:params:acme:error:badNonce", or "" if not a problem
    std::string detail;  // the CA's words
    std::string text;    // the one line
};

[[nodiscard]] AcmeProblem parse_problem(long status, std::string_view body);

// Retry-After (RFC 9110 10.2.3): delay-seconds or an HTTP-date, as a delay from `now`
// (never negative). nullopt when absent or unreadable.
[[nodiscard]] std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                                    TimePoint now);

struct AcmeResponse {
    long status{0};
    std::string location;  // the Location header, if any
    nlohmann::json body;   // parsed JSON, or null for an empty or non-JSON body
    std::string raw;       // the body as received (PEM chains)
    std::vector<std::string> links;
    std::optional<std::chrono::seconds> retry_after;  // when to poll again, if the server said
    // With AcmeClient::post(..., return_problems): the problem the server answered with.
    std::optional<AcmeProblem> problem;
};

class AcmeClient {
public:
    // No I/O until the first request.
    explicit AcmeClient(const AcmeConnection& connection);

    // GET the directory (once). Throws Error{network}.
    const AcmeDirectory& directory();

    // A JWS POST to `url`: `payload` JSON (nullopt: POST-as-GET, an empty payload), signed with
    // `key`, identified by `kid` (the account URL) or, when kid is empty, by the JWK. Returns a
    // 2xx response; a problem document becomes Error{network} ("OPERATION: the ACME server
    // refused: ..."), except accountDoesNotExist, which is Error{not_found}. badNonce is retried
    // with the nonce of the error (max_bad_nonce_retries times), 429/503 with a Retry-After no
    // longer than max_retry_after once. With return_problems, the problem that remains is
    // returned in the response (`problem`) instead.
    AcmeResponse post(std::string_view operation,
                      const std::string& url,
                      const std::optional<nlohmann::json>& payload,
                      const JwsKey& key,
                      std::string_view kid,
                      std::string_view accept = {},
                      bool return_problems = false);

    // An unauthenticated GET (renewalInfo, RFC 9773): a 2xx JSON response, else
    // Error{network} with the server's problem.
    AcmeResponse get(std::string_view operation, const std::string& url);

    // The error post() throws for a response with a problem.
    [[nodiscard]] Error refused(std::string_view operation, const AcmeResponse& response) const;

    [[nodiscard]] int bad_nonce_retries() const noexcept { return m_bad_nonce_retries; }

    [[nodiscard]] int requests() const noexcept { return m_http.requests(); }

    [[nodiscard]] const std::string& server() const noexcept { return m_connection.server; }

private:
    std::string take_nonce();
    void keep_nonce(const HttpResponse& response);

    AcmeConnection m_connection;
    HttpClient m_http;
    std::optional<AcmeDirectory> m_directory;
    std::string m_nonce;
    int m_bad_nonce_retries{0};
};

// The store's registered account for the server (account.cpp). Throws Error{not_found} (none,
// or never accepted by the server; deactivated or revoked), Error{parse} (damaged).
struct StoredAccount {
    PrivateKey key;
    std::string url;
};

[[nodiscard]] StoredAccount registered_account(const Store& store,
                                               const AcmeConnection& connection);

// issue_acme_certificate() over a conversation already begun (acme renew asked the same
// server for its renewal window): the directory and the nonce are not fetched again.
AcmeIssueResult issue_with(AcmeClient& client,
                           Store& store,
                           const AcmeIssueRequest& request,
                           TimePoint now);

// Runs `change` under DIR/acme/.lock with `subdir` (under DIR/acme) made private and cleared of
// temporaries; refuses a store, DIR/acme or subdir others can write (they could replace an
// account key or a hook command). Throws Error{io}, Error{locked}.
void change_acme_dir(const Store& store,
                     const std::filesystem::path& subdir,
                     const std::function<void()>& change);

}  // namespace certtool::detail
