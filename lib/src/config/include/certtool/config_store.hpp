// The configuration's persistence in the store directory: staged changes, committed revisions
// and their history (docs/configuration.md, "On disk").
//
//   DIR/config/.lock                    serialises every configuration change (taken before
//                                       the store's own lock, never after it)
//   DIR/config/staged.json              the pending document, when there are staged changes
//   DIR/config/revisions/NNNNNN.json    revision N: number, time, user, comment, summary and
//                                       the whole document
//
// Every file is written atomically (temporary, fsync, rename, directory fsync), so a process
// killed at any instant leaves the old or the new state. A revision file is written only after
// its apply step (a Postfix commit) succeeded: a failed or killed commit records nothing.
#pragma once

#include <certtool/config.hpp>
#include <certtool/store.hpp>
#include <certtool/time.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace certtool::config {

// What a commit deployed besides its document, by key: "entry/NAME" (the SHA-256 of the bound
// entry's certificate and chain) and "trust" (of the CA list a Postfix target's -verify modes
// use). When they differ from the newest revision's, a renewed certificate or a changed CA list
// waits for a commit although nothing is staged.
using Inputs = std::map<std::string, std::string, std::less<>>;
using InputsOf = std::function<Inputs(const Document& document)>;

struct Revision {
    int number{0};
    TimePoint time{};
    std::string user;  // the login name of the user who committed
    std::string comment;
    std::string summary;  // config::summary() of the changes it made
    Document document;
    std::optional<Inputs> inputs;  // absent: recorded without applying (restore), or by 0.1
};

// The inputs a commit of `document` on `machine` deploys: every entry the machine's effective
// configuration binds, and with a Postfix target the CA list for its -verify modes (the
// configured trust file, else the store's effective CA list). Unreadable ones are left out
// (the commit itself reports them).
[[nodiscard]] Inputs deployed_inputs(const Document& document,
                                     const std::string& machine,
                                     const Store& store);

// What changed between two sets of inputs: Change{changed, "store", "entry/mail", short
// fingerprints} ("+"/"-" for entries newly bound or unbound are the document's changes, left out).
[[nodiscard]] std::vector<Change> input_changes(const Inputs& before, const Inputs& after);

// Applies a document about to become revision `number` (renders it into Postfix, ...). It
// throws to refuse the commit; then no revision is recorded.
using Apply = std::function<void(const Document& document, int number)>;

class ConfigStore {
public:
    // No I/O. The configuration lives in store.dir()/config.
    explicit ConfigStore(const Store& store);

    [[nodiscard]] const std::filesystem::path& dir() const noexcept { return m_dir; }

    // The newest revision's number, 0 before the first commit.
    [[nodiscard]] int current_revision() const;
    // The newest revision's document; before the first commit, an empty document.
    [[nodiscard]] Document committed() const;
    [[nodiscard]] std::optional<Document> staged() const;
    // The staged document, else the committed one: what the next change builds on.
    [[nodiscard]] Document pending() const;

    // Under the lock: `change` edits the pending document (it may throw: nothing is staged);
    // the result is staged, or the staged file removed when it equals the committed document.
    // Returns the new pending document.
    Document stage(const std::function<void(Document&)>& change);

    // Drops the staged changes. Returns whether there were any.
    bool abandon();

    // Oldest first. Throws Error{parse} naming a damaged revision file.
    [[nodiscard]] std::vector<Revision> history() const;
    // Throws Error{not_found} naming the revisions there are.
    [[nodiscard]] Revision revision(int number) const;

    // The input changes a commit would deploy now: `inputs_of` of the pending document against
    // the newest revision's recorded inputs (none when it recorded none).
    [[nodiscard]] std::vector<Change> pending_input_changes(const InputsOf& inputs_of) const;

    // Under the lock: the staged document becomes revision current+1 once `apply` returns; with
    // nothing staged, the committed document again when pending_input_changes() has some. The
    // revision records `inputs_of` (when given). Throws Error{invalid_argument} when there is
    // nothing to commit.
    Revision commit(const std::string& comment,
                    const Apply& apply,
                    TimePoint now,
                    const InputsOf& inputs_of = {});

    // A new revision equal to revision `number`'s document. Refused (Error{invalid_argument})
    // while changes are staged, and (Error{not_found}) naming them when it binds entries the
    // store no longer has.
    Revision rollback(int number,
                      const std::string& comment,
                      const Store& store,
                      const Apply& apply,
                      TimePoint now,
                      const InputsOf& inputs_of = {});

    // Replaces the configuration with `document` as a new revision without applying it
    // (restore --force; restore into an empty store). Staged changes are dropped.
    Revision replace(const Document& document, const std::string& comment, TimePoint now);

private:
    std::filesystem::path m_dir;
};

// The demonstration certificate: entry "demo", self-signed for this host's name, flagged as a
// demonstration. Created by the first configuration command when the store has no such entry;
// returns whether it was created.
bool ensure_demo_certificate(Store& store, TimePoint now);

}  // namespace certtool::config
