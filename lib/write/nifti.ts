/**
 * The NIfTI-1 writer: a header and the voxels, optionally gzipped, streamed
 * to disk slab by slab so that neither the volume nor the compressed file
 * needs to be in memory at once.
 *
 * @module
 */
import { Gzip } from "fflate";
import { withAtomicFile } from "./atomic_file.ts";
import { buildNiftiHeader } from "./nifti_header.ts";
import { createParallelGzip } from "../codecs/parallel_gzip.ts";
import { stageVoxels } from "./_stage_voxels.ts";
import {
  allocateVoxels,
  bytesPerVoxel,
  type ImageGeometry,
  isVoxelType,
  type Volume,
  type VoxelArray,
  type VoxelType,
} from "../core/volume.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/**
 * A volume delivered as consecutive z-slabs, for writers that must not hold
 * the whole volume: each slab is a whole number of z planes in C order (x
 * fastest), of the typed array matching `dtype`, and together they cover
 * `shape` exactly.
 */
export interface VolumeSlabs {
  /** Sizes along (z, y, x). */
  shape: [number, number, number];
  /** The voxel type of every slab. */
  dtype: VoxelType;
  /** The slabs, in z order. */
  slabs: AsyncIterable<VoxelArray>;
}

/** How far {@linkcode writeNifti} has come. */
export interface WriteNiftiProgress {
  /** Voxel bytes written so far, before compression. */
  bytesWritten: number;
  /** Voxel bytes in all, before compression. */
  totalBytes: number;
}

/** Options for {@linkcode writeNifti}. */
export interface WriteNiftiOptions {
  /** Where the voxels lie, in ITK's LPS conventions. */
  geometry: ImageGeometry;
  /** Compress with gzip. Must agree with the extension if given. @default {path ends with ".nii.gz"} */
  gzip?: boolean;
  /**
   * gzip level, 0 (store) to 9. Level 1 is the default because SmartSPIM
   * voxels are noise-dominated: with fflate, level 6 makes files only ~2%
   * smaller and runs at about two thirds of level 1's speed.
   * @default {1}
   */
  gzipLevel?: number;
  /**
   * Voxel type to write, converting as `TypedArray.prototype.set` does (to an
   * integer type: truncation toward zero, wrapping out-of-range values).
   * `float32` reproduces the reference notebook's output. @default {the input's dtype}
   */
  outputType?: VoxelType;
  /**
   * Who compresses `.nii.gz`: `"workers"` runs Deno's native zlib on every
   * core (one gzip member, pigz-style); `"fflate"` runs fflate on this thread.
   * Both honour `gzipLevel` as zlib levels.
   * @default {"workers"}
   */
  gzipEngine?: "workers" | "fflate";
  /** The header's `descrip` (ASCII, 79 characters kept). */
  description?: string;
  /** The header's `aux_file` (ASCII, 23 characters kept). */
  auxFile?: string;
  /** Replace an existing file, only once the new one is complete. @default {false} */
  force?: boolean;
  /** Cancels the write; no file is left behind. */
  signal?: AbortSignal;
  /** Called after each piece (about 1 MiB of voxels) reaches the file. */
  onProgress?: (event: WriteNiftiProgress) => void;
}

/** What {@linkcode writeNifti} wrote. */
export interface WriteNiftiResult {
  /** The file written. */
  path: string;
  /** Size of the file in bytes. */
  bytes: number;
  /** Voxel bytes before compression. */
  voxelBytes: number;
  /** Whether the file is gzipped. */
  gzip: boolean;
  /**
   * The deflate that compressed the voxels, e.g. `"libdeflate 1.25 level 1
   * (WebAssembly)"` or `"ISA-L igzip level 2 (native)"`; absent when not gzipped.
   */
  compression?: string;
}

const DEFAULT_GZIP_LEVEL = 1;
const EXTENSIONS = [".nii", ".nii.gz"];
// NIfTI files here are little-endian and typed arrays use the host's order.
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The keys of {@linkcode WriteNiftiOptions}, checked at run time. */
const WRITE_NIFTI_OPTION_KEYS: OptionKeys<WriteNiftiOptions> = {
  geometry: true,
  gzip: true,
  gzipLevel: true,
  outputType: true,
  gzipEngine: true,
  description: true,
  auxFile: true,
  force: true,
  signal: true,
  onProgress: true,
};

