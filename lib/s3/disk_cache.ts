/**
 * An on-disk cache of fetched objects, so that an interrupted export resumes
 * where it stopped instead of fetching every chunk again.
 *
 * A key from S3 never becomes a path: an entry's file name is the SHA-256 of
 * the entry's id (endpoint, bucket, key and range), so `..`, absolute paths,
 * separators and unicode look-alikes in keys cannot reach outside the cache
 * directory or collide. Each entry is one file holding a small header (the
 * id, the length, the SHA-256 of the bytes and the ETag S3 gave) and the
 * bytes; it is written to a temporary file and renamed into place, and
 * checked against its header whenever it is read. An entry that fails the
 * check is deleted and reads as missing.
 *
 * @module
 */
import { join } from "node:path";

/** Counters of a {@linkcode DiskCache}. */
export interface DiskCacheStats {
  /** Reads answered from disk. */
  hits: number;
  /** Reads that found nothing. */
  misses: number;
  /** Entries written. */
  writes: number;
  /** Entries found damaged or not matching their id, and deleted. */
  rejected: number;
}

/** What an entry's header records. */
export interface DiskCacheEntryHeader {
  /** The id the entry was stored under. */
  id: string;
  /** Byte count of the content. */
  length: number;
  /** SHA-256 of the content, hex. */
  sha256: string;
  /** The ETag S3 answered with, when it gave one. */
  etag?: string;
}

/** Options for {@linkcode DiskCache.set}. */
export interface DiskCacheSetOptions {
  /** The object's ETag, kept in the entry's header. */
  etag?: string;
}

const MAGIC = "spimfetch-cache 1\n";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A directory of verified, atomically written cache entries.
 *
 * @example Store and read back an entry
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DiskCache } from "@spimfetch/spimfetch/s3";
 * const dir = await Deno.makeTempDir();
 * const cache = new DiskCache(dir);
 * await cache.set("s3://bucket/../../etc/passwd", new Uint8Array([1, 2, 3]), { etag: '"abc"' });
 * assertEquals(await cache.get("s3://bucket/../../etc/passwd"), new Uint8Array([1, 2, 3]));
 * assertEquals(await cache.get("s3://bucket/other"), undefined);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class DiskCache {
  /** The cache directory. */
  readonly dir: string;
  /** Counters since creation. */
  readonly stats: DiskCacheStats = { hits: 0, misses: 0, writes: 0, rejected: 0 };

  /**
   * Creates the cache; the directory is created on the first write.
   * @param dir The cache directory.
   * @throws {TypeError} If `dir` is empty.
   */
  constructor(dir: string) {
    if (dir === "") throw new TypeError("Cannot use an empty path as a cache directory");
    this.dir = dir;
  }

  /**
   * The file that holds an id's entry: `<dir>/<2 hex>/<64 hex>`, from the
   * id's SHA-256. Nothing of the id itself appears in the path.
   *
   * @example
   * ```ts
   * import { assert } from "@std/assert";
   * import { DiskCache } from "@spimfetch/spimfetch/s3";
   * const path = await new DiskCache("/tmp/c").pathOf("../../x");
   * assert(/^\/tmp\/c\/[0-9a-f]{2}\/[0-9a-f]{64}$/.test(path));
   * ```
   * @param id The entry's id.
   * @returns The path.
   */
  async pathOf(id: string): Promise<string> {
    const hex = await sha256Hex(encoder.encode(id));
    return join(this.dir, hex.slice(0, 2), hex);
  }

  /**
   * Reads an entry and checks it against its header (id, length, SHA-256).
   *
   * @example
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { DiskCache } from "@spimfetch/spimfetch/s3";
   * const dir = await Deno.makeTempDir();
   * assertEquals(await new DiskCache(dir).get("missing"), undefined);
   * await Deno.remove(dir, { recursive: true });
   * ```
   * @param id The entry's id.
   * @returns The content, or `undefined` if there is no sound entry (a damaged one is deleted).
   * @throws {Error} If the file exists but cannot be read (permissions, I/O).
   */
  async get(id: string): Promise<Uint8Array | undefined> {
    const path = await this.pathOf(id);
    let file: Uint8Array;
    try {
      file = await Deno.readFile(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        this.stats.misses++;
        return undefined;
      }
      throw error;
    }
    const entry = await parseEntry(file, id);
    if (!entry) {
      this.stats.rejected++;
      this.stats.misses++;
      // A damaged entry would fail the same way next time: drop it so it is fetched again.
      await Deno.remove(path).catch(() => {});
      return undefined;
    }
    this.stats.hits++;
    return entry.content;
  }

  /**
   * Writes an entry: to a temporary file in the entry's directory, then
   * renamed into place, so a reader (or a killed process) never leaves a
   * partial entry under the real name.
   *
   * @example
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { DiskCache } from "@spimfetch/spimfetch/s3";
   * const dir = await Deno.makeTempDir();
   * const cache = new DiskCache(dir);
   * await cache.set("k", new Uint8Array([7]));
   * assertEquals(cache.stats.writes, 1);
   * await Deno.remove(dir, { recursive: true });
   * ```
   * @param id The entry's id.
   * @param content The bytes.
   * @param options The ETag to record.
   * @throws {Error} If the directory cannot be created or written.
   */
  async set(id: string, content: Uint8Array, options: DiskCacheSetOptions = {}): Promise<void> {
    const path = await this.pathOf(id);
    const header: DiskCacheEntryHeader = {
      id,
      length: content.byteLength,
      sha256: await sha256Hex(content),
      ...(options.etag === undefined ? {} : { etag: options.etag }),
    };
    const head = encoder.encode(`${MAGIC}${JSON.stringify(header)}\n`);
    const dir = join(path, "..");
    await Deno.mkdir(dir, { recursive: true });
    const random = Array.from(
      crypto.getRandomValues(new Uint8Array(6)),
      (b) => b.toString(16).padStart(2, "0"),
    )
      .join("");
    const temp = `${path}.${random}.tmp`;
    const file = await Deno.open(temp, { write: true, createNew: true });
    let placed = false;
    try {
      try {
        await writeAll(file, head);
        await writeAll(file, content);
      } finally {
        file.close();
      }
      await Deno.rename(temp, path);
      placed = true;
      this.stats.writes++;
    } finally {
      if (!placed) await Deno.remove(temp).catch(() => {});
    }
  }

  /**
   * Reads an entry's header without checking the content, e.g. to see what a cache holds.
   *
   * @example
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { DiskCache } from "@spimfetch/spimfetch/s3";
   * const dir = await Deno.makeTempDir();
   * const cache = new DiskCache(dir);
   * await cache.set("k", new Uint8Array([7, 8]));
   * assertEquals((await DiskCache.readHeader(await cache.pathOf("k")))?.length, 2);
   * await Deno.remove(dir, { recursive: true });
   * ```
   * @param path An entry file.
   * @returns The header, or `undefined` if the file is not an entry.
   * @throws {Error} If the file cannot be read.
   */
  static async readHeader(path: string): Promise<DiskCacheEntryHeader | undefined> {
    return parseHeader(await Deno.readFile(path))?.header;
  }
}

