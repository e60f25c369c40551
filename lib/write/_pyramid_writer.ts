/**
 * (Over 400 lines: the two ways a level is fed (planes, chunk means) share the row bookkeeping, the
 * sharding and the worker hand-over, and read best beside each other.)
 *
 * Internal: the streaming core of the OME-Zarr writer. Level-0 planes go into
 * a row of chunks (one chunk or shard deep) kept in a temporary file (see
 * `_chunk_rows.ts`: memory does not grow with the image), read back chunk by
 * chunk once the row is complete and compressed by the worker pool while the
 * next planes arrive. The worker that encodes a chunk also averages it 2×2×2
 * (where chunks hold whole 2×2×2 blocks: even chunk edges), and the small
 * block it returns is written into the next level's row on disk, which is
 * read back and written the same way once complete: the main thread only
 * copies. Odd chunk shapes fall back to averaging planes here through a
 * {@linkcode PlaneDownsampler}.
 *
 * @module
 */
import * as zarr from "zarrita";
import { type ChunkCodec, encodeChunkOnWorker } from "../codecs/chunk_encoder.ts";
import type { ChunkDownsample, ValueCount } from "../codecs/worker_pool.ts";
import { sharedWorkerPool } from "../codecs/worker_pool.ts";
import {
  allocateVoxels,
  bytesPerVoxel,
  VOXEL_ARRAYS,
  type VoxelArray,
  type VoxelType,
} from "../core/volume.ts";
import { PlaneDownsampler } from "./_pyramid.ts";
import { ChunkRows } from "./_chunk_rows.ts";
import { checkFreeSpace, createScratchFile, tempPathFor } from "../core/temp_space.ts";
import { assembleShard } from "./_shard.ts";
import type { WindowEstimator } from "./_display_window.ts";
import { codecsV3, type LevelLayout, shardingCodecV3, zarrayV2 } from "./_ome_zarr_metadata.ts";

/** A level as the writer lays it out. */
export interface PyramidLevel extends LevelLayout {
  /** Chunk shape (z, y, x) (the inner chunks when sharded). */
  chunkShape: [number, number, number];
}

const textEncoder = new TextEncoder();

/** Options for {@linkcode PyramidWriter}. */
export interface PyramidWriterOptions {
  /** The staging folder the store is written in. */
  staging: string;
  /** NGFF version: Zarr v2 or v3 layout. */
  version: "0.4" | "0.5";
  /** The voxel type of every level. */
  dtype: VoxelType;
  /** Chunk compression. */
  codec: ChunkCodec;
  /** The levels, level 0 first. */
  levels: PyramidLevel[];
  /** Shard shape, or undefined for a file per chunk. */
  shard: [number, number, number] | undefined;
  /** Stops the write. */
  signal: AbortSignal | undefined;
  /** The contrast window of level 0; 8/16-bit histograms are counted by the workers, chunk by chunk. */
  window: WindowEstimator;
  /** The rows of chunks waiting for their last planes: the directory of their temporary files, and the store they are named after. */
  scratch: { directory: string; store: string };
}

/** A row of a level fed by its upper level's chunk means: they complete it in any order. */
interface BlockRow {
  /** The extent (z, y, x) of each mean block written, 3 numbers per block slot (0 where none is). */
  extents: Int32Array;
  /** Voxels placed so far. */
  placed: number;
}

type Vec3 = [number, number, number];

/** A chunk's mean for the next level: what the worker averages, the level it feeds and where it goes there. */
interface ChunkMean {
  /** The next level. */
  next: LevelState;
  /** The worker's part: voxel type, chunk shape, real extent, a buffer to reuse. */
  downsample: ChunkDownsample;
  /** Where the mean's first voxel goes in the next level (z, y, x). */
  origin: Vec3;
}

/** Where a level's rows lie: the cells its files hold, a row's chunk grid, each chunk's region on disk. */
interface LevelLayoutOnDisk {
  /** The chunk-grid cell a file holds: the shard when sharded, else the chunk. */
  block: Vec3;
  /** Chunks per row along z (more than one only within a shard), y and x. */
  grid: Vec3;
  /** Whether this level is fed its upper level's chunk means, not planes. */
  fedByChunks: boolean;
  /**
   * A level fed chunk means: the extent of the mean of one chunk of the level above, the slot each such
   * block has in a chunk's region (an upper chunk's mean never straddles two chunks here).
   */
  half: Vec3;
  /** Block slots per chunk along z, y and x (1 for a level fed planes). */
  per: Vec3;
  /** Bytes of one chunk's region on disk: the chunk, or its block slots. */
  regionBytes: number;
}

