// apply_nginx: render the HTTPS server blocks, write the revision directory, journal, swap,
// nginx -t, reload, probe; put the previous file back on failure. recover_nginx: finish or undo
// what a killed (or a later failing) apply left.
#include "fs.hpp"
#include "journal.hpp"
#include "process.hpp"

#include <certtool/error.hpp>
#include <certtool/nginx_target.hpp>
#include <certtool/tls_probe.hpp>

#include <fmt/format.h>

#include <csignal>
#include <optional>
#include <regex>
#include <thread>

namespace certtool::deploy {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr auto k_command_timeout = 60s;
constexpr std::string_view k_journal_magic = "certtool nginx journal 1";
constexpr std::string_view k_header = "# certtool managed: revision ";

fs::path revision_dir(const fs::path& state, int revision) {
    return state / fmt::format("rev-{}", revision);
}

// ---- nginx's commands --------------------------------------------------------------------------

certtool::detail::ProcessResult nginx(const config::NginxTarget& t,
                                      const std::vector<std::string>& args) {
    std::vector<std::string> argv{"nginx", "-c", t.nginx_conf.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return certtool::detail::run_process(argv, k_command_timeout);
}

// What nginx said went wrong: its first [emerg]/[alert]/[crit] line, else the usual first line.
std::string why(const certtool::detail::ProcessResult& r) {
    if (r.timed_out) {
        return fmt::format("it did not finish within {} s", k_command_timeout.count());
    }
    std::string_view err{r.err};
    while (!err.empty()) {
        const auto nl = err.find('\n');
        const std::string_view line = err.substr(0, nl);
        if (line.find("[emerg]") != std::string_view::npos ||
            line.find("[alert]") != std::string_view::npos ||
            line.find("[crit]") != std::string_view::npos) {
            return std::string{line};
        }
        err = nl == std::string_view::npos ? std::string_view{} : err.substr(nl + 1);
    }
    const std::string line = r.first_problem();
    return line.empty() ? fmt::format("exit status {}", r.exit_code) : line;
}

// nginx runs when the pid file its main configuration names (else Debian's /run/nginx.pid)
// holds a live process.
bool nginx_running(const config::NginxTarget& t) {
    fs::path pid_file{"/run/nginx.pid"};
    try {
        const std::string main = ::certtool::detail::read_file(t.nginx_conf, "nginx.conf");
        static const std::regex pid_line{R"((?:^|\n)[ \t]*pid[ \t]+([^;\s]+)[ \t]*;)"};
        if (std::smatch m; std::regex_search(main, m, pid_line)) {
            pid_file = m[1].str();
        }
        const std::string text = ::certtool::detail::read_file(pid_file, "nginx's pid file");
        const long pid = std::stol(text);
        return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) == 0;
    } catch (const std::exception&) {
        return false;
    }
}

// ---- Steps -------------------------------------------------------------------------------------

using detail::fail;
using detail::StepFailure;

std::optional<std::string> read_optional(const fs::path& path, const char* what) {
    std::error_code ec;
    if (!fs::exists(path, ec)) {
        return std::nullopt;
    }
    return ::certtool::detail::read_file(path, what);
}

// The revision a managed file says it is (0 for none, or for a file certtool did not write).
int managed_revision(const std::optional<std::string>& text) {
    if (!text || !text->starts_with(k_header)) {
        return 0;
    }
    try {
        return std::stoi(text->substr(k_header.size()));
    } catch (const std::exception&) {
        return 0;
    }
}

// Puts `content` in place as the config file, or removes it (nullopt).
void put_file(const fs::path& path, const std::optional<std::string>& content) {
    if (content) {
        ::certtool::detail::write_file_atomic(
            path, *content, 0644, ::certtool::detail::Overwrite::replace);
    } else {
        std::error_code ec;
        fs::remove(path, ec);
        ::certtool::detail::sync_directory(path.parent_path());
    }
}

using detail::Journal;

fs::path journal_path(const fs::path& state) {
    return state / "journal";
}

std::optional<Journal> read_journal(const fs::path& state) {
    return detail::read_journal(journal_path(state), k_journal_magic, "remove it and commit again");
}

void remove_journal(const fs::path& state) {
    detail::remove_journal(journal_path(state));
}

// The content revision `journal` rolls to: forward (its own file) or back (what it replaced).
std::optional<std::string> wanted_content(const fs::path& rev, bool forward) {
    if (forward) {
        return ::certtool::detail::read_file(rev / "server.conf", "a revision's server blocks");
    }
    std::error_code ec;
    if (fs::exists(rev / "previous.absent", ec)) {
        return std::nullopt;
    }
    return ::certtool::detail::read_file(rev / "previous.conf", "a revision's previous file");
}

void recover_locked(const config::NginxTarget& t, int committed, std::vector<std::string>* steps) {
    const fs::path state = t.state();
    const auto journal = read_journal(state);
    if (!journal) {
        return;
    }
    const fs::path rev = revision_dir(state, journal->revision);
    const bool forward = committed >= journal->revision;
    std::error_code ec;
    if (fs::exists(rev, ec)) {
        const auto wanted = wanted_content(rev, forward);
        if (wanted != read_optional(t.config_file, "the nginx server-block file")) {
            put_file(t.config_file, wanted);
            if (nginx_running(t)) {
                static_cast<void>(nginx(t, {"-s", "reload"}));
            }
            if (steps != nullptr) {
                steps->push_back(fmt::format(
                    "nginx: recovered an interrupted apply: the server blocks are revision {}'s",
                    forward ? journal->revision : journal->previous));
            }
        }
        if (!forward) {
            fs::remove_all(rev, ec);
        }
    }
    remove_journal(state);
}

// One HTTPS interface's server block.
struct Block {
    std::string interface;
    config::Endpoint listen;
    std::string fingerprint;  // the bound leaf's
    fs::path chain_file;
    fs::path key_file;
};

class Apply {
public:
    Apply(const Store& store,
          const config::Configuration& cfg,
          int revision,
          const NginxApplyOptions& options)
        : m_store(store),
          m_t(*cfg.nginx),
          m_cfg(cfg),
          m_revision(revision),
          m_state(m_t.state()),
          m_options(options) {}

