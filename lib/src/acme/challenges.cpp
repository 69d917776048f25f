// The challenge solvers (challenges.hpp): http-01 standalone and webroot, dns-01 through a
// hook, tls-alpn-01 standalone.
#include "challenges.hpp"

#include "fs.hpp"
#include "http01.hpp"
#include "jws.hpp"
#include "ossl.hpp"
#include "process.hpp"
#include "tls_alpn01.hpp"

#include <certtool/error.hpp>

#include <fmt/core.h>

#include <sys/stat.h>

#include <system_error>

namespace certtool::detail {

namespace fs = std::filesystem;

namespace {

class Http01Solver final : public ChallengeSolver {
public:
    explicit Http01Solver(const AcmeChallengeSettings& s) : m_responder{s.address, s.http_port} {}

    [[nodiscard]] std::string_view type() const override { return "http-01"; }

    void present(const std::string& /*domain*/,
                 const std::string& token,
                 const std::string& key_authorization) override {
        m_responder.add(token, key_authorization);
    }

    std::vector<std::string> cleanup() noexcept override { return {}; }

    [[nodiscard]] int answered() const override { return m_responder.answered(); }

private:
    Http01Responder m_responder;
};

// http-01 through the web server already on port 80: the key authorization as a file in its
// document root, WEBROOT/.well-known/acme-challenge/TOKEN (mode 0644: the web server's user
// reads it; a key authorization is public by design). The folders certtool had to make and the
// files are removed afterwards.
class WebrootSolver final : public ChallengeSolver {
public:
    explicit WebrootSolver(const fs::path& webroot) : m_root{webroot} {
        std::error_code ec;
        if (webroot.empty()) {
            throw Error(Errc::invalid_argument,
                        "--challenge webroot needs --webroot DIR: the document root the web server "
                        "serves for http://NAME/");
        }
        if (!fs::is_directory(webroot, ec)) {
            throw Error(Errc::io,
                        fmt::format("the webroot '{}' is not a directory: give the document root "
                                    "the web server serves for http://NAME/ (--webroot)",
                                    webroot.string()));
        }
    }

    ~WebrootSolver() override { static_cast<void>(WebrootSolver::cleanup()); }

    WebrootSolver(const WebrootSolver&) = delete;
    WebrootSolver& operator=(const WebrootSolver&) = delete;
    WebrootSolver(WebrootSolver&&) = delete;
    WebrootSolver& operator=(WebrootSolver&&) = delete;

    [[nodiscard]] std::string_view type() const override { return "http-01"; }

    void present(const std::string& /*domain*/,
                 const std::string& token,
                 const std::string& key_authorization) override {
        fs::path dir = m_root;
        for (const char* part : {".well-known", "acme-challenge"}) {
            dir /= part;
            std::error_code ec;
            if (fs::create_directory(dir, ec)) {
                ::chmod(dir.c_str(), 0755);
                m_created.push_back(dir);
            } else if (ec) {
                throw Error(Errc::io,
                            fmt::format("cannot create '{}' for the http-01 challenge: {}: check "
                                        "that certtool may write the webroot",
                                        dir.string(),
                                        ec.message()));
            }
        }
        const fs::path file = dir / token;  // base64url: no '/' or '..'
        try {
            write_file_atomic(file, key_authorization, 0644, Overwrite::replace);
        } catch (const Error& e) {
            throw Error(Errc::io,
                        fmt::format("cannot write the http-01 challenge file: {}: check that "
                                    "certtool may write the webroot",
                                    e.what()));
        }
        m_files.push_back(file);
    }

    std::vector<std::string> cleanup() noexcept override {
        std::vector<std::string> problems;
        try {
            for (const auto& f : m_files) {
                std::error_code ec;
                if (!fs::remove(f, ec) && ec) {
                    problems.push_back(
                        fmt::format("cannot remove '{}': {}", f.string(), ec.message()));
                }
            }
            m_files.clear();
            for (auto it = m_created.rbegin(); it != m_created.rend(); ++it) {
                std::error_code ec;
                fs::remove(*it, ec);  // only if empty: others' files stay
            }
            m_created.clear();
        } catch (...) {  // NOLINT(bugprone-empty-catch): memory; the files are only tokens
        }
        return problems;
    }

private:
    fs::path m_root;
    std::vector<fs::path> m_created;
    std::vector<fs::path> m_files;
};

// dns-01 through the user's command, as lego's exec provider calls it: HOOK present RECORD VALUE
// and HOOK cleanup RECORD VALUE, RECORD the FQDN with its final dot (_acme-challenge.NAME.), run
// by /bin/sh (so the hook may carry arguments) with a time limit. The hook adds a TXT record
// (beside any other: a name and its wildcard share one) and returns once the DNS serves it.
class Dns01Solver final : public ChallengeSolver {
public:
    explicit Dns01Solver(const AcmeChallengeSettings& s)
        : m_hook{s.dns_hook}, m_timeout{s.hook_timeout} {
        if (m_hook.empty()) {
            throw Error(Errc::invalid_argument,
                        "--challenge dns-01 needs --dns-hook CMD: a command that adds (CMD present "
                        "RECORD VALUE) and removes (CMD cleanup RECORD VALUE) the TXT record");
        }
    }

