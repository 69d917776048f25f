#include "optional_library.hpp"

#include <certtool/error.hpp>

#include <fmt/core.h>

#include <dlfcn.h>

namespace certtool::detail {

OptionalLibrary::OptionalLibrary(const char* soname,
                                 std::string_view purpose,
                                 std::string_view package)
    : m_handle(dlopen(soname, RTLD_NOW | RTLD_LOCAL)), m_soname(soname) {
    if (m_handle == nullptr) {
        const char* why = dlerror();
        throw Error(Errc::unsupported,
                    fmt::format("{} needs {}, which cannot be loaded: {}; install it (Debian: "
                                "apt-get install {})",
                                purpose,
                                soname,
                                why != nullptr ? why : "not found",
                                package));
    }
}

void* OptionalLibrary::symbol(const char* name) const {
    void* sym = dlsym(m_handle, name);
    if (sym == nullptr) {
        throw Error(Errc::unsupported,
                    fmt::format("the {} found has no {}: it is older than the release certtool "
                                "was built with; upgrade it",
                                m_soname,
                                name));
    }
    return sym;
}

}  // namespace certtool::detail
