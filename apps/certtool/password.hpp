// Where a password (PKCS#12, backup) comes from: --password-file, --password-env, --password-fd, or
// a prompt when stdin is a terminal. Never from argv.
#pragma once

#include <certtool/secret.hpp>

#include <string>

namespace CLI {  // NOLINT(readability-identifier-naming): CLI11's namespace
class App;
}  // namespace CLI

namespace certtool::cli {

struct PasswordOptions {
    std::string file;
    std::string env;
    int fd{-1};
};

void add_password_options(CLI::App& sub, PasswordOptions& options);

enum class Confirm { once, twice };

// The password from the one source given; with none, a prompt on the terminal (twice when
// creating a file), `what` naming it ("PKCS#12 password"). With no source and no terminal:
// Error{invalid_argument} instead of hanging.
[[nodiscard]] Secret obtain_password(const PasswordOptions& options,
                                     Confirm confirm,
                                     const std::string& what = "PKCS#12 password");

}  // namespace certtool::cli
