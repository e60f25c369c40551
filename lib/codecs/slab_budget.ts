/**
 * The default slab size of an export: thin slabs, so that memory stays
 * bounded (a level-3 export in about 400 MiB instead of 1.1 GB), wherever the
 * compressed chunk row they are cut from fits the chunk cache (where it does
 * not, an export still cuts thin slabs, from the row's chunks kept on disk:
 * `chunk_spill.ts`). Each chunk is
 * then fetched once and only its needed Blosc blocks are decoded per slab
 * (`partial_chunks.ts`), so thin slabs cost no more CPU than whole rows.
 *
 * @module
 */

/**
 * Slab budget used by default where thin slabs pay. Slabs are a divisor of the chunk depth thick
 * (`planSlabs`): at 40 MiB, 16 planes of SmartSPIM's level 3 (38 MB) and 4 of level 2, each a whole number
 * of Blosc blocks. At 24 MiB they were 10 and 2 planes, and blocks were decoded twice where slabs cut them.
 */
export const THIN_SLAB_BYTES = 40 * 2 ** 20;
/**
 * Chunk cache budget that goes with thin slabs. A compressed chunk row that fits it is cut into slabs from
 * memory; a larger one (from SmartSPIM's level 3, about 150 MB, up) is kept on disk while its slabs are cut
 * (`chunk_spill.ts`). At 192 MiB level 3's row fitted: in six alternating pairs of level-3 `.nii.gz` exports
 * on the benchmark machine (4 December 2026), keeping it on disk instead (this budget) peaked at 381-406
 * MiB against 458-517 MiB, for about 8 % more CPU (12.7 against 11.8 CPU-s on average).
 */
export const THIN_SLAB_CACHE_BYTES = 128 * 2 ** 20;
// Blosc zstd stores SmartSPIM voxels in about half their size (2.35 on the benchmark's level): a chunk row
// is assumed to fit the cache when half its decoded size does.
const ASSUMED_RATIO = 2;

/**
 * The slab budget to use when the caller gave none: {@linkcode THIN_SLAB_BYTES}
 * when a compressed chunk row likely fits `cacheBytes`, else `undefined`
 * (whole chunk-row slabs, as a row too big for the cache would be fetched
 * again for every thin slab).
 *
 * @example Levels 4 and 3 of SmartSPIM 652506 (chunks 128 deep, 640 × 463 and 1280 × 925 uint16 planes)
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { defaultMaxSlabBytes, THIN_SLAB_BYTES, THIN_SLAB_CACHE_BYTES } from "./slab_budget.ts";
 * assertEquals(defaultMaxSlabBytes(128 * 640 * 463 * 2, THIN_SLAB_CACHE_BYTES), THIN_SLAB_BYTES);
 * assertEquals(defaultMaxSlabBytes(128 * 1280 * 925 * 2, THIN_SLAB_CACHE_BYTES), undefined);
 * ```
 * @param rowBytes Decoded bytes of one chunk row (chunk depth × plane) of the region read.
 * @param cacheBytes The chunk cache's budget.
 * @returns The slab budget, or `undefined` for whole rows.
 */
export function defaultMaxSlabBytes(rowBytes: number, cacheBytes: number): number | undefined {
  return rowBytes / ASSUMED_RATIO <= cacheBytes && rowBytes > THIN_SLAB_BYTES ? THIN_SLAB_BYTES : undefined;
}

/**
 * Whether a chunk row of `rowBytes` decoded bytes likely fits, compressed, in a chunk cache of
 * `cacheBytes`. Where it does not, thin slabs keep the row's compressed chunks on disk instead
 * (`ChunkSpill`), so that each chunk is still fetched once.
 *
 * @example Level 3 of SmartSPIM 652506 does not fit the default cache; level 4 does
 * ```ts
 * import { assert } from "@std/assert";
 * import { compressedRowFits, THIN_SLAB_CACHE_BYTES } from "./slab_budget.ts";
 * assert(compressedRowFits(128 * 640 * 463 * 2, THIN_SLAB_CACHE_BYTES));
 * assert(!compressedRowFits(128 * 1280 * 925 * 2, THIN_SLAB_CACHE_BYTES));
 * ```
 * @param rowBytes Decoded bytes of one chunk row of the region read.
 * @param cacheBytes The chunk cache's budget.
 * @returns True when the compressed row is expected to fit.
 */
export function compressedRowFits(rowBytes: number, cacheBytes: number): boolean {
  return rowBytes / ASSUMED_RATIO <= cacheBytes;
}
