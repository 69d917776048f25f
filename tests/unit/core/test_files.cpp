// Inputs and outputs with the project's guarantees (lib/src/core/files.cpp): bounded reads whose
// errors name the file, directory arguments expanded in a stable order, outputs written
// atomically with their mode from the first instant and never over an existing file unasked.
#include "support.hpp"

#include <certtool/error.hpp>
#include <certtool/files.hpp>

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

using namespace certtool;
namespace fs = std::filesystem;

namespace {

unsigned mode_of(const fs::path& p) {
    struct stat st {};

    REQUIRE(::lstat(p.c_str(), &st) == 0);
    return st.st_mode & 07777U;
}

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) {
        out.push_back(e.path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

Errc code_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.code();
    }
    FAIL("no error");
    return Errc::io;
}

// Restores the process umask on scope exit.
class Umask {
public:
    explicit Umask(mode_t mask) : m_old(::umask(mask)) {}

    Umask(const Umask&) = delete;
    Umask& operator=(const Umask&) = delete;
    Umask(Umask&&) = delete;
    Umask& operator=(Umask&&) = delete;

    ~Umask() { ::umask(m_old); }

private:
    mode_t m_old;
};

}  // namespace

TEST_CASE("files: read_input_file reads every byte, and names the file in errors", "[files]") {
    test::TempDir dir;
    const std::string binary{"\x30\x00\x82\xff\n\r\n", 7};
    test::write_file(dir / "cert.der", binary);
    CHECK(read_input_file(dir / "cert.der", "certificate file") == binary);
    test::write_file(dir / "empty", "");
    CHECK(read_input_file(dir / "empty", "certificate file").empty());
    // A file whose size stat does not know (procfs): read until the end all the same.
    CHECK_THAT(read_input_file("/proc/self/status", "status"), Catch::Contains("Pid:"));

    SECTION("missing") {
        const fs::path missing = dir / "missing.pem";
        CHECK_THROWS_WITH(
            read_input_file(missing, "certificate file"),
            Catch::Contains("cannot read certificate file '" + missing.string() + "'") &&
                Catch::Contains("No such file"));
        CHECK(code_of([&] { static_cast<void>(read_input_file(missing, "x")); }) == Errc::io);
    }
    SECTION("a directory") {
        CHECK_THROWS_WITH(read_input_file(dir.path(), "PKCS#12 file"),
                          Catch::Contains("it is a directory"));
        CHECK(code_of([&] { static_cast<void>(read_input_file(dir.path(), "x")); }) == Errc::io);
    }
}

TEST_CASE("files: read_input_file stops at 64 MiB", "[files]") {
    test::TempDir dir;
    constexpr std::uintmax_t k_cap = std::uintmax_t{64} * 1024 * 1024;
    const fs::path at_cap = dir / "at-cap";
    const fs::path over_cap = dir / "over-cap";
    test::write_file(at_cap, "");
    test::write_file(over_cap, "");
    fs::resize_file(at_cap, k_cap);  // sparse: no 64 MiB written to disk
    fs::resize_file(over_cap, k_cap + 1);
    CHECK(read_input_file(at_cap, "bundle").size() == k_cap);
    try {
        static_cast<void>(read_input_file(over_cap, "bundle"));
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.code() == Errc::parse);
        CHECK_THAT(e.what(), Catch::Contains("bundle '" + over_cap.string() + "'"));
        CHECK_THAT(e.what(), Catch::Contains("larger than 67108864 bytes"));
    }
}

TEST_CASE("files: expand_inputs keeps argument order, sorts directories, skips hidden files",
          "[files]") {
    test::TempDir dir;
    const fs::path bag = dir / "bag";
    fs::create_directories(bag / "sub");
    for (const char* name : {"b.pem", "a.pem", "C.pem", ".hidden.pem", "sub/deep.pem"}) {
        test::write_file(bag / name, "x");
    }
    fs::create_symlink(bag / "a.pem", bag / "link.pem");
    fs::create_symlink(bag / "gone.pem", bag / "dangling.pem");  // reported when read
    test::write_file(dir / "z.pem", "x");

    const auto files = expand_inputs({(dir / "z.pem").string(), bag.string()});
    std::vector<std::string> got;
    for (const auto& f : files) {
        got.push_back(f.lexically_relative(dir.path()).string());
    }
    CHECK(got ==
          std::vector<std::string>{
              "z.pem", "bag/C.pem", "bag/a.pem", "bag/b.pem", "bag/dangling.pem", "bag/link.pem"});
    CHECK_THROWS_WITH(read_input_file(bag / "dangling.pem", "certificate file"),
                      Catch::Contains("dangling.pem"));
    CHECK(expand_inputs({}).empty());
    test::TempDir empty;
    CHECK(expand_inputs({empty.path().string()}).empty());

    SECTION("a missing path fails before anything is read") {
        const std::string missing = (dir / "nope").string();
        CHECK_THROWS_WITH(expand_inputs({bag.string(), missing}),
                          Catch::Contains("'" + missing + "' does not exist"));
        CHECK(code_of([&] { static_cast<void>(expand_inputs({missing})); }) == Errc::io);
    }
}

