/**
 * Checks between metadata read from a bucket and what it steers: memory,
 * keys and decoders. A bucket is input like any other: a shape can ask for
 * more memory than the machine has, a chunk can decode to the wrong length,
 * a dataset path can point outside its image, a name can carry terminal
 * control sequences. Each check refuses such input before acting on it,
 * with a message that names the figure.
 *
 * @module
 */
import { registry } from "zarrita";
import { MetadataError, S3RequestError } from "./errors.ts";
import type { ImageLevel, OmeZarrImage } from "../metadata/image.ts";
import type { Region } from "../read/read.ts";
import { bytesPerVoxel, type VoxelType } from "./volume.ts";

/** Largest decoded chunk accepted: AIND's are 4 MiB; a chunk this big is a mistake or an attack. */
export const MAX_CHUNK_BYTES: number = 2 ** 30;

/**
 * Most chunks along one axis: AIND's finest level has 58 × 160 × 116. Readers
 * plan per chunk row, so a grid of billions (a chunk size of 1 along a huge
 * axis) would hang them before the first request.
 */
export const MAX_CHUNKS_PER_AXIS: number = 2 ** 20;

/** Longest name (one path segment) accepted, as on most file systems. */
const MAX_NAME_LENGTH = 255;

/**
 * Whether a string is a harmless name: one path segment, not `.` or `..`,
 * without `/`, `\`, control characters (C0, DEL, C1) or unicode
 * direction overrides, at most 255 characters.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { isSafeName } from "./guards.ts";
 * assert(isSafeName("Ex_561_Em_593") && isSafeName("3"));
 * assert(!isSafeName("..") && !isSafeName("a/b") && !isSafeName("x\u001b[2J") && !isSafeName(""));
 * ```
 * @param name The name.
 * @returns True if it is safe to use as a key segment and to print.
 */
export function isSafeName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_NAME_LENGTH && name !== "." && name !== ".." &&
    !NAME_UNSAFE.test(name);
}

// deno-lint-ignore no-control-regex
const NAME_UNSAFE = /[\u0000-\u001f\u007f-\u009f/\\\u202a-\u202e\u2066-\u2069]/;

/**
 * Whether a string is a relative key below an image: safe names joined by
 * single slashes (`3`, `scale0/image`), so it cannot climb out with `..`,
 * start at the root, or hide control characters.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { isSafeRelativePath } from "./guards.ts";
 * assert(isSafeRelativePath("0") && isSafeRelativePath("scale0/image"));
 * assert(!isSafeRelativePath("../../x") && !isSafeRelativePath("/etc") && !isSafeRelativePath("a//b"));
 * ```
 * @param path The path.
 * @returns True if every segment is a safe name.
 */
export function isSafeRelativePath(path: string): boolean {
  return path.length <= 1024 && path.split("/").every(isSafeName);
}

/**
 * Replaces control characters with visible escapes, so that text from a
 * bucket cannot drive the terminal it is printed on.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { escapeControl } from "./guards.ts";
 * assertEquals(escapeControl("a\u001b[2Jb\nc"), "a\\u001b[2Jb\nc");
 * ```
 * @param text Any text.
 * @returns The text with C0 (except newline and tab), DEL, C1 and direction-override characters escaped.
 */
