// The listening socket of the standalone challenge responders (http-01, tls-alpn-01): bound at
// once (a port in use fails before the CA is asked for anything), one thread that accepts and
// hands each connection to the responder, one at a time, then closes it. Each connection gets
// send and receive timeouts, so a silent peer cannot hold the thread.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <thread>

namespace certtool::detail {

class StandaloneListener {
public:
    // Listens on address:port (an IPv4 or IPv6 literal). `option` names the port's option in
    // errors ("--http-port"). Throws Error{io} naming the address and the challenge when it
    // cannot (in use; ports below 1024 need root or CAP_NET_BIND_SERVICE),
    // Error{invalid_argument} for an address that is not an IP literal or a port out of range.
    StandaloneListener(const std::string& address,
                       int port,
                       std::string_view challenge,
                       std::string_view option,
                       std::function<void(int fd)> serve);
    StandaloneListener(const StandaloneListener&) = delete;
    StandaloneListener& operator=(const StandaloneListener&) = delete;
    StandaloneListener(StandaloneListener&&) = delete;
    StandaloneListener& operator=(StandaloneListener&&) = delete;
    ~StandaloneListener();  // stops the thread, closes the socket

    // Each connection's receive and send timeout.
    static constexpr int k_connection_ms = 5000;

private:
    void run() noexcept;

    int m_listen{-1};
    int m_stop[2]{-1, -1};  // a pipe: written to stop the thread
    std::function<void(int)> m_serve;
    std::thread m_thread;
};

}  // namespace certtool::detail