/** The on-disk layout of every level. */
function layoutOnDisk(
  levels: readonly PyramidLevel[],
  shard: Vec3 | undefined,
  dtype: VoxelType,
): LevelLayoutOnDisk[] {
  // Where every chunk edge is even (or one chunk spans the axis), a chunk's 2×2×2 blocks are the level's
  // blocks: the workers that encode the chunks average them too. The clipped chunks of smaller levels
  // keep the property (an axis over one chunk long has the full, even edge).
  const byChunks = levels.length > 1 &&
    levels[0].chunkShape.every((c, a) => c % 2 === 0 || levels[0].shape[a] <= c);
  const item = bytesPerVoxel(dtype);
  const product = (v: readonly number[]): number => v.reduce((n, x) => n * x, 1);
  return levels.map((level, l) => {
    const block = shard
      ? level.shape.map((n, a) =>
        Math.min(shard[a], Math.ceil(n / level.chunkShape[a]) * level.chunkShape[a])
      ) as Vec3
      : level.chunkShape;
    const grid: Vec3 = [
      block[0] / level.chunkShape[0],
      Math.ceil(level.shape[1] / level.chunkShape[1]),
      Math.ceil(level.shape[2] / level.chunkShape[2]),
    ];
    const fedByChunks = byChunks && l > 0;
    const half = (fedByChunks ? levels[l - 1].chunkShape.map((c) => Math.ceil(c / 2)) : [1, 1, 1]) as Vec3;
    const per = (fedByChunks ? level.chunkShape.map((c, a) => Math.ceil(c / half[a])) : [1, 1, 1]) as Vec3;
    const regionBytes = fedByChunks ? product(per) * product(half) * item : product(level.chunkShape) * item;
    return { block, grid, fedByChunks, half, per, regionBytes };
  });
}

/** One level's row of planes, and the downsampler feeding the next level. */
interface LevelState extends LevelLayoutOnDisk {
  level: PyramidLevel;
  /** The rows on disk, (z, y, x) C order over `grid`; set by `open()`. */
  disk: ChunkRows | undefined;
  /** A level fed planes: the buffer a slab's part of one chunk is gathered in before it is written. */
  part: VoxelArray | undefined;
  /** A level fed chunk means: the buffer a chunk's mean blocks are read into. */
  blocks: Uint8Array | undefined;
  filled: number;
  row: number;
  /** Averages this level's planes for the next level, when the next level is fed planes. */
  down: PlaneDownsampler | undefined;
  /** Rows being completed by chunk means, by row index. */
  rows: Map<number, BlockRow>;
  /** Rows written so far (of a level fed by chunk means). */
  flushed: number;
}

/** Streams planes into every level, cuts full rows into chunks and writes them through the worker pool. */
export class PyramidWriter {
  readonly #o: PyramidWriterOptions;
  readonly #states: LevelState[];
  readonly #inFlight = new Set<Promise<void>>();
  readonly #maxInFlight: number;
  readonly #dirs = new Set<string>();
  readonly #pool = sharedWorkerPool();
  readonly #release: () => void;
  #failure: unknown;
  /** Raw chunk buffers back from the workers, by size, for reuse. */
  readonly #spares = new Map<number, ArrayBuffer[]>();
  readonly #itemBytes: number;
  /** Chunk means back from the workers, by size, for reuse. */
  readonly #meanSpares = new Map<number, ArrayBuffer[]>();
  /** Rows of levels fed by chunk means that are complete and wait to be written, in completion order. */
  readonly #ready: { state: LevelState; row: number }[] = [];
  bytes = 0;

