// apply_postfix: render, write the revision directory, check the candidate, journal, swap,
// reload, probe; restore on failure. recover_postfix: finish or undo what a killed apply left.
#include "fs.hpp"
#include "journal.hpp"
#include "managed_section.hpp"
#include "postfix_render.hpp"
#include "process.hpp"

#include <certtool/ca_lists.hpp>
#include <certtool/error.hpp>
#include <certtool/listen_check.hpp>
#include <certtool/postfix_target.hpp>
#include <certtool/smtp_probe.hpp>

#include <fmt/format.h>

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <thread>

namespace certtool::deploy {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr auto k_command_timeout = 60s;
constexpr std::string_view k_journal_magic = "certtool postfix journal 1";

fs::path owned_dir(const fs::path& dir) {
    return dir / "certtool";
}

fs::path journal_path(const fs::path& dir) {
    return owned_dir(dir) / "journal";
}

// ---- Postfix's commands ------------------------------------------------------------------------

certtool::detail::ProcessResult postfix(const fs::path& dir, const std::vector<std::string>& args) {
    std::vector<std::string> argv{"postfix", "-c", dir.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return certtool::detail::run_process(argv, k_command_timeout);
}

void require_postfix() {
    for (const char* program : {"postfix", "postconf"}) {
        if (!certtool::detail::program_available(program)) {
            throw Error(Errc::unsupported,
                        fmt::format("'{}' is not installed: install the Debian package 'postfix' "
                                    "(apt-get install postfix) to apply the configuration",
                                    program));
        }
    }
}

bool postfix_running(const fs::path& dir) {
    return certtool::detail::program_available("postfix") &&
           postfix(dir, {"status"}).exit_code == 0;
}

std::string why(const certtool::detail::ProcessResult& r) {
    if (r.timed_out) {
        return fmt::format("it did not finish within {} s", k_command_timeout.count());
    }
    const std::string line = r.first_problem();
    return line.empty() ? fmt::format("exit status {}", r.exit_code) : line;
}

// ---- Steps -------------------------------------------------------------------------------------

// A step that failed: its name and why.
using detail::fail;
using detail::StepFailure;

struct Files {
    std::string main;
    std::string master;
    std::vector<std::pair<fs::path, std::string>> tables;  // the ldap: tables, by path

    friend bool operator==(const Files&, const Files&) = default;
};

Files read_files(const fs::path& dir) {
    return Files{::certtool::detail::read_file(dir / "main.cf", "Postfix's main.cf"),
                 ::certtool::detail::read_file(dir / "master.cf", "Postfix's master.cf"),
                 {}};
}

std::vector<std::pair<fs::path, std::string>> read_tables(const std::vector<fs::path>& paths) {
    std::vector<std::pair<fs::path, std::string>> out;
    for (const auto& p : paths) {
        out.emplace_back(p, ::certtool::detail::read_file(p, "an LDAP table"));
    }
    return out;
}

// A revision directory's record of the tables: tables.list (their paths) and table-I.cf in
// `source` (the revision, or its previous/).
Files read_saved(const fs::path& rev, const fs::path& source) {
    Files f = read_files(source);
    std::error_code ec;
    if (!fs::exists(rev / "tables.list", ec)) {
        return f;
    }
    const std::string list = ::certtool::detail::read_file(rev / "tables.list", "tables.list");
    std::size_t start = 0;
    for (std::size_t i = 0; start < list.size(); ++i) {
        const auto nl = list.find('\n', start);
        const fs::path path = list.substr(start, nl - start);
        start = nl == std::string::npos ? list.size() : nl + 1;
        f.tables.emplace_back(path,
                              ::certtool::detail::read_file(source / fmt::format("table-{}.cf", i),
                                                            "a saved LDAP table"));
    }
    return f;
}

unsigned file_mode(const fs::path& path) {
    struct stat st {};

    if (::stat(path.c_str(), &st) != 0) {
        return 0644;
    }
    return st.st_mode & 07777U;
}

// Replaces DIR/main.cf and DIR/master.cf, keeping their modes.
void write_files(const fs::path& dir, const Files& files, std::string_view crash_tag) {
    ::certtool::detail::write_file_atomic(dir / "main.cf",
                                          files.main,
                                          file_mode(dir / "main.cf"),
                                          ::certtool::detail::Overwrite::replace);
    ::certtool::detail::crash_point(fmt::format("postfix:{}-main", crash_tag));
    ::certtool::detail::write_file_atomic(dir / "master.cf",
                                          files.master,
                                          file_mode(dir / "master.cf"),
                                          ::certtool::detail::Overwrite::replace);
    ::certtool::detail::crash_point(fmt::format("postfix:{}-master", crash_tag));
    for (const auto& [path, content] : files.tables) {
        ::certtool::detail::write_file_atomic(
            path, content, file_mode(path), ::certtool::detail::Overwrite::replace);
    }
}

void write_private(const fs::path& path, std::string_view content) {
    ::certtool::detail::write_file_atomic(
        path, content, 0600, ::certtool::detail::Overwrite::replace);
}

// The files Postfix's unprivileged daemons read at lookup time (the LDAP client's key and
// certificate): group `mail_owner`'s group, 0640, and DIR/certtool and the revision directory
// 0710 for that group (enter, not list); every other file stays 0600 root's.
void share_with_daemons(const fs::path& dir,
                        const fs::path& rev,
                        const std::vector<std::string>& files) {
    if (files.empty()) {
        return;
    }
    const auto owner = certtool::detail::run_process(
        {"postconf", "-c", dir.string(), "-h", "mail_owner"}, k_command_timeout);
    std::string name = owner.out.substr(0, owner.out.find('\n'));
    const passwd* pw = owner.exit_code == 0 ? ::getpwnam(name.c_str()) : nullptr;
    if (pw == nullptr) {
        throw Error(Errc::io,
                    fmt::format("the mail owner '{}' of {} has no account: the LDAP client "
                                "certificate cannot be made readable to Postfix's daemons",
                                name,
                                dir.string()));
    }
    const gid_t group = pw->pw_gid;
    const auto share = [group](const fs::path& p, mode_t mode) {
        if (::chown(p.c_str(), static_cast<uid_t>(-1), group) != 0 ||
            ::chmod(p.c_str(), mode) != 0) {
            throw Error(Errc::io,
                        fmt::format("cannot share {} with Postfix's daemons: {}",
                                    p.string(),
                                    std::strerror(errno)));
        }
    };
    for (const auto& f : files) {
        share(rev / f, 0640);
    }
    share(rev, 0710);
    share(owned_dir(dir), 0710);
}

// DIR/certtool/rev-N: the rendered files, the new main.cf and master.cf (for recovery to roll
// forward) and the current ones in previous/ (to roll back). Built under a temporary name and
// renamed, so rev-N is whole or absent.
void write_revision(const fs::path& dir,
                    int revision,
                    const detail::Rendering& rendering,
                    const Files& next,
                    const Files& current) {
    const fs::path target = detail::revision_dir(dir, revision);
    const fs::path temp = target.string() + ".tmp";
    fs::remove_all(temp);
    fs::remove_all(target);
    ::certtool::detail::create_private_directories(temp / "previous");
    for (const auto& file : rendering.files) {
        write_private(temp / file.name, file.content.view());
    }
    write_private(temp / "main.cf", next.main);
    write_private(temp / "master.cf", next.master);
    write_private(temp / "previous" / "main.cf", current.main);
    write_private(temp / "previous" / "master.cf", current.master);
    if (!next.tables.empty()) {
        std::string list;
        for (std::size_t i = 0; i < next.tables.size(); ++i) {
            list += next.tables[i].first.string() + "\n";
            write_private(temp / fmt::format("table-{}.cf", i), next.tables[i].second);
            write_private(temp / "previous" / fmt::format("table-{}.cf", i),
                          current.tables[i].second);
        }
        write_private(temp / "tables.list", list);
    }
    share_with_daemons(dir, temp, rendering.group_readable);
    ::certtool::detail::crash_point("postfix:revision-written");
    fs::rename(temp, target);
    ::certtool::detail::sync_directory(owned_dir(dir));
}

// main.cf without its config_directory lines: in the candidate copy, `postfix -c` names the
// directory, and a second definition costs an "overriding earlier entry" warning in the live
// instance's log at every commit.
std::string without_config_directory(std::string_view main_cf) {
    std::string out;
    out.reserve(main_cf.size());
    while (!main_cf.empty()) {
        const auto nl = main_cf.find('\n');
        const auto line = main_cf.substr(0, nl == std::string_view::npos ? main_cf.size() : nl + 1);
        main_cf.remove_prefix(line.size());
        const bool ours = line.starts_with("config_directory") &&
                          line.substr(16).find_first_not_of(" \t") != std::string_view::npos &&
                          line[line.substr(16).find_first_not_of(" \t") + 16] == '=';
        if (!ours) {
            out += line;
        }
    }
    return out;
}

// A copy of the configuration directory's two files as they would be: postconf parses master.cf
// (postfix check does not) and postfix check main.cf and the instance's directories.
void check_candidate(const fs::path& dir, const Files& next) {
    const fs::path candidate = owned_dir(dir) / "candidate";
    fs::remove_all(candidate);
    ::certtool::detail::create_private_directories(candidate);
    write_private(candidate / "main.cf", without_config_directory(next.main));
    write_private(candidate / "master.cf", next.master);
    const auto master = certtool::detail::run_process({"postconf", "-c", candidate.string(), "-M"},
                                                      k_command_timeout);
    if (master.exit_code != 0) {
        fail("postfix check", why(master));
    }
    const auto check = postfix(candidate, {"check"});
    fs::remove_all(candidate);
    if (check.exit_code != 0) {
        fail("postfix check", why(check));
    }
}

// The listeners the running configuration already serves ("127.0.0.1:2525").
std::set<std::string> served_endpoints(const std::string& master_cf) {
    std::set<std::string> served;
    std::string_view text{master_cf};
    while (!text.empty()) {
        const auto nl = text.find('\n');
        const std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        const auto space = line.find_first_of(" \t");
        if (!line.empty() && line.front() != '#' && line.front() != ' ' &&
            space != std::string_view::npos && line.find(" inet ") != std::string_view::npos) {
            served.emplace(line.substr(0, space));
        }
    }
    return served;
}

// Postfix's master exits on a reload when a new listener cannot be bound: try each first.
void check_addresses(const detail::Rendering& rendering, const Files& current) {
    const auto served = served_endpoints(current.master);
    for (const auto& l : rendering.listeners) {
        if (served.count(l.endpoint) != 0) {
            continue;
        }
        const auto address = l.endpoint.front() == '['
                                 ? l.endpoint.substr(1, l.endpoint.rfind(']') - 1)
                                 : l.endpoint.substr(0, l.endpoint.rfind(':'));
        if (auto problem = listen_problem(address, l.port)) {
            fail("address check",
                 fmt::format("listener {} cannot listen on {}: {}", l.name, l.endpoint, *problem));
        }
    }
}

// ---- The journal -------------------------------------------------------------------------------

using detail::Journal;

void write_journal(const fs::path& dir, const Journal& j) {
    detail::write_journal(journal_path(dir), k_journal_magic, j);
}

std::optional<Journal> read_journal(const fs::path& dir) {
    return detail::read_journal(journal_path(dir),
                                k_journal_magic,
                                "restore main.cf and master.cf by hand, then remove it");
}

void remove_journal(const fs::path& dir) {
    detail::remove_journal(journal_path(dir));
}

// ---- Reload, probe, restore --------------------------------------------------------------------

void reload(const fs::path& dir) {
    const auto r = postfix(dir, {"reload"});
    if (r.exit_code != 0) {
        fail("reload", why(r));
    }
}

// Brings the instance back after restoring files: reload, or start it when the failed reload
// made its master exit (an unbindable listener does that).
void reload_or_start(const fs::path& dir) {
    if (postfix_running(dir)) {
        static_cast<void>(postfix(dir, {"reload"}));
        std::this_thread::sleep_for(300ms);
    }
    if (!postfix_running(dir)) {
        static_cast<void>(postfix(dir, {"start"}));
    }
}

ListenerServed probe_once(const detail::ExpectedListener& l, std::chrono::milliseconds timeout) {
    ProbeOptions options;
    options.timeout = timeout;
    options.deadline = timeout;
    options.mode = l.starttls ? ProbeMode::starttls : ProbeMode::plain;
    static const TrustStore none = TrustStore::from_certificates({}, "none");
    const ProbeResult r = probe_smtp(l.probe_address, l.port, none, options);
    ListenerServed served{l.name, l.endpoint, "", true};
    if (!r.summary.connect) {
        const ProbeStep* failed = r.step("connect");
        fail(
            "probe",
            fmt::format("listener {} ({}) did not answer{}",
                        l.name,
                        l.endpoint,
                        failed != nullptr && !failed->detail.empty() ? ": " + failed->detail : ""));
    }
    if (!r.served.empty()) {
        served.fingerprint = r.served.front().sha256_fingerprint();
    }
    return served;
}

// Probes every listener until it serves the bound leaf, k_settled_probes times in a row, or the
// timeout passes (a reload is asynchronous: the first sessions may still meet the old processes).
std::vector<ListenerServed> probe_listeners(const detail::Rendering& rendering,
                                            std::chrono::milliseconds timeout) {
    std::vector<ListenerServed> served;
    for (const auto& l : rendering.listeners) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        detail::SettleCount settle;
        while (true) {
            std::optional<ListenerServed> seen;
            try {
                seen = probe_once(l, std::min(timeout, std::chrono::milliseconds{5000}));
            } catch (const StepFailure&) {
                if (std::chrono::steady_clock::now() >= deadline) {
                    throw;
                }
            }
            const bool good = seen && (!l.starttls || seen->fingerprint == l.fingerprint);
            const bool late = std::chrono::steady_clock::now() >= deadline;
            if (settle.record(good, late)) {
                served.push_back(*seen);
                break;
            }
            if (late) {
                fail("probe",
                     fmt::format(
                         "listener {} ({}) serves {} instead of the bound certificate {}",
                         l.name,
                         l.endpoint,
                         seen && !seen->fingerprint.empty() ? seen->fingerprint : "no certificate",
                         l.fingerprint));
            }
            std::this_thread::sleep_for(settle.pause(200ms));
        }
    }
    return served;
}

// Removes every rev-K but the ones named (and leftovers of killed applies).
void prune_revisions(const fs::path& dir, std::initializer_list<int> keep) {
    std::error_code ec;
    for (const auto& item : fs::directory_iterator(owned_dir(dir), ec)) {
        const std::string name = item.path().filename().string();
        if (!name.starts_with("rev-")) {
            continue;
        }
        const bool kept = std::any_of(
            keep.begin(), keep.end(), [&](int k) { return name == fmt::format("rev-{}", k); });
        if (!kept) {
            fs::remove_all(item.path(), ec);
        }
    }
}

// ---- Recovery ----------------------------------------------------------------------------------

// Under the lock: resolves a journal. The files become revision `committed`'s: the journal's
// new revision when the store recorded it, else the previous one.
void recover_locked(const fs::path& dir, int committed, std::vector<std::string>* steps) {
    const auto journal = read_journal(dir);
    fs::remove_all(owned_dir(dir) / "candidate");
    if (!journal) {
        return;
    }
    const fs::path rev = detail::revision_dir(dir, journal->revision);
    const bool forward = committed >= journal->revision;
    const fs::path source = forward ? rev : rev / "previous";
    const Files wanted = read_saved(rev, source);
    Files present = read_files(dir);
    for (const auto& [path, content] : wanted.tables) {
        std::error_code ec;
        present.tables.emplace_back(
            path, fs::exists(path, ec) ? ::certtool::detail::read_file(path, "an LDAP table") : "");
    }
    const bool changed = !(wanted == present);
    if (changed) {
        write_files(dir, wanted, "recover");
    }
    if (changed && postfix_running(dir)) {
        static_cast<void>(postfix(dir, {"reload"}));
    }
    if (!forward) {
        fs::remove_all(rev);
    }
    remove_journal(dir);
    if (steps != nullptr && changed) {
        steps->push_back(fmt::format("recovered an interrupted apply: the files are revision {}'s",
                                     forward ? journal->revision : journal->previous));
    }
}

// ---- Apply, step by step -----------------------------------------------------------------------

class Apply {
public:
    Apply(const Store& store,
          const config::Configuration& configuration,
          int revision,
          fs::path dir,
          const PostfixApplyOptions& options)
        : m_store(store),
          m_cfg(configuration),
          m_revision(revision),
          m_dir(std::move(dir)),
          m_options(options) {}

