#include "support.hpp"

#include "ossl.hpp"

#include <certtool/error.hpp>

#include <catch2/catch.hpp>
#include <openssl/rand.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string_view>

extern char** environ;  // NOLINT

namespace certtool::test {

namespace fs = std::filesystem;

TempDir::TempDir() {
    std::random_device rd;
    const fs::path base = fs::temp_directory_path();
    for (int i = 0; i < 100; ++i) {
        fs::path candidate = base / ("certtool-test-" + std::to_string(rd()));
        std::error_code ec;
        if (fs::create_directory(candidate, ec)) {
            m_path = candidate;
            return;
        }
    }
    throw std::runtime_error("cannot create a temporary directory");
}

TempDir::~TempDir() {
    std::error_code ec;
    // Undo chmods tests may have made so removal works.
    fs::permissions(m_path, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(m_path, ec);
}

RunResult run(const std::vector<std::string>& argv, const RunOptions& options) {
    std::array<int, 2> out_pipe{};
    std::array<int, 2> err_pipe{};
    std::array<int, 2> in_pipe{};
    REQUIRE(::pipe2(out_pipe.data(), O_CLOEXEC) == 0);
    REQUIRE(::pipe2(err_pipe.data(), O_CLOEXEC) == 0);
    REQUIRE(::pipe2(in_pipe.data(), O_CLOEXEC) == 0);
    std::vector<std::array<int, 2>> extra;

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
    for (const auto& [fd, data] : options.extra_fds) {
        std::array<int, 2> p{};
        REQUIRE(::pipe2(p.data(), O_CLOEXEC) == 0);
        REQUIRE(data.size() < 60000);
        REQUIRE(::write(p[1], data.data(), data.size()) == static_cast<ssize_t>(data.size()));
        ::close(p[1]);
        posix_spawn_file_actions_adddup2(&actions, p[0], fd);
        extra.push_back(p);
    }
    if (options.cwd) {
        posix_spawn_file_actions_addchdir_np(&actions, options.cwd->c_str());
    }

    std::map<std::string, std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {  // NOLINT
        const std::string kv{*e};
        const auto eq = kv.find('=');
        env[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
    }
    for (const auto& [k, v] : options.env) {
        env[k] = v;
    }
    std::vector<std::string> env_strings;
    for (const auto& [k, v] : env) {
        env_strings.push_back(k + "=" + v);
    }
    std::vector<char*> envp;
    for (auto& s : env_strings) {
        envp.push_back(s.data());
    }
    envp.push_back(nullptr);
    std::vector<std::string> args = argv;
    std::vector<char*> argp;
    for (auto& s : args) {
        argp.push_back(s.data());
    }
    argp.push_back(nullptr);

    pid_t pid = 0;
    const int rc = posix_spawnp(&pid, argp[0], &actions, nullptr, argp.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    ::close(in_pipe[0]);
    for (auto& p : extra) {
        ::close(p[0]);
    }
    if (rc != 0) {
        ::close(out_pipe[0]);
        ::close(err_pipe[0]);
        ::close(in_pipe[1]);
        FAIL("cannot run " << argv[0] << ": " << std::strerror(rc));
    }
    if (options.input) {
        const std::string& in = *options.input;
        REQUIRE(in.size() < 60000);
        static_cast<void>(::write(in_pipe[1], in.data(), in.size()));
    }
    ::close(in_pipe[1]);
    // kill_after_us is a deadline: the child is killed then if it is still running (so a
    // command that ends early is not waited for).
    using clock = std::chrono::steady_clock;
    const bool bounded = options.kill_after_us >= 0;
    const auto deadline = clock::now() + std::chrono::microseconds{options.kill_after_us};
    bool killed = false;
    RunResult result;
    // Read both pipes without deadlock: poll until both close.
    std::array<pollfd, 2> fds{{{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}}};
    int open_fds = 2;
    while (open_fds > 0) {
        timespec wait{};
        timespec* timeout = nullptr;
        if (bounded && !killed) {
            const auto left = std::max(clock::duration::zero(), deadline - clock::now());
            const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
            wait.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
            wait.tv_nsec = static_cast<long>(ns % 1'000'000'000);
            timeout = &wait;
        }
        const int ready = ::ppoll(fds.data(), fds.size(), timeout, nullptr);
        if (ready < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        if (ready == 0) {
            ::kill(pid, SIGKILL);
            killed = true;
            continue;
        }
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
                std::array<char, 65536> buf{};
                const ssize_t n = ::read(fds[i].fd, buf.data(), buf.size());
                if (n > 0) {
                    (i == 0 ? result.out : result.err)
                        .append(buf.data(), static_cast<std::size_t>(n));
                } else {
                    ::close(fds[i].fd);
                    fds[i].fd = -1;
                    --open_fds;
                }
            }
        }
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

std::string certtool_path() {
    return CERTTOOL_BINARY;
}

RunResult run_certtool(const std::vector<std::string>& args, const RunOptions& options) {
    std::vector<std::string> argv{certtool_path()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, options);
}

std::string openssl(const std::vector<std::string>& args, const RunOptions& options) {
    std::vector<std::string> argv{"openssl"};
    argv.insert(argv.end(), args.begin(), args.end());
    RunResult r = run(argv, options);
    INFO("openssl " << args.front() << " stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    return r.out;
}

std::string read_file(const fs::path& p) {
    std::ifstream in{p, std::ios::binary};
    REQUIRE(in.good());
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_file(const fs::path& p, const std::string& data) {
    std::ofstream out{p, std::ios::binary | std::ios::trunc};
    out << data;
    REQUIRE(out.good());
}

std::map<std::string, std::string> snapshot(const fs::path& dir) {
    std::map<std::string, std::string> out;
    std::error_code ec;
    if (!fs::exists(dir, ec)) {
        return out;
    }
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        const std::string rel = fs::relative(e.path(), dir).string();
        if (e.is_regular_file()) {
            out[rel] = read_file(e.path());
        } else {
            out[rel] = "<dir>";
        }
    }
    return out;
}

fs::path corpora_dir() {
    const fs::path dir{CERTTOOL_CORPORA_DIR};
    INFO("corpora directory " << dir << " (CERTTOOL_CORPORA_DIR)");
    REQUIRE(fs::is_directory(dir));
    return dir;
}

std::optional<fs::path> keyfile_corpus_dir() {
    const std::string_view configured{CERTTOOL_KEYFILE_CORPUS};
    if (configured.empty()) {
        return std::nullopt;
    }
    const fs::path dir{configured};
    INFO("keyfile corpus " << dir << " (CERTTOOL_KEYFILE_CORPUS)");
    REQUIRE(fs::is_directory(dir));
    return dir;
}

TimePoint at(const std::string& rfc3339) {
    return parse_time(rfc3339);
}

std::string pem_of(const std::vector<Certificate>& certs) {
    std::string out;
    for (const auto& c : certs) {
        out += c.to_pem();
    }
    return out;
}

namespace {

Issued sign(const CertSpec& spec,
            const PrivateKey& key,
            X509* issuer_cert,
            const PrivateKey& issuer_key) {
    ossl::X509Ptr cert{X509_new()};
    REQUIRE(X509_set_version(cert.get(), X509_VERSION_3) == 1);
    std::array<unsigned char, 16> serial{};
    REQUIRE(RAND_bytes(serial.data(), static_cast<int>(serial.size())) == 1);
    serial[0] &= 0x7F;
    ossl::BignumPtr bn{BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr)};
    REQUIRE(BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) != nullptr);
    ossl::X509NamePtr name{X509_NAME_new()};
    REQUIRE(X509_NAME_add_entry_by_txt(name.get(),
                                       "CN",
                                       MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char*>(spec.cn.c_str()),
                                       -1,
                                       -1,
                                       0) == 1);
    REQUIRE(X509_set_subject_name(cert.get(), name.get()) == 1);
    X509* self_or_issuer = issuer_cert != nullptr ? issuer_cert : cert.get();
    REQUIRE(X509_set_issuer_name(cert.get(), X509_get_subject_name(self_or_issuer)) == 1);
    ASN1_TIME_set(X509_getm_notBefore(cert.get()),
                  std::chrono::system_clock::to_time_t(spec.not_before));
    ASN1_TIME_set(X509_getm_notAfter(cert.get()),
                  std::chrono::system_clock::to_time_t(spec.not_after));
    REQUIRE(X509_set_pubkey(cert.get(), key.native()) == 1);
    std::vector<std::pair<std::string, std::string>> exts{{"subjectKeyIdentifier", "hash"}};
    if (issuer_cert != nullptr) {
        exts.emplace_back("authorityKeyIdentifier", "keyid");
    }
    if (spec.ca) {
        exts.emplace_back("basicConstraints", "critical,CA:TRUE");
        exts.emplace_back("keyUsage", "critical,keyCertSign,cRLSign");
    } else {
        exts.emplace_back("basicConstraints", "critical,CA:FALSE");
        exts.emplace_back("keyUsage", "critical,digitalSignature");
        exts.emplace_back("extendedKeyUsage", spec.eku.value_or("serverAuth"));
    }
    if (!spec.sans.empty()) {
        std::string list;
        for (const auto& s : spec.sans) {
            list += (list.empty() ? "DNS:" : ",DNS:") + s;
        }
        exts.emplace_back("subjectAltName", list);
    }
    for (const auto& [ext_name, value] : spec.extensions) {
        std::erase_if(exts, [&](const auto& e) { return e.first == ext_name; });
        exts.emplace_back(ext_name, value);
    }
    for (const auto& [ext_name, value] : exts) {
        if (value.empty()) {
            continue;  // {"keyUsage", ""}: leave it out
        }
        X509V3_CTX ctx{};
        X509V3_set_ctx(&ctx, self_or_issuer, cert.get(), nullptr, nullptr, 0);
        ossl::X509ExtPtr ext{X509V3_EXT_conf(nullptr, &ctx, ext_name.c_str(), value.c_str())};
        INFO("extension " << ext_name << " = " << value);
        REQUIRE(ext);
        REQUIRE(X509_add_ext(cert.get(), ext.get(), -1) == 1);
    }
    REQUIRE(X509_sign(cert.get(), issuer_key.native(), EVP_get_digestbyname(spec.digest.c_str())) >
            0);
    return {key, Certificate::adopt(cert.get())};
}

}  // namespace

LoopbackServer::LoopbackServer(std::function<void(int fd)> handler)
    : m_handler(std::move(handler)) {
    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(m_fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(m_fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
    socklen_t len = sizeof(a);
    REQUIRE(::getsockname(m_fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    m_port = ntohs(a.sin_port);
    REQUIRE(::listen(m_fd, 16) == 0);
    m_thread = std::thread([this] {
        for (;;) {
            const int c = ::accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0) {
                return;  // shut down
            }
            m_handler(c);
            ::close(c);
        }
    });
}

LoopbackServer::~LoopbackServer() {
    ::shutdown(m_fd, SHUT_RDWR);  // wakes accept()
    m_thread.join();
    ::close(m_fd);
}

std::string read_line(int fd) {
    std::string line;
    char c = 0;
    while (::recv(fd, &c, 1, 0) == 1) {
        line += c;
        if (c == '\n') {
            break;
        }
    }
    return line;
}

void send_text(int fd, const std::string& text) {
    static_cast<void>(::send(fd, text.data(), text.size(), MSG_NOSIGNAL));
}

Issued make_root(const CertSpec& spec) {
    PrivateKey key = PrivateKey::generate(KeyType::ec_p256);
    return sign(spec, key, nullptr, key);
}

Issued issue(const Issued& issuer, const CertSpec& spec, std::optional<PrivateKey> key) {
    PrivateKey k = key ? *key : PrivateKey::generate(KeyType::ec_p256);
    return sign(spec, k, issuer.cert.native(), issuer.key);
}

}  // namespace certtool::test