export function escapeControl(text: string): string {
  return text.replace(PRINT_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

// Matching control characters is the point of these two.
// deno-lint-ignore no-control-regex
const PRINT_UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Formats a byte count for messages: `1.5 GiB (1610612736 bytes)`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { describeBytes } from "./guards.ts";
 * assertEquals(describeBytes(3 * 2 ** 30), "3.0 GiB (3221225472 bytes)");
 * ```
 * @param bytes The count.
 * @returns The text.
 */
export function describeBytes(bytes: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const exact = Number.isSafeInteger(bytes) ? `${bytes} bytes` : `${bytes.toExponential(3)} bytes`;
  return unit === 0 ? exact : `${value.toFixed(1)} ${units[unit]} (${exact})`;
}

/**
 * Whether a store key stays below the store's root: `/` followed by
 * segments that are not empty, `.` or `..`, without `\` or control
 * characters. zarrita builds chunk keys from the array metadata (a
 * `dimension_separator` of `/../` would climb), and some HTTP stacks resolve
 * dot segments in URLs.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { isContainedKey } from "./guards.ts";
 * assert(isContainedKey("/3/.zarray") && isContainedKey("/0/0/0/1/2/3") && isContainedKey("/0/0.0.1"));
 * assert(!isContainedKey("/0/../../x") && !isContainedKey("0/1") && !isContainedKey("/0//1"));
 * ```
 * @param key A key as zarrita asks for it.
 * @returns True if it cannot reach outside the root.
 */
export function isContainedKey(key: string): boolean {
  return key.startsWith("/") &&
    key.slice(1).split("/").every((s) => s !== "" && s !== "." && s !== ".." && !KEY_UNSAFE.test(s));
}

// deno-lint-ignore no-control-regex
const KEY_UNSAFE = /[\u0000-\u001f\u007f-\u009f\\]/;

/**
 * Wraps a store so that a key that could reach outside the image (see
 * {@linkcode isContainedKey}) is refused instead of fetched.
 *
 * @example
 * ```ts
 * import { assertRejects } from "@std/assert";
 * import { guardStoreKeys } from "./guards.ts";
 * import { MetadataError } from "./errors.ts";
 * const inner = { get: (_key: string) => Promise.resolve<Uint8Array | undefined>(new Uint8Array(1)) };
 * const store = guardStoreKeys(inner, "s3://b/a.zarr");
 * await assertRejects(() => store.get("/0/../../../secret"), MetadataError, "outside");
 * ```
 * @param store Any store with `get` (and optionally `getRange`).
 * @param source The store's location, for messages.
 * @returns The guarded store.
 */
export function guardStoreKeys<
  S extends { get(key: string, options?: unknown): Promise<Uint8Array | undefined> },
>(
  store: S,
  source: string,
): S {
  const check = (key: string): void => {
    if (!isContainedKey(key)) {
      throw new MetadataError(
        `the metadata leads to key ${
          JSON.stringify(escapeControl(key.slice(0, 200)))
        }, which reaches outside the image`,
        { source },
      );
    }
  };
  const guarded = Object.create(store) as S & { getRange?: (key: string, ...rest: unknown[]) => unknown };
  guarded.get = (key: string, options?: unknown) => {
    try {
      check(key);
    } catch (error) {
      return Promise.reject(error);
    }
    return store.get(key, options);
  };
  const getRange = (store as { getRange?: (key: string, ...rest: unknown[]) => Promise<unknown> }).getRange;
  if (getRange) {
    guarded.getRange = (key: string, ...rest: unknown[]) => {
      try {
        check(key);
      } catch (error) {
        return Promise.reject(error);
      }
      return getRange.call(store, key, ...rest);
    };
  }
  return guarded;
}

/**
 * Checks the fields of a parsed `.zarray` (Zarr v2) or array `zarr.json`
 * (v3) that zarrita takes on trust, before zarrita reads them: each field
 * must have the JSON type the spec gives it (zarrita calls string and list
 * methods on them, so a number where a string belongs would crash inside it),
 * every codec must be one zarrita knows (it loads codecs lazily, and an
 * unknown one can surface as an unhandled rejection rather than an error of
 * the read), v2's `order` must be C or F, and chunk keys must be separated by
 * `.` or `/`.
 *
 * @example
 * ```ts
 * import { assertThrows } from "@std/assert";
 * import { checkArrayMetadata } from "./guards.ts";
 * import { MetadataError } from "./errors.ts";
 * const zarray = {
 *   shape: [1, 1, 464, 1280, 925],
 *   chunks: [1, 1, 128, 128, 128],
 *   dtype: "<u2",
 *   compressor: { id: "blosc" },
 *   filters: null,
 *   order: "C",
 *   dimension_separator: "/",
 * };
 * checkArrayMetadata(zarray, 2, { source: "0/.zarray", what: "level 0" });
 * assertThrows(
 *   () => checkArrayMetadata({ ...zarray, compressor: { id: "nope" } }, 2, { source: "0/.zarray", what: "level 0" }),
 *   MetadataError,
 *   '"nope"',
 * );
 * ```
 * @param doc The parsed document.
 * @param zarrFormat 2 or 3.
 * @param options Where the document came from and what it describes.
 * @throws {MetadataError} For an unknown or malformed codec, order or separator.
 */
export function checkArrayMetadata(
  doc: Record<string, unknown>,
  zarrFormat: 2 | 3,
  options: { source: string; what: string },
): void {
  const { source, what } = options;
  const fail = (message: string): never => {
    throw new MetadataError(`${what} ${message}`, { source });
  };
  const known = (name: string): boolean => registry.has(name);
  const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === "object" && value !== null && !Array.isArray(value);
  const numbers = (field: string, value: unknown): void => {
    if (!Array.isArray(value) || !value.every((n) => typeof n === "number")) {
      fail(`has ${field} ${brief(value)}: expected a list of integers`);
    }
  };
  const string = (field: string, value: unknown): void => {
    if (typeof value !== "string") fail(`has ${field} ${brief(value)}: expected a string`);
  };
  if (zarrFormat === 2) {
    numbers("shape", doc.shape);
    numbers("chunks", doc.chunks);
    string("dtype", doc.dtype);
    const codecs = [
      ...(doc.filters === null || doc.filters === undefined
        ? []
        : Array.isArray(doc.filters)
        ? doc.filters.map((f) => ["filter", f] as const)
        : fail(`has filters ${brief(doc.filters)}: expected null or a list of codecs`)),
      ...(doc.compressor === null || doc.compressor === undefined
        ? []
        : [["compressor", doc.compressor] as const]),
    ];
    for (const [role, codec] of codecs) {
      const id = (codec as { id?: unknown } | null)?.id;
      if (typeof codec !== "object" || codec === null || typeof id !== "string") {
        fail(`has ${role} ${brief(codec)}: expected an object with a string "id"`);
      }
      const name = (id as string).startsWith("numcodecs.") ? id as string : `numcodecs.${id}`;
      if (!known(name) && !/^(numcodecs\.)?fixedscaleoffset$/.test(id as string)) {
        fail(
          `uses the ${role} ${
            JSON.stringify(escapeControl(String(id).slice(0, 100)))
          }, which cannot be decoded here`,
        );
      }
    }
    if (doc.order !== undefined && doc.order !== "C" && doc.order !== "F") {
      fail(`has order ${brief(doc.order)}: expected "C" or "F"`);
    }
    const separator = doc.dimension_separator;
    if (separator !== undefined && separator !== null && separator !== "." && separator !== "/") {
      fail(`has dimension_separator ${brief(separator)}: expected "." or "/"`);
    }
    return;
  }
  if (doc.node_type !== "array") fail(`has node_type ${brief(doc.node_type)}: expected "array"`);
  numbers("shape", doc.shape);
  string("data_type", doc.data_type);
  const grid = doc.chunk_grid;
  if (!isObject(grid) || grid.name !== "regular" || !isObject(grid.configuration)) {
    fail(
      `has chunk_grid ${brief(grid)}: expected {"name": "regular", "configuration": {"chunk_shape": [...]}}`,
    );
  }
  numbers(
    "chunk_grid chunk_shape",
    (grid as { configuration: Record<string, unknown> }).configuration.chunk_shape,
  );
  const keys = doc.chunk_key_encoding;
  if (
    !isObject(keys) || typeof keys.name !== "string" ||
    (keys.configuration !== undefined && !isObject(keys.configuration))
  ) {
    fail(`has chunk_key_encoding ${brief(keys)}: expected an object with a string "name"`);
  }
  if (
    doc.dimension_names !== undefined && doc.dimension_names !== null && !Array.isArray(doc.dimension_names)
  ) {
    fail(`has dimension_names ${brief(doc.dimension_names)}: expected a list`);
  }
  const check = (list: unknown, where: string): void => {
    if (!Array.isArray(list)) fail(`has ${where} ${brief(list)}: expected a list of codecs`);
    for (const codec of list as unknown[]) {
      const name = (codec as { name?: unknown } | null)?.name;
      const configuration = (codec as { configuration?: unknown } | null)?.configuration;
      if (
        typeof codec !== "object" || codec === null || typeof name !== "string" ||
        (configuration !== undefined && !isObject(configuration))
      ) {
        fail(
          `has a codec ${brief(codec)} in ${where}: expected an object with a string "name" (and an object ` +
            `"configuration")`,
        );
      }
      if (name === "sharding_indexed") {
        const configuration = (codec as { configuration?: Record<string, unknown> }).configuration ?? {};
        check(configuration.codecs, `${where} (sharding codecs)`);
        check(configuration.index_codecs ?? [], `${where} (sharding index codecs)`);
      } else if (!known(name as string)) {
        fail(
          `uses the codec ${
            JSON.stringify(escapeControl(String(name).slice(0, 100)))
          }, which cannot be decoded here`,
        );
      }
    }
  };
  check(doc.codecs, "codecs");
  const encoding = doc.chunk_key_encoding as { configuration?: { separator?: unknown } } | undefined;
  const separator = encoding?.configuration?.separator;
  if (separator !== undefined && separator !== "." && separator !== "/") {
    fail(`has chunk key separator ${brief(separator)}: expected "." or "/"`);
  }
}

/** Options for {@linkcode checkArrayLayout}. */
export interface ArrayLayoutOptions {
  /** Where the array metadata came from, for messages. */
  source: string;
  /** What the array is, e.g. `level 3`. */
  what: string;
  /** Largest decoded chunk accepted. @default {MAX_CHUNK_BYTES} */
  maxChunkBytes?: number;
}

/**
 * Checks an array's shape and chunk shape before anything is read: both
 * positive integers of the same rank, a voxel count that can be indexed, at
 * most {@linkcode MAX_CHUNKS_PER_AXIS} chunks along any axis, and a decoded
 * chunk no larger than `maxChunkBytes` (every chunk read allocates one, even
 * a missing chunk that reads as fill value).
 *
 * @example
 * ```ts
 * import { assertThrows } from "@std/assert";
 * import { checkArrayLayout } from "./guards.ts";
 * import { MetadataError } from "./errors.ts";
 * checkArrayLayout([1, 1, 464, 1280, 925], [1, 1, 128, 128, 128], 2, { source: ".zarray", what: "level 3" });
 * assertThrows(
 *   () => checkArrayLayout([100000, 100000], [100000, 100000], 2, { source: ".zarray", what: "level 0" }),
 *   MetadataError,
 *   "18.6 GiB",
 * );
 * ```
 * @param shape The array's shape.
 * @param chunks The chunk shape.
 * @param voxelBytes Bytes per voxel.
 * @param options Source, name and the chunk size cap.
 * @throws {MetadataError} If the layout is malformed or a chunk would be too large.
 */
export function checkArrayLayout(
  shape: readonly unknown[],
  chunks: readonly unknown[],
  voxelBytes: number,
  options: ArrayLayoutOptions,
): void {
  const { source, what } = options;
  const positive = (values: readonly unknown[]): boolean =>
    Array.isArray(values) && values.every((n) => Number.isSafeInteger(n) && (n as number) > 0);
  if (!positive(shape)) {
    throw new MetadataError(`${what} shape ${brief(shape)} must be positive integers`, { source });
  }
  if (!positive(chunks) || chunks.length !== shape.length) {
    throw new MetadataError(
      `${what} chunk shape ${brief(chunks)} must be ${shape.length} positive integers, one per dimension`,
      { source },
    );
  }
  const voxels = (shape as number[]).reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(voxels)) {
    throw new MetadataError(
      `${what} shape ${brief(shape)} holds ${
        voxels.toExponential(3)
      } voxels, more than can be indexed (2^53)`,
      { source },
    );
  }
  const grid = (shape as number[]).map((n, i) => Math.ceil(n / (chunks[i] as number)));
  const longest = grid.indexOf(Math.max(...grid));
  if (grid[longest] > MAX_CHUNKS_PER_AXIS) {
    throw new MetadataError(
      `${what} has ${grid[longest]} chunks along dimension ${longest} (shape ${brief(shape)}, chunks ${
        brief(chunks)
      }), more than the ${MAX_CHUNKS_PER_AXIS} accepted`,
      { source },
    );
  }
  const chunkBytes = (chunks as number[]).reduce((a, b) => a * b, 1) * voxelBytes;
  const max = options.maxChunkBytes ?? MAX_CHUNK_BYTES;
  if (chunkBytes > max) {
    throw new MetadataError(
      `${what} has chunks of ${brief(chunks)} voxels, ${describeBytes(chunkBytes)} each once decoded, ` +
        `more than the ${describeBytes(max)} a chunk may take`,
      { source },
    );
  }
}

function brief(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** What {@linkcode guardChunkDecoding} needs of an array: zarrita's `Array` has it. */
export interface ChunkedArray {
  /** The chunk shape. */
  readonly chunks: readonly number[];
  /** Fetches and decodes one chunk. */
  getChunk(coords: number[], ...rest: never[]): Promise<{ data: unknown }>;
}

/**
 * Makes an array check every decoded chunk: its voxel count must be the
 * chunk shape's, or the chunk is refused rather than placed (a short chunk
 * would leave zeros, a long one would shift voxels). Decoder failures (an
 * unknown codec, a damaged chunk) become {@linkcode MetadataError}s naming
 * the chunk; aborts and S3 failures pass through unchanged.
 *
 * @example
 * ```ts
 * import { assertRejects } from "@std/assert";
 * import * as zarr from "zarrita";
 * import { guardChunkDecoding } from "./guards.ts";
 * import { MetadataError } from "./errors.ts";
 * const store = new Map<string, Uint8Array>();
 * const array = await zarr.create(zarr.root(store), { shape: [4], chunkShape: [4], dtype: "uint16" });
 * store.set("/c/0", new Uint8Array(6)); // three voxels where the chunk has four
 * guardChunkDecoding(array, { source: "s3://bucket/a.zarr/0", what: "level 0" });
 * await assertRejects(() => zarr.get(array), MetadataError, "3 voxels");
 * ```
 * @param array The zarrita array; its `getChunk` is wrapped in place.
 * @param options Where the array lives and what it is, for messages.
 */
export function guardChunkDecoding(array: ChunkedArray, options: { source: string; what: string }): void {
  const expected = array.chunks.reduce((a, b) => a * b, 1);
  const getChunk = array.getChunk.bind(array);
  const guarded: ChunkedArray["getChunk"] = async (coords, ...rest) => {
    let chunk: { data: unknown };
    try {
      chunk = await getChunk(coords, ...rest);
    } catch (error) {
      const signal = (rest[0] as { signal?: AbortSignal } | undefined)?.signal;
      if (
        signal?.aborted || error instanceof S3RequestError || error instanceof MetadataError ||
        (error instanceof DOMException && error.name === "AbortError")
      ) {
        throw error;
      }
      throw new MetadataError(
        `chunk ${coords.join(",")} of ${options.what} cannot be decoded: ${
          (error as Error)?.message ?? error
        }`,
        { source: options.source, cause: error },
      );
    }
    const length = (chunk.data as { length: number }).length;
    if (length !== expected) {
      throw new MetadataError(
        `chunk ${coords.join(",")} of ${options.what} decodes to ${length} voxels, but the chunk shape ` +
          `${JSON.stringify(array.chunks)} holds ${expected}: the chunk is damaged or the metadata is wrong`,
        { source: options.source },
      );
    }
    return chunk;
  };
  Object.defineProperty(array, "getChunk", { value: guarded, configurable: true, writable: true });
}

/**
 * Memory the machine can give now (Linux's MemAvailable), or `undefined`
 * when it cannot be read (no `--allow-sys=systemMemoryInfo`).
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { availableMemory } from "./guards.ts";
 * const bytes = availableMemory();
 * assert(bytes === undefined || bytes > 0);
 * ```
 * @returns Bytes, or `undefined`.
 */
export function availableMemory(): number | undefined {
  try {
    const info = Deno.systemMemoryInfo();
    return info.available > 0 ? info.available : info.free;
  } catch {
    return undefined;
  }
}

/** Options for {@linkcode checkReadMemory}. */
export interface ReadMemoryOptions {
  /** The region to read. @default {the whole level} */
  region?: Region;
  /** Output voxel type. @default {"native"} */
  dtype?: "native" | VoxelType;
  /** Slab budget, as given to `streamLevel`. */
  maxSlabBytes?: number;
  /** Chunks decoded at once. @default {16} */
  concurrency?: number;
  /** `stream` (two slabs in memory, as `streamLevel`) or `whole` (the volume, as `readLevel`). @default {"stream"} */
  mode?: "stream" | "whole";
  /** The budget. @default {availableMemory()} */
  maxBytes?: number;
}

/**
 * Refuses a read of a level (or region) that would need more memory than the
 * budget, before anything is allocated or fetched. The estimate counts the
 * slabs in flight (the one being written and the one being fetched, one
 * chunk row thick unless `maxSlabBytes` makes them thinner, as
 * `streamLevel` does), or the whole volume for `mode: "whole"`, plus one
 * decoded chunk per concurrent decode.
 *
 * @example
 * ```ts ignore
 * import { checkReadMemory } from "./guards.ts";
 * checkReadMemory(image, 0, { maxBytes: 8 * 2 ** 30 }); // throws for a whole-brain level 0
 * ```
 * @param image The opened image.
 * @param level The level index.
 * @param options Region, voxel type, slab budget, concurrency and the budget.
 * @returns The estimated bytes.
 * @throws {RangeError} If the estimate exceeds the budget; the message names both figures.
 */
export function checkReadMemory(image: OmeZarrImage, level: number, options: ReadMemoryOptions = {}): number {
  const found: ImageLevel | undefined = image.levels[level];
  if (!found) return 0; // getLevel reports unknown levels, with the list of those that exist.
  const [za, ya, xa] = image.multiscales.spatialAxes;
  const extent = (axis: number, range: [number, number] | undefined): number =>
    range ? Math.max(0, range[1] - range[0]) : found.shape[axis];
  const nz = extent(za, options.region?.z);
  const ny = extent(ya, options.region?.y);
  const nx = extent(xa, options.region?.x);
  const native = bytesPerVoxel(found.dtype);
  const out = !options.dtype || options.dtype === "native" ? native : bytesPerVoxel(options.dtype);
  // A cast keeps the stored voxels and the converted ones side by side.
  const cast = options.dtype !== undefined && options.dtype !== "native" && options.dtype !== found.dtype;
  const perVoxel = out + (cast ? native : 0);
  const planeBytes = ny * nx * perVoxel;
  const chunkBytes = found.chunks.reduce((a, b) => a * b, 1) * native;
  const decoding = (options.concurrency ?? 16) * chunkBytes;
  let needed: number;
  let detail: string;
  if (options.mode === "whole") {
    needed = nz * planeBytes + decoding;
    detail = `the volume, ${nz} x ${ny} x ${nx} voxels`;
  } else {
    const zChunk = found.chunks[za];
    const planes = Math.max(
      1,
      Math.min(zChunk, nz, Math.floor((options.maxSlabBytes ?? Infinity) / planeBytes)),
    );
    needed = 2 * planes * planeBytes + decoding;
    detail = `2 slabs of ${planes} x ${ny} x ${nx} voxels`;
  }
  const budget = options.maxBytes ?? availableMemory();
  if (budget !== undefined && needed > budget) {
    throw new RangeError(
      `Cannot read level ${level} of ${image.uri}: it needs about ${describeBytes(needed)} of memory ` +
        `(${detail}, and ${options.concurrency ?? 16} chunks of ${describeBytes(chunkBytes)} decoding), ` +
        `more than the ${describeBytes(budget)} ${
          options.maxBytes === undefined ? "available" : "allowed"
        }; ` +
        `read a coarser level (--level), a region (roi) or thinner slabs (maxSlabBytes)`,
    );
  }
  return needed;
}
