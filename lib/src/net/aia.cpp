// AIA caIssuers fetching: a deliberately small HTTP/1.0 GET client (no TLS: RFC 5280 says
// caIssuers over HTTP; the certificates are signed, so integrity comes from verification).
#include "net.hpp"
#include "ossl.hpp"

#include <certtool/aia.hpp>
#include <certtool/error.hpp>

#include <fmt/core.h>

#include <charconv>

namespace certtool {

namespace {

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
    std::string last_error = "no address";
    unsigned port = 0;
    const auto* end = u->port.data() + u->port.size();
    if (const auto [ptr, ec] = std::from_chars(u->port.data(), end, port);
        ec != std::errc{} || ptr != end || port == 0 || port > 65535) {
        throw Error(Errc::network, fmt::format("bad port '{}' in {}", u->port, url));
    }
    for (const auto& endpoint : net::resolve(u->host, static_cast<std::uint16_t>(port))) {
        net::Socket s;
        try {
            s = net::connect(endpoint, options.timeout);
        } catch (const Error& e) {
            last_error = e.what();
            continue;
        }
        const std::string request = fmt::format(
            "GET {} HTTP/1.0\r\nHost: {}\r\nUser-Agent: certtool\r\nAccept: "
            "application/pkix-cert, application/pkcs7-mime\r\nConnection: close\r\n\r\n",
            u->path,
            u->host);
        net::send_all(s.fd(), request, options.timeout, "the request");
        std::string response;
        for (;;) {
            const std::string chunk =
                net::receive_some(s.fd(), 16384, options.timeout, "the response");
            if (chunk.empty()) {
                break;
            }
            response += chunk;
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
    throw Error(Errc::network,
                fmt::format("cannot connect to {}:{}: {}", u->host, u->port, last_error));
}

std::vector<std::string> ca_issuer_urls(const Certificate& c) {
    std::vector<std::string> out;
    ossl::AuthorityInfoAccessPtr aia{static_cast<AUTHORITY_INFO_ACCESS*>(
        X509_get_ext_d2i(c.native(), NID_info_access, nullptr, nullptr))};
    ossl::clear_errors();
    for (int i = 0; aia && i < sk_ACCESS_DESCRIPTION_num(aia.get()); ++i) {
        const ACCESS_DESCRIPTION* ad = sk_ACCESS_DESCRIPTION_value(aia.get(), i);
        if (OBJ_obj2nid(ad->method) == NID_ad_ca_issuers && ad->location->type == GEN_URI) {
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
        const Certificate top =
            chain.intermediates.empty() ? chain.leaf : chain.intermediates.back();
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
                out.push_back({FindingCode::aia_fetched,
                               Severity::info,
                               fmt::format("fetched '{}' from {}", issuer->subject(), url),
                               issuer->subject(),
                               std::nullopt});
                break;
            } catch (const Error& e) {
                out.push_back({FindingCode::aia_failed,
                               Severity::warning,
                               fmt::format("cannot fetch the issuer of '{}' from {}: {}",
                                           top.subject(),
                                           url,
                                           e.what()),
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