  constructor(options: PyramidWriterOptions) {
    this.#o = options;
    const layouts = layoutOnDisk(options.levels, options.shard, options.dtype);
    const byChunks = layouts[1]?.fedByChunks ?? false;
    this.#states = layouts.map((layout, l) => ({
      ...layout,
      level: options.levels[l],
      disk: undefined,
      part: undefined,
      blocks: undefined,
      filled: 0,
      row: 0,
      down: !byChunks && l + 1 < options.levels.length
        ? new PlaneDownsampler(options.levels[l].shape, options.dtype)
        : undefined,
      rows: new Map(),
      flushed: 0,
    }));
    this.#maxInFlight = 2 * this.#pool.size + 1;
    this.#itemBytes = bytesPerVoxel(options.dtype);
    this.#release = this.#pool.hold();
  }

  /**
   * Creates the temporary files the rows wait in, once their free space is checked.
   * @throws {DiskSpaceError} If their directory's disk has too little free space.
   */
  async open(): Promise<void> {
    const { scratch } = this.#o;
    // One row of each level fed planes (read back before the next is written), two of each level fed chunk
    // means (the next row's means arrive while a row is read back).
    const needed = this.#states.reduce(
      (sum, { grid, regionBytes, fedByChunks }) =>
        sum + (fedByChunks ? 2 : 1) * grid[0] * grid[1] * grid[2] * regionBytes,
      0,
    );
    checkFreeSpace(scratch.directory, needed, "the OME-Zarr writer's rows of chunks");
    for (const state of this.#states) {
      const file = await createScratchFile(
        tempPathFor(`${scratch.store}.${state.level.path}`, scratch.directory),
      );
      state.disk = new ChunkRows(file, state.grid[0] * state.grid[1] * state.grid[2], state.regionBytes);
    }
  }

  async writeArrayMetadata(): Promise<void> {
    const { staging, version, dtype, codec, shard } = this.#o;
    if (version === "0.4") {
      await this.#writeFile(".zgroup", textEncoder.encode(JSON.stringify({ zarr_format: 2 })));
      for (const { level } of this.#states) {
        const zarray = zarrayV2(level.shape, level.chunkShape, dtype, codec);
        await this.#writeFile(`${level.path}/.zarray`, json(zarray));
      }
      return;
    }
    const root = zarr.root(this.#zarrStore(staging));
    for (const { level, block } of this.#states) {
      await zarr.create(root.resolve(level.path), {
        shape: level.shape,
        dtype: dtype as zarr.DataType,
        chunkShape: shard ? block : level.chunkShape,
        codecs:
          (shard ? [shardingCodecV3(level.chunkShape, codec)] : codecsV3(codec)) as zarr.CodecMetadata[],
        fillValue: 0,
        dimensionNames: ["z", "y", "x"],
      });
    }
  }

  async writeRootMetadata(attributes: Record<string, unknown>): Promise<void> {
    if (this.#o.version === "0.4") return await this.#writeFile(".zattrs", json(attributes));
    await zarr.create(zarr.root(this.#zarrStore(this.#o.staging)), { attributes });
  }

  /** Adds level-0 planes (any whole number), added to the window as converted to the output type. */
  async push(planes: VoxelArray): Promise<void> {
    let converted = planes;
    if (!(planes instanceof VOXEL_ARRAYS[this.#o.dtype])) {
      converted = allocateVoxels(this.#o.dtype, planes.length);
      converted.set(planes as unknown as ArrayLike<number>);
    }
    // An 8/16-bit histogram is counted from the level-0 chunks on the workers (see #flushRow), not here.
    if (!this.#o.window.exact) this.#o.window.add(converted);
    await this.#push(0, converted);
    await this.#flushReady();
  }

  /** Writes the rows that chunk means have completed. */
  async #flushReady(): Promise<void> {
    for (let next = this.#ready.shift(); next; next = this.#ready.shift()) {
      const { state, row } = next;
      await this.#flushRow(state, row, this.#rowDepth(state, row));
      state.rows.delete(row);
      state.flushed++;
    }
  }

  /** Planes in row `row` of a level (the last row may be shallower). */
  #rowDepth(state: LevelState, row: number): number {
    return Math.min(state.block[0], state.level.shape[0] - row * state.block[0]);
  }

  /**
   * Writes a chunk's mean (a tight block at (z0, y0, x0) of the level below it, `extent` voxels) into its
   * slot in that level's row on disk; a row it completes waits in `#ready`.
   */
  #placeMean(state: LevelState, [z0, y0, x0]: Vec3, extent: Vec3, bytes: Uint8Array): void {
    const [cz, cy, cx] = state.level.chunkShape;
    const [, gy, gx] = state.grid;
    const [hz, hy, hx] = state.half;
    const [, py, px] = state.per;
    const depth = state.block[0];
    const row = Math.floor(z0 / depth), inRow = z0 - row * depth;
    const iz = Math.floor(inRow / cz), yc = Math.floor(y0 / cy), xc = Math.floor(x0 / cx);
    const [sz, sy, sx] = [(inRow % cz) / hz, (y0 % cy) / hy, (x0 % cx) / hx];
    const [bz, by, bx] = extent;
    if (![sz, sy, sx].every(Number.isInteger) || inRow + bz > depth || bz > hz || by > hy || bx > hx) {
      throw new Error(
        `Internal error: a chunk's mean at ${[z0, y0, x0]} does not fit a slot of ${state.level.path}`,
      );
    }
    const index = (iz * gy + yc) * gx + xc;
    const slot = (sz * py + sy) * px + sx;
    const slots = state.per[0] * py * px;
    let rowState = state.rows.get(row);
    if (!rowState) {
      rowState = { extents: new Int32Array(state.grid[0] * gy * gx * slots * 3), placed: 0 };
      state.rows.set(row, rowState);
    }
    state.disk!.write(row, index, slot * hz * hy * hx * this.#itemBytes, bytes);
    rowState.extents.set(extent, (index * slots + slot) * 3);
    rowState.placed += bz * by * bx;
    const [, ny, nx] = state.level.shape;
    if (rowState.placed === this.#rowDepth(state, row) * ny * nx) this.#ready.push({ state, row });
  }

  /** Scatters planes (of the output type) into the row's chunks and feeds the next level. */
  async #push(l: number, planes: VoxelArray): Promise<void> {
    const state = this.#states[l];
    const [nz, ny, nx] = state.level.shape;
    const plane = ny * nx;
    const count = planes.length / plane;
    for (let from = 0; from < count;) {
      this.#check();
      const take = Math.min(count - from, state.block[0] - state.filled);
      this.#scatter(state, planes, from, take);
      state.filled += take;
      const down = state.down;
      const planeAt = (p: number): VoxelArray => planes.subarray((from + p) * plane, (from + p + 1) * plane);
      for (let p = 0; down && p < take;) {
        // Pairs straight from the input; a plane whose pair is in the next slab waits in the downsampler.
        let next: VoxelArray | undefined;
        if (!down.hasPending && p + 1 < take) {
          next = down.pushPair(planeAt(p), planeAt(p + 1));
          p += 2;
        } else {
          next = down.push(planeAt(p));
          p += 1;
        }
        if (next) await this.#push(l + 1, next);
      }
      from += take;
      if (state.filled === state.block[0] || state.row * state.block[0] + state.filled === nz) {
        await this.#flushRow(state, state.row, state.filled);
        state.row++;
        state.filled = 0;
        // Rows of smaller levels that this row's means completed: written now, so that few rows wait on disk.
        await this.#flushReady();
      }
    }
  }

  /**
   * Writes planes `first` to `first + take` of `planes` (the row's next planes) into their chunks' regions on
   * disk: each chunk's part is gathered (its padding zeroed) and written at once.
   */
  #scatter(state: LevelState, planes: VoxelArray, first: number, take: number): void {
    const [, ny, nx] = state.level.shape;
    const [cz, cy, cx] = state.level.chunkShape;
    const [, gy, gx] = state.grid;
    const part = state.part ??= allocateVoxels(this.#o.dtype, cz * cy * cx);
    for (let done = 0; done < take;) {
      const z = state.filled + done, iz = Math.floor(z / cz), dz = z % cz;
      const k = Math.min(take - done, cz - dz);
      const used = part.subarray(0, k * cy * cx);
      const bytes = new Uint8Array(used.buffer, used.byteOffset, used.byteLength);
      for (let yc = 0; yc < gy; yc++) {
        const h = Math.min(cy, ny - yc * cy);
        for (let xc = 0; xc < gx; xc++) {
          const w = Math.min(cx, nx - xc * cx);
          if (h < cy || w < cx) used.fill(0);
          for (let p = 0; p < k; p++) {
            const start = (first + done + p) * ny * nx;
            for (let y = 0; y < h; y++) {
              const from = start + (yc * cy + y) * nx + xc * cx;
              used.set(planes.subarray(from, from + w) as unknown as ArrayLike<number>, (p * cy + y) * cx);
            }
          }
          state.disk!.write(state.row, (iz * gy + yc) * gx + xc, dz * cy * cx * this.#itemBytes, bytes);
        }
      }
      done += k;
    }
  }

  /** A chunk buffer: one back from the workers when there is one, zeroed where padding must be the fill value. */
  #takeChunk(state: LevelState, edge: boolean): VoxelArray {
    const [cz, cy, cx] = state.level.chunkShape;
    const spare = this.#spares.get(cz * cy * cx * this.#itemBytes)?.pop();
    if (!spare) return allocateVoxels(this.#o.dtype, cz * cy * cx);
    const chunk = new VOXEL_ARRAYS[this.#o.dtype](spare);
    // A reused buffer holds an earlier chunk: an edge chunk's padding must be the fill value again.
    if (edge) chunk.fill(0);
    return chunk;
  }

  /**
   * Reads chunk `index` of row `row` back from disk for encoding (a level fed means assembles it from its
   * blocks), its z padding (past `depth` planes, in the last row) set to the fill value.
   */
  #readChunk(state: LevelState, row: number, index: number, depth: number): Uint8Array {
    const [cz, cy, cx] = state.level.chunkShape;
    let chunk: VoxelArray;
    if (state.fedByChunks) {
      const [, ny, nx] = state.level.shape;
      const [, gy, gx] = state.grid;
      const yc = Math.floor(index / gx) % gy, xc = index % gx;
      chunk = this.#takeChunk(state, (yc + 1) * cy > ny || (xc + 1) * cx > nx);
      this.#assemble(state, row, index, chunk);
    } else {
      // The regions were written whole, padding included.
      chunk = this.#takeChunk(state, false);
      state.disk!.read(row, index, new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    }
    if (depth < cz) chunk.fill(0, depth * cy * cx);
    return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }

  /** Reads a chunk's mean blocks (written by `#placeMean`) and places each in the chunk. */
  #assemble(state: LevelState, row: number, index: number, chunk: VoxelArray): void {
    const [, cy, cx] = state.level.chunkShape;
    const [hz, hy, hx] = state.half;
    const [pz, py, px] = state.per;
    const bytes = state.blocks ??= new Uint8Array(state.regionBytes);
    state.disk!.read(row, index, bytes);
    const blocks = new VOXEL_ARRAYS[this.#o.dtype](
      bytes.buffer as ArrayBuffer,
      0,
      bytes.byteLength / this.#itemBytes,
    );
    const extents = state.rows.get(row)!.extents;
    const slots = pz * py * px;
    for (let slot = 0; slot < slots; slot++) {
      const at = (index * slots + slot) * 3;
      const bz = extents[at], by = extents[at + 1], bx = extents[at + 2];
      if (bz === 0) continue;
      const oz = Math.floor(slot / (py * px)) * hz,
        oy = (Math.floor(slot / px) % py) * hy,
        ox = (slot % px) * hx;
      const base = slot * hz * hy * hx;
      for (let z = 0; z < bz; z++) {
        for (let y = 0; y < by; y++) {
          // Runs of a few dozen voxels: a loop beats a subarray and set() per run.
          const to = ((oz + z) * cy + oy + y) * cx + ox, from = base + (z * by + y) * bx;
          for (let k = 0; k < bx; k++) chunk[to + k] = blocks[from + k];
        }
      }
    }
  }

  /**
   * What to average for the next level from the chunk at (zs, ys, xs) of row `row` (`depth` planes), and
   * where its mean goes there; `undefined` when the next level is not fed by chunk means.
   */
  #meanOf(state: LevelState, row: number, depth: number, [zs, ys, xs]: Vec3): ChunkMean | undefined {
    const next = this.#states[this.#states.indexOf(state) + 1];
    if (!next?.fedByChunks) return undefined;
    const { level, block } = state;
    const valid = this.#validPart(state, depth, [zs, ys, xs]);
    const size = valid.reduce((n, v) => n * Math.ceil(v / 2), this.#itemBytes);
    const reuse = this.#meanSpares.get(size)?.pop();
    return {
      next,
      downsample: { type: this.#o.dtype, shape: level.chunkShape, valid, ...(reuse ? { reuse } : {}) },
      origin: [(row * block[0] + zs) / 2, ys / 2, xs / 2],
    };
  }

  /** The real (not padding) extent of the chunk at (zs, ys, xs) of a row `depth` planes deep. */
  #validPart(state: LevelState, depth: number, [zs, ys, xs]: Vec3): Vec3 {
    const [, ny, nx] = state.level.shape;
    const [cz, cy, cx] = state.level.chunkShape;
    return [Math.min(cz, depth - zs), Math.min(cy, ny - ys), Math.min(cx, nx - xs)];
  }

  /** The voxels of the chunk at (zs, ys, xs) to count for the display window (level 0 only, exact windows). */
  #countOf(state: LevelState, depth: number, at: Vec3): ValueCount | undefined {
    if (state !== this.#states[0] || !this.#o.window.exact) return undefined;
    return {
      type: this.#o.dtype as ValueCount["type"],
      shape: state.level.chunkShape,
      valid: this.#validPart(state, depth, at),
      stride: this.#o.window.countStride,
    };
  }

  /** Encodes one chunk on a worker, with its histogram and its mean for the next level; returns its bytes. */
  async #encode(
    raw: Uint8Array,
    count: ValueCount | undefined,
    mean: ChunkMean | undefined,
  ): Promise<Uint8Array> {
    const done = await encodeChunkOnWorker(raw, this.#o.codec, {
      pool: this.#pool,
      ...(count ? { count } : {}),
      ...(mean ? { downsample: mean.downsample } : {}),
    });
    if (done.counts) this.#o.window.addCounts(done.counts);
    if (mean && done.downsampled) {
      const bytes = done.downsampled;
      this.#placeMean(
        mean.next,
        mean.origin,
        mean.downsample.valid.map((v) => Math.ceil(v / 2)) as Vec3,
        bytes,
      );
      const list = this.#meanSpares.get(bytes.byteLength) ?? [];
      list.push(bytes.buffer as ArrayBuffer);
      this.#meanSpares.set(bytes.byteLength, list);
    }
    this.#giveBack(done.raw);
    return done.bytes;
  }

  /**
   * Encodes and writes row `row` of a level (`depth` planes), read back from disk chunk by chunk, averaging
   * it for the next level; its slot on disk is free once every chunk is read.
   */
  async #flushRow(state: LevelState, row: number, depth: number): Promise<void> {
    const { level, block } = state;
    const [, ny, nx] = level.shape;
    const [cy, cx] = [level.chunkShape[1], level.chunkShape[2]];
    const prefix = this.#o.version === "0.4" ? `${level.path}/${row}` : `${level.path}/c/${row}`;
    for (let by = 0; by * block[1] < ny; by++) {
      for (let bx = 0; bx * block[2] < nx; bx++) {
        const key = `${prefix}/${by}/${bx}`;
        if (!this.#o.shard) {
          const at: Vec3 = [0, by * cy, bx * cx];
          const raw = this.#readChunk(state, row, by * state.grid[2] + bx, depth);
          const count = this.#countOf(state, depth, at);
          const mean = this.#meanOf(state, row, depth, at);
          await this.#submit(async () => await this.#writeFile(key, await this.#encode(raw, count, mean)));
          continue;
        }
        await this.#flushShard(state, row, depth, [by, bx], key);
      }
    }
    state.disk!.release(row);
  }

  /** Encodes the inner chunks of the shard at (by, bx) of a row, in C order, and writes the shard. */
  async #flushShard(
    state: LevelState,
    row: number,
    depth: number,
    [by, bx]: [number, number],
    key: string,
  ): Promise<void> {
    const { level, block } = state;
    const [, ny, nx] = level.shape;
    const [cz, cy, cx] = level.chunkShape;
    // Inner chunks wholly outside the array are absent.
    const inner: Promise<Uint8Array | undefined>[] = [];
    for (let iz = 0; iz < block[0] / cz; iz++) {
      for (let iy = 0; iy < block[1] / cy; iy++) {
        for (let ix = 0; ix < block[2] / cx; ix++) {
          const at: Vec3 = [iz * cz, by * block[1] + iy * cy, bx * block[2] + ix * cx];
          const [zs, ys, xs] = at;
          if (zs >= depth || ys >= ny || xs >= nx) {
            inner.push(Promise.resolve(undefined));
            continue;
          }
          const index = (iz * state.grid[1] + ys / cy) * state.grid[2] + xs / cx;
          const raw = this.#readChunk(state, row, index, Math.min(cz, depth - zs));
          const count = this.#countOf(state, depth, at);
          const mean = this.#meanOf(state, row, depth, at);
          const encoded = Promise.withResolvers<Uint8Array>();
          // Awaited by the shard's task below; this keeps a failure from being reported as unhandled meanwhile.
          encoded.promise.catch(() => {});
          inner.push(encoded.promise);
          await this.#submit(async () => {
            try {
              encoded.resolve(await this.#encode(raw, count, mean));
            } catch (error) {
              encoded.reject(error);
              throw error;
            }
          });
        }
      }
    }
    await this.#submit(async () => {
      const parts = await Promise.all(inner);
      await this.#writeFile(key, assembleShard(parts));
    });
  }

  #giveBack(raw: ArrayBuffer | undefined): void {
    if (!raw) return;
    const list = this.#spares.get(raw.byteLength) ?? [];
    // Every one is kept: no more buffers exist than chunks in flight at once, so keeping them holds no
    // memory the write did not already need.
    list.push(raw);
    this.#spares.set(raw.byteLength, list);
  }

  /** Runs a task with others, waiting while too many are running; the first failure stops the write. */
  async #submit(task: () => Promise<void>): Promise<void> {
    this.#check();
    const run = task().catch((error) => {
      this.#failure ??= error;
    }).finally(() => this.#inFlight.delete(run));
    this.#inFlight.add(run);
    while (this.#inFlight.size >= this.#maxInFlight) await Promise.race(this.#inFlight);
    this.#check();
  }

  #check(): void {
    this.#o.signal?.throwIfAborted();
    if (this.#failure !== undefined) throw this.#failure;
  }

  async finish(): Promise<void> {
    // Each row written can complete a row of the next level: write until nothing is left.
    for (;;) {
      await Promise.all(this.#inFlight);
      this.#check();
      if (this.#ready.length === 0) break;
      await this.#flushReady();
    }
    for (const state of this.#states) {
      const rows = Math.ceil(state.level.shape[0] / state.block[0]);
      if (state.fedByChunks && (state.rows.size > 0 || state.flushed !== rows)) {
        throw new Error(
          `Internal error: level ${state.level.path} got ${state.flushed} of ${rows} rows from the level above`,
        );
      }
    }
  }

  /**
   * Waits for every running task (so nothing writes into a staging folder being removed), removes the
   * temporary files and lets the pool go.
   */
  async settle(): Promise<void> {
    await Promise.allSettled(this.#inFlight);
    for (const state of this.#states) await state.disk?.remove();
    this.#release();
  }

  async #writeFile(key: string, bytes: Uint8Array): Promise<void> {
    const file = `${this.#o.staging}/${key}`;
    const dir = file.slice(0, file.lastIndexOf("/"));
    if (!this.#dirs.has(dir)) {
      await Deno.mkdir(dir, { recursive: true });
      this.#dirs.add(dir);
    }
    await Deno.writeFile(file, bytes);
    this.bytes += bytes.length;
  }

  /** A zarrita store writing into the staging folder (keys arrive as `/0/zarr.json`). */
  #zarrStore(staging: string): zarr.AsyncMutable {
    return {
      get: async (key: string) => await Deno.readFile(`${staging}${key}`).catch(() => undefined),
      // zarrita's create() builds an Array, which for a sharded one insists on ranged reads (never used here).
      getRange: async (key: string, range: { offset: number; length: number } | { suffixLength: number }) => {
        const bytes = await Deno.readFile(`${staging}${key}`).catch(() => undefined);
        if (!bytes) return undefined;
        return "suffixLength" in range
          ? bytes.subarray(bytes.length - range.suffixLength)
          : bytes.subarray(range.offset, range.offset + range.length);
      },
      set: async (key: string, value: Uint8Array) => await this.#writeFile(key.replace(/^\//, ""), value),
    };
  }
}

function json(value: unknown): Uint8Array {
  return textEncoder.encode(JSON.stringify(value, null, 2));
}
