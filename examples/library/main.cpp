// certtool-expiring: which certificates of a certtool store expire soon, and do their chains
// still verify? A small program on the library, certtool::core, as a user writes one (README
// "Using the library"); CMakeLists.txt beside it builds it against the installed package.
//
// Usage: certtool-expiring [--days N] [--store DIR]
//   --days N     the window: entries whose certificate expires within N days, or has expired
//                (default 30)
//   --store DIR  the store (default: $CERTTOOL_HOME, else ~/.local/share/certtool)
//
// One line per such entry: its name, when it expires, and whether its chain verifies against
// the store's CA lists (the custom CAs plus the system list, what `certtool verify NAME` uses),
// with the first problem when it does not. A damaged entry file gets a line too.
// Exit codes as certtool's: 0 nothing needs attention, 1 an entry expires within the window or
// is damaged, 2 usage, 3 the store could not be read.
#include <certtool/ca_lists.hpp>
#include <certtool/error.hpp>
#include <certtool/finding.hpp>
#include <certtool/library.hpp>
#include <certtool/store.hpp>
#include <certtool/time.hpp>
#include <certtool/verify.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <exception>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace {

constexpr int k_ok = 0;
constexpr int k_attention = 1;
constexpr int k_usage = 2;
constexpr int k_error = 3;

struct Options {
    int days{30};
    std::optional<std::filesystem::path> store;
};

std::optional<int> parse_days(std::string_view text) {
    int days = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), days);
    if (ec != std::errc{} || end != text.data() + text.size() || days < 0) {
        return std::nullopt;
    }
    return days;
}

// nullopt (after saying why on stderr) when the command line is wrong.
std::optional<Options> parse_arguments(const std::vector<std::string_view>& args) {
    Options options;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view arg = args[i];
        const bool has_value = i + 1 < args.size();
        if (arg == "--days" && has_value) {
            const auto days = parse_days(args[++i]);
            if (!days) {
                std::cerr << "certtool-expiring: --days takes a number of days (0 or more)\n";
                return std::nullopt;
            }
            options.days = *days;
        } else if (arg == "--store" && has_value) {
            options.store = std::filesystem::path{args[++i]};
        } else {
            std::cerr << "certtool-expiring: unexpected '" << arg
                      << "'\nusage: certtool-expiring [--days N] [--store DIR]\n";
            return std::nullopt;
        }
    }
    return options;
}

// "chain valid", or "chain INVALID: code: message" with the report's first error.
std::string verdict(const certtool::ChainReport& report) {
    if (report.valid) {
        return "chain valid";
    }
    for (const certtool::ChainFinding& finding : report.findings) {
        if (finding.severity == certtool::Severity::error) {
            return "chain INVALID: " + std::string{certtool::finding_name(finding.code)} + ": " +
                   finding.message;
        }
    }
    return "chain INVALID";
}

int run(const Options& options) {
    // Optional: a faster random generator set-up, as the certtool command does at start.
    certtool::initialize();
    const certtool::Store store{options.store.value_or(certtool::Store::default_location()),
                                [](const std::string& warning) {
                                    std::cerr << "certtool-expiring: warning: " << warning << "\n";
                                }};
    const certtool::TimePoint now = std::chrono::system_clock::now();
    // The store's CA lists are read only when an entry needs verifying (the system list is a
    // few hundred certificates).
    std::optional<certtool::TrustStore> trust;
    certtool::VerifyOptions verify_options;
    verify_options.at = now;

    const std::vector<certtool::ListedEntry> listed = store.list();
    int attention = 0;
    for (const certtool::ListedEntry& item : listed) {
        if (!item.entry) {
            std::cout << item.name << ": damaged: " << item.problem << " (" << item.fix << ")\n";
            ++attention;
            continue;
        }
        const certtool::Entry& entry = *item.entry;
        const certtool::TimePoint not_after = entry.certificate.not_after();
        const long left = certtool::days_left(not_after, now);
        if (left > options.days) {
            continue;
        }
        if (!trust) {
            trust = certtool::effective_trust(store);
        }
        const certtool::ChainReport report =
            certtool::verify_chain(entry.certificate, entry.chain, *trust, verify_options);
        std::cout << entry.name << ": expires " << certtool::format_time(not_after) << " ("
                  << (not_after < now ? "expired" : std::to_string(left) + " days left") << "), "
                  << verdict(report) << "\n";
        ++attention;
    }
    std::cout << attention << " of " << listed.size() << " entries in " << store.dir().string()
              << " need attention (expiring within " << options.days << " days, or damaged)";
    if (trust) {
        std::cout << "; verified against " << trust->description();
    }
    std::cout << "\n";
    return attention == 0 ? k_ok : k_attention;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const std::vector<std::string_view> args(argv + std::min(argc, 1), argv + argc);
        const std::optional<Options> options = parse_arguments(args);
        if (!options) {
            return k_usage;
        }
        return run(*options);
    } catch (const certtool::Error& e) {
        // Every failure of the library is a certtool::Error; its message names the file and
        // the fix, errc_name() the kind.
        std::cerr << "certtool-expiring: error (" << certtool::errc_name(e.code())
                  << "): " << e.what() << "\n";
    } catch (const std::exception& e) {
        std::cerr << "certtool-expiring: error: " << e.what() << "\n";
    }
    return k_error;
}
