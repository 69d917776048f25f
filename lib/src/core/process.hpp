// Running a command (Postfix's, nginx's, a hook): fork/execv (no shell), bounded by a timeout, the
// child's output captured up to a bound. Private to the library (deploy, acme).
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace certtool::detail {

struct ProcessResult {
    int exit_code{-1};  // the exit status; 128 + N when killed by signal N
    bool timed_out{false};
    std::string out;  // standard output, at most k_max_output bytes
    std::string err;  // standard error, the same

    // The first line of stderr that says what went wrong ("fatal: ...", "error: ..."), else
    // the first line of stderr or stdout; "" when the command said nothing.
    [[nodiscard]] std::string first_problem() const;
};

inline constexpr std::size_t k_max_output = std::size_t{64} * 1024;

// Runs argv[0] (looked up in PATH) with argv, standard input /dev/null. The child is killed
// (SIGKILL, its process group) when it has not finished after `timeout`. Throws
// Error{unsupported} naming the Debian package when the program is not installed, Error{io}
// when it cannot be started.
[[nodiscard]] ProcessResult run_process(const std::vector<std::string>& argv,
                                        std::chrono::milliseconds timeout);

// Whether `program` is found in PATH (or /usr/sbin, where Postfix lives).
[[nodiscard]] bool program_available(const std::string& program);

}  // namespace certtool::detail
