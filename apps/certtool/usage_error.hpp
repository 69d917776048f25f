// Usage errors CLI11 words badly or dangerously. CLI11 reports a missing required option (or a
// failed check) before an unknown one, so `create-selfsigned x --bogus` said "--cn is required";
// and it echoes every unexpected argument, so `--password S3cr3t` put the password in the error.
#pragma once

#include <optional>
#include <string>

namespace CLI {  // NOLINT(readability-identifier-naming): CLI11's namespace
class App;
}  // namespace CLI

namespace certtool::cli {

// The usage error to report for `argv` once app.parse(argc, argv) has run, or nullopt when there
// is none of these (then CLI11's own message stands):
// - a password-like option the command does not define (its name contains "pass", "secret",
//   "pin" or "pwd", or it is -p/-P: --password, --pass=X, --key-password, -pX, ...) is refused
//   without the value given with it, saying where passwords come from instead (--password-file,
//   --password-env, --password-fd or the terminal). This holds when parse() succeeded too: such
//   a token may have been taken as another option's value and its secret as an argument;
// - otherwise every unknown option and unexpected argument, named before any other problem.
// No value that followed or was attached to a password-like option ever appears in the text.
[[nodiscard]] std::optional<std::string> usage_problem(const CLI::App& app,
                                                       int argc,
                                                       const char* const* argv);

// " (see 'certtool VERB --help')" for the subcommand parsed, else " (see 'certtool --help')".
[[nodiscard]] std::string help_hint(const CLI::App& app);

}  // namespace certtool::cli