function parseHeader(file: Uint8Array): { header: DiskCacheEntryHeader; offset: number } | undefined {
  const magic = encoder.encode(MAGIC);
  if (file.length < magic.length || decoder.decode(file.subarray(0, magic.length)) !== MAGIC) {
    return undefined;
  }
  // The header line is short; do not scan megabytes of content for a newline that is not there.
  const newline = file.subarray(magic.length, magic.length + 64 * 1024).indexOf(0x0a);
  if (newline < 0) return undefined;
  let header: DiskCacheEntryHeader;
  try {
    header = JSON.parse(decoder.decode(file.subarray(magic.length, magic.length + newline)));
  } catch {
    return undefined;
  }
  if (
    typeof header !== "object" || header === null || typeof header.id !== "string" ||
    !Number.isSafeInteger(header.length) || typeof header.sha256 !== "string"
  ) {
    return undefined;
  }
  return { header, offset: magic.length + newline + 1 };
}

async function parseEntry(
  file: Uint8Array,
  id: string,
): Promise<{ header: DiskCacheEntryHeader; content: Uint8Array } | undefined> {
  const parsed = parseHeader(file);
  if (!parsed || parsed.header.id !== id) return undefined;
  const content = file.subarray(parsed.offset);
  if (content.length !== parsed.header.length) return undefined;
  if (await sha256Hex(content) !== parsed.header.sha256) return undefined;
  // A copy starts at offset 0 of its own buffer: decoders may view it as 2- or 4-byte voxels, which
  // needs an aligned offset that the header's length does not give.
  return { header: parsed.header, content: content.slice() };
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.length;) offset += await file.write(bytes.subarray(offset));
}
