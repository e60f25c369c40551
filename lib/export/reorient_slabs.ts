/**
 * Reorientation in bounded memory. A permutation that keeps z as the slowest axis (flips and swaps of x and
 * y) turns each input slab into an output slab directly. Any other moves input z planes across the output's
 * planes, so the output cannot be produced in order from z-slabs: each input slab, reoriented in memory, is
 * a box of the output that is written with positioned writes into an uncompressed temporary file, which is
 * then read back in output order. Memory is one batch of input planes plus one output slab; disk is the
 * output's uncompressed size, checked beforehand by the caller.
 *
 * @module
 */
import { closeSync, openSync, readSync, writeSync } from "node:fs";
import { allocateVoxels, bytesPerVoxel, type ImageGeometry, type VoxelArray } from "../core/volume.ts";
import type { AnatomicalAxes } from "../orient/codes.ts";
import { isIdentityTransform } from "../orient/transform.ts";
import { type ReorientedGrid, reorientGeometry, reorientVolume } from "../orient/reorient.ts";
import type { VolumeSlabs } from "../write/nifti.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

type Vec3 = [number, number, number];

/** Options for {@linkcode reorientSlabs}. */
export interface ReorientSlabsOptions {
  /** The input's geometry (axis-aligned). */
  geometry: ImageGeometry;
  /** The target orientation: nibabel letters or axes. */
  orientation: AnatomicalAxes | string;
  /** The temporary file, used only when z moves; created when the slabs are read, removed when they end. */
  tempPath: string;
  /** Most bytes of input batched before a positioned write (and of each output slab, at most 8 MiB). @default {33554432} */
  maxSlabBytes?: number;
  /** Cancels between slabs. */
  signal?: AbortSignal;
}

/** The reoriented grid and its voxels as output z-slabs. */
export type ReorientedSlabs = ReorientedGrid & VolumeSlabs & {
  /** Bytes of temporary file this reorientation writes (0 when z stays the slowest axis). */
  tempBytes: number;
};

// Thicker batches make longer positioned writes when z becomes the output's x; 32 MiB keeps the peak
// (batch, its reoriented copy, the slabs in flight) near 100 MiB beyond the reader's.
const DEFAULT_BATCH_BYTES = 32 * 2 ** 20;
// Output slabs are read back sequentially: small ones cost nothing and keep the writer's queue small.
const GATHER_BYTES = 8 * 2 ** 20;

/**
 * Whether reorienting to `orientation` needs a temporary file: it does unless the input's z stays the
 * output's z, unflipped.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { reorientNeedsTempFile } from "@spimfetch/spimfetch/export";
 * const lps = { spacing: [1, 1, 1] as [number, number, number], origin: [0, 0, 0] as [number, number, number], direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] as [[number, number, number], [number, number, number], [number, number, number]] };
 * assert(!reorientNeedsTempFile(lps, [2, 2, 2], "RAS"));
 * assert(reorientNeedsTempFile(lps, [2, 2, 2], "PIR"));
 * ```
 * @param geometry The input geometry.
 * @param size The input size (x, y, z).
 * @param orientation The target.
 * @returns Whether a temporary file of the output's size is needed.
 */
export function reorientNeedsTempFile(
  geometry: ImageGeometry,
  size: readonly [number, number, number],
  orientation: AnatomicalAxes | string,
): boolean {
  const { transform } = reorientGeometry(geometry, { size, orientation });
  return !(transform.sourceAxis[2] === 2 && !transform.flip[2]);
}

/** The keys of {@linkcode ReorientSlabsOptions}, checked at run time. */
const REORIENT_SLABS_OPTION_KEYS: OptionKeys<ReorientSlabsOptions> = {
  geometry: true,
  orientation: true,
  tempPath: true,
  maxSlabBytes: true,
  signal: true,
};

/**
 * Reorients a stream of z-slabs (see the module documentation). The grid is known at once; the work
 * happens as the returned slabs are read, and the temporary file is removed when they end, fail or are
 * abandoned.
 *
 * @example PIR of a tiny RAS volume keeps every voxel in place
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { reorientSlabs } from "@spimfetch/spimfetch/export";
 * const dir = await Deno.makeTempDir();
 * const data = Uint8Array.from({ length: 24 }, (_, i) => i);
 * const out = reorientSlabs(
 *   { shape: [2, 3, 4], dtype: "uint8", slabs: [data.subarray(0, 12), data.subarray(12)] as unknown as AsyncIterable<Uint8Array> },
 *   { geometry: { spacing: [1, 1, 1], origin: [0, 0, 0], direction: [[-1, 0, 0], [0, -1, 0], [0, 0, 1]] }, orientation: "PIR", tempPath: `${dir}/t` },
 * );
 * const voxels: number[] = [];
 * for await (const slab of out.slabs) voxels.push(...slab);
 * assertEquals(out.shape, [4, 2, 3]);
 * // Output (x 0, y 0, z 0) is input (x 0, y 2, z 1): P is −A (y flipped), I is −S (z flipped), R is x.
 * assertEquals(voxels[0], 1 * 12 + 2 * 4 + 0);
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @param image The input z-slabs.
 * @param options Geometry, target, temporary file, batch size, cancellation.
 * @returns The output grid and slabs (read once).
 * @throws {RangeError} If the direction is oblique.
 * @throws {SyntaxError} If the orientation cannot be parsed.
 */
