#!/usr/bin/env bash
# House rules CI enforces before it builds (.ci/run): formatting, and the habits the compiler
# cannot check. The dependency direction between lib/src folders is enforced by the build itself
# (lib/CMakeLists.txt). Prints every violation, exits 1 if there is any.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
fail() { echo "check: $*" >&2; status=1; }

# 1. clang-format (the root .clang-format, clang-format 14) on every C++ file we own.
mapfile -t sources < <(git ls-files '*.cpp' '*.hpp' '*.h')
if ! out=$(clang-format --dry-run -Werror "${sources[@]}" 2>&1); then
  echo "$out" | grep -E '(warning|error):' | sed -E 's/: (warning|error):.*//' | sort -u | sed 's/^/  /' >&2
  fail "clang-format would change the files above: clang-format -i FILE"
fi

# 2. OpenSSL ownership and the error queue stay in lib/src/ossl: no *_free( calls, no bound
#    free functions (Deleter<...>), no ERR_* outside it in lib/, apps/ and the fuzz targets
#    (comments aside). The fuzz targets may include the library's private headers (white-box,
#    fuzz/CMakeLists.txt), so they use the same ossl:: aliases and error-queue interface.
code_lines() {  # file:line:text of lib/, apps/ and fuzz/ outside lib/src/ossl, comments stripped
  git ls-files 'lib/*.cpp' 'lib/*.hpp' 'apps/*.cpp' 'apps/*.hpp' 'fuzz/*.cpp' 'fuzz/*.hpp' |
    grep -v '^lib/src/ossl/' | xargs grep -n '' | sed -E 's#//.*$##'
}
if hits=$(code_lines | grep -E '\b[A-Za-z0-9_]+_free\(|Deleter<|\bERR_[a-z_]+\('); then
  echo "$hits" | sed 's/^/  /' >&2
  fail "raw OpenSSL frees or error-queue calls outside lib/src/ossl: use the ossl:: RAII aliases, ossl::share, ossl::clear_errors / throw_error"
fi

# 3. A subcommand never touches OpenSSL or the library's private headers.
if hits=$(git ls-files 'apps/*' | xargs grep -nE '#include <openssl/|#include "(ossl|fs|text)\.hpp"' 2>/dev/null | grep -v 'openssl/crypto.h'); then
  echo "$hits" | sed 's/^/  /' >&2
  fail "apps/ includes OpenSSL or lib-private headers: ask lib/ for what you need"
fi

# 4. The concept graph itself: lib/CMakeLists.txt may only declare the edges ARCHITECTURE.md
#    draws (the build then enforces them include by include). A new folder or edge is added here
#    and there together.
declare -A allowed=(
  [core]="" [ossl]="core" [x509]="core ossl" [verify]="x509"
  [net]="verify" [store]="verify" [config]="store net" [deploy]="config" [monitor]="config"
  [acme]="store" [backup]="config acme" [maillog]="core"
)
while read -r name deps; do
  if [ -z "${allowed[$name]+set}" ]; then
    fail "lib/CMakeLists.txt: concept '$name' is not in check.sh's graph (and ARCHITECTURE.md)"
    continue
  fi
  for d in $deps; do
    case " ${allowed[$name]} " in
      *" $d "*) ;;
      *) fail "lib/CMakeLists.txt: '$name' may not depend on '$d' (see ARCHITECTURE.md)" ;;
    esac
  done
done < <(sed 's/#.*//' lib/CMakeLists.txt | tr '\n' ' ' |
  grep -oE 'certtool_concept\([^)]*\)' | sed -E 's/certtool_concept\(//; s/\)$//' |
  awk '{ deps = ""; on = 0
         for (i = 2; i <= NF; i++) {
           if ($i == "DEPENDS") { on = 1; continue }
           if ($i ~ /^[A-Z_]+$/) { on = 0; continue }
           if (on) deps = deps " " $i
         }
         print $1 deps }')

# 4. Whitespace, merge markers, large files (CLI11's pre-commit list).
# (Fuzz seeds and the inputs fuzzing found are data, byte for byte: fuzz/corpus, tests/data/fuzz.)
if hits=$(git grep -nIE '[[:blank:]]+$' -- ':!*.md' ':!tests/conformance/corpora' ':!*.pem' ':!*.txt' ':!*.log' \
  ':!fuzz/corpus' ':!tests/data/fuzz'); then
  echo "$hits" | head -20 | sed 's/^/  /' >&2
  fail "trailing whitespace"
fi
if hits=$(git grep -nIE '^(<<<<<<<|>>>>>>>)( |$)'); then
  echo "$hits" | sed 's/^/  /' >&2
  fail "merge conflict markers"
fi
# (The vendored conformance suites are data with their own record: tests/conformance/corpora.)
while read -r f; do
  [ -f "$f" ] && [ "$(stat -c %s "$f")" -gt 2000000 ] && fail "file over 2 MB: $f"
done < <(git ls-files ':!tests/conformance/corpora')

[ "$status" -eq 0 ] && echo "check: clean"
exit "$status"
