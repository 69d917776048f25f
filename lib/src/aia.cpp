// AIA caIssuers fetching: a deliberately small HTTP/1.0 GET client (no TLS: RFC 5280 says
// caIssuers over HTTP; the certificates are signed, so integrity comes from verification).
#include "ossl/ossl.hpp"

#include <certtool/chain.hpp>
#include <certtool/error.hpp>

#include <fmt/core.h>

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <fcntl.h>

namespace certtool {

namespace {

class Socket {
public:
    explicit Socket(int fd) : m_fd(fd) {}
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    ~Socket() {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
    }
    [[nodiscard]] int fd() const noexcept { return m_fd; }

private:
    int m_fd;
};

struct AddrInfoFree {
    void operator()(addrinfo* p) const noexcept { freeaddrinfo(p); }
};

bool wait_for(int fd, short events, std::chrono::milliseconds timeout) {
    pollfd p{fd, events, 0};
    int rc = 0;
    do {
        rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
    } while (rc < 0 && errno == EINTR);
    return rc == 1;
}

struct Url {
    std::string host;
    std::string port{"80"};
    std::string path{"/"};
};

std::optional<Url> parse_http_url(std::string_view url) {
    constexpr std::string_view scheme = "http://";
    if (url.substr(0, scheme.size()) != scheme) {
        return std::nullopt;
    }
    url.remove_prefix(scheme.size());
    Url out;
    const auto slash = url.find('/');
    std::string_view authority = url.substr(0, slash);
    if (slash != std::string_view::npos) {
        out.path = std::string{url.substr(slash)};
    }
    if (!authority.empty() && authority.front() == '[') {  // [v6]:port
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return std::nullopt;
        }
        out.host = std::string{authority.substr(1, close - 1)};
        if (close + 1 < authority.size() && authority[close + 1] == ':') {
            out.port = std::string{authority.substr(close + 2)};
        }
    } else {
        const auto colon = authority.rfind(':');
        out.host = std::string{authority.substr(0, colon)};
        if (colon != std::string_view::npos) {
            out.port = std::string{authority.substr(colon + 1)};
        }
    }
    if (out.host.empty()) {
        return std::nullopt;
    }
    return out;
}

// GET url; the body of a 200 response. Throws Error{network} naming the reason.
std::string http_get(const std::string& url, const AiaOptions& options) {
    const auto u = parse_http_url(url);
    if (!u) {
        throw Error(Errc::network, "not an http:// URL");
    }
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* raw = nullptr;
    if (const int rc = getaddrinfo(u->host.c_str(), u->port.c_str(), &hints, &raw); rc != 0) {
        throw Error(Errc::network, fmt::format("cannot resolve '{}': {}", u->host, gai_strerror(rc)));
    }
    std::unique_ptr<addrinfo, AddrInfoFree> addrs{raw};
    std::string last_error = "no address";
    for (const addrinfo* a = addrs.get(); a != nullptr; a = a->ai_next) {
        Socket s{::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                          a->ai_protocol)};
        if (s.fd() < 0) {
            continue;
        }
        if (::connect(s.fd(), a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
            last_error = std::strerror(errno);
            continue;
        }
        int err = 0;
        socklen_t len = sizeof(err);
        if (!wait_for(s.fd(), POLLOUT, options.timeout)) {
            last_error = "connection timed out";
            continue;
        }
        if (::getsockopt(s.fd(), SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
            last_error = std::strerror(err);
            continue;
        }
        const std::string request = fmt::format(
            "GET {} HTTP/1.0\r\nHost: {}\r\nUser-Agent: certtool\r\nAccept: "
            "application/pkix-cert, application/pkcs7-mime\r\nConnection: close\r\n\r\n",
            u->path, u->host);
        std::string_view pending = request;
        while (!pending.empty()) {
            if (!wait_for(s.fd(), POLLOUT, options.timeout)) {
                throw Error(Errc::network, "timed out sending the request");
            }
            const ssize_t n = ::send(s.fd(), pending.data(), pending.size(), MSG_NOSIGNAL);
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
                continue;
            }
            if (n <= 0) {
                throw Error(Errc::network, fmt::format("send failed: {}", std::strerror(errno)));
            }
            pending.remove_prefix(static_cast<std::size_t>(n));
        }
        std::string response;
        std::array<char, 16384> buf{};
        for (;;) {
            if (!wait_for(s.fd(), POLLIN, options.timeout)) {
                throw Error(Errc::network, "timed out waiting for the response");
            }
            const ssize_t n = ::recv(s.fd(), buf.data(), buf.size(), 0);
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
                continue;
            }
            if (n < 0) {
                throw Error(Errc::network, fmt::format("receive failed: {}", std::strerror(errno)));
            }
            if (n == 0) {
                break;
            }
            response.append(buf.data(), static_cast<std::size_t>(n));
            if (response.size() > options.max_bytes + 16384) {
                throw Error(Errc::network,
                            fmt::format("response larger than {} bytes", options.max_bytes));
            }
        }
        const auto header_end = response.find("\r\n\r\n");
        if (response.rfind("HTTP/1.", 0) != 0 || header_end == std::string::npos) {
            throw Error(Errc::network, "not an HTTP response");
        }
        const std::string status = response.substr(9, 3);
        if (status != "200") {
            throw Error(Errc::network, fmt::format("HTTP status {}", status));
        }
        std::string body = response.substr(header_end + 4);
        if (body.size() > options.max_bytes) {
            throw Error(Errc::network,
                        fmt::format("response larger than {} bytes", options.max_bytes));
        }
        return body;
    }
    throw Error(Errc::network, fmt::format("cannot connect to {}:{}: {}", u->host, u->port,
                                           last_error));
}

