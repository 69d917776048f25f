#include "cli.hpp"

#include <iostream>

int main(int argc, char** argv) {
    return certtool::cli::run(argc, argv, std::cout, std::cerr);
}
