#include "acme_client.hpp"

#include <certtool/error.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <thread>

namespace certtool::detail {

using nlohmann::json;

namespace {

constexpr std::string_view k_error_prefix = "urn:ietf:params:acme:error:";
constexpr std::size_t k_max_detail = 400;  // of the CA's words, per (sub)problem

std::string string_member(const json& j, const char* name) {
    const auto it = j.find(name);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

std::string shortened(std::string text) {
    if (text.size() > k_max_detail) {
        text.resize(k_max_detail);
        text += "...";
    }
    return text;
}

// "dns:mail.example.com" for an identifier object, "" without one.
std::string identifier_text(const json& problem) {
    const auto it = problem.find("identifier");
    if (it == problem.end() || !it->is_object()) {
        return {};
    }
    const std::string type = string_member(*it, "type");
    const std::string value = string_member(*it, "value");
    return value.empty() ? std::string{} : (type.empty() ? "" : type + ":") + value;
}

// "TYPE: DETAIL (IDENTIFIER)".
std::string one_problem(const json& p) {
    std::string type = string_member(p, "type");
    std::string out = type.empty() ? std::string{"(no type)"} : type;
    const std::string detail = shortened(string_member(p, "detail"));
    if (!detail.empty()) {
        out += ": " + detail;
    }
    if (const std::string id = identifier_text(p); !id.empty()) {
        out += " (" + id + ")";
    }
    return out;
}

bool is_success(long status) {
    return status >= 200 && status < 300;
}

json parse_json(const std::string& body) {
    if (body.empty()) {
        return nullptr;
    }
    json j = json::parse(body, nullptr, false);
    return j.is_discarded() ? json(nullptr) : j;
}

std::string required_url(const json& j, const char* name, std::string_view server) {
    const std::string url = string_member(j, name);
    if (url.empty()) {
        throw Error(Errc::network,
                    fmt::format("the ACME directory at {} has no '{}' URL: is it an ACME (RFC "
                                "8555) directory?",
                                server,
                                name));
    }
    return url;
}

}  // namespace

AcmeDirectory parse_directory(const json& j, std::string_view server) {
    if (!j.is_object()) {
        throw Error(Errc::network,
                    fmt::format("{} did not answer with an ACME directory (a JSON object): check "
                                "the --server URL",
                                server));
    }
    AcmeDirectory d;
    d.new_nonce = required_url(j, "newNonce", server);
    d.new_account = required_url(j, "newAccount", server);
    d.new_order = required_url(j, "newOrder", server);
    d.revoke_cert = string_member(j, "revokeCert");
    d.key_change = string_member(j, "keyChange");
    d.renewal_info = string_member(j, "renewalInfo");
    if (const auto meta = j.find("meta"); meta != j.end() && meta->is_object()) {
        d.terms_of_service = string_member(*meta, "termsOfService");
        d.website = string_member(*meta, "website");
        const auto ear = meta->find("externalAccountRequired");
        d.external_account_required = ear != meta->end() && ear->is_boolean() && ear->get<bool>();
    }
    return d;
}

AcmeProblem parse_problem(long status, std::string_view body) {
    AcmeProblem problem;
    const json j = parse_json(std::string{body});
    if (!j.is_object() || string_member(j, "type").empty()) {
        problem.text = fmt::format("HTTP {} without a problem document", status);
        return problem;
    }
    problem.type = string_member(j, "type");
    problem.detail = string_member(j, "detail");
    problem.text = one_problem(j);
    if (const auto subs = j.find("subproblems"); subs != j.end() && subs->is_array()) {
        for (const auto& s : *subs) {
            if (s.is_object()) {
                problem.text += "; " + one_problem(s);
            }
        }
    }
    return problem;
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, TimePoint now) {
    while (!value.empty() && value.front() == ' ') {
        value.remove_prefix(1);
    }
    while (!value.empty() && value.back() == ' ') {
        value.remove_suffix(1);
    }
    if (value.empty()) {
        return std::nullopt;
    }
    if (std::all_of(value.begin(), value.end(), [](char c) {
            return std::isdigit(static_cast<unsigned char>(c)) != 0;
        })) {
        if (value.size() > 9) {
            return std::chrono::seconds{999999999};
        }
        return std::chrono::seconds{std::stol(std::string{value})};
    }
    // IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT" (the obsolete forms are not sent by CAs).
    std::tm tm{};
    const std::string text{value};
    const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (end == nullptr || *end != '\0') {
        return std::nullopt;
    }
    const TimePoint at = std::chrono::system_clock::from_time_t(timegm(&tm));
    const auto delay = std::chrono::duration_cast<std::chrono::seconds>(at - now);
    return std::max(delay, std::chrono::seconds{0});
}

AcmeClient::AcmeClient(const AcmeConnection& connection)
    : m_connection(connection),
      m_http(HttpOptions{
          .ca_bundle = connection.ca_bundle,
          .connect_timeout = std::min(connection.timeout, std::chrono::milliseconds{10000}),
          .timeout = connection.timeout}) {}

const AcmeDirectory& AcmeClient::directory() {
    if (m_directory) {
        return *m_directory;
    }
    HttpResponse r;
    try {
        r = m_http.get(m_connection.server, "application/json");
    } catch (const Error& e) {
        throw Error(e.code(), fmt::format("cannot fetch the ACME directory: {}", e.what()));
    }
    if (!is_success(r.status)) {
        throw Error(Errc::network,
                    fmt::format("cannot fetch the ACME directory {}: {}",
                                m_connection.server,
                                parse_problem(r.status, r.body).text));
    }
    m_directory = parse_directory(parse_json(r.body), m_connection.server);
    return *m_directory;
}

void AcmeClient::keep_nonce(const HttpResponse& response) {
    if (auto nonce = response.header("replay-nonce"); nonce && !nonce->empty()) {
        m_nonce = std::move(*nonce);
    }
}

std::string AcmeClient::take_nonce() {
    if (m_nonce.empty()) {
        const std::string& url = directory().new_nonce;
        const HttpResponse r = m_http.head(url);
        keep_nonce(r);
        if (m_nonce.empty()) {
            throw Error(Errc::network,
                        fmt::format("the ACME server's newNonce ({}) answered HTTP {} without a "
                                    "Replay-Nonce header",
                                    url,
                                    r.status));
        }
    }
    return std::exchange(m_nonce, std::string{});
}

AcmeResponse AcmeClient::post(std::string_view operation,
                              const std::string& url,
                              const std::optional<json>& payload,
                              const JwsKey& key,
                              std::string_view kid,
                              std::string_view accept,
                              bool return_problems) {
    const std::string payload_text =
        payload ? payload->dump(-1, ' ', false, json::error_handler_t::strict) : std::string{};
    int bad_nonces = 0;
    bool waited = false;
    for (;;) {
        const std::string nonce = take_nonce();
        const json jws = jws_sign(key, payload_text, url, nonce, kid);
        const HttpResponse r = m_http.post(url, jws.dump(), "application/jose+json", accept);
        keep_nonce(r);
        if (is_success(r.status)) {
            AcmeResponse out;
            out.status = r.status;
            out.location = r.header("location").value_or("");
            out.raw = r.body;
            out.body = parse_json(r.body);
            out.links = r.headers_named("link");
            if (const auto ra = r.header("retry-after")) {
                out.retry_after = parse_retry_after(*ra, std::chrono::system_clock::now());
            }
            return out;
        }
        AcmeProblem problem = parse_problem(r.status, r.body);
        const std::string_view type = problem.type;
        if (type == std::string{k_error_prefix} + "badNonce" &&
            bad_nonces < m_connection.max_bad_nonce_retries) {
            ++bad_nonces;
            ++m_bad_nonce_retries;
            continue;
        }
        std::string wait_note;
        if (r.status == 429 || r.status == 503) {
            const auto header = r.header("retry-after");
            const auto delay = header ? parse_retry_after(*header, std::chrono::system_clock::now())
                                      : std::nullopt;
            if (delay && !waited && *delay <= m_connection.max_retry_after) {
                waited = true;
                std::this_thread::sleep_for(*delay);
                continue;
            }
            if (delay) {
                wait_note = fmt::format(" (retry after {} s)", delay->count());
            }
        }
        if (type == std::string{k_error_prefix} + "badNonce") {
            wait_note += fmt::format(" (after {} retries with fresh nonces)", bad_nonces);
        }
        problem.text += wait_note;
        AcmeResponse out;
        out.status = r.status;
        out.raw = r.body;
        out.problem = std::move(problem);
        if (return_problems) {
            return out;
        }
        throw refused(operation, out);
    }
}

AcmeResponse AcmeClient::get(std::string_view operation, const std::string& url) {
    const HttpResponse r = m_http.get(url, "application/json");
    AcmeResponse out;
    out.status = r.status;
    out.raw = r.body;
    if (!is_success(r.status)) {
        out.problem = parse_problem(r.status, r.body);
        throw refused(operation, out);
    }
    out.body = parse_json(r.body);
    if (const auto ra = r.header("retry-after")) {
        out.retry_after = parse_retry_after(*ra, std::chrono::system_clock::now());
    }
    return out;
}

Error AcmeClient::refused(std::string_view operation, const AcmeResponse& response) const {
    const AcmeProblem problem = response.problem.value_or(AcmeProblem{});
    const Errc code = problem.type == std::string{k_error_prefix} + "accountDoesNotExist"
                          ? Errc::not_found
                          : Errc::network;
    return Error(code,
                 fmt::format("{} at {}: the ACME server refused (HTTP {}): {}",
                             operation,
                             m_connection.server,
                             response.status,
                             problem.text));
}

}  // namespace certtool::detail
