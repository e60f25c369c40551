/**
 * Compressed chunks kept on disk while thin slabs are cut from them, for chunk rows too large for the
 * in-memory chunk cache (level 2 of a SmartSPIM brain: ≈ 460 MB per compressed row; level 0: ≈ 10 GB).
 * Without it a level like that is read in whole chunk-row slabs (1.2 GB each at level 2), because thin
 * slabs would fetch the row again for every slab.
 *
 * Each chunk is fetched once, handed to the slab that asked for it, and written to a file of its own in a
 * temporary directory; later slabs read back only the Blosc blocks they need (a byte range of the file).
 * A chunk row's files are dropped once its last slab has been read, so the directory holds about one
 * compressed row, not the level. {@linkcode ChunkSpill.close} removes the directory.
 *
 * @module
 */
import { closeSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import { readBloscHeader } from "./blosc.ts";

const HEADER_BYTES = 16;
const FLAG_MEMCPYED = 0x2;

/** Counters of a {@linkcode ChunkSpill}. */
export interface ChunkSpillStats {
  /** Chunks fetched from the store (each once, unless its file was lost). */
  fetched: number;
  /** Chunk files written. */
  written: number;
  /** Reads of part of a chunk from its file. */
  reads: number;
  /** Bytes read back from files. */
  bytesRead: number;
  /** Bytes in files now. */
  bytesOnDisk: number;
  /** Most bytes in files at once. */
  peakBytesOnDisk: number;
}

/** A chunk's file, open, and where its blocks are. */
interface SpilledChunk {
  path: string;
  /** Open for reading. */
  fd: number;
  bytes: number;
  layout: BlockLayout | undefined;
}

/** Options for {@linkcode ChunkSpill}. */
export interface ChunkSpillOptions {
  /** Called once a chunk is on disk, e.g. to drop it from an in-memory cache that would keep it for nothing. */
  onSpilled?: (key: string) => void;
}

/**
 * A temporary directory of compressed chunks (see the module documentation). The directory is created at
 * the first write.
 *
 * @example A chunk fetched once, then read back in part
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { ChunkSpill } from "@spimfetch/spimfetch/codecs";
 * const dir = await Deno.makeTempDir();
 * const spill = new ChunkSpill(`${dir}/spill`);
 * const raw = new Uint8Array([2, 1, 0x2, 2, 8, 0, 0, 0, 8, 0, 0, 0, 24, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
 * let fetches = 0;
 * const fetch = () => Promise.resolve((fetches++, raw));
 * assertEquals(await spill.read("/0/0", [0, 8], fetch), raw);
 * const part = (await spill.read("/0/0", [2, 4], fetch))!;
 * assertEquals([fetches, part[18], part[19]], [1, 3, 4]);
 * await spill.close();
 * assertEquals([...Deno.readDirSync(dir)], []);
 * await Deno.remove(dir);
 * ```
 */
export class ChunkSpill {
  /** The directory. */
  readonly dir: string;
  /** Counters since creation. */
  readonly stats: ChunkSpillStats = {
    fetched: 0,
    written: 0,
    reads: 0,
    bytesRead: 0,
    bytesOnDisk: 0,
    peakBytesOnDisk: 0,
  };
  #options: ChunkSpillOptions;
  // Per key: its file once written, `null` for a chunk the store does not have, `undefined` when not kept.
  #entries = new Map<string, Promise<SpilledChunk | null | undefined>>();
  #writes = new Set<Promise<unknown>>();
  #made: Promise<void> | undefined;
  #next = 0;
  #closed = false;

  /**
   * Creates the spill; nothing is written until a chunk is read.
   * @param dir A directory that does not exist yet; it is created at the first write and removed by `close`.
   * @param options What to do once a chunk is on disk.
   */
  constructor(dir: string, options: ChunkSpillOptions = {}) {
    this.dir = dir;
    this.#options = options;
  }

  /**
   * The compressed chunk `key`, holding at least the Blosc blocks of decoded bytes `[start, end)`: the
   * whole chunk when this read fetched it (through `fetch`, once per key however many reads ask at once),
   * else a smaller Blosc chunk made of the blocks around `[start, end)`, read from disk in one range (the
   * header and the block table were kept in memory when the chunk was written).
   *
   * @param key The chunk's store key.
   * @param range Decoded bytes `[start, end)` wanted.
   * @param fetch Fetches the whole compressed chunk from the store.
   * @param signal Cancels the read.
   * @returns The bytes, or `undefined` for a chunk the store does not have.
   */
  async read(
    key: string,
    range: [number, number],
    fetch: () => Promise<Uint8Array | undefined>,
    signal?: AbortSignal,
  ): Promise<Uint8Array | undefined> {
    if (this.#closed) return await fetch();
    const known = this.#entries.get(key);
    if (known) {
      const entry = await known;
      if (entry === null) return undefined;
      signal?.throwIfAborted();
      const part = entry && this.#readPart(entry, range);
      if (part) return part;
      if (this.#entries.get(key) === known) this.#entries.delete(key);
    }
    let fetched: Uint8Array | undefined;
    const entry = (async () => {
      fetched = await fetch();
      this.stats.fetched++;
      return fetched ? await this.#write(key, fetched) : null;
    })();
    this.#entries.set(key, entry);
    // Waiters see a failed fetch as their own failure; this one rethrows it below.
    entry.catch(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
    await entry;
    return fetched;
  }

  /**
   * Deletes the files of chunks no slab needs any more.
   * @param keys The chunks' store keys.
   */
  async drop(keys: readonly string[]): Promise<void> {
    await Promise.all(keys.map(async (key) => {
      const known = this.#entries.get(key);
      if (!known) return;
      this.#entries.delete(key);
      const entry = await known.catch(() => undefined);
      if (!entry) return;
      closeQuietly(entry.fd);
      await Deno.remove(entry.path).catch(() => {});
      this.stats.bytesOnDisk -= entry.bytes;
    }));
  }

  /** Waits for writes in flight, then removes the directory and everything in it. Later reads only fetch. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#writes]);
    const entries = await Promise.allSettled([...this.#entries.values()]);
    for (const entry of entries) {
      if (entry.status === "fulfilled" && entry.value) closeQuietly(entry.value.fd);
    }
    this.#entries.clear();
    await Deno.remove(this.dir, { recursive: true }).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
    this.stats.bytesOnDisk = 0;
  }

  async #write(key: string, bytes: Uint8Array): Promise<SpilledChunk | undefined> {
    if (this.#closed) return undefined;
    // File names are counters: nothing of a store key reaches the file system.
    const path = join(this.dir, `${this.#next++}.chunk`);
    const writing = (async () => {
      this.#made ??= Deno.mkdir(this.dir, { recursive: true, mode: 0o700 });
      await this.#made;
      await Deno.writeFile(path, bytes, { createNew: true, mode: 0o600 });
      // The file stays open for the slabs that read it back (one open per chunk, not per slab).
      return openSync(path, "r");
    })();
    this.#writes.add(writing);
    let fd: number;
    try {
      fd = await writing;
    } finally {
      this.#writes.delete(writing);
    }
    this.stats.written++;
    this.stats.bytesOnDisk += bytes.byteLength;
    this.stats.peakBytesOnDisk = Math.max(this.stats.peakBytesOnDisk, this.stats.bytesOnDisk);
    this.#options.onSpilled?.(key);
    return { path, fd, bytes: bytes.byteLength, layout: blockLayout(bytes) };
  }

  #readPart(entry: SpilledChunk, [start, end]: [number, number]): Uint8Array {
    // Positioned reads of a few hundred KB from the page cache: synchronous ones cost a fraction of the
    // promise machinery of asynchronous ones, and a level-2 export makes about 150 000 of them.
    const read = (into: Uint8Array, at: number): void => {
      for (let done = 0; done < into.length;) {
        const bytesRead = readSync(entry.fd, into, done, into.length - done, at + done);
        if (bytesRead === 0) throw new Error(`${entry.path} ended early: the chunk file is damaged`);
        done += bytesRead;
      }
      this.stats.bytesRead += into.length;
    };
    const { layout } = entry;
    if (!layout) {
      // Not a Blosc chunk cut into blocks (stored raw, or unreadable): the whole file.
      const whole = new Uint8Array(entry.bytes);
      read(whole, 0);
      this.stats.reads++;
      return whole;
    }
    const { head, starts, ends, blocksize } = layout;
    const blocks = starts.length;
    // The blocks `sliceBloscBlocks` will take, by its rule: a part shorter than a block (the chunk's short
    // last block) takes the block before too. Should the two rules ever differ, the slicer finds a block
    // not read (start 0) and refuses, and the chunk is read whole through zarrita: slower, never wrong.
    let first = Math.floor(start / blocksize);
    const last = Math.min(blocks, Math.ceil(end / blocksize));
    if (Math.min(layout.nbytes, last * blocksize) - first * blocksize < blocksize && first > 0) first--;
    let lo = Infinity;
    let hi = 0;
    for (let b = first; b < last; b++) {
      lo = Math.min(lo, starts[b]);
      hi = Math.max(hi, ends[b]);
    }
    // A smaller Blosc chunk: the header, the block table (starts moved to where the blocks now sit; the
    // blocks not read keep 0 and are never looked at) and the stored bytes of the blocks read.
    const table = HEADER_BYTES + 4 * blocks;
    const chunk = new Uint8Array(table + hi - lo);
    chunk.set(head);
    const view = new DataView(chunk.buffer);
    view.setUint32(12, chunk.length, true);
    for (let b = first; b < last; b++) view.setInt32(HEADER_BYTES + 4 * b, starts[b] - lo + table, true);
    read(chunk.subarray(table), lo);
    this.stats.reads++;
    return chunk;
  }
}

/** Where a Blosc chunk's blocks are stored, read once when it is spilled. */
interface BlockLayout {
  /** The 16-byte header. */
  head: Uint8Array;
  /** Each block's first stored byte. */
  starts: number[];
  /** Each block's end: where the next stored block starts, or the chunk's end. */
  ends: number[];
  /** Decoded bytes per block. */
  blocksize: number;
  /** Decoded bytes of the chunk. */
  nbytes: number;
}

/** The block layout of a Blosc chunk, or `undefined` when it is stored raw or does not add up. */
function blockLayout(bytes: Uint8Array): BlockLayout | undefined {
  const header = readBloscHeader(bytes);
  if (!header || header.cbytes !== bytes.length || header.flags & FLAG_MEMCPYED || header.blocksize === 0) {
    return undefined;
  }
  const blocks = Math.ceil(header.nbytes / header.blocksize);
  const table = HEADER_BYTES + 4 * blocks;
  if (table > bytes.length) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const starts = Array.from({ length: blocks }, (_, b) => view.getInt32(HEADER_BYTES + 4 * b, true));
  if (starts.some((at) => at < table || at >= bytes.length)) return undefined;
  // Blocks may be stored out of order (c-blosc's threads write them as they finish): a block ends where
  // the next stored one starts.
  const sorted = [...new Set(starts)].sort((a, b) => a - b);
  const next = new Map(sorted.map((at, i) => [at, sorted[i + 1] ?? bytes.length]));
  return {
    head: bytes.slice(0, HEADER_BYTES),
    starts,
    ends: starts.map((at) => next.get(at)!),
    blocksize: header.blocksize,
    nbytes: header.nbytes,
  };
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed: nothing to release.
  }
}