    ~Dns01Solver() override { static_cast<void>(Dns01Solver::cleanup()); }

    Dns01Solver(const Dns01Solver&) = delete;
    Dns01Solver& operator=(const Dns01Solver&) = delete;
    Dns01Solver(Dns01Solver&&) = delete;
    Dns01Solver& operator=(Dns01Solver&&) = delete;

    [[nodiscard]] std::string_view type() const override { return "dns-01"; }

    void present(const std::string& domain,
                 const std::string& /*token*/,
                 const std::string& key_authorization) override {
        Record r{"_acme-challenge." + domain + ".", dns01_value(key_authorization)};
        const auto result = run("present", r);
        if (!result.empty()) {
            throw Error(Errc::io, result);
        }
        m_records.push_back(std::move(r));
    }

    std::vector<std::string> cleanup() noexcept override {
        std::vector<std::string> problems;
        try {
            for (const auto& r : m_records) {
                if (auto p = run("cleanup", r); !p.empty()) {
                    problems.push_back(std::move(p));
                }
            }
            m_records.clear();
        } catch (...) {  // NOLINT(bugprone-empty-catch): the record stays; the CA is done with it
        }
        return problems;
    }

private:
    struct Record {
        std::string name;
        std::string value;
    };

    // "" when the hook succeeded, else why not (one line).
    std::string run(const char* action, const Record& r) const {
        ProcessResult p;
        try {
            p = run_process(
                {"/bin/sh", "-c", m_hook + " \"$@\"", "certtool-dns-hook", action, r.name, r.value},
                m_timeout);
        } catch (const Error& e) {
            return fmt::format("the dns-01 hook could not be run: {}", e.what());
        }
        if (p.timed_out) {
            return fmt::format(
                "the dns-01 hook '{} {} {}' did not finish within {} s: it must "
                "return once the record is served",
                m_hook,
                action,
                r.name,
                std::chrono::duration_cast<std::chrono::seconds>(m_timeout).count());
        }
        if (p.exit_code != 0) {
            const std::string said = p.first_problem();
            return fmt::format("the dns-01 hook '{} {} {}' failed (exit {}){}",
                               m_hook,
                               action,
                               r.name,
                               p.exit_code,
                               said.empty() ? std::string{} : ": " + said);
        }
        return {};
    }

    std::string m_hook;
    std::chrono::milliseconds m_timeout;
    std::vector<Record> m_records;
};

class TlsAlpn01Solver final : public ChallengeSolver {
public:
    explicit TlsAlpn01Solver(const AcmeChallengeSettings& s) : m_responder{s.address, s.tls_port} {}

    [[nodiscard]] std::string_view type() const override { return "tls-alpn-01"; }

    void present(const std::string& domain,
                 const std::string& /*token*/,
                 const std::string& key_authorization) override {
        m_responder.add(domain, tls_alpn01_digest(key_authorization));
    }

    std::vector<std::string> cleanup() noexcept override { return {}; }

    [[nodiscard]] int answered() const override { return m_responder.answered(); }

private:
    TlsAlpn01Responder m_responder;
};

}  // namespace

std::string dns01_value(std::string_view key_authorization) {
    return base64url(ossl::sha256(key_authorization));
}

std::string tls_alpn01_digest(std::string_view key_authorization) {
    return ossl::sha256(key_authorization);
}

std::unique_ptr<ChallengeSolver> make_solver(const AcmeChallengeSettings& settings) {
    switch (settings.type) {
        case AcmeChallengeType::http01:
            return std::make_unique<Http01Solver>(settings);
        case AcmeChallengeType::webroot:
            return std::make_unique<WebrootSolver>(settings.webroot);
        case AcmeChallengeType::dns01:
            return std::make_unique<Dns01Solver>(settings);
        case AcmeChallengeType::tls_alpn01:
            return std::make_unique<TlsAlpn01Solver>(settings);
    }
    throw Error(Errc::invalid_argument, "unknown ACME challenge type");
}

}  // namespace certtool::detail
