/**
 * A small Zarr v3 reader for tests, written from the Zarr v3 specification
 * (https://zarr-specs.readthedocs.io/en/latest/v3/core/index.html) and its
 * sharding (`sharding_indexed`) and `crc32c` codec specifications, sharing no
 * code with spimfetch's writer: it reads an array of a store on disk into
 * memory, checking what it reads. It knows the `regular` chunk grid, the
 * `default` chunk key encoding, and the codecs `bytes` (little-endian),
 * `blosc` (numcodecs' WASM c-blosc), `gzip` (`node:zlib`), `crc32c` and
 * `sharding_indexed` (index at the start or end).
 *
 * @module
 */
import zlib from "node:zlib";
import Blosc from "numcodecs/blosc";

/** An array read back. */
export interface ReadV3Array {
  /** The array's `zarr.json`. */
  metadata: V3ArrayMetadata;
  /** The shape. */
  shape: number[];
  /** The voxels, C order. */
  data:
    | Uint8Array
    | Int8Array
    | Uint16Array
    | Int16Array
    | Uint32Array
    | Int32Array
    | Float32Array
    | Float64Array;
  /** Chunk files that were absent (read as the fill value). */
  missingChunks: number;
  /** Inner chunks that shards marked absent. */
  missingInnerChunks: number;
}

/** The fields of an array's `zarr.json` this reader uses. */
export interface V3ArrayMetadata {
  /** Must be 3. */
  zarr_format: number;
  /** Must be "array". */
  node_type: string;
  /** The shape. */
  shape: number[];
  /** The data type name. */
  data_type: string;
  /** The chunk grid. */
  chunk_grid: { name: string; configuration: { chunk_shape: number[] } };
  /** The chunk key encoding. */
  chunk_key_encoding: { name: string; configuration?: { separator?: string } };
  /** The codec pipeline. */
  codecs: Codec[];
  /** The fill value. */
  fill_value: number;
  /** Optional axis names. */
  dimension_names?: string[];
}

interface Codec {
  name: string;
  configuration?: Record<string, unknown>;
}

const TYPES = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

/**
 * CRC-32C computed bit by bit (Castagnoli polynomial, reflected 0x82F63B78),
 * as RFC 3720 appendix B.4 gives it; deliberately not table-driven.
 *
 * @param bytes The bytes.
 * @returns The checksum.
 */
export function crc32cBitwise(bytes: Uint8Array): number {
  let crc = ~0 >>> 0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0x82f63b78 & -(crc & 1));
  }
  return ~crc >>> 0;
}

async function decodeBytesToBytes(codec: Codec, bytes: Uint8Array): Promise<Uint8Array> {
  switch (codec.name) {
    case "gzip":
      return new Uint8Array(zlib.gunzipSync(bytes));
    case "blosc":
      return await Blosc.fromConfig({ id: "blosc" }).decode(bytes);
    case "crc32c": {
      const body = bytes.subarray(0, bytes.length - 4);
      const stored = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).getUint32(0, true);
      const computed = crc32cBitwise(body);
      if (stored !== computed) {
        throw new Error(`crc32c mismatch: stored ${stored.toString(16)}, computed ${computed.toString(16)}`);
      }
      return body;
    }
    default:
      throw new Error(`unsupported codec ${codec.name}`);
  }
}

/** Runs a codec pipeline backwards to the chunk's raw little-endian bytes. */
async function decodePipeline(codecs: Codec[], bytes: Uint8Array): Promise<Uint8Array> {
  const arrayToBytes = codecs.findIndex((c) => c.name === "bytes" || c.name === "sharding_indexed");
  if (arrayToBytes < 0) throw new Error("no array-to-bytes codec");
  if (codecs.slice(0, arrayToBytes).length > 0) throw new Error("array-to-array codecs are not supported");
  let out = bytes;
  for (const codec of codecs.slice(arrayToBytes + 1).reverse()) out = await decodeBytesToBytes(codec, out);
  const endian = codecs[arrayToBytes].configuration?.endian;
  if (codecs[arrayToBytes].name === "bytes" && endian !== undefined && endian !== "little") {
    throw new Error(`big-endian chunks are not supported`);
  }
  return out;
}

function product(values: number[]): number {
  return values.reduce((a, b) => a * b, 1);
}

/** Every index tuple of a grid, C order. */
function* gridIndices(counts: number[]): Generator<number[]> {
  const index = counts.map(() => 0);
  if (counts.some((n) => n === 0)) return;
  for (;;) {
    yield [...index];
    let d = counts.length - 1;
    while (d >= 0 && ++index[d] === counts[d]) index[d--] = 0;
    if (d < 0) return;
  }
}

/**
 * Copies a decoded chunk (`chunkShape`, C order) whose origin is `origin`
 * into `out` (`shape`), clipped to the array.
 */
