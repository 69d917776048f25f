# What the public headers (lib/src/*/include/certtool/*.hpp, installed as <certtool/NAME.hpp>)
# may include, so that a user of certtool::core needs OpenSSL's types only, never its other
# headers, fmt, nlohmann/json or CLI11 (ctest library.public_header_includes):
#   <certtool/NAME.hpp>   another public header
#   <openssl/types.h>     the opaque OpenSSL types of adopt() and native()
#   <name>                the C++ standard library
# and anything in the allow-list below, each entry with its reason. A quoted include ("x.hpp")
# is a private header, which is not installed. Every public header has #pragma once.
# (That each one compiles on its own is the build's job: certtool_public_headers in
# tests/CMakeLists.txt.)
# Usage: cmake -DSOURCE_DIR=... -P public-headers.cmake
#
# Allow-list: "HEADER|INCLUDE|reason", e.g.
#   "render.hpp|<fmt/format.h>|formatters for the public types need fmt's base template"
cmake_minimum_required(VERSION 3.25)
set(allowed "")

file(GLOB headers "${SOURCE_DIR}/lib/src/*/include/certtool/*.hpp")
if(NOT headers)
    message(FATAL_ERROR "no public headers under ${SOURCE_DIR}/lib/src/*/include/certtool")
endif()
set(names "")
foreach(h IN LISTS headers)
    get_filename_component(n "${h}" NAME)
    list(APPEND names "${n}")
endforeach()
set(allowed_pairs "")
foreach(entry IN LISTS allowed)
    string(REPLACE "|" ";" parts "${entry}")
    list(GET parts 0 header)
    list(GET parts 1 include)
    list(APPEND allowed_pairs "${header} ${include}")
endforeach()

set(problems "")
foreach(h IN LISTS headers)
    get_filename_component(n "${h}" NAME)
    file(RELATIVE_PATH rel "${SOURCE_DIR}" "${h}")
    file(STRINGS "${h}" lines REGEX "^[ \t]*#[ \t]*(include|pragma once)")
    if(NOT lines MATCHES "#[ \t]*pragma once")
        list(APPEND problems "${rel}: no #pragma once")
    endif()
    foreach(line IN LISTS lines)
        if(NOT line MATCHES "#[ \t]*include[ \t]*([<\"][^>\"]*[>\"])")
            continue()
        endif()
        set(inc "${CMAKE_MATCH_1}")
        if(inc MATCHES "^<certtool/([^>]+)>$")
            if(NOT CMAKE_MATCH_1 IN_LIST names)
                list(APPEND problems "${rel}: ${inc} is not a public header")
            endif()
        elseif(inc STREQUAL "<openssl/types.h>" OR inc MATCHES "^<[a-z_0-9]+>$")
        elseif(NOT "${n} ${inc}" IN_LIST allowed_pairs)
            list(APPEND problems "${rel}: includes ${inc}")
        endif()
    endforeach()
endforeach()

if(problems)
    list(JOIN problems "\n  " text)
    message(FATAL_ERROR "public headers include what a user of certtool::core would need too:\n"
        "  ${text}\n"
        "Include it in the .cpp, or forward-declare; if a public header really needs it, add "
        "it to the allow-list in tests/library/public-headers.cmake with the reason.")
endif()
list(LENGTH headers count)
message("public headers: ${count}, each including only <certtool/...>, <openssl/types.h> and "
    "the standard library")