    ApplyReport run() {
        prepare();
        try {
            stage();
        } catch (const StepFailure& f) {
            fs::remove_all(detail::revision_dir(m_dir, m_revision));
            throw Error(
                Errc::io,
                fmt::format("commit failed at '{}': {}; nothing was changed", f.step, f.reason));
        }
        swap();
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
        prune_revisions(m_dir, {m_revision, m_previous});
        ::certtool::detail::crash_point("postfix:applied");
        return std::move(m_report);
    }

private:
    void step(std::string text) { m_report.steps.push_back(std::move(text)); }

    void prepare() {
        recover_locked(m_dir, m_revision - 1, &m_report.steps);
        m_current = read_files(m_dir);
        m_current.tables = read_tables(m_cfg.postfix_ldap_tables);
        m_previous = detail::managed_revision(m_current.main).value_or(0);
        render();
        m_next = Files{
            detail::with_managed_section(m_current.main, m_revision, m_rendering.main_lines),
            detail::with_managed_section(m_current.master, m_revision, m_rendering.master_lines),
            {}};
        for (const auto& [path, content] : m_current.tables) {
            m_next.tables.emplace_back(
                path, detail::with_managed_section(content, m_revision, m_rendering.ldap_lines));
        }
    }

    void render() {
        detail::RenderInput input;
        input.configuration = &m_cfg;
        input.revision = m_revision;
        input.config_dir = m_dir;
        input.entry = [this](const std::string& name) { return m_store.get(name); };
        if (m_cfg.postfix_trust) {
            input.trust_pem =
                ::certtool::detail::read_file(*m_cfg.postfix_trust, "the Postfix trust file");
        } else {
            // No trust file configured: the store's effective CA list (certtool ca ...), so
            // that disabling the system list or importing a CA reaches Postfix at this commit.
            input.trust_pem = effective_trust_pem(m_store);
        }
        input.user = detail::user_parameters(m_current.main);
        m_rendering = detail::render_postfix(input);
        for (const auto& w : m_rendering.warnings) {
            if (m_options.warn) {
                m_options.warn(w);
            }
        }
        m_report.caveats = m_rendering.caveats;
        step(fmt::format("rendered revision {}: {} listener(s), {} destination row(s), {} file(s)",
                         m_revision,
                         m_cfg.listeners.size(),
                         m_cfg.destinations.size(),
                         m_rendering.files.size()));
    }

