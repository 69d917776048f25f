// HTTPS for the ACME client: a thin RAII wrapper over one libcurl easy handle (connections are
// reused between requests). Every request is bounded: a connect timeout, a timeout for the whole
// transfer, a cap on the response's headers and body. TLS verification is always on; a CA bundle
// adds nothing to the system's CAs but replaces them, for a private ACME server. HTTPS only, no
// redirects followed.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace certtool::detail {

struct HttpOptions {
    // The CA certificates that verify the server's certificate (PEM); empty: the system's.
    std::optional<std::filesystem::path> ca_bundle;
    std::chrono::milliseconds connect_timeout{10000};
    std::chrono::milliseconds timeout{30000};  // the whole request, connection included
    std::size_t max_body_bytes{std::size_t{4} << 20U};
    std::size_t max_header_bytes{std::size_t{64} << 10U};
    bool allow_plain_http{false};  // http:// URLs too (pebble's management port in tests)
};

struct HttpResponse {
    long status{0};
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, in order
    std::string body;

    // The first header of that name (lower-case), trimmed.
    [[nodiscard]] std::optional<std::string> header(std::string_view name) const;
    // Every header of that name (Link may come several times).
    [[nodiscard]] std::vector<std::string> headers_named(std::string_view name) const;
};

class HttpClient {
public:
    // Throws Error{unsupported} if libcurl cannot be loaded or set up (it is opened on first use,
    // not linked), Error{io} if the CA bundle is not a readable file.
    explicit HttpClient(HttpOptions options);
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;
    HttpClient(HttpClient&&) noexcept;
    HttpClient& operator=(HttpClient&&) noexcept;
    ~HttpClient();

    // Each returns the response whatever its status; throws Error{network} when there is none
    // (DNS, connection, TLS, timeout, the response over its cap), naming the URL, libcurl's
    // reason and the fix where there is one (an untrusted certificate: --ca-bundle).
    [[nodiscard]] HttpResponse get(const std::string& url, std::string_view accept = {});
    [[nodiscard]] HttpResponse head(const std::string& url);
    [[nodiscard]] HttpResponse post(const std::string& url,
                                    std::string_view body,
                                    std::string_view content_type,
                                    std::string_view accept = {});

    // Requests made so far (for the benchmark's requests per certificate).
    [[nodiscard]] int requests() const noexcept { return m_requests; }

private:
    enum class Method { get, head, post };
    HttpResponse perform(Method method,
                         const std::string& url,
                         std::string_view body,
                         std::string_view content_type,
                         std::string_view accept);

    struct Handle;
    std::unique_ptr<Handle> m_handle;
    HttpOptions m_options;
    int m_requests{0};
};

// The User-Agent every request sends (RFC 8555 6.1): "certtool/VERSION libcurl/VERSION".
[[nodiscard]] std::string user_agent();

}  // namespace certtool::detail
