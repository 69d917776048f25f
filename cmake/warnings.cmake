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
endif()
