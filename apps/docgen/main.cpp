// certtool_docgen MAN_PAGE BASH_COMPLETION ZSH_COMPLETION: writes certtool(1) and the shell
// completions from the command tree cli::define_commands() builds, the one the binary parses
// with. Run by the build (apps/CMakeLists.txt); not installed.
#include "cli.hpp"
#include "command_model.hpp"
#include "writers.hpp"

#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <span>
#include <sstream>

namespace {

bool write(const char* path, const std::string& text) {
    std::ofstream file{path, std::ios::binary | std::ios::trunc};
    file << text;
    file.close();
    if (!file) {
        std::cerr << "certtool_docgen: cannot write '" << path << "'\n";
        return false;
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    const std::span<char*> args{argv, static_cast<std::size_t>(argc)};
    if (args.size() != 4) {
        std::cerr << "usage: certtool_docgen MAN_PAGE BASH_COMPLETION ZSH_COMPLETION\n";
        return 2;
    }
    try {
        CLI::App app;
        certtool::cli::Dispatch dispatch;
        std::ostringstream version_sink;
        certtool::cli::define_commands(app, dispatch, version_sink);
        const auto doc = certtool::docgen::describe_program(app, CERTTOOL_VERSION);
        const bool ok = write(args[1], certtool::docgen::man_page(doc)) &&
                        write(args[2], certtool::docgen::bash_completion(doc)) &&
                        write(args[3], certtool::docgen::zsh_completion(doc));
        return ok ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "certtool_docgen: " << e.what() << '\n';
        return 1;
    }
}
