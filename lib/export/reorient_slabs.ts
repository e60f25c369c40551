/**
 * Reorientation in bounded memory. A permutation that keeps z as the slowest axis (flips and swaps of x and
 * y) turns each input slab into an output slab directly. Any other moves input z planes across the output's
 * planes, so the output cannot be produced in order from z-slabs: batches of input planes are written into
 * an uncompressed temporary file cut into blocks of whole output planes (one long positioned write per
 * block), which are then read back in output order and reoriented one block at a time. Memory is one
 * staging buffer of a batch of input planes and one output slab; disk is the output's uncompressed size,
 * checked beforehand by the caller.
 *
 * @module
 */
import { createScratchFile, type ScratchFile } from "../core/temp_space.ts";
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
  /** Most bytes of input batched before the positioned writes (output slabs are at most this and 8 MiB). @default {16777216} */
  maxSlabBytes?: number;
  /** Cancels between slabs. */
  signal?: AbortSignal;
}

/** The reoriented grid and its voxels as output z-slabs. */
export type ReorientedSlabs = ReorientedGrid & VolumeSlabs & {
  /** Bytes of temporary file this reorientation writes (0 when z stays the slowest axis). */
  tempBytes: number;
};

// Each block gets one write per batch, as long as the batch is thick: 16 MiB (7 planes of the benchmark's
// level 3) makes writes of about 100 KiB there.
const DEFAULT_BATCH_BYTES = 16 * 2 ** 20;
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

/**
 * Where the temporary file keeps the voxels: the input cut into blocks of whole planes of the output (each
 * block is a run of the input axis that becomes the output's z), each block in the input's own (z, y, x)
 * order. A batch of input planes is then one long positioned write per block, and each output slab is one
 * contiguous read, reoriented in memory. (Laid out in output order instead, a run along the output's x
 * would be as short as the batch is thin when input z becomes output x: millions of tiny writes.)
 */
interface BlockLayout {
  /** The input axis (ITK: 0 x, 1 y, 2 z) that becomes the output's z. */
  axis: number;
  /** Input planes (z, y, x) of the input. */
  size: Vec3;
  /** Positions along `axis` per block (the last may hold fewer). */
  block: number;
  /** Blocks. */
  count: number;
  /** Positions in the first block: when the output's z runs against the axis, the short block is the
   * first in the file, so that output slabs (read from the last block back) are cut as if in output order. */
  first: number;
  /** Voxels of one output plane (the input's voxels across one position of `axis`). */
  plane: number;
}

function blockLayout(
  size: Vec3,
  axis: number,
  flip: boolean,
  width: number,
  gatherBytes: number,
): BlockLayout {
  const plane = (size[0] * size[1] * size[2]) / size[axis];
  const block = Math.max(1, Math.min(size[axis], Math.floor(gatherBytes / (plane * width))));
  const first = flip ? size[axis] % block || block : block;
  return { axis, size, block, count: Math.ceil(size[axis] / block), plane, first };
}

/** The first position along the layout's axis in block `j`. */
function blockStart(layout: BlockLayout, j: number): number {
  return j === 0 ? 0 : layout.first + (j - 1) * layout.block;
}

/** Positions along the layout's axis in block `j`. */
function blockLength(layout: BlockLayout, j: number): number {
  return j === 0 ? layout.first : Math.min(layout.block, layout.size[layout.axis] - blockStart(layout, j));
}

async function* throughTempFile(
  image: VolumeSlabs,
  grid: ReorientedGrid,
  options: ReorientSlabsOptions,
): AsyncGenerator<VoxelArray> {
  const batchBytes = options.maxSlabBytes ?? DEFAULT_BATCH_BYTES;
  const [nz, ny, nx] = image.shape;
  const width = bytesPerVoxel(image.dtype);
  const gatherBytes = Math.min(batchBytes, GATHER_BYTES);
  const { sourceAxis, flip } = grid.transform;
  const layout = blockLayout([nx, ny, nz], sourceAxis[2], flip[2], width, gatherBytes);
  const file = await createScratchFile(options.tempPath);
  try {
    await scatter(file, image, layout, options.signal, batchBytes);
    yield* gather(file, image, grid, layout, options);
  } finally {
    await file.remove();
  }
}

/**
 * Writes batches of input planes into the blocks of the temporary file. Each slab is copied as it arrives
 * into one reused staging buffer laid out block by block (the reader hands a slab's buffer back for reuse
 * once the next slab is asked for, so slabs are never held), and a full buffer is one write per block.
 */
