#include "fs.hpp"
#include "input.hpp"

#include <certtool/error.hpp>
#include <certtool/secret.hpp>

#include <openssl/crypto.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace certtool {

namespace {

void strip_line_end(std::string& s) {
    if (!s.empty() && s.back() == '\n') {
        s.pop_back();
        if (!s.empty() && s.back() == '\r') {
            s.pop_back();
        }
    }
}

constexpr std::size_t k_max_password = 4096;

}  // namespace

Secret::Secret(Secret&& other) noexcept : m_value(std::move(other.m_value)) {
    other.wipe();
}

Secret& Secret::operator=(Secret&& other) noexcept {
    if (this != &other) {
        wipe();
        m_value = std::move(other.m_value);
        other.wipe();
    }
    return *this;
}

Secret::~Secret() {
    wipe();
}

bool Secret::operator==(const Secret& other) const noexcept {
    return m_value.size() == other.m_value.size() &&
           CRYPTO_memcmp(m_value.data(), other.m_value.data(), m_value.size()) == 0;
}

void Secret::wipe() noexcept {
    // Cleanse the whole capacity, not only the live characters: a shrunk string keeps old bytes.
    if (m_value.capacity() > 0) {
        m_value.resize(m_value.capacity());
        OPENSSL_cleanse(m_value.data(), m_value.size());
    }
    m_value.clear();
}

Secret read_password_file(const std::filesystem::path& path) {
    Secret content{detail::read_file(path, "password file", k_max_password)};
    std::string& s = content.buffer();
    const auto nl = s.find('\n');
    if (nl != std::string::npos && nl + 1 < s.size()) {
        // Only the first line is the password; wipe the rest before dropping it.
        OPENSSL_cleanse(s.data() + nl + 1, s.size() - nl - 1);
        s.resize(nl + 1);
    }
    strip_line_end(s);
    return content;
}

Secret read_password_env(const std::string& variable) {
    const char* value = std::getenv(variable.c_str());  // NOLINT(concurrency-mt-unsafe)
    if (value == nullptr) {
        throw Error(Errc::io,
                    "cannot read the password: environment variable '" + variable +
                        "' is not set: export it, or use --password-file");
    }
    return Secret{std::string{value}};
}

Secret read_password_fd(int fd) {
    Secret out;
    std::string& s = out.buffer();
    s.reserve(k_max_password + 1);  // no reallocation, so no unwiped copies
    char c = 0;
    for (;;) {
        detail::wait_readable(fd, "password file descriptor " + std::to_string(fd));
        const ssize_t n = ::read(fd, &c, 1);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            throw Error(Errc::io,
                        "cannot read password from file descriptor " + std::to_string(fd) + ": " +
                            std::strerror(errno) + ": open it for reading, e.g. 3<password.txt");
        }
        if (n == 0 || c == '\n') {
            break;
        }
        if (s.size() >= k_max_password) {
            throw Error(
                Errc::invalid_argument,
                "password on file descriptor " + std::to_string(fd) + " is longer than 4096 bytes");
        }
        s.push_back(c);
    }
    c = 0;
    if (!s.empty() && s.back() == '\r') {
        s.pop_back();
    }
    return out;
}

}  // namespace certtool
