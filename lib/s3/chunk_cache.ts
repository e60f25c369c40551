/**
 * A byte-budgeted LRU cache for store responses, the counterpart of
 * zarr-python's `LRUStoreCache` that the reference notebook wraps its S3 store in.
 *
 * @module
 */

/** Hit and miss counters of a {@linkcode ChunkCache}. */
export interface ChunkCacheStats {
  /** Lookups answered from the cache. */
  hits: number;
  /** Lookups that had to go to the store. */
  misses: number;
  /** Entries dropped to stay within budget. */
  evictions: number;
}

/**
 * Least-recently-used cache of byte arrays that holds at most `maxBytes`.
 * It has the `has`/`get`/`set` shape zarrita's `withByteCaching` takes. A
 * value larger than the whole budget is not kept. Misses (`undefined`) are
 * remembered at no cost, so a missing chunk is asked for once.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { ChunkCache } from "@spimfetch/spimfetch/s3";
 * const cache = new ChunkCache(8);
 * cache.set("a", new Uint8Array(4));
 * cache.set("b", new Uint8Array(4));
 * cache.get("a"); // "a" is now the most recently used
 * cache.set("c", new Uint8Array(4)); // evicts "b"
 * assert(cache.has("a") && !cache.has("b") && cache.size === 8);
 * ```
 */
export class ChunkCache {
  /** The budget in bytes. */
  readonly maxBytes: number;
  /** Counters since creation. */
  readonly stats: ChunkCacheStats = { hits: 0, misses: 0, evictions: 0 };
  // A Map iterates in insertion order: re-inserting on use keeps the least recent first.
  #entries = new Map<string, Uint8Array | undefined>();
  #bytes = 0;

  /**
   * Creates an empty cache.
   * @param maxBytes The budget in bytes. @default {268435456} (256 MiB, as in the reference notebook)
   * @throws {RangeError} If the budget is negative or not a number.
   */
  constructor(maxBytes: number = 256 * 2 ** 20) {
    if (!(maxBytes >= 0)) throw new RangeError(`Cannot budget ${maxBytes} bytes for a cache: expected >= 0`);
    this.maxBytes = maxBytes;
  }

  /** Bytes held now. */
  get size(): number {
    return this.#bytes;
  }

  /**
   * Whether `key` is cached (a remembered miss counts); counts a hit or a miss.
   * @param key The store key.
   * @returns True if cached.
   */
  has(key: string): boolean {
    const found = this.#entries.has(key);
    if (found) this.stats.hits++;
    else this.stats.misses++;
    return found;
  }

  /**
   * The cached bytes for `key`, marking it most recently used.
   * @param key The store key.
   * @returns The bytes, or `undefined` for a remembered miss or an absent key.
   */
  get(key: string): Uint8Array | undefined {
    const value = this.#entries.get(key);
    if (this.#entries.delete(key)) this.#entries.set(key, value);
    return value;
  }

  /**
   * Caches `value` under `key`, evicting least recently used entries to stay within budget.
   * @param key The store key.
   * @param value The bytes, or `undefined` to remember a miss.
   */
  set(key: string, value: Uint8Array | undefined): void {
    this.delete(key);
    const bytes = value?.byteLength ?? 0;
    if (bytes > this.maxBytes) return;
    for (const [oldest, old] of this.#entries) {
      if (this.#bytes + bytes <= this.maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= old?.byteLength ?? 0;
      this.stats.evictions++;
    }
    this.#entries.set(key, value);
    this.#bytes += bytes;
  }

  /**
   * Drops `key`.
   * @param key The store key.
   * @returns True if it was cached.
   */
  delete(key: string): boolean {
    if (!this.#entries.has(key)) return false;
    this.#bytes -= this.#entries.get(key)?.byteLength ?? 0;
    return this.#entries.delete(key);
  }

  /** Drops everything. */
  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}
