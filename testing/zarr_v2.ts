/**
 * Writes Zarr v2 arrays to the spec, for tests and the demo: zarrita 0.7
 * writes only Zarr v3, and AIND's data is v2 with Blosc (numcodecs' codec).
 *
 * @module
 */
import Blosc from "numcodecs/blosc";
import { encodeBlosc } from "./blosc_encoder.ts";

/** Blosc settings as they appear in `.zarray`. */
export interface BloscSettings {
  /** Inner compressor. @default {"zstd"} */
  cname?: string;
  /** Compression level. @default {1} */
  clevel?: number;
  /** 0 none, 1 byte shuffle, 2 bit shuffle. @default {1} */
  shuffle?: 0 | 1 | 2;
  /** Block size in bytes, 0 for automatic. @default {0} */
  blocksize?: number;
}

/** What to write. */
export interface ZarrV2ArraySpec {
  /** The voxels, C order. */
  data: Uint8Array | Uint16Array | Int16Array | Float32Array;
  /** The array shape. */
  shape: number[];
  /** The chunk shape. */
  chunks: number[];
  /** Blosc settings, or `null` for uncompressed chunks. */
  compressor?: BloscSettings | null;
  /** `/` (AIND) or `.` between chunk indices. @default {"/"} */
  dimensionSeparator?: "/" | ".";
  /**
   * Who writes the Blosc chunks: numcodecs' WASM c-blosc (always typesize 4),
   * or `testing/blosc_encoder.ts` with the item size as typesize and 128 KiB
   * blocks, the layout zarr-python gives AIND's chunks (and much faster).
   * @default {"numcodecs"}
   */
  encoder?: "numcodecs" | "native";
  /** Chunk keys to leave out (zarrita must then use the fill value). */
  skip?: (coords: number[]) => boolean;
}

const DTYPES = new Map<unknown, string>([
  [Uint8Array, "|u1"],
  [Uint16Array, "<u2"],
  [Int16Array, "<i2"],
  [Float32Array, "<f4"],
]);

/**
 * Encodes an array as Zarr v2 objects: `.zarray` plus one key per chunk,
 * below `prefix` (e.g. `image.zarr/3`). Edge chunks are padded to full size, as the spec says.
 *
 * @param prefix The array's key prefix, without a trailing slash.
 * @param spec The data and layout.
 * @returns Key/bytes pairs.
 */
export async function encodeZarrV2Array(
  prefix: string,
  spec: ZarrV2ArraySpec,
): Promise<Map<string, Uint8Array>> {
  const { data, shape, chunks } = spec;
  const dtype = DTYPES.get(data.constructor);
  if (!dtype) throw new TypeError(`Cannot write ${data.constructor.name} as Zarr v2`);
  const separator = spec.dimensionSeparator ?? "/";
  const compressor = spec.compressor === null ? null : {
    id: "blosc",
    cname: spec.compressor?.cname ?? "zstd",
    clevel: spec.compressor?.clevel ?? 1,
    shuffle: spec.compressor?.shuffle ?? 1,
    blocksize: spec.compressor?.blocksize ?? 0,
  };
  const codec = compressor ? Blosc.fromConfig(compressor) : undefined;
  const out = new Map<string, Uint8Array>();
  out.set(
    `${prefix}/.zarray`,
    new TextEncoder().encode(JSON.stringify({
      zarr_format: 2,
      shape,
      chunks,
      dtype,
      compressor,
      fill_value: 0,
      order: "C",
      filters: null,
      dimension_separator: separator,
    })),
  );
  const rank = shape.length;
  const grid = shape.map((n, i) => Math.ceil(n / chunks[i]));
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const chunkLength = chunks.reduce((a, b) => a * b, 1);
  const Ctor = data.constructor as new (n: number) => typeof data;
  const coords = new Array(rank).fill(0);
  const total = grid.reduce((a, b) => a * b, 1);
  for (let n = 0; n < total; n++) {
    let rest = n;
    for (let i = rank - 1; i >= 0; i--) {
      coords[i] = rest % grid[i];
      rest = Math.floor(rest / grid[i]);
    }
    if (spec.skip?.(coords)) continue;
    const chunk = new Ctor(chunkLength);
    // Copy row by row along the last axis.
    const rows = chunkLength / chunks[rank - 1];
    for (let r = 0; r < rows; r++) {
      let srcOffset = 0;
      let inside = true;
      let rem = r;
      for (let i = rank - 2; i >= 0; i--) {
        const local = rem % chunks[i];
        rem = Math.floor(rem / chunks[i]);
        const global = coords[i] * chunks[i] + local;
        if (global >= shape[i]) inside = false;
        srcOffset += global * strides[i];
      }
      if (!inside) continue;
      const x0 = coords[rank - 1] * chunks[rank - 1];
      const width = Math.min(chunks[rank - 1], shape[rank - 1] - x0);
      chunk.set(data.subarray(srcOffset + x0, srcOffset + x0 + width) as never, r * chunks[rank - 1]);
    }
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const encoded = !compressor ? bytes.slice() : spec.encoder === "native"
      ? encodeBlosc(bytes, {
        typesize: chunk.BYTES_PER_ELEMENT,
        blocksize: 131072,
        shuffle: compressor.shuffle === 0 ? 0 : 1,
        split: false,
        cname: compressor.cname === "zlib" ? "zlib" : "zstd",
        clevel: compressor.clevel,
      })
      : await codec!.encode(bytes);
    out.set(`${prefix}/${coords.join(separator)}`, encoded);
  }
  return out;
}
