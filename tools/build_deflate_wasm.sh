#!/bin/sh
# Builds lib/codecs/_deflate.wasm, libdeflate's compressor as WebAssembly, from the vendored source
# (vendor/libdeflate, libdeflate v1.25) plus tools/deflate_wasm: sync_flush.patch (segments that end with
# a sync flush) and spimfetch_deflate.c (the exported functions). Needs Debian's clang, lld and wasi-libc;
# the same toolchain gives the same bytes (tests/codecs/wasm_deflate_test.ts checks the committed file).
#
# Usage: tools/build_deflate_wasm.sh [OUTPUT]   (default: lib/codecs/_deflate.wasm)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-"$root/lib/codecs/_deflate.wasm"}
clang=${CLANG:-clang}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

cp -R "$root/vendor/libdeflate/." "$work/"
(cd "$work" && patch --quiet -p1 <"$root/tools/deflate_wasm/sync_flush.patch")
cp "$root/tools/deflate_wasm/spimfetch_deflate.c" "$work/"

# -msimd128 lets clang vectorize the match finder's loops; no debug information or paths end up in the
# module (relative sources, --strip-all), so the output depends only on the sources and the toolchain.
cd "$work"
"$clang" --target=wasm32-wasi --sysroot=/usr -O2 -msimd128 -DNDEBUG -I. \
  -nostartfiles -nodefaultlibs -Wl,--no-entry -Wl,--strip-all \
  -Wl,-z,stack-size=65536 -Wl,--initial-memory=1048576 \
  -o deflate.wasm spimfetch_deflate.c lib/deflate_compress.c lib/utils.c -lc
mkdir -p "$(dirname "$out")"
cp deflate.wasm "$out.tmp"
mv "$out.tmp" "$out"
echo "built $out ($(wc -c <"$out") bytes)"
