#!/usr/bin/env bash
# certtool::core as a user outside the source tree gets it (ctest library.installed_package):
# `cmake --install` of this build into a fresh prefix; examples/library/ configured with
# find_package(certtool) and -DCMAKE_PREFIX_PATH=PREFIX, built, and run on a real store made
# with the built certtool; then the same main.cpp compiled with the flags of
# `pkg-config certtool` alone, and run again.
# Usage: installed-package.sh CMAKE BUILD_DIR SOURCE_DIR CERTTOOL LIBDIR LIBRARY_FILE KIND CXX
#                             GENERATOR
#   LIBDIR        CMAKE_INSTALL_LIBDIR (lib)
#   LIBRARY_FILE  the library's file name (libcerttool-core.a, libcerttool-core.so.0.1.0)
#   KIND          STATIC_LIBRARY or SHARED_LIBRARY
set -euo pipefail
cmake=$1 build=$2 src=$3 certtool=$4 libdir=$5 libfile=$6 kind=$7 cxx=$8 generator=$9
work=$(mktemp -d "${TMPDIR:-/tmp}/certtool-package.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

step "install $build into $prefix"
"$cmake" --install "$build" --prefix "$prefix" >"$work/install.log" ||
  fail "cmake --install failed: $(tail -5 "$work/install.log")"
for f in "$libdir/$libfile" "$libdir/cmake/certtool/certtool-config.cmake" \
  "$libdir/cmake/certtool/certtool-config-version.cmake" \
  "$libdir/cmake/certtool/certtool-targets.cmake" "$libdir/pkgconfig/certtool.pc"; do
  [ -f "$prefix/$f" ] || fail "not installed: $f"
done
# The installed command runs from the prefix (with a shared library: found through its rpath).
"$prefix/bin/certtool" --version >/dev/null || fail "the installed bin/certtool does not run"
# Every public header, and nothing else, in include/certtool/.
want=$(cd "$src/lib/src" && ls ./*/include/certtool/*.hpp | sed 's#.*/##' | sort)
have=$(ls "$prefix/include/certtool" | sort)
[ "$want" = "$have" ] || fail "include/certtool/ is not the public headers: $(diff <(echo "$want") <(echo "$have") || true)"

step "configure and build examples/library against the installed package"
"$cmake" -S "$src/examples/library" -B "$work/example" -G "$generator" \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$prefix" >"$work/configure.log" 2>&1 ||
  fail "configure failed: $(cat "$work/configure.log")"
# The package this prefix holds, not one installed elsewhere on the machine.
found=$(sed -n 's/^certtool_DIR:PATH=//p' "$work/example/CMakeCache.txt")
[ "$found" = "$prefix/$libdir/cmake/certtool" ] || fail "find_package(certtool) used '$found'"
"$cmake" --build "$work/example" >"$work/build.log" 2>&1 ||
  fail "the example did not build: $(tail -30 "$work/build.log")"
example=$work/example/certtool-expiring

step "a store: a CA-signed entry and a self-signed one expiring soon, one that does not"
export CERTTOOL_HOME=$work/store
cd "$work"
"$certtool" create-selfsigned later --cn later.example.com --days 365 >/dev/null
"$certtool" create-selfsigned soon-self --cn self.example.com --days 20 >/dev/null
"$certtool" create-selfsigned soon-ca --cn mail.example.com --key-type ec-p256 >/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key \
  -out root.pem -days 3650 -subj "/O=Example Test CA/CN=Example Package Test Root" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  2>/dev/null
"$certtool" export-csr soon-ca -o soon-ca.csr >/dev/null
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nauthorityKeyIdentifier=keyid\n' >leaf.ext
openssl x509 -req -in soon-ca.csr -CA root.pem -CAkey root.key -CAcreateserial -days 10 \
  -copy_extensions copy -extfile leaf.ext -out signed.pem 2>/dev/null
"$certtool" ca import root.pem --name package-test-root >/dev/null
"$certtool" import-signed soon-ca --cert signed.pem >/dev/null

check_output() {  # check_output FILE: what the example says about that store in 30 days
  grep -qE '^soon-ca: expires .* \((9|10) days left\), chain valid$' "$1" ||
    fail "soon-ca is not reported as expiring with a valid chain: $(cat "$1")"
  grep -qE '^soon-self: expires .*, chain INVALID: self-signed-leaf: ' "$1" ||
    fail "soon-self is not reported as expiring and self-signed: $(cat "$1")"
  if grep -q '^later' "$1"; then
    fail "'later' (365 days) is reported: $(cat "$1")"
  fi
  grep -q "^2 of 3 entries .* verified against the store's CA lists (custom: 1, " "$1" ||
    fail "no summary: $(cat "$1")"
}

step "run the example (CMake build)"
rc=0
"$example" --days 30 >out-cmake.txt 2>err.txt || rc=$?
cat out-cmake.txt
[ "$rc" -eq 1 ] || fail "exit $rc, expected 1 (entries expire within 30 days): $(cat err.txt)"
check_output out-cmake.txt
rc=0
"$example" --days 5 >out-5.txt 2>err.txt || rc=$?
[ "$rc" -eq 0 ] || fail "exit $rc with --days 5, expected 0: $(cat out-5.txt err.txt)"
grep -q '^0 of 3 entries' out-5.txt || fail "--days 5: $(cat out-5.txt)"

step "pkg-config certtool, and main.cpp built with its flags alone"
export PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig
version=$(pkg-config --modversion certtool) || fail "pkg-config does not find certtool.pc"
[ "$version" = "$(sed -n 's/^Version: //p' "$prefix/$libdir/pkgconfig/certtool.pc")" ] ||
  fail "pkg-config --modversion certtool: $version"
if [ "$kind" = STATIC_LIBRARY ]; then
  flags=$(pkg-config --cflags --libs --static certtool)
else
  flags="$(pkg-config --cflags --libs certtool) -Wl,-rpath,$prefix/$libdir"
fi
echo "pkg-config: $flags"
# shellcheck disable=SC2086  # the flags are words
"$cxx" -std=c++20 -o expiring-pc "$src/examples/library/main.cpp" $flags 2>pc-build.txt ||
  fail "the example did not build with pkg-config's flags: $(cat pc-build.txt)"
rc=0
./expiring-pc --days 30 >out-pc.txt 2>err.txt || rc=$?
[ "$rc" -eq 1 ] || fail "pkg-config build: exit $rc, expected 1: $(cat err.txt)"
check_output out-pc.txt
echo "installed package: find_package and pkg-config builds of the example work"
