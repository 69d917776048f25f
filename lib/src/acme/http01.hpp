// The http-01 challenge's standalone responder (RFC 8555 8.3): certtool itself listens on the
// port the CA validates (80 in production; a high loopback port against pebble) and answers
// GET /.well-known/acme-challenge/TOKEN with the key authorization of each token added, 404 to
// anything else. One thread, one connection at a time, each bounded in time and size.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace certtool::detail {

class Http01Responder {
public:
    // Listens on address:port at once (IPv4 or IPv6 literal). Throws Error{io} naming the
    // address when it cannot (in use, permission: ports below 1024 need root or
    // CAP_NET_BIND_SERVICE), Error{invalid_argument} for an address that is not an IP literal.
    Http01Responder(const std::string& address, int port);
    Http01Responder(const Http01Responder&) = delete;
    Http01Responder& operator=(const Http01Responder&) = delete;
    Http01Responder(Http01Responder&&) = delete;
    Http01Responder& operator=(Http01Responder&&) = delete;
    ~Http01Responder();  // stops listening

    void add(const std::string& token, const std::string& key_authorization);

    // Challenge requests answered with a key authorization so far.
    [[nodiscard]] int answered() const;

private:
    void serve() noexcept;
    void answer(int fd) noexcept;

    int m_listen{-1};
    int m_stop[2]{-1, -1};  // a pipe: written to stop the thread
    mutable std::mutex m_mutex;
    std::map<std::string, std::string> m_tokens;
    int m_answered{0};
    std::thread m_thread;
};

}  // namespace certtool::detail
