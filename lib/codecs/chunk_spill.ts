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
import { open } from "node:fs/promises";
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

/** A chunk's file. */
interface SpilledChunk {
  path: string;
  bytes: number;
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
  // Per key: its file once written (or `undefined` for a chunk the store does not have).
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
   * else a buffer of the chunk's full compressed length in which only the header, the block starts and the
   * blocks around `[start, end)` were read from disk (the rest is zero and, never written, never resident).
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
      const part = entry && await this.#readPart(entry.path, range).catch((error) => {
        // A file gone (removed under us) is fetched again rather than failing the export.
        if (error?.code === "ENOENT") return undefined;
        throw error;
      });
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
      await Deno.remove(entry.path).catch(() => {});
      this.stats.bytesOnDisk -= entry.bytes;
    }));
  }

  /** Waits for writes in flight, then removes the directory and everything in it. Later reads only fetch. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#writes]);
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
    })();
    this.#writes.add(writing);
    try {
      await writing;
    } finally {
      this.#writes.delete(writing);
    }
    this.stats.written++;
    this.stats.bytesOnDisk += bytes.byteLength;
    this.stats.peakBytesOnDisk = Math.max(this.stats.peakBytesOnDisk, this.stats.bytesOnDisk);
    this.#options.onSpilled?.(key);
    return { path, bytes: bytes.byteLength };
  }

  async #readPart(path: string, [start, end]: [number, number]): Promise<Uint8Array | undefined> {
    const file = await open(path, "r");
    try {
      const read = async (into: Uint8Array, at: number): Promise<void> => {
        for (let done = 0; done < into.length;) {
          const { bytesRead } = await file.read(into, done, into.length - done, at + done);
          if (bytesRead === 0) throw new Error(`${path} ended early: the chunk file is damaged`);
          done += bytesRead;
        }
        this.stats.bytesRead += into.length;
      };
      const head = new Uint8Array(HEADER_BYTES);
      await read(head, 0);
      const header = readBloscHeader(head);
      if (!header || header.cbytes < HEADER_BYTES) return undefined;
      // A fresh buffer is zero pages the kernel maps on first write: only the parts read become resident.
      const chunk = new Uint8Array(header.cbytes);
      chunk.set(head);
      const { nbytes, blocksize, flags } = header;
      if (flags & FLAG_MEMCPYED || blocksize === 0) {
        await read(chunk.subarray(HEADER_BYTES), HEADER_BYTES);
      } else {
        const blocks = Math.ceil(nbytes / blocksize);
        const table = chunk.subarray(HEADER_BYTES, HEADER_BYTES + 4 * blocks);
        await read(table, HEADER_BYTES);
        const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
        const starts = Array.from({ length: blocks }, (_, b) => view.getInt32(4 * b, true));
        // Blocks may be stored out of order (c-blosc's threads write them as they finish): a block ends
        // where the next stored one starts. One block more on each side covers the slicer's short-block rule.
        const sorted = [...starts, header.cbytes].sort((a, b) => a - b);
        const endOf = (s: number): number => sorted.find((t) => t > s) ?? header.cbytes;
        const first = Math.max(0, Math.floor(start / blocksize) - 1);
        const last = Math.min(blocks, Math.ceil(end / blocksize) + 1);
        let lo = header.cbytes;
        let hi = 0;
        for (let b = first; b < last; b++) {
          lo = Math.min(lo, starts[b]);
          hi = Math.max(hi, endOf(starts[b]));
        }
        if (!(lo >= HEADER_BYTES + 4 * blocks && hi <= header.cbytes && lo < hi)) return undefined;
        await read(chunk.subarray(lo, hi), lo);
      }
      this.stats.reads++;
      return chunk;
    } finally {
      await file.close();
    }
  }
}
