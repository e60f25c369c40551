/**
 * Checks of array metadata that zarrita takes on trust, made before anything
 * is read: codecs, order and chunk key separators, then shape and chunk
 * shape against what can be indexed and allocated; and a wrapper that checks
 * every decoded chunk against its chunk shape. A shape can ask for more
 * memory than the machine has and a chunk can decode to the wrong length:
 * each check refuses such input with a message that names the figure.
 *
 * @module
 */
import { registry } from "zarrita";
import { MetadataError, S3RequestError } from "../core/errors.ts";
import { describeBytes } from "../core/bytes.ts";
import { escapeControl } from "../core/text.ts";

/** Largest decoded chunk accepted: AIND's are 4 MiB; a chunk this big is a mistake or an attack. */
const MAX_CHUNK_BYTES: number = 2 ** 30;

/**
 * Most chunks along one axis: AIND's finest level has 58 × 160 × 116. Readers
 * plan per chunk row, so a grid of billions (a chunk size of 1 along a huge
 * axis) would hang them before the first request.
 */
const MAX_CHUNKS_PER_AXIS: number = 2 ** 20;

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
 * import { checkArrayMetadata } from "./_array_checks.ts";
 * import { MetadataError } from "@spimfetch/spimfetch";
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
  const fields = fieldChecks(options);
  if (zarrFormat === 2) checkZarrayFields(doc, fields);
  else checkArrayJsonFields(doc, fields);
}

/** Refusals of one document's fields, each naming the document and the field. */
interface FieldChecks {
  /** Refuses the document with a message. */
  fail(message: string): never;
  /** Refuses a field that is not a list of numbers. */
  numbers(field: string, value: unknown): void;
  /** Refuses a field that is not a string. */
  string(field: string, value: unknown): void;
}

function fieldChecks({ source, what }: { source: string; what: string }): FieldChecks {
  const fail = (message: string): never => {
    throw new MetadataError(`${what} ${message}`, { source });
  };
  return {
    fail,
    numbers: (field, value) => {
      if (!Array.isArray(value) || !value.every((n) => typeof n === "number")) {
        fail(`has ${field} ${brief(value)}: expected a list of integers`);
      }
    },
    string: (field, value) => {
      if (typeof value !== "string") fail(`has ${field} ${brief(value)}: expected a string`);
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A codec name as messages show it: escaped, at most 100 characters. */
function codecName(name: unknown): string {
  return JSON.stringify(escapeControl(String(name).slice(0, 100)));
}

/** Zarr v2's `.zarray`: shape, chunks, dtype, filters and compressor zarrita knows, order, separator. */
function checkZarrayFields(doc: Record<string, unknown>, { fail, numbers, string }: FieldChecks): void {
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
    if (!registry.has(name) && !/^(numcodecs\.)?fixedscaleoffset$/.test(id as string)) {
      fail(`uses the ${role} ${codecName(id)}, which cannot be decoded here`);
    }
  }
  if (doc.order !== undefined && doc.order !== "C" && doc.order !== "F") {
    fail(`has order ${brief(doc.order)}: expected "C" or "F"`);
  }
  const separator = doc.dimension_separator;
  if (separator !== undefined && separator !== null && separator !== "." && separator !== "/") {
    fail(`has dimension_separator ${brief(separator)}: expected "." or "/"`);
  }
}

/** Zarr v3's array `zarr.json`: node type, shape, type, regular grid, key encoding, names, codecs. */
function checkArrayJsonFields(doc: Record<string, unknown>, fields: FieldChecks): void {
  const { fail, numbers, string } = fields;
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
  checkCodecList(doc.codecs, "codecs", fields);
  const encoding = doc.chunk_key_encoding as { configuration?: { separator?: unknown } } | undefined;
  const separator = encoding?.configuration?.separator;
  if (separator !== undefined && separator !== "." && separator !== "/") {
    fail(`has chunk key separator ${brief(separator)}: expected "." or "/"`);
  }
}

/** A v3 codec list: each an object with a string name zarrita knows; a sharding codec's lists too. */
function checkCodecList(list: unknown, where: string, fields: FieldChecks): void {
  const { fail } = fields;
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
      const sharding = (codec as { configuration?: Record<string, unknown> }).configuration ?? {};
      checkCodecList(sharding.codecs, `${where} (sharding codecs)`, fields);
      checkCodecList(sharding.index_codecs ?? [], `${where} (sharding index codecs)`, fields);
    } else if (!registry.has(name as string)) {
      fail(`uses the codec ${codecName(name)}, which cannot be decoded here`);
    }
  }
}

/** Options for {@linkcode checkArrayLayout}. */
export interface ArrayLayoutOptions {
  /** Where the array metadata came from, for messages. */
  source: string;
  /** What the array is, e.g. `level 3`. */
  what: string;
  /** Largest decoded chunk accepted. @default {1073741824 (1 GiB)} */
  maxChunkBytes?: number;
}

/**
 * Checks an array's shape and chunk shape before anything is read: both
 * positive integers of the same rank, a voxel count that can be indexed, at
 * most 2^20 chunks along any axis, and a decoded
 * chunk no larger than `maxChunkBytes` (every chunk read allocates one, even
 * a missing chunk that reads as fill value).
 *
 * @example
 * ```ts
 * import { assertThrows } from "@std/assert";
 * import { checkArrayLayout } from "./_array_checks.ts";
 * import { MetadataError } from "@spimfetch/spimfetch";
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
 * import { guardChunkDecoding } from "./_array_checks.ts";
 * import { MetadataError } from "@spimfetch/spimfetch";
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
