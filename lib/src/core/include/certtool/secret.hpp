// Secrets (passwords, private key PEM) held in memory that is wiped when released, and the
// non-interactive password sources. Prompting on a TTY belongs to the application.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace certtool {

// A string that is cleansed (OPENSSL_cleanse) when destroyed or overwritten. Move-only, so a
// secret has one owner and no stray copies.
class Secret {
public:
    Secret() = default;

    explicit Secret(std::string value) noexcept : m_value(std::move(value)) {}

    Secret(const Secret&) = delete;
    Secret& operator=(const Secret&) = delete;
    Secret(Secret&& other) noexcept;
    Secret& operator=(Secret&& other) noexcept;
    ~Secret();

    [[nodiscard]] std::string_view view() const noexcept { return m_value; }

    [[nodiscard]] const char* c_str() const noexcept { return m_value.c_str(); }

    [[nodiscard]] std::size_t size() const noexcept { return m_value.size(); }

    [[nodiscard]] bool empty() const noexcept { return m_value.empty(); }

    [[nodiscard]] bool operator==(const Secret& other) const noexcept;

    // Direct access for code that fills the buffer in place (prompts); still wiped on release.
    [[nodiscard]] std::string& buffer() noexcept { return m_value; }

private:
    void wipe() noexcept;
    std::string m_value;
};

// Reads a password from the first line of a file: one trailing "\n" or "\r\n" is removed, the
// rest is kept byte for byte. Throws Error{io} naming the file.
[[nodiscard]] Secret read_password_file(const std::filesystem::path& path);

// Reads a password from an environment variable. Throws Error{invalid_argument} if unset.
[[nodiscard]] Secret read_password_env(const std::string& variable);

// Reads a password from an open file descriptor up to EOF or the first newline.
// Throws Error{io} if the descriptor cannot be read.
[[nodiscard]] Secret read_password_fd(int fd);

}  // namespace certtool