function place(
  out: Uint8Array,
  shape: number[],
  chunk: Uint8Array,
  chunkShape: number[],
  origin: number[],
  itemsize: number,
): void {
  const extent = chunkShape.map((n, d) => Math.min(n, shape[d] - origin[d]));
  if (extent.some((n) => n <= 0)) return;
  const inner = extent.slice(0, -1);
  const last = extent[extent.length - 1];
  for (const idx of gridIndices(inner)) {
    let src = 0, dst = 0;
    for (let d = 0; d < shape.length; d++) {
      const i = d < idx.length ? idx[d] : 0;
      src = src * chunkShape[d] + i;
      dst = dst * shape[d] + origin[d] + i;
    }
    out.set(chunk.subarray(src * itemsize, (src + last) * itemsize), dst * itemsize);
  }
}

/**
 * Reads a Zarr v3 array from a store on disk.
 *
 * @param storeDir The store's folder.
 * @param path The array's path inside it ("" for the root).
 * @returns The metadata and the voxels.
 */
export async function readZarrV3Array(storeDir: string, path: string): Promise<ReadV3Array> {
  const base = path === "" ? storeDir : `${storeDir}/${path}`;
  const metadata = JSON.parse(await Deno.readTextFile(`${base}/zarr.json`)) as V3ArrayMetadata;
  if (metadata.zarr_format !== 3 || metadata.node_type !== "array") {
    throw new Error(`${base} is not a v3 array`);
  }
  if (metadata.chunk_grid.name !== "regular") throw new Error("only the regular chunk grid is supported");
  if (metadata.chunk_key_encoding.name !== "default") {
    throw new Error("only the default key encoding is supported");
  }
  const Type = TYPES[metadata.data_type as keyof typeof TYPES];
  if (!Type) throw new Error(`unsupported data type ${metadata.data_type}`);
  const itemsize = Type.BYTES_PER_ELEMENT;
  const { shape } = metadata;
  const chunkShape = metadata.chunk_grid.configuration.chunk_shape;
  const separator = metadata.chunk_key_encoding.configuration?.separator ?? "/";
  const out = new Uint8Array(product(shape) * itemsize);
  const fill = new Type(1);
  fill[0] = metadata.fill_value;
  const fillBytes = new Uint8Array(fill.buffer);
  for (let i = 0; i < out.length; i += itemsize) out.set(fillBytes, i);

  let missingChunks = 0;
  let missingInnerChunks = 0;
  const counts = shape.map((n, d) => Math.ceil(n / chunkShape[d]));
  const sharding = metadata.codecs.length === 1 && metadata.codecs[0].name === "sharding_indexed"
    ? metadata.codecs[0].configuration as {
      chunk_shape: number[];
      codecs: Codec[];
      index_codecs: Codec[];
      index_location?: "start" | "end";
    }
    : undefined;
  for (const index of gridIndices(counts)) {
    const key = ["c", ...index.map(String)].join(separator);
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(`${base}/${key}`);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        missingChunks++;
        continue;
      }
      throw error;
    }
    const origin = index.map((i, d) => i * chunkShape[d]);
    if (!sharding) {
      const raw = await decodePipeline(metadata.codecs, bytes);
      if (raw.length !== product(chunkShape) * itemsize) {
        throw new Error(
          `chunk ${key} decodes to ${raw.length} bytes, expected ${product(chunkShape) * itemsize}`,
        );
      }
      place(out, shape, raw, chunkShape, origin, itemsize);
      continue;
    }
    // A shard: inner chunks, and an index of (offset, nbytes) uint64 pairs, C order, 2^64-1 for absent.
    const inner = sharding.chunk_shape;
    const perShard = chunkShape.map((n, d) => n / inner[d]);
    if (perShard.some((n) => !Number.isInteger(n))) {
      throw new Error("shard shape is not a multiple of the inner");
    }
    const entries = product(perShard);
    const indexBytes = entries * 16 + (sharding.index_codecs.some((c) => c.name === "crc32c") ? 4 : 0);
    const at = sharding.index_location === "start" ? 0 : bytes.length - indexBytes;
    const shardIndex = await decodePipeline(sharding.index_codecs, bytes.subarray(at, at + indexBytes));
    const view = new DataView(shardIndex.buffer, shardIndex.byteOffset, shardIndex.byteLength);
    let e = 0;
    for (const innerIndex of gridIndices(perShard)) {
      const offset = view.getBigUint64(16 * e, true);
      const nbytes = view.getBigUint64(16 * e + 8, true);
      e++;
      if (offset === 0xffffffffffffffffn && nbytes === 0xffffffffffffffffn) {
        missingInnerChunks++;
        continue;
      }
      if (offset + nbytes > BigInt(bytes.length)) throw new Error(`inner chunk past the end of shard ${key}`);
      const raw = await decodePipeline(
        sharding.codecs,
        bytes.subarray(Number(offset), Number(offset + nbytes)),
      );
      if (raw.length !== product(inner) * itemsize) {
        throw new Error(`inner chunk of ${key} has the wrong size`);
      }
      place(out, shape, raw, inner, origin.map((o, d) => o + innerIndex[d] * inner[d]), itemsize);
    }
  }
  return { metadata, shape, data: new Type(out.buffer), missingChunks, missingInnerChunks };
}
