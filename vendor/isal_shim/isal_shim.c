/*
 * spimfetch's shim over Intel ISA-L's igzip (libisal.so.2): one call deflates one segment, and every
 * argument is a buffer or a number.
 *
 * Why it exists: ISA-L's `struct isal_zstream` holds the addresses of the input, output and work buffers.
 * Filling them from TypeScript needs Deno.UnsafePointer.of, which Deno 2.9 refuses unless FFI is granted for
 * every path; the launcher grants FFI for exact library paths only. Deno does pass a typed array as a
 * "buffer" parameter under scoped FFI, so this shim takes the buffers as parameters and fills the struct in C.
 *
 * No allocation and no state between calls: the caller passes a work area (the stream struct and igzip's
 * level buffer), which this file aligns and initialises on every call, so nothing here outlives a call and
 * nothing needs freeing. Built by tools/build_isal_shim.sh into lib/codecs/native/libspimfetch_isal.so.
 */
#include <stdint.h>
#include <isa-l/igzip_lib.h>

/* Errors of this shim; ISA-L's own (from isal_deflate) are small negative numbers (-1 to -9). */
#define SPIM_BAD_LEVEL -100   /* level outside 1-3 */
#define SPIM_SMALL_WORK -101  /* the work area is smaller than spim_isal_work_bytes(level) */
#define SPIM_TOO_LARGE -102   /* input or output over 4 GiB - 1 (igzip counts them in 32 bits) */
#define SPIM_NO_ROOM -103     /* the output buffer filled up before the input was consumed */

/* The stream's head should be cache aligned (igzip_lib.h); a typed array is only 8- or 16-byte aligned. */
#define ALIGN 64

static uint64_t level_buffer_bytes(int32_t level) {
  switch (level) {
  case 1: return ISAL_DEF_LVL1_DEFAULT;
  case 2: return ISAL_DEF_LVL2_DEFAULT;
  case 3: return ISAL_DEF_LVL3_DEFAULT;
  default: return 0;
  }
}

static uint64_t round_up(uint64_t n) { return (n + ALIGN - 1) & ~(uint64_t)(ALIGN - 1); }

/* Bytes of work area spim_isal_deflate needs at `level` (1-3), or 0 for another level. */
uint64_t spim_isal_work_bytes(int32_t level) {
  uint64_t level_bytes = level_buffer_bytes(level);
  if (level_bytes == 0) return 0;
  return ALIGN + round_up(sizeof(struct isal_zstream)) + level_bytes;
}

/*
 * Deflates `in` (n bytes) as raw deflate at igzip `level` into `out` (cap bytes). Unless `final`, the
 * segment ends with a sync flush (an empty stored block on a byte boundary) and no final block, so
 * segments compressed apart concatenate into one deflate stream. Returns the compressed length, or a
 * negative error (above).
 */
int64_t spim_isal_deflate(uint8_t *work, uint64_t work_bytes, const uint8_t *in, uint64_t n, uint8_t *out,
                          uint64_t cap, int32_t level, int32_t final) {
  uint64_t level_bytes = level_buffer_bytes(level);
  if (level_bytes == 0) return SPIM_BAD_LEVEL;
  if (work_bytes < spim_isal_work_bytes(level)) return SPIM_SMALL_WORK;
  if (n > UINT32_MAX || cap > UINT32_MAX) return SPIM_TOO_LARGE;
  uint8_t *head = (uint8_t *)round_up((uint64_t)(uintptr_t)work);
  struct isal_zstream *stream = (struct isal_zstream *)head;
  isal_deflate_init(stream);
  stream->next_in = (uint8_t *)in;
  stream->avail_in = (uint32_t)n;
  stream->next_out = out;
  stream->avail_out = (uint32_t)cap;
  stream->level = (uint32_t)level;
  stream->level_buf = head + round_up(sizeof(struct isal_zstream));
  stream->level_buf_size = (uint32_t)level_bytes;
  stream->end_of_stream = final ? 1 : 0;
  stream->flush = SYNC_FLUSH;
  stream->gzip_flag = IGZIP_DEFLATE;
  int result = isal_deflate(stream);
  if (result != COMP_OK) return result;
  /* A full output buffer may hold a partial segment: igzip stops there and waits for more room. */
  if (stream->avail_in != 0 || stream->avail_out == 0) return SPIM_NO_ROOM;
  return (int64_t)stream->total_out;
}
