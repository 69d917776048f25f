// Test support: temporary directories, running real programs, and a small PKI with fixed dates.
#pragma once

#include <certtool/certificate.hpp>
#include <certtool/key.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace certtool::test {

// A fresh directory under $TMPDIR, removed (recursively) on destruction.
class TempDir {
public:
    TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    TempDir(TempDir&&) = delete;
    TempDir& operator=(TempDir&&) = delete;
    ~TempDir();

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return m_path; }

    [[nodiscard]] std::filesystem::path operator/(const std::string& name) const {
        return m_path / name;
    }

private:
    std::filesystem::path m_path;
};

struct RunResult {
    int exit_code{-1};  // 128+N when killed by signal N
    std::string out;
    std::string err;
};

struct RunOptions {
    std::map<std::string, std::string> env;  // added to / overriding the environment
    std::optional<std::string> input;        // stdin (else /dev/null)
    std::optional<std::filesystem::path> cwd;
    std::map<int, std::string> extra_fds;  // fd -> contents (a pipe), e.g. {3, "secret\n"}
    int kill_after_us{-1};                 // SIGKILL the child after this many microseconds
};

// Runs argv[0] (looked up in PATH) with the given arguments and captures everything.
RunResult run(const std::vector<std::string>& argv, const RunOptions& options = {});

// Runs the certtool binary under test.
RunResult run_certtool(const std::vector<std::string>& args, const RunOptions& options = {});
[[nodiscard]] std::string certtool_path();

// `openssl` succeeded? Fails the test (REQUIRE) with its stderr otherwise.
std::string openssl(const std::vector<std::string>& args, const RunOptions& options = {});

[[nodiscard]] std::string read_file(const std::filesystem::path& p);
void write_file(const std::filesystem::path& p, const std::string& data);

// Every file under dir with its content, for "byte-identical" checks.
[[nodiscard]] std::map<std::string, std::string> snapshot(const std::filesystem::path& dir);

// The conformance corpora (CERTTOOL_CORPORA_DIR: tests/conformance/corpora unless configured
// otherwise); REQUIREs it to exist.
[[nodiscard]] std::filesystem::path corpora_dir();

// The keyfile-corpus folder when configured (-DCERTTOOL_KEYFILE_CORPUS=DIR; it has no licence,
// so the repository does not hold it), else nothing. REQUIREs a configured one to exist.
[[nodiscard]] std::optional<std::filesystem::path> keyfile_corpus_dir();

// A TCP server on 127.0.0.1 (an ephemeral port) that runs `handler` on each connection it
// accepts, one at a time, in a background thread, until it is destroyed. The handler owns
// nothing: the connection is closed after it returns.
class LoopbackServer {
public:
    explicit LoopbackServer(std::function<void(int fd)> handler);
    LoopbackServer(const LoopbackServer&) = delete;
    LoopbackServer& operator=(const LoopbackServer&) = delete;
    LoopbackServer(LoopbackServer&&) = delete;
    LoopbackServer& operator=(LoopbackServer&&) = delete;
    ~LoopbackServer();

    [[nodiscard]] int port() const noexcept { return m_port; }

private:
    std::function<void(int)> m_handler;
    int m_fd{-1};
    int m_port{0};
    std::thread m_thread;
};

// Reads one line (up to LF) from fd; "" at end of stream.
[[nodiscard]] std::string read_line(int fd);
void send_text(int fd, const std::string& text);

// A CA or end-entity certificate with its key.
struct Issued {
    PrivateKey key;
    Certificate cert;
};

struct CertSpec {
    std::string cn;
    TimePoint not_before;
    TimePoint not_after;
    std::vector<std::string> sans;  // DNS names
    bool ca{false};
    std::optional<std::string> eku;  // e.g. "serverAuth"
    // More extensions in openssl x509v3_config syntax, e.g. {"keyUsage", "critical,keyCertSign"}
    // or {"1.2.3.4", "critical,DER:05:00"}; a name given here replaces the default of that name.
    std::vector<std::pair<std::string, std::string>> extensions{};
    std::string digest{"SHA256"};
};

// Certificates signed with the library's keys and raw OpenSSL, any dates.
Issued make_root(const CertSpec& spec);
Issued issue(const Issued& issuer, const CertSpec& spec, std::optional<PrivateKey> key = {});

[[nodiscard]] TimePoint at(const std::string& rfc3339);
[[nodiscard]] std::string pem_of(const std::vector<Certificate>& certs);

}  // namespace certtool::test
