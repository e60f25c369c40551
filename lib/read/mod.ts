/**
 * Step 5 of the reference notebook, **read voxels**: a level (or a region of it) from an opened image or
 * source, whole or as a stream of z-slabs, through a bounded queue of chunk requests and a byte-budgeted
 * chunk cache. Public as `@spimfetch/spimfetch/read`.
 *
 * @module
 */
export {
  type ImageHolder,
  readLevel,
  type ReadLevelOptions,
  type Region,
  streamLevel,
  type VolumeStream,
  type VoxelRange,
} from "./read.ts";
export { ChunkCache, type ChunkCacheStats } from "./chunk_cache.ts";
