// Libraries opened when they are first needed (dlopen), not linked. A command pays for loading a
// shared library and its dependencies before main() whether it uses them or not: libcurl (ACME)
// brings two dozen (GnuTLS, Kerberos, LDAP, SSH, ...), libidn2 (internationalised names) brings
// libunistring, and their relocations were most of a short command's start-up. The headers come
// from the library the build found; the soname is that of its ABI. systemd opens its optional
// libraries the same way. Private to the library (x509, acme).
#pragma once

#include <string_view>

namespace certtool::detail {

class OptionalLibrary {
public:
    // Opens `soname` (once per process: the loader counts references; it is never closed).
    // Throws Error{unsupported} "<purpose> needs <soname>, which cannot be loaded: ...; install
    // it (Debian: apt-get install <package>)".
    OptionalLibrary(const char* soname, std::string_view purpose, std::string_view package);

    // Sets `fn` to the library's function `name`; throws Error{unsupported} when it has none
    // (an older release than the headers the build used).
    template <typename Fn>
    void bind(Fn& fn, const char* name) const {
        // dlsym's void* to a function pointer: what POSIX specifies for dlsym.
        // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast)
        fn = reinterpret_cast<Fn>(symbol(name));
    }

private:
    [[nodiscard]] void* symbol(const char* name) const;

    void* m_handle{nullptr};
    const char* m_soname;
};

}  // namespace certtool::detail