    void stage() {
        write_revision(m_dir, m_revision, m_rendering, m_next, m_current);
        step(fmt::format("wrote {}", detail::revision_dir(m_dir, m_revision).string()));
        check_candidate(m_dir, m_next);
        step("postfix check: the candidate main.cf and master.cf pass");
        check_addresses(m_rendering, m_current);
        m_running = postfix_running(m_dir);
    }

    void swap() {
        write_journal(m_dir, Journal{m_revision, m_previous});
        ::certtool::detail::crash_point("postfix:journal-written");
        write_files(m_dir, m_next, "swap");
        step("swapped main.cf and master.cf in");
    }

    void activate() {
        if (!m_running) {
            step("Postfix is not running: not reloaded, listeners not probed");
            for (const auto& l : m_rendering.listeners) {
                m_report.listeners.push_back(ListenerServed{l.name, l.endpoint, "", false});
            }
            return;
        }
        reload(m_dir);
        step("reloaded Postfix");
        m_report.listeners = probe_listeners(m_rendering, m_options.probe_timeout);
        step(fmt::format("probed {} listener(s): each serves its bound certificate",
                         m_report.listeners.size()));
    }

    void restore() {
        write_files(m_dir, m_current, "restore");
        if (m_running) {
            reload_or_start(m_dir);
        }
        remove_journal(m_dir);
        fs::remove_all(detail::revision_dir(m_dir, m_revision));
    }

