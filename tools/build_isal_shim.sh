#!/bin/sh
# Builds lib/codecs/native/libspimfetch_isal.so, spimfetch's buffer-only shim over Intel ISA-L's igzip, from
# vendor/isal_shim/isal_shim.c (see its header for why it exists), for x86_64 Linux. Offline and
# reproducible: Debian's clang and lld, ISA-L's header from libisal-dev 2.30 (the struct layout), no libc
# and no start files (the shim calls nothing but ISA-L), no build id, no debug information, no paths.
# The result links libisal.so.2 dynamically (Debian's libisal2 at run time, nothing else: see `ldd`).
# The same toolchain gives the same bytes (tests/codecs/ffi_isal_test.ts rebuilds and compares):
#   sha256 of the committed file: 6b290dbf89a0389df1e4798adeab5fac63df951abbf88d89425f87436c473433 (2848 bytes)
#
# Usage: tools/build_isal_shim.sh [OUTPUT]   (default: lib/codecs/native/libspimfetch_isal.so)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-"$root/lib/codecs/native/libspimfetch_isal.so"}
clang=${CLANG:-clang}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

cp "$root/vendor/isal_shim/isal_shim.c" "$work/"
cd "$work"
# -fno-stack-protector and -fno-builtin: nothing may call into libc, which is not linked.
"$clang" --target=x86_64-linux-gnu -O2 -fPIC -shared -nostdlib -fno-stack-protector -fno-builtin \
  -fuse-ld=lld -Wl,--build-id=none -Wl,--strip-all -Wl,-soname,libspimfetch_isal.so -Wl,-z,defs \
  -o libspimfetch_isal.so isal_shim.c -l:libisal.so.2
mkdir -p "$(dirname "$out")"
cp libspimfetch_isal.so "$out.tmp"
mv "$out.tmp" "$out"
echo "built $out ($(wc -c <"$out") bytes)"