/**
 * Writes an image to a NIfTI-1 file (`.nii`, or gzipped `.nii.gz`), oriented
 * by its geometry. The voxels are written as given (C order (z, y, x) is
 * NIfTI's order for dims (x, y, z)), optionally cast to another type piece by
 * piece. Beyond the input, memory stays at about 1 MiB of staged voxels and
 * the compressor's window, whatever the volume's size. The file appears only
 * when complete; on any error or abort nothing is left behind. A gzipped file
 * is a single gzip member, which all NIfTI readers handle. Big-endian hosts
 * are not supported.
 *
 * @example Write a tiny volume to .nii.gz
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { writeNifti } from "@spimfetch/spimfetch";
 * const dir = await Deno.makeTempDir();
 * const result = await writeNifti(
 *   `${dir}/tiny.nii.gz`,
 *   { data: new Uint16Array(2 * 3 * 4).fill(7), shape: [2, 3, 4], dtype: "uint16" },
 *   { geometry: { spacing: [1, 1, 1], origin: [0, 0, 0], direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] } },
 * );
 * assertEquals([result.gzip, result.voxelBytes], [true, 48]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @param path The output file; its extension must be `.nii` or `.nii.gz`.
 * @param image A volume in memory, or a stream of z-slabs.
 * @param options Geometry, compression, output type, overwriting, progress.
 * @returns The path, file size and voxel byte count.
 * @throws {TypeError} For an unknown extension, a `gzip` option that disagrees
 * with it, or slabs of the wrong array type.
 * @throws {RangeError} For a bad `gzipLevel`, an axis over 32767 voxels,
 * invalid geometry, or data (or slabs) that do not fill the shape exactly.
 * @throws {OutputExistsError} If the file exists and `force` is not set.
 * @throws {Error} If the output directory is missing or not writable.
 */
export async function writeNifti(
  path: string,
  image: Volume | VolumeSlabs,
  options: WriteNiftiOptions,
): Promise<WriteNiftiResult> {
  options = checkOptions(options, WRITE_NIFTI_OPTION_KEYS, "writeNifti()");
  const gzip = checkGzip(path, options.gzip);
  const level = options.gzipLevel ?? DEFAULT_GZIP_LEVEL;
  if (!Number.isInteger(level) || level < 0 || level > 9) {
    throw new RangeError(`Cannot use gzip level ${level}: expected an integer from 0 to 9`);
  }
  if (!isVoxelType(image.dtype)) throw new TypeError(`Cannot write voxels of unknown type "${image.dtype}"`);
  const outputType = options.outputType ?? image.dtype;
  const header = buildNiftiHeader({ shape: image.shape, dtype: outputType }, options.geometry, options);
  const [nz, ny, nx] = image.shape;
  const plane = ny * nx;
  const voxelBytes = nz * plane * bytesPerVoxel(outputType);
  const inputType = allocateVoxels(image.dtype, 0).constructor as new (n: number) => VoxelArray;
  if ("data" in image && image.data.length !== nz * plane) {
    const expected = nz * plane;
    throw new RangeError(
      `Cannot write a volume of shape [${image.shape}] from ${image.data.length} voxels: expected ${expected}`,
    );
  }
  // A whole volume goes in as one slab: staging, not slabbing, is what bounds the extra memory.
  const slabs = "data" in image ? [image.data] : image.slabs;
  if (!LITTLE_ENDIAN_HOST) throw new Error("Cannot write NIfTI on a big-endian host: not supported");

  let compression: string | undefined;
  const bytes = await withAtomicFile(path, async (file) => {
    const sink: Sink = !gzip
      ? plainSink(file)
      : options.gzipEngine === "fflate"
      ? gzipSink(file, level)
      : createParallelGzip((bytes) => writeAll(file, bytes), { level });
    try {
      await sink.write(header);
      let planes = 0;
      await stageVoxels(slabs, {
        outputType,
        write: (piece) => sink.write(piece),
        check: (slab, index) => {
          planes += checkSlab(slab, index, { inputType, dtype: image.dtype, plane, planes, nz });
        },
        onPiece: (written) => options.onProgress?.({ bytesWritten: written, totalBytes: voxelBytes }),
        signal: options.signal,
      });
      if (planes !== nz) {
        throw new RangeError(`Cannot write NIfTI: the slabs ended after ${planes} of ${nz} z planes`);
      }
      const written = await sink.end();
      compression = sink.codec;
      return written;
    } finally {
      sink.abort?.();
    }
  }, options);
  return { path, bytes, voxelBytes, gzip, ...(compression ? { compression } : {}) };
}

