/*
 * The WebAssembly face of libdeflate's compressor for spimfetch
 * (lib/codecs/_wasm_deflate.ts): raw DEFLATE segments that end either with a
 * final block or with a sync flush, so that segments compressed on different
 * workers join into one gzip member. Built by tools/build_deflate_wasm.sh.
 */
#include <stddef.h>
#include <stdlib.h>
#include "libdeflate.h"

/* Added to libdeflate by sync_flush.patch. */
size_t libdeflate_deflate_compress_sync(struct libdeflate_compressor *c, const void *in, size_t in_nbytes,
                                        void *out, size_t out_nbytes_avail);

#define EXPORT(name) __attribute__((export_name(name)))

/* One compressor per level, made on first use: a compressor is a few hundred KB of tables. */
static struct libdeflate_compressor *compressors[13];

EXPORT("alloc") void *spimfetch_alloc(size_t n) { return malloc(n); }

EXPORT("free") void spimfetch_free(void *p) { free(p); }

/* Room enough for any input of n bytes at any level: libdeflate's bound plus the sync flush (6 bytes). */
EXPORT("bound") size_t spimfetch_bound(size_t n) {
  return libdeflate_deflate_compress_bound(NULL, n) + 6;
}

/*
 * Compresses in[0..n) into out[0..capacity) at level (0-12); a final block ends
 * the stream if final, else a sync flush. Returns the compressed size, 0 if the
 * output did not fit, or (size_t)-1 for a level libdeflate refuses or no memory.
 */
EXPORT("deflate")
size_t spimfetch_deflate(int level, const void *in, size_t n, void *out, size_t capacity, int final) {
  if (level < 0 || level > 12) return (size_t)-1;
  if (!compressors[level]) compressors[level] = libdeflate_alloc_compressor(level);
  if (!compressors[level]) return (size_t)-1;
  return final ? libdeflate_deflate_compress(compressors[level], in, n, out, capacity)
               : libdeflate_deflate_compress_sync(compressors[level], in, n, out, capacity);
}