    const Store& m_store;
    const config::Configuration& m_cfg;
    int m_revision;
    fs::path m_dir;
    const PostfixApplyOptions& m_options;
    ApplyReport m_report;
    detail::Rendering m_rendering;
    Files m_current;
    Files m_next;
    int m_previous{0};
    bool m_running{false};
};

fs::path absolute_dir(const fs::path& config_dir) {
    std::error_code ec;
    fs::path dir = fs::absolute(config_dir, ec).lexically_normal();
    if (dir.has_filename() == false && dir.has_parent_path()) {
        dir = dir.parent_path();
    }
    return dir;
}

}  // namespace

void check_postfix_directory(const fs::path& config_dir) {
    std::error_code ec;
    if (!fs::is_directory(config_dir, ec)) {
        throw Error(Errc::invalid_argument,
                    fmt::format("'{}' is not a directory: give the Postfix instance's "
                                "configuration directory (where main.cf and master.cf are)",
                                config_dir.string()));
    }
    for (const char* file : {"main.cf", "master.cf"}) {
        if (!fs::is_regular_file(config_dir / file, ec)) {
            throw Error(Errc::invalid_argument,
                        fmt::format("'{}' has no {}: it is not a Postfix configuration directory",
                                    config_dir.string(),
                                    file));
        }
        static_cast<void>(
            ::certtool::detail::read_file(config_dir / file, "Postfix's configuration"));
    }
}

ApplyReport apply_postfix(const Store& store,
                          const config::Configuration& configuration,
                          int revision,
                          const fs::path& config_dir,
                          const PostfixApplyOptions& options) {
    check_postfix_directory(config_dir);
    require_postfix();
    const fs::path dir = absolute_dir(config_dir);
    ::certtool::detail::create_private_directories(owned_dir(dir));
    const ::certtool::detail::FileLock lock{owned_dir(dir) / ".lock", Store::k_lock_timeout_ms};
    return Apply{store, configuration, revision, dir, options}.run();
}

void recover_postfix(const fs::path& config_dir, int committed_revision) {
    const fs::path dir = absolute_dir(config_dir);
    std::error_code ec;
    if (!fs::is_directory(owned_dir(dir), ec)) {
        return;
    }
    const ::certtool::detail::FileLock lock{owned_dir(dir) / ".lock", Store::k_lock_timeout_ms};
    recover_locked(dir, committed_revision, nullptr);
}

}  // namespace certtool::deploy