function checkGzip(path: string, gzip: boolean | undefined): boolean {
  const lower = path.toLowerCase();
  const byExtension = lower.endsWith(".nii.gz") ? true : lower.endsWith(".nii") ? false : undefined;
  if (byExtension === undefined) {
    throw new TypeError(
      `Cannot write NIfTI to ${path}: expected one of the extensions ${EXTENSIONS.join(", ")}`,
    );
  }
  if (gzip !== undefined && gzip !== byExtension) {
    throw new TypeError(
      `Cannot write ${gzip ? "gzipped" : "uncompressed"} NIfTI to ${path}: use the extension ` +
        `${gzip ? ".nii.gz" : ".nii"}, which readers rely on to detect compression`,
    );
  }
  return byExtension;
}

function checkSlab(
  slab: VoxelArray,
  index: number,
  expected: {
    inputType: new (n: number) => VoxelArray;
    dtype: VoxelType;
    plane: number;
    planes: number;
    nz: number;
  },
): number {
  if (!(slab instanceof expected.inputType)) {
    throw new TypeError(
      `Cannot write slab ${index}: expected a ${expected.inputType.name} for ${expected.dtype} voxels, ` +
        `got ${Object.prototype.toString.call(slab).slice(8, -1)}`,
    );
  }
  if (slab.length % expected.plane !== 0) {
    throw new RangeError(
      `Cannot write slab ${index} of ${slab.length} voxels: not a whole number of z planes of ${expected.plane}`,
    );
  }
  const planes = slab.length / expected.plane;
  if (expected.planes + planes > expected.nz) {
    throw new RangeError(
      `Cannot write slab ${index}: it ends at z plane ${
        expected.planes + planes
      }, past the ${expected.nz} planes`,
    );
  }
  return planes;
}

interface Sink {
  write(bytes: Uint8Array): Promise<void>;
  /** Finishes the stream and returns the bytes written to the file. */
  end(): Promise<number>;
  /** Frees what the sink holds when the write fails before `end`. */
  abort?(): void;
  /** The deflate that ran (see {@linkcode WriteNiftiResult.compression}). */
  readonly codec?: string;
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.length;) offset += await file.write(bytes.subarray(offset));
}

function plainSink(file: Deno.FsFile): Sink {
  let total = 0;
  return {
    write: async (bytes) => {
      await writeAll(file, bytes);
      total += bytes.length;
    },
    end: () => Promise.resolve(total),
  };
}

function gzipSink(file: Deno.FsFile, level: number): Sink {
  let total = 0;
  const ready: Uint8Array[] = [];
  // One gzip member for the whole file: fflate's gunzip and nifti-reader-js read only the first.
  // mtime 0 ("no time stamp") keeps the output the same for the same input.
  const gzip = new Gzip({ level: level as 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9, mtime: 0 }, (chunk) => {
    ready.push(chunk);
  });
  const drain = async (): Promise<void> => {
    for (const chunk of ready.splice(0)) {
      await writeAll(file, chunk);
      total += chunk.length;
    }
  };
  return {
    write: async (bytes) => {
      gzip.push(bytes);
      await drain();
    },
    end: async () => {
      gzip.push(new Uint8Array(0), true);
      await drain();
      return total;
    },
    codec: `fflate level ${level} (JavaScript, one thread)`,
  };
}
