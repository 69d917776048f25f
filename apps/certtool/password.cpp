#include "password.hpp"

#include <certtool/error.hpp>

#include <CLI/CLI.hpp>

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace certtool::cli {

namespace {

// Reads one line from the terminal with echo off; the prompt goes to stderr.
Secret prompt(const char* text) {
    std::cerr << text << std::flush;
    termios old_mode{};
    const bool is_tty = ::tcgetattr(STDIN_FILENO, &old_mode) == 0;
    if (is_tty) {
        termios quiet = old_mode;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    Secret line;
    try {
        line = read_password_fd(STDIN_FILENO);
    } catch (...) {
        if (is_tty) {
            ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old_mode);
        }
        throw;
    }
    if (is_tty) {
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old_mode);
    }
    std::cerr << '\n';
    return line;
}

}  // namespace

void add_password_options(CLI::App& sub, PasswordOptions& options) {
    auto* file =
        sub.add_option(
               "--password-file", options.file, "read the password from the first line of FILE")
            ->type_name("FILE");
    auto* env =
        sub.add_option(
               "--password-env", options.env, "read the password from environment variable VAR")
            ->type_name("VAR");
    auto* fd = sub.add_option("--password-fd",
                              options.fd,
                              "read the password from open file descriptor N (e.g. 3<pass.txt)")
                   ->type_name("N")
                   ->check(CLI::NonNegativeNumber);
    file->excludes(env)->excludes(fd);
    env->excludes(fd);
}

Secret obtain_password(const PasswordOptions& options, Confirm confirm, const std::string& what) {
    if (!options.file.empty()) {
        return read_password_file(options.file);
    }
    if (!options.env.empty()) {
        return read_password_env(options.env);
    }
    if (options.fd >= 0) {
        return read_password_fd(options.fd);
    }
    if (::isatty(STDIN_FILENO) == 0) {
        throw Error(Errc::invalid_argument,
                    "no password source and stdin is not a terminal: use --password-file FILE, "
                    "--password-env VAR or --password-fd N");
    }
    Secret first = prompt((what + ": ").c_str());
    if (confirm == Confirm::twice) {
        const Secret again = prompt("Repeat the password: ");
        if (!(first == again)) {
            throw Error(Errc::invalid_argument, "the two passwords differ: run the command again");
        }
    }
    return first;
}

}  // namespace certtool::cli
