// Staged changes and revisions in DIR/config (config_store.hpp), and the demonstration
// certificate.
#include "document_json.hpp"
#include "fs.hpp"

#include <certtool/config_store.hpp>
#include <certtool/error.hpp>
#include <certtool/hostname.hpp>
#include <certtool/lifecycle.hpp>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <pwd.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>

namespace certtool::config {

namespace {

namespace fs = std::filesystem;

constexpr int k_lock_timeout_ms = Store::k_lock_timeout_ms;
constexpr std::size_t k_max_document_bytes = std::size_t{256} * 1024 * 1024;

std::string login_name() {
    if (const passwd* pw = getpwuid(geteuid()); pw != nullptr && pw->pw_name != nullptr) {
        return pw->pw_name;
    }
    return std::to_string(geteuid());
}

fs::path revisions_dir(const fs::path& dir) {
    return dir / "revisions";
}

fs::path revision_path(const fs::path& dir, int number) {
    return revisions_dir(dir) / fmt::format("{:06}.json", number);
}

fs::path staged_path(const fs::path& dir) {
    return dir / "staged.json";
}

bool present(const fs::path& path) {
    std::error_code ec;
    const auto st = fs::symlink_status(path, ec);
    if (ec && ec != std::errc::no_such_file_or_directory) {
        throw Error(Errc::io, fmt::format("cannot read {}: {}", path.string(), ec.message()));
    }
    return fs::exists(st);
}

// The revision numbers on disk, ascending.
std::vector<int> revision_numbers(const fs::path& dir) {
    std::vector<int> out;
    const auto rdir = revisions_dir(dir);
    if (!present(rdir)) {
        return out;
    }
    std::error_code ec;
    for (fs::directory_iterator it{rdir, ec}, end; !ec && it != end; it.increment(ec)) {
        const auto name = it->path().filename().string();
        if (name.size() != 11 || name.substr(6) != ".json") {
            continue;
        }
        int n = 0;
        auto [ptr, err] = std::from_chars(name.data(), name.data() + 6, n);
        if (err == std::errc{} && ptr == name.data() + 6 && n > 0) {
            out.push_back(n);
        }
    }
    if (ec) {
        throw Error(Errc::io, fmt::format("cannot read {}: {}", rdir.string(), ec.message()));
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string revision_text(const Revision& r) {
    nlohmann::json j = {{"revision", r.number},
                        {"time", format_time(r.time)},
                        {"user", r.user},
                        {"comment", r.comment},
                        {"summary", r.summary},
                        {"configuration", nlohmann::json::parse(document_json(r.document))}};
    if (r.inputs) {
        j["inputs"] = *r.inputs;
    }
    return j.dump(2) + "\n";
}

Revision read_revision(const fs::path& path) {
    const std::string text =
        detail::read_file(path, "configuration revision", k_max_document_bytes);
    const auto fail = [&](const std::string& why) -> Revision {
        throw Error(Errc::parse,
                    fmt::format("configuration revision {} is damaged ({}); restore it from a "
                                "backup",
                                path.string(),
                                why));
    };
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception&) {
        return fail("not JSON");
    }
    if (!j.is_object() || !j.contains("revision") || !j["revision"].is_number_integer() ||
        !j.contains("configuration") || !j.contains("time") || !j["time"].is_string()) {
        return fail("members missing");
    }
    Revision r;
    r.number = j["revision"].get<int>();
    try {
        r.time = parse_time(j["time"].get<std::string>());
    } catch (const Error&) {
        return fail("bad time");
    }
    const auto text_member = [&](const char* key) {
        return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string{};
    };
    r.user = text_member("user");
    r.comment = text_member("comment");
    r.summary = text_member("summary");
    r.document = document_from_json(j["configuration"], path.string());
    if (j.contains("inputs")) {
        const auto& inputs = j["inputs"];
        if (!inputs.is_object()) {
            return fail("inputs not an object");
        }
        Inputs parsed;
        for (const auto& [key, value] : inputs.items()) {
            if (!value.is_string()) {
                return fail("an input is not a string");
            }
            parsed[key] = value.get<std::string>();
        }
        r.inputs = std::move(parsed);
    }
    return r;
}

// The configuration lock, taken after creating DIR/config/revisions (0700).
class Locked {
public:
    explicit Locked(const fs::path& dir)
        : m_lock((prepare(dir), dir / ".lock"), k_lock_timeout_ms) {}

private:
    static void prepare(const fs::path& dir) {
        detail::create_private_directories(revisions_dir(dir));
    }

    detail::FileLock m_lock;
};

}  // namespace

ConfigStore::ConfigStore(const Store& store) : m_dir(store.dir() / "config") {}

int ConfigStore::current_revision() const {
    const auto numbers = revision_numbers(m_dir);
    return numbers.empty() ? 0 : numbers.back();
}

Document ConfigStore::committed() const {
    const int n = current_revision();
    return n == 0 ? Document{} : read_revision(revision_path(m_dir, n)).document;
}

std::optional<Document> ConfigStore::staged() const {
    const auto path = staged_path(m_dir);
    if (!present(path)) {
        return std::nullopt;
    }
    return parse_document(detail::read_file(path, "staged configuration", k_max_document_bytes),
                          path.string());
}

Document ConfigStore::pending() const {
    auto s = staged();
    return s ? std::move(*s) : committed();
}

Document ConfigStore::stage(const std::function<void(Document&)>& change) {
    const Locked lock{m_dir};
    Document document = pending();
    change(document);
    const auto path = staged_path(m_dir);
    if (document == committed()) {
        std::error_code ec;
        fs::remove(path, ec);
        detail::sync_directory(m_dir);
    } else {
        detail::write_file_atomic(path, document_json(document), 0600, detail::Overwrite::replace);
    }
    detail::crash_point("config-staged");
    return document;
}

bool ConfigStore::abandon() {
    const Locked lock{m_dir};
    const auto path = staged_path(m_dir);
    if (!present(path)) {
        return false;
    }
    std::error_code ec;
    fs::remove(path, ec);
    if (ec) {
        throw Error(Errc::io, fmt::format("cannot remove {}: {}", path.string(), ec.message()));
    }
    detail::sync_directory(m_dir);
    return true;
}

std::vector<Revision> ConfigStore::history() const {
    std::vector<Revision> out;
    for (int n : revision_numbers(m_dir)) {
        out.push_back(read_revision(revision_path(m_dir, n)));
    }
    return out;
}

Revision ConfigStore::revision(int number) const {
    const auto numbers = revision_numbers(m_dir);
    if (std::find(numbers.begin(), numbers.end(), number) == numbers.end()) {
        const auto range = numbers.empty()
                               ? std::string{"none yet: certtool commit makes the first"}
                               : fmt::format("1 to {}", numbers.back());
        throw Error(Errc::not_found,
                    fmt::format("no configuration revision {} (revisions: {}); see certtool "
                                "history",
                                number,
                                range));
    }
    return read_revision(revision_path(m_dir, number));
}

namespace {

Revision record(const fs::path& dir,
                int number,
                Document document,
                const std::string& summary,
                const std::string& comment,
                TimePoint now,
                std::optional<Inputs> inputs = std::nullopt) {
    Revision r{number, now, login_name(), comment, summary, std::move(document), std::move(inputs)};
    detail::write_file_atomic(
        revision_path(dir, number), revision_text(r), 0600, detail::Overwrite::refuse);
    detail::crash_point("config-revision-written");
    return r;
}

void drop_staged(const fs::path& dir) {
    std::error_code ec;
    fs::remove(staged_path(dir), ec);
    detail::sync_directory(dir);
}

}  // namespace

namespace {

// The newest revision's recorded inputs, if any.
std::optional<Inputs> newest_inputs(const fs::path& dir) {
    const auto numbers = revision_numbers(dir);
    if (numbers.empty()) {
        return std::nullopt;
    }
    return read_revision(revision_path(dir, numbers.back())).inputs;
}

}  // namespace

std::vector<Change> ConfigStore::pending_input_changes(const InputsOf& inputs_of) const {
    const auto recorded = newest_inputs(m_dir);
    if (!inputs_of || !recorded) {
        return {};
    }
    return input_changes(*recorded, inputs_of(pending()));
}

Revision ConfigStore::commit(const std::string& comment,
                             const Apply& apply,
                             TimePoint now,
                             const InputsOf& inputs_of) {
    const Locked lock{m_dir};
    auto staged_document = staged();
    const Document before = committed();
    Document next = staged_document ? std::move(*staged_document) : before;
    std::optional<Inputs> inputs;
    if (inputs_of) {
        inputs = inputs_of(next);
    }
    std::vector<Change> changes = diff(before, next);
    if (const auto recorded = newest_inputs(m_dir); recorded && inputs) {
        for (auto& c : input_changes(*recorded, *inputs)) {
            changes.push_back(std::move(c));
        }
    }
    if (!staged_document && changes.empty()) {
        throw Error(Errc::invalid_argument,
                    "no changes to commit: stage some first (certtool changes shows them)");
    }
    const int number = current_revision() + 1;
    if (apply) {
        apply(next, number);
    }
    Revision r =
        record(m_dir, number, std::move(next), summary(changes), comment, now, std::move(inputs));
    drop_staged(m_dir);
    return r;
}

Revision ConfigStore::rollback(int number,
                               const std::string& comment,
                               const Store& store,
                               const Apply& apply,
                               TimePoint now,
                               const InputsOf& inputs_of) {
    const Locked lock{m_dir};
    Revision target = revision(number);
    if (staged()) {
        throw Error(Errc::invalid_argument,
                    "changes are staged: commit them or drop them with certtool abandon before "
                    "rolling back");
    }
    const auto missing = missing_entries(target.document, store);
    if (!missing.empty()) {
        std::string names;
        for (const auto& m : missing) {
            names += (names.empty() ? "" : ", ") + m;
        }
        throw Error(Errc::not_found,
                    fmt::format("revision {} binds entries the store no longer has: {}; "
                                "import them again (or restore a backup) first",
                                number,
                                names));
    }
    const Document before = committed();
    const int next = current_revision() + 1;
    if (apply) {
        apply(target.document, next);
    }
    const auto changes = diff(before, target.document);
    const std::string text =
        comment.empty() ? fmt::format("rollback to revision {}", number) : comment;
    std::optional<Inputs> inputs;
    if (inputs_of) {
        inputs = inputs_of(target.document);
    }
    return record(m_dir,
                  next,
                  std::move(target.document),
                  fmt::format("rollback to {}: {}", number, summary(changes)),
                  text,
                  now,
                  std::move(inputs));
}

Revision ConfigStore::replace(const Document& document, const std::string& comment, TimePoint now) {
    const Locked lock{m_dir};
    const Document before = committed();
    const int next = current_revision() + 1;
    Revision r = record(m_dir, next, document, summary(diff(before, document)), comment, now);
    drop_staged(m_dir);
    return r;
}

bool ensure_demo_certificate(Store& store, TimePoint now) {
    if (store.contains(k_demo_entry)) {
        return false;
    }
    utsname u{};
    std::string host = uname(&u) == 0 ? std::string{u.nodename} : std::string{};
    if (host.empty() || !is_valid_host_name(host, false)) {
        host = "localhost";
    }
    CreateSelfSignedRequest request;
    request.name = std::string{k_demo_entry};
    request.subject.common_name = host;
    request.subject.organization = "certtool demonstration certificate";
    request.sans = {"DNS:" + host};
    request.demonstration = true;
    try {
        create_selfsigned(store, request, now);
    } catch (const Error& e) {
        if (e.code() == Errc::already_exists) {
            return false;  // another command made it meanwhile
        }
        throw;
    }
    return true;
}

}  // namespace certtool::config
