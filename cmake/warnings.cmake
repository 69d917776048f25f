# certtool_warnings: linked PRIVATE by every target we build.
add_library(certtool_warnings INTERFACE)
target_compile_options(certtool_warnings INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wold-style-cast
    -Wimplicit-fallthrough -Wnon-virtual-dtor -Woverloaded-virtual
    $<$<BOOL:${CERTTOOL_WERROR}>:-Werror>
    $<$<CONFIG:Debug>:-D_GLIBCXX_ASSERTIONS>)

if(CERTTOOL_SANITIZE)
    add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                        -fno-sanitize-recover=undefined)
    add_link_options(-fsanitize=address,undefined)
    # Programs linked without PIE: UBSan's data for each check (-O0 has millions) makes ~90 MB
    # of pointers in .data, which a PIE must relocate (3 million relocations) at every start,
    # and the tests start the sanitized programs thousands of times. The checks are the same.
    add_link_options($<$<STREQUAL:$<TARGET_PROPERTY:TYPE>,EXECUTABLE>:-no-pie>)
endif()

# Fuzzing (CERTTOOL_FUZZ): every object gets libFuzzer's coverage instrumentation and the
# sanitizers, so a bug anywhere on a target's path stops the run; libFuzzer's main() is linked
# into the targets alone (fuzz/CMakeLists.txt). _GLIBCXX_ASSERTIONS adds bounds checks to the
# standard containers at any optimisation level.
if(CERTTOOL_FUZZ)
    if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
        message(FATAL_ERROR "CERTTOOL_FUZZ needs clang's libFuzzer: configure with "
            "-DCMAKE_CXX_COMPILER=clang++ (scripts/fuzz.sh does)")
    endif()
    add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                        -fno-sanitize-recover=undefined)
    add_compile_definitions(_GLIBCXX_ASSERTIONS)
    add_link_options(-fsanitize=address,undefined)
endif()