export function reorientSlabs(image: VolumeSlabs, options: ReorientSlabsOptions): ReorientedSlabs {
  options = checkOptions(options, REORIENT_SLABS_OPTION_KEYS, "reorientSlabs()");
  const [nz, ny, nx] = image.shape;
  const grid = reorientGeometry(options.geometry, { size: [nx, ny, nz], orientation: options.orientation });
  const shape: Vec3 = [grid.size[2], grid.size[1], grid.size[0]];
  const base = { ...grid, shape, dtype: image.dtype };
  if (isIdentityTransform(grid.transform)) return { ...base, slabs: image.slabs, tempBytes: 0 };
  const inPlane = grid.transform.sourceAxis[2] === 2 && !grid.transform.flip[2];
  if (inPlane) return { ...base, slabs: reorientEachSlab(image, options), tempBytes: 0 };
  return {
    ...base,
    slabs: throughTempFile(image, grid, options),
    tempBytes: nx * ny * nz * bytesPerVoxel(image.dtype),
  };
}

async function* reorientEachSlab(
  image: VolumeSlabs,
  options: ReorientSlabsOptions,
): AsyncGenerator<VoxelArray> {
  const [, ny, nx] = image.shape;
  for await (const slab of image.slabs) {
    options.signal?.throwIfAborted();
    const volume = { data: slab, shape: [slab.length / (nx * ny), ny, nx] as Vec3, dtype: image.dtype };
    yield reorientVolume({ volume, geometry: options.geometry }, options.orientation).volume.data;
  }
}

async function* batches(image: VolumeSlabs, batchBytes: number): AsyncGenerator<VoxelArray> {
  const [, ny, nx] = image.shape;
  const plane = nx * ny;
  const planes = Math.max(1, Math.floor(batchBytes / (plane * bytesPerVoxel(image.dtype))));
  let pending: VoxelArray[] = [];
  let held = 0;
  const flush = (): VoxelArray => {
    const batch = pending.length === 1 ? pending[0] : allocateVoxels(image.dtype, held);
    if (pending.length > 1) {
      let offset = 0;
      for (const part of pending) (batch.set(part as never, offset), offset += part.length);
    }
    pending = [];
    held = 0;
    return batch;
  };
  for await (const slab of image.slabs) {
    pending.push(slab);
    held += slab.length;
    if (held >= planes * plane) yield flush();
  }
  if (held > 0) yield flush();
}

async function* throughTempFile(
  image: VolumeSlabs,
  grid: ReorientedGrid,
  options: ReorientSlabsOptions,
): AsyncGenerator<VoxelArray> {
  const batchBytes = options.maxSlabBytes ?? DEFAULT_BATCH_BYTES;
  const fd = openSync(options.tempPath, "wx+", 0o600);
  try {
    await scatter(fd, image, grid, options, batchBytes);
    yield* gather(fd, image, grid, options.signal, Math.min(batchBytes, GATHER_BYTES));
  } finally {
    closeSync(fd);
    await Deno.remove(options.tempPath).catch(() => {});
  }
}

/** Writes each batch of input planes, reoriented, as the box of the output it is. */
async function scatter(
  fd: number,
  image: VolumeSlabs,
  grid: ReorientedGrid,
  options: ReorientSlabsOptions,
  batchBytes: number,
): Promise<void> {
  const [nz, ny, nx] = image.shape;
  const [ox, oy, oz] = grid.size;
  const width = bytesPerVoxel(image.dtype);
  const { sourceAxis, flip } = grid.transform;
  const zAxis = sourceAxis.indexOf(2);
  let z0 = 0;
  for await (const batch of batches(image, batchBytes)) {
    options.signal?.throwIfAborted();
    const t = batch.length / (nx * ny);
    const volume = { data: batch, shape: [t, ny, nx] as Vec3, dtype: image.dtype };
    const box = reorientVolume({ volume, geometry: options.geometry }, options.orientation).volume.data;
    const bytes = new Uint8Array(box.buffer, box.byteOffset, box.byteLength);
    const start = flip[zAxis] ? nz - z0 - t : z0;
    const put = (from: number, length: number, at: number): void => {
      writeFully(fd, bytes.subarray(from * width, (from + length) * width), at * width);
    };
    if (zAxis === 2) put(0, box.length, start * ox * oy);
    else if (zAxis === 1) { for (let k = 0; k < oz; k++) put(k * t * ox, t * ox, (k * oy + start) * ox); }
    else for (let row = 0; row < oz * oy; row++) put(row * t, t, row * ox + start);
    z0 += t;
  }
  if (z0 !== nz) throw new RangeError(`Cannot reorient: the slabs ended after ${z0} of ${nz} z planes`);
}

/** Reads the temporary file back in output order, a slab of whole planes at a time. */
async function* gather(
  fd: number,
  image: VolumeSlabs,
  grid: ReorientedGrid,
  signal: AbortSignal | undefined,
  batchBytes: number,
): AsyncGenerator<VoxelArray> {
  const [ox, oy, oz] = grid.size;
  const width = bytesPerVoxel(image.dtype);
  const planes = Math.max(1, Math.floor(batchBytes / (ox * oy * width)));
  for (let k = 0; k < oz; k += planes) {
    signal?.throwIfAborted();
    const slab = allocateVoxels(image.dtype, Math.min(planes, oz - k) * ox * oy);
    const bytes = new Uint8Array(slab.buffer, slab.byteOffset, slab.byteLength);
    for (let done = 0; done < bytes.length;) {
      const read = readSync(fd, bytes, done, bytes.length - done, k * ox * oy * width + done);
      if (read === 0) throw new Error("Cannot reorient: the temporary file ended early");
      done += read;
    }
    yield slab;
    // Let the writer's compressors and the fetches in flight run between slabs.
    await Promise.resolve();
  }
}

function writeFully(fd: number, bytes: Uint8Array, position: number): void {
  for (let done = 0; done < bytes.length;) {
    done += writeSync(fd, bytes, done, bytes.length - done, position + done);
  }
}