std::vector<std::string> ca_issuer_urls(const Certificate& c) {
    std::vector<std::string> out;
    ossl::AuthorityInfoAccessPtr aia{static_cast<AUTHORITY_INFO_ACCESS*>(
        X509_get_ext_d2i(c.native(), NID_info_access, nullptr, nullptr))};
    ossl::clear_errors();
    for (int i = 0; aia && i < sk_ACCESS_DESCRIPTION_num(aia.get()); ++i) {
        const ACCESS_DESCRIPTION* ad = sk_ACCESS_DESCRIPTION_value(aia.get(), i);
        if (OBJ_obj2nid(ad->method) == NID_ad_ca_issuers &&
            ad->location->type == GEN_URI) {
            const ASN1_IA5STRING* uri = ad->location->d.uniformResourceIdentifier;
            out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                             static_cast<std::size_t>(ASN1_STRING_length(uri)));
        }
    }
    return out;
}

}  // namespace

std::vector<ChainFinding> complete_chain_via_aia(AssembledChain& chain, const AiaOptions& options) {
    std::vector<ChainFinding> out;
    for (int fetched = 0; fetched < options.max_fetches; ++fetched) {
        const Certificate top = chain.intermediates.empty() ? chain.leaf : chain.intermediates.back();
        if (chain.root || top.is_self_signed()) {
            return out;
        }
        const auto urls = ca_issuer_urls(top);
        if (urls.empty()) {
            return out;
        }
        std::optional<Certificate> issuer;
        for (const auto& url : urls) {
            try {
                const std::string body = http_get(url, options);
                for (const auto& c : Certificate::parse_all(body, url)) {
                    if (top.is_issued_by(c)) {
                        issuer = c;
                        break;
                    }
                }
                if (!issuer) {
                    throw Error(Errc::parse, "no certificate in the response issued this one");
                }
                out.push_back({"aia-fetched",
                               Severity::info,
                               fmt::format("fetched '{}' from {}", issuer->subject(), url),
                               issuer->subject(),
                               std::nullopt});
                break;
            } catch (const Error& e) {
                out.push_back({"aia-failed",
                               Severity::warning,
                               fmt::format("cannot fetch the issuer of '{}' from {}: {}",
                                           top.subject(), url, e.what()),
                               top.subject(),
                               std::nullopt});
            }
        }
        if (!issuer) {
            return out;
        }
        if (issuer->is_self_signed()) {
            chain.root = *issuer;
            return out;
        }
        chain.intermediates.push_back(*issuer);
    }
    return out;
}

}  // namespace certtool
