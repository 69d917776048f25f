// The http-01 challenge's standalone responder (RFC 8555 8.3): certtool itself listens on the
// port the CA validates (80 in production; a high loopback port against pebble) and answers
// GET /.well-known/acme-challenge/TOKEN with the key authorization of each token added, 404 to
// anything else. One connection at a time (listener.hpp), each bounded in time and size.
#pragma once

#include "listener.hpp"

#include <map>
#include <mutex>
#include <string>

namespace certtool::detail {

class Http01Responder {
public:
    // Listens on address:port at once; throws as StandaloneListener.
    Http01Responder(const std::string& address, int port);
    Http01Responder(const Http01Responder&) = delete;
    Http01Responder& operator=(const Http01Responder&) = delete;
    Http01Responder(Http01Responder&&) = delete;
    Http01Responder& operator=(Http01Responder&&) = delete;
    ~Http01Responder() = default;  // stops listening

    void add(const std::string& token, const std::string& key_authorization);

    // Challenge requests answered with a key authorization so far.
    [[nodiscard]] int answered() const;

private:
    void answer(int fd) noexcept;

    mutable std::mutex m_mutex;
    std::map<std::string, std::string> m_tokens;
    int m_answered{0};
    StandaloneListener m_listener;  // last: its thread stops before the members above go
};

}  // namespace certtool::detail
