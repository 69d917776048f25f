// Writes a synthetic appliance mail log of about --bytes N to stdout (for benchmarks), and its
// ground truth as JSON to stderr. Usage: certtool_loggen BYTES [SEED]
#include "log_generator.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: certtool_loggen BYTES [SEED]\n");
        return 2;
    }
    const auto target = std::strtoull(argv[1], nullptr, 10);                  // NOLINT
    std::uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1;  // NOLINT
    std::uint64_t written = 0;
    certtool::test::LogTruth total;
    static char buffer[1 << 20];
    std::setvbuf(stdout, buffer, _IOFBF, sizeof buffer);
    while (written < target) {
        const auto truth = certtool::test::generate_esa_log(
            {seed, 50000, 500, true, (seed - 1) * 1000000}, [&](const std::string& line) {
                std::fwrite(line.data(), 1, line.size(), stdout);
                std::fputc('\n', stdout);
                written += line.size() + 1;
            });
        total.lines += truth.lines;
        total.inbound.connections += truth.inbound.connections;
        total.outbound.connections += truth.outbound.connections;
        ++seed;
    }
    std::fflush(stdout);
    std::fprintf(stderr,
                 "{\"bytes\": %llu, \"lines\": %llu, \"inbound_connections\": %llu, "
                 "\"outbound_connections\": %llu}\n",
                 static_cast<unsigned long long>(written),
                 static_cast<unsigned long long>(total.lines),
                 static_cast<unsigned long long>(total.inbound.connections),
                 static_cast<unsigned long long>(total.outbound.connections));
    return 0;
}
