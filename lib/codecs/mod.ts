/**
 * Codecs on the hot path: Blosc decoding (zstd and zlib natively, on worker threads, registered as
 * zarrita's `blosc` codec; the WASM c-blosc as fallback) and parallel gzip that still writes one gzip member.
 * Public as `@spimfetch/spimfetch/codecs`.
 *
 * A new codec is a module here registered in zarrita's registry, as `worker_blosc.ts` does for Blosc.
 *
 * @module
 */
export { type BloscHeader, decodeBlosc, readBloscHeader } from "./blosc.ts";
export { ChunkSpill, type ChunkSpillOptions, type ChunkSpillStats } from "./chunk_spill.ts";
export {
  type ByteWriter,
  createParallelGzip,
  type ParallelGzip,
  type ParallelGzipOptions,
} from "./parallel_gzip.ts";
export type { ChunkDownsample, PlaceRequest, ValueCount, WorkerPool, WorkerRequest } from "./worker_pool.ts";
export { useWorkerBlosc } from "./worker_blosc.ts";
export {
  type ChunkCodec,
  encodeChunk,
  encodeChunkOnWorker,
  type EncodeChunkOnWorkerOptions,
  type EncodedChunk,
} from "./chunk_encoder.ts";