    NginxReport run() {
        ::certtool::detail::create_private_directories(m_state);
        const ::certtool::detail::FileLock lock{m_state / ".lock", Store::k_lock_timeout_ms};
        recover_locked(m_t, m_revision - 1, &m_report.steps);
        render();  // throws before anything is written
        m_previous_text = read_optional(m_t.config_file, "the nginx server-block file");
        m_previous = managed_revision(m_previous_text);
        write_revision();
        write_journal();
        put_file(m_t.config_file, m_text);
        ::certtool::detail::crash_point("nginx:swapped");
        m_report.steps.push_back(fmt::format("nginx: wrote {} (revision {}, {} server block(s))",
                                             m_t.config_file.string(),
                                             m_revision,
                                             m_blocks.size()));
        try {
            activate();
        } catch (const StepFailure& f) {
            restore();
            throw Error(Errc::io,
                        fmt::format("commit failed at '{}': {}; the previous configuration is "
                                    "back in place",
                                    f.step,
                                    f.reason));
        }
        prune();
        return std::move(m_report);
    }

private:
    void render() {
        const fs::path rev = revision_dir(m_state, m_revision);
        m_text = fmt::format(
            "{}{}\n# Do not edit: certtool commit rewrites this file (certtool target nginx).\n",
            k_header,
            m_revision);
        for (const auto& s : m_cfg.services) {
            if (s.service != config::Service::https) {
                continue;
            }
            const auto it = m_t.listen.find(s.interface);
            if (it == m_t.listen.end()) {
                throw Error(
                    Errc::invalid_argument,
                    fmt::format("HTTPS on interface '{}' has no address in the nginx "
                                "target: certtool target nginx ... --listen {}=ADDRESS:PORT",
                                s.interface,
                                s.interface));
            }
            const Entry entry = m_store.get(s.certificate);
            Block b{s.interface,
                    it->second,
                    entry.certificate.sha256_fingerprint(),
                    rev / fmt::format("https-{}.pem", s.interface),
                    rev / fmt::format("https-{}.key", s.interface)};
            std::string chain = entry.certificate.to_pem();
            for (const auto& c : entry.chain) {
                chain += c.to_pem();
            }
            m_files.emplace_back(b.chain_file.filename().string(), Secret{std::move(chain)});
            m_files.emplace_back(b.key_file.filename().string(),
                                 Secret{std::string{entry.key.to_pem().view()}});
            m_text +=
                fmt::format("\n# HTTPS interface {}: entry {}\nserver {{\n    listen {} ssl;\n",
                            s.interface,
                            s.certificate,
                            it->second.text());
            if (!m_t.server_name.empty()) {
                m_text += fmt::format("    server_name {};\n", m_t.server_name);
            }
            m_text += fmt::format("    ssl_certificate {};\n    ssl_certificate_key {};\n",
                                  b.chain_file.string(),
                                  b.key_file.string());
            if (m_t.include) {
                m_text += fmt::format("    include {};\n", m_t.include->string());
            }
            m_text += "}\n";
            m_blocks.push_back(std::move(b));
        }
    }

    void write_revision() {
        const fs::path target = revision_dir(m_state, m_revision);
        const fs::path temp = target.string() + ".tmp";
        fs::remove_all(temp);
        fs::remove_all(target);
        ::certtool::detail::create_private_directories(temp);
        for (const auto& [name, content] : m_files) {
            ::certtool::detail::write_file_atomic(
                temp / name, content.view(), 0600, ::certtool::detail::Overwrite::replace);
        }
        ::certtool::detail::write_file_atomic(
            temp / "server.conf", m_text, 0600, ::certtool::detail::Overwrite::replace);
        if (m_previous_text) {
            ::certtool::detail::write_file_atomic(temp / "previous.conf",
                                                  *m_previous_text,
                                                  0600,
                                                  ::certtool::detail::Overwrite::replace);
        } else {
            ::certtool::detail::write_file_atomic(
                temp / "previous.absent", "", 0600, ::certtool::detail::Overwrite::replace);
        }
        fs::rename(temp, target);
        ::certtool::detail::sync_directory(m_state);
    }