async function scatter(
  file: ScratchFile,
  image: VolumeSlabs,
  layout: BlockLayout,
  signal: AbortSignal | undefined,
  batchBytes: number,
): Promise<void> {
  const [nz, ny, nx] = image.shape;
  const plane = nx * ny;
  const width = bytesPerVoxel(image.dtype);
  // The staging buffer's planes: block j's region starts at capacity × (voxels of a block's input plane).
  const capacity = Math.max(1, Math.min(nz, Math.floor(batchBytes / (plane * width))));
  const staged = layout.axis === 2 ? undefined : allocateVoxels(image.dtype, capacity * plane);
  const across = layout.plane / nz;
  let z0 = 0;
  let t = 0;
  const flush = (): void => {
    // Block j's part of this batch: t planes of its sub-box, contiguous in the file and in `staged`.
    for (let j = 0; j < layout.count; j++) {
      const length = blockLength(layout, j);
      const start = blockStart(layout, j);
      writeVoxels(
        file,
        staged!,
        capacity * across * start,
        t * across * length,
        start * layout.plane + z0 * across * length,
        width,
      );
    }
    z0 += t;
    t = 0;
  };
  for await (const slab of image.slabs) {
    signal?.throwIfAborted();
    const depth = slab.length / plane;
    if (z0 + t + depth > nz) throw new RangeError(`Cannot reorient: the slabs hold more than ${nz} z planes`);
    if (!staged) {
      // Blocks of input planes: the file is the input in order.
      writeVoxels(file, slab, 0, slab.length, z0 * plane, width);
      z0 += depth;
      continue;
    }
    for (let p = 0; p < depth; p++) {
      stagePlane(slab, p, staged, t++, capacity, layout);
      if (t === capacity) flush();
    }
  }
  if (t > 0) flush();
  if (z0 !== nz) throw new RangeError(`Cannot reorient: the slabs ended after ${z0} of ${nz} z planes`);
}

/** Copies plane `p` of `slab` into plane `zl` of each block's region of `staged` (regions of `capacity` planes). */
function stagePlane(
  slab: VoxelArray,
  p: number,
  staged: VoxelArray,
  zl: number,
  capacity: number,
  layout: BlockLayout,
): void {
  const [nx, ny] = layout.size;
  const { count } = layout;
  if (layout.axis === 1) {
    // Rows of a block are contiguous in a plane: one copy per block.
    for (let j = 0; j < count; j++) {
      const rows = blockLength(layout, j);
      const start = blockStart(layout, j);
      const from = (p * ny + start) * nx;
      staged.set(slab.subarray(from, from + rows * nx) as never, capacity * nx * start + zl * rows * nx);
    }
    return;
  }
  // axis 0: each row splits into runs, one per block; block by block, the staged side is written in order.
  for (let j = 0; j < count; j++) {
    const length = blockLength(layout, j);
    const start = blockStart(layout, j);
    let to = capacity * ny * start + zl * ny * length;
    for (let y = 0; y < ny; y++) {
      const from = (p * ny + y) * nx + start;
      for (let x = 0; x < length; x++) staged[to++] = slab[from + x];
    }
  }
}

/** Reads the blocks back in output order and reorients each into a slab of whole output planes. */
async function* gather(
  file: ScratchFile,
  image: VolumeSlabs,
  grid: ReorientedGrid,
  layout: BlockLayout,
  options: ReorientSlabsOptions,
): AsyncGenerator<VoxelArray> {
  const [nz, ny, nx] = image.shape;
  const width = bytesPerVoxel(image.dtype);
  const read = allocateVoxels(image.dtype, layout.block * layout.plane);
  const bytes = new Uint8Array(read.buffer, read.byteOffset, read.byteLength);
  const flip = grid.transform.flip[2];
  for (let n = 0; n < layout.count; n++) {
    options.signal?.throwIfAborted();
    // A flipped output z starts from the last block (each block's own flip is the reorientation's).
    const j = flip ? layout.count - 1 - n : n;
    const length = blockLength(layout, j);
    const size = length * layout.plane * width;
    const at = blockStart(layout, j) * layout.plane * width;
    if (file.read(bytes.subarray(0, size), at) < size) {
      throw new Error("Cannot reorient: the temporary file ended early");
    }
    const shape: Vec3 = layout.axis === 0
      ? [nz, ny, length]
      : layout.axis === 1
      ? [nz, length, nx]
      : [length, ny, nx];
    const volume = { data: read.subarray(0, length * layout.plane), shape, dtype: image.dtype };
    const out = reorientVolume({ volume, geometry: options.geometry }, options.orientation).volume.data;
    // The read buffer is reused: never hand it out.
    yield out === volume.data ? out.slice() : out;
    // Let the writer's compressors and the fetches in flight run between slabs.
    await Promise.resolve();
  }
}

function writeVoxels(
  file: ScratchFile,
  voxels: VoxelArray,
  from: number,
  length: number,
  at: number,
  width: number,
): void {
  const bytes = new Uint8Array(voxels.buffer, voxels.byteOffset + from * width, length * width);
  file.write(bytes, at * width);
}
