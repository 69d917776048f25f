#include "http.hpp"

#include "optional_library.hpp"

#include <certtool/error.hpp>

#include <fmt/core.h>

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace certtool::detail {

namespace {

// libcurl's functions, from libcurl.so.4 opened on the first request (optional_library.hpp says
// why it is not linked).
struct CurlApi {
    decltype(&curl_global_init) global_init{};
    decltype(&curl_easy_init) easy_init{};
    decltype(&curl_easy_cleanup) easy_cleanup{};
    decltype(&curl_easy_reset) easy_reset{};
    decltype(&curl_easy_setopt) easy_setopt{};
    decltype(&curl_easy_perform) easy_perform{};
    decltype(&curl_easy_getinfo) easy_getinfo{};
    decltype(&curl_easy_strerror) easy_strerror{};
    decltype(&curl_slist_append) slist_append{};
    decltype(&curl_slist_free_all) slist_free_all{};
    decltype(&curl_version_info) version_info{};
};

// Loads libcurl and sets up its global state, once per process (before any handle; neither is
// thread-safe itself). Throws Error{unsupported} naming the package when libcurl is missing.
const CurlApi& curl() {
    static const CurlApi api = [] {
        const OptionalLibrary lib{"libcurl.so.4", "ACME", "libcurl4"};
        CurlApi a;
        lib.bind(a.global_init, "curl_global_init");
        lib.bind(a.easy_init, "curl_easy_init");
        lib.bind(a.easy_cleanup, "curl_easy_cleanup");
        lib.bind(a.easy_reset, "curl_easy_reset");
        lib.bind(a.easy_setopt, "curl_easy_setopt");
        lib.bind(a.easy_perform, "curl_easy_perform");
        lib.bind(a.easy_getinfo, "curl_easy_getinfo");
        lib.bind(a.easy_strerror, "curl_easy_strerror");
        lib.bind(a.slist_append, "curl_slist_append");
        lib.bind(a.slist_free_all, "curl_slist_free_all");
        lib.bind(a.version_info, "curl_version_info");
        if (const CURLcode rc = a.global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK) {
            throw Error(Errc::unsupported,
                        fmt::format("cannot set up libcurl: {}", a.easy_strerror(rc)));
        }
        return a;
    }();
    return api;
}

}  // namespace

// Not file-local: HttpClient::Handle holds one.
struct CurlEasyCleanup {
    void operator()(CURL* c) const noexcept { curl().easy_cleanup(c); }
};

namespace {

struct SlistCleanup {
    void operator()(curl_slist* l) const noexcept { curl().slist_free_all(l); }
};

using SlistPtr = std::unique_ptr<curl_slist, SlistCleanup>;

// Where the callbacks put the response, and what they refused.
struct Sink {
    HttpResponse* response{nullptr};
    std::size_t max_body{0};
    std::size_t max_headers{0};
    std::size_t header_bytes{0};
    bool body_too_large{false};
    bool headers_too_large{false};
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* sink = static_cast<Sink*>(user);
    const std::size_t n = size * count;
    if (sink->response->body.size() + n > sink->max_body) {
        sink->body_too_large = true;
        return 0;  // libcurl stops with CURLE_WRITE_ERROR
    }
    sink->response->body.append(data, n);
    return n;
}

std::string trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) {
        s.remove_prefix(1);
    }
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) {
        s.remove_suffix(1);
    }
    return std::string{s};
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto* sink = static_cast<Sink*>(user);
    const std::size_t n = size * count;
    sink->header_bytes += n;
    if (sink->header_bytes > sink->max_headers) {
        sink->headers_too_large = true;
        return 0;
    }
    const std::string_view line{data, n};
    if (line.starts_with("HTTP/")) {
        sink->response->headers.clear();  // a new response (after 100 Continue, a proxy's)
        return n;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
        return n;  // the blank line ending the headers
    }
    std::string name{line.substr(0, colon)};
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    sink->response->headers.emplace_back(std::move(name), trim(line.substr(colon + 1)));
    return n;
}

std::string_view method_name(bool head, bool post) {
    return head ? "HEAD" : post ? "POST" : "GET";
}

// What to do about a transfer that failed, in the user's terms.
std::string hint_for(CURLcode rc) {
    switch (rc) {
        case CURLE_PEER_FAILED_VERIFICATION:
            return ": the server's certificate is not trusted; for a private ACME server pass "
                   "--ca-bundle FILE with the CA that issued it";
        case CURLE_SSL_CACERT_BADFILE:
            return ": the CA bundle cannot be read (PEM certificates expected)";
        case CURLE_OPERATION_TIMEDOUT:
            return ": the server did not answer in time";
        case CURLE_UNSUPPORTED_PROTOCOL:
            return ": ACME servers are reached over https:// only";
        default:
            return "";
    }
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
        if (n == name) {
            return v;
        }
    }
    return std::nullopt;
}

std::vector<std::string> HttpResponse::headers_named(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& [n, v] : headers) {
        if (n == name) {
            out.push_back(v);
        }
    }
    return out;
}

struct HttpClient::Handle {
    std::unique_ptr<CURL, CurlEasyCleanup> easy;
    std::array<char, CURL_ERROR_SIZE> error{};
};

HttpClient::HttpClient(HttpOptions options) : m_options(std::move(options)) {
    static_cast<void>(curl());  // libcurl missing: Error{unsupported} before anything else
    if (m_options.ca_bundle) {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(*m_options.ca_bundle, ec)) {
            throw Error(Errc::io,
                        fmt::format("cannot read the CA bundle '{}': not a regular file",
                                    m_options.ca_bundle->string()));
        }
    }
    m_handle = std::make_unique<Handle>();
    m_handle->easy.reset(curl().easy_init());
    if (m_handle->easy == nullptr) {
        throw Error(Errc::crypto, "cannot set up libcurl: curl_easy_init failed");
    }
}

HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;
HttpClient::~HttpClient() = default;

HttpResponse HttpClient::get(const std::string& url, std::string_view accept) {
    return perform(Method::get, url, {}, {}, accept);
}

HttpResponse HttpClient::head(const std::string& url) {
    return perform(Method::head, url, {}, {}, {});
}

HttpResponse HttpClient::post(const std::string& url,
                              std::string_view body,
                              std::string_view content_type,
                              std::string_view accept) {
    return perform(Method::post, url, body, content_type, accept);
}

HttpResponse HttpClient::perform(Method method,
                                 const std::string& url,
                                 std::string_view body,
                                 std::string_view content_type,
                                 std::string_view accept) {
    const CurlApi& api = curl();
    const auto setopt = api.easy_setopt;
    CURL* c = m_handle->easy.get();
    // A reset keeps the connection cache, TLS sessions and DNS cache: only options go.
    api.easy_reset(c);
    HttpResponse response;
    Sink sink{&response, m_options.max_body_bytes, m_options.max_header_bytes};
    m_handle->error.fill('\0');
    SlistPtr headers;
    const auto add_header = [&](const std::string& h) {
        curl_slist* next = api.slist_append(headers.get(), h.c_str());
        if (next == nullptr) {
            throw Error(Errc::crypto, "cannot set up an HTTP request: out of memory");
        }
        static_cast<void>(headers.release());
        headers.reset(next);
    };
    add_header("Expect:");  // no 100-continue round trip for the small POST bodies of ACME
    if (!content_type.empty()) {
        add_header(fmt::format("Content-Type: {}", content_type));
    }
    if (!accept.empty()) {
        add_header(fmt::format("Accept: {}", accept));
    }
    const std::string agent = user_agent();
    bool ok = setopt(c, CURLOPT_URL, url.c_str()) == CURLE_OK;
    ok = ok &&
         setopt(c, CURLOPT_PROTOCOLS_STR, m_options.allow_plain_http ? "http,https" : "https") ==
             CURLE_OK;
    ok = ok && setopt(c, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK;
    ok = ok && setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK;
    ok = ok && setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK;
    ok = ok && setopt(c, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2) == CURLE_OK;
    if (m_options.ca_bundle) {
        // Exactly this bundle: no system CA directory beside it.
        ok = ok && setopt(c, CURLOPT_CAINFO, m_options.ca_bundle->c_str()) == CURLE_OK;
        ok = ok && setopt(c, CURLOPT_CAPATH, nullptr) == CURLE_OK;
    }
    ok = ok && setopt(c,
                      CURLOPT_CONNECTTIMEOUT_MS,
                      static_cast<long>(m_options.connect_timeout.count())) == CURLE_OK;
    ok = ok &&
         setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(m_options.timeout.count())) == CURLE_OK;
    ok = ok && setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
    ok = ok &&
         setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(m_options.max_body_bytes)) ==
             CURLE_OK;
    ok = ok && setopt(c, CURLOPT_USERAGENT, agent.c_str()) == CURLE_OK;
    ok = ok && setopt(c, CURLOPT_HTTPHEADER, headers.get()) == CURLE_OK;
    ok = ok && setopt(c, CURLOPT_ERRORBUFFER, m_handle->error.data()) == CURLE_OK;
    ok = ok && setopt(c, CURLOPT_WRITEFUNCTION, &on_body) == CURLE_OK;
    ok = ok && setopt(c, CURLOPT_WRITEDATA, &sink) == CURLE_OK;
    ok = ok && setopt(c, CURLOPT_HEADERFUNCTION, &on_header) == CURLE_OK;
    ok = ok && setopt(c, CURLOPT_HEADERDATA, &sink) == CURLE_OK;
    if (method == Method::head) {
        ok = ok && setopt(c, CURLOPT_NOBODY, 1L) == CURLE_OK;
    } else if (method == Method::post) {
        ok = ok && setopt(c, CURLOPT_POST, 1L) == CURLE_OK;
        ok = ok && setopt(c, CURLOPT_POSTFIELDS, body.data()) == CURLE_OK;
        ok = ok && setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size())) ==
                       CURLE_OK;
    }
    if (!ok) {
        throw Error(Errc::crypto,
                    "cannot set up an HTTP request: this libcurl lacks an option certtool needs "
                    "(7.85 or later is required)");
    }
    ++m_requests;
    const CURLcode rc = api.easy_perform(c);
    const std::string_view what = method_name(method == Method::head, method == Method::post);
    if (rc != CURLE_OK) {
        std::string reason =
            m_handle->error.front() != '\0' ? m_handle->error.data() : api.easy_strerror(rc);
        if (sink.body_too_large || rc == CURLE_FILESIZE_EXCEEDED) {
            reason = fmt::format("the response is larger than {} bytes", m_options.max_body_bytes);
        } else if (sink.headers_too_large) {
            reason = fmt::format("the response headers are larger than {} bytes",
                                 m_options.max_header_bytes);
        }
        throw Error(Errc::network, fmt::format("{} {}: {}{}", what, url, reason, hint_for(rc)));
    }
    api.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
    return response;
}

std::string user_agent() {
    const curl_version_info_data* info = curl().version_info(CURLVERSION_NOW);
    return fmt::format("certtool/{} libcurl/{}",
                       CERTTOOL_VERSION,
                       info != nullptr && info->version != nullptr ? info->version : "?");
}

}  // namespace certtool::detail