    void write_journal() {
        detail::write_journal(journal_path(m_state), k_journal_magic, {m_revision, m_previous});
        ::certtool::detail::crash_point("nginx:journal-written");
    }

    void activate() {
        const auto check = nginx(m_t, {"-t"});
        if (check.exit_code != 0) {
            fail("nginx -t", why(check));
        }
        m_report.steps.push_back("nginx: nginx -t passes");
        if (!nginx_running(m_t)) {
            m_report.steps.push_back("nginx is not running: not reloaded, not probed");
            for (const auto& b : m_blocks) {
                m_report.served.push_back(HttpsServed{b.interface, b.listen.text(), "", false});
            }
            return;
        }
        m_reloaded = true;
        const auto reload = nginx(m_t, {"-s", "reload"});
        if (reload.exit_code != 0) {
            fail("reload", why(reload));
        }
        m_report.steps.push_back("nginx: reloaded");
        for (const auto& b : m_blocks) {
            m_report.served.push_back(probe(b));
        }
    }

    // Until the block serves the bound leaf, k_settled_probes times in a row, or the timeout
    // passes: a reload is asynchronous, the old workers stop accepting a moment later.
    HttpsServed probe(const Block& b) {
        const auto deadline = std::chrono::steady_clock::now() + m_options.probe_timeout;
        std::string seen;
        std::string problem;
        detail::SettleCount settle;
        while (true) {
            try {
                const auto served =
                    probe_tls(b.listen.address,
                              b.listen.port,
                              m_t.server_name.empty() ? std::string{} : first_name(m_t.server_name),
                              std::min(m_options.probe_timeout, std::chrono::milliseconds{5000}));
                seen = served.certificates.front().sha256_fingerprint();
                problem.clear();
                if (settle.record(seen == b.fingerprint,
                                  std::chrono::steady_clock::now() >= deadline)) {
                    m_report.steps.push_back(fmt::format(
                        "nginx: {} ({}) serves the bound leaf", b.interface, b.listen.text()));
                    return HttpsServed{b.interface, b.listen.text(), seen, true};
                }
            } catch (const Error& e) {
                problem = e.what();
                settle.record(false, false);
            }
            if (std::chrono::steady_clock::now() >= deadline) {
                break;
            }
            std::this_thread::sleep_for(settle.pause(100ms));
        }
        fail("probe",
             problem.empty()
                 ? fmt::format("HTTPS interface {} ({}) serves {}, not the bound leaf {}",
                               b.interface,
                               b.listen.text(),
                               seen,
                               b.fingerprint)
                 : fmt::format("HTTPS interface {} ({}) did not answer: {}",
                               b.interface,
                               b.listen.text(),
                               problem));
    }

    static std::string first_name(const std::string& names) {
        return names.substr(0, names.find(' '));
    }

    void restore() {
        put_file(m_t.config_file, m_previous_text);
        std::error_code ec;
        fs::remove_all(revision_dir(m_state, m_revision), ec);
        remove_journal(m_state);
        if (m_reloaded && nginx_running(m_t)) {
            static_cast<void>(nginx(m_t, {"-s", "reload"}));
        }
    }

    // Keeps this revision's directory and the previous one's (recovery and rollback read them).
    void prune() {
        std::error_code ec;
        for (const auto& item : fs::directory_iterator(m_state, ec)) {
            const std::string name = item.path().filename().string();
            if (name.starts_with("rev-") &&
                name != revision_dir(m_state, m_revision).filename().string() &&
                name != revision_dir(m_state, m_previous).filename().string()) {
                fs::remove_all(item.path(), ec);
            }
        }
    }

    const Store& m_store;
    const config::NginxTarget& m_t;
    const config::Configuration& m_cfg;
    int m_revision;
    fs::path m_state;
    NginxApplyOptions m_options;
    NginxReport m_report;
    std::string m_text;
    std::vector<std::pair<std::string, Secret>> m_files;
    std::vector<Block> m_blocks;
    std::optional<std::string> m_previous_text;
    int m_previous{0};
    bool m_reloaded{false};
};

}  // namespace

NginxReport apply_nginx(const Store& store,
                        const config::Configuration& configuration,
                        int revision,
                        const NginxApplyOptions& options) {
    if (!configuration.nginx) {
        return {};
    }
    if (!certtool::detail::program_available("nginx")) {
        throw Error(Errc::unsupported,
                    "'nginx' is not installed: install the Debian package 'nginx' (apt-get "
                    "install nginx) to apply the HTTPS bindings");
    }
    return Apply{store, configuration, revision, options}.run();
}

void recover_nginx(const config::NginxTarget& target, int committed_revision) {
    const fs::path state = target.state();
    std::error_code ec;
    if (!fs::exists(journal_path(state), ec)) {
        return;
    }
    const ::certtool::detail::FileLock lock{state / ".lock", Store::k_lock_timeout_ms};
    recover_locked(target, committed_revision, nullptr);
}

}  // namespace certtool::deploy