TEST_CASE("files: write_output_file sets the mode whatever the umask, leaves no temporary",
          "[files]") {
    test::TempDir dir;
    const Umask strict{077};
    write_output_file(dir / "key.pem", "secret", FileMode::secret, false);
    write_output_file(dir / "cert.pem", "public", FileMode::shared, false);
    CHECK(mode_of(dir / "key.pem") == 0600);
    CHECK(mode_of(dir / "cert.pem") == 0644);
    CHECK(test::read_file(dir / "key.pem") == "secret");
    CHECK(names_in(dir.path()) == std::vector<std::string>{"cert.pem", "key.pem"});
}

TEST_CASE("files: write_output_file refuses to overwrite unless asked", "[files]") {
    test::TempDir dir;
    const fs::path out = dir / "key.pem";
    test::write_file(out, "old");
    ::chmod(out.c_str(), 0644);

    try {
        write_output_file(out, "new", FileMode::secret, false);
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.code() == Errc::already_exists);
        CHECK_THAT(e.what(), Catch::Contains(out.string()) && Catch::Contains("--force"));
    }
    CHECK(test::read_file(out) == "old");
    CHECK(names_in(dir.path()) == std::vector<std::string>{"key.pem"});

    write_output_file(out, "new", FileMode::secret, true);
    CHECK(test::read_file(out) == "new");
    CHECK(mode_of(out) == 0600);  // the replacement has the new mode, not the old file's
    CHECK(names_in(dir.path()) == std::vector<std::string>{"key.pem"});

    SECTION("a symbolic link is replaced, never written through") {
        const fs::path victim = dir / "victim";
        test::write_file(victim, "untouched");
        const fs::path link = dir / "link.pem";
        fs::create_symlink(victim, link);
        CHECK(code_of([&] { write_output_file(link, "x", FileMode::secret, false); }) ==
              Errc::already_exists);
        write_output_file(link, "replaced", FileMode::secret, true);
        CHECK(test::read_file(victim) == "untouched");
        CHECK_FALSE(fs::is_symlink(link));
        CHECK(test::read_file(link) == "replaced");
    }
}

TEST_CASE("files: write_output_file explains a missing directory or a directory target",
          "[files]") {
    test::TempDir dir;
    CHECK_THROWS_WITH(write_output_file(dir / "no" / "key.pem", "x", FileMode::secret, false),
                      Catch::Contains("does not exist"));
    CHECK(code_of([&] {
              write_output_file(dir / "no" / "key.pem", "x", FileMode::secret, true);
          }) == Errc::io);
    fs::create_directory(dir / "out");
    CHECK_THROWS_WITH(write_output_file(dir / "out", "x", FileMode::shared, true),
                      Catch::Contains("it is a directory"));
    CHECK(names_in(dir.path()) == std::vector<std::string>{"out"});
    CHECK(fs::is_empty(dir / "out"));
}

TEST_CASE("files: an output's abandoned temporaries go with the next write of that output",
          "[files]") {
    test::TempDir dir;
    // Ours by name: a writer that no longer exists (no pid is that large), one still running
    // (this process) and young, the same but old, and an earlier version's, old and young.
    const std::string me = std::to_string(::getpid());
    const std::vector<std::string> gone{".key.pem.certtool-tmp.999999999.0123456789abcdef",
                                        ".key.pem.certtool-tmp." + me + ".1111111111111111",
                                        ".key.pem.tmp-2222222222222222"};
    const std::vector<std::string> kept{".key.pem.certtool-tmp." + me + ".0123456789abcdef",
                                        ".key.pem.tmp-3333333333333333",
                                        ".key.pem.certtool-tmp.x.0123456789abcdef",
                                        ".other.pem.certtool-tmp.999999999.0123456789abcdef",
                                        "key.pem.certtool-tmp.999999999.0123456789abcdef"};
    for (const auto& name : gone) {
        test::write_file(dir / name, "x");
    }
    for (const auto& name : kept) {
        test::write_file(dir / name, "x");
    }
    const auto old = fs::file_time_type::clock::now() - std::chrono::minutes(30);
    fs::last_write_time(dir / gone[1], old);
    fs::last_write_time(dir / gone[2], old);

    write_output_file(dir / "key.pem", "secret", FileMode::secret, false);
    std::vector<std::string> expected = kept;
    expected.push_back("key.pem");
    std::sort(expected.begin(), expected.end());
    CHECK(names_in(dir.path()) == expected);
}
