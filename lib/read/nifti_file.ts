/**
 * The one NIfTI-1 reader: a `.nii` or `.nii.gz` (told apart by the gzip magic, not the name) from a path,
 * bytes or a stream, its header parsed ({@linkcode parseNiftiHeader}), its voxels streamed in runs or read
 * in exact counts (planes, slabs) in the host's byte order, so that a file of many gigabytes is never held
 * whole. The cohort summary, the viewer, the CCF displacement fields and template, and the atlas read
 * NIfTI through it.
 *
 * @module
 */
import { gunzipSync } from "node:zlib";
import { checkOptions, type OptionKeys } from "../core/options.ts";
import { VOXEL_ARRAYS, type VoxelArray, type VoxelType } from "../core/volume.ts";
import { type ByteInput, ByteQueue, isGzip, MAX_PIECE_BYTES, plainChunks } from "./_nifti_bytes.ts";
import { NIFTI1_HEADER_BYTES, NiftiFormatError, type NiftiHeader, parseNiftiHeader } from "./nifti_header.ts";

/** What {@linkcode openNifti} reads: a path, the file's bytes, or its bytes as a stream. */
export type NiftiInput = ByteInput;

/** Options for {@linkcode openNifti} and {@linkcode decodeNifti}. */
export interface OpenNiftiOptions {
  /** The file's name in messages. @default {the path, or "NIfTI bytes"} */
  source?: string;
  /**
   * Accept more than three dimensions, such as a displacement field's `dim = [5, X, Y, Z, 1, 3]`; the
   * voxels then come in file order over every dimension. @default {false}
   */
  anyRank?: boolean;
  /** Cancels the read. */
  signal?: AbortSignal;
}

/** A NIfTI-1 file opened for reading: its header, then its voxels in file order (x fastest). */
export interface NiftiFile {
  /** The header. */
  readonly header: NiftiHeader;
  /** The file's name in messages. */
  readonly source: string;
  /** Voxels not read yet. */
  readonly remaining: number;
  /**
   * The next `count` voxels, in a new array of the file's voxel type, in the host's byte order.
   * @throws {NiftiFormatError} If the file ends first (`truncated`) or its gzip stream is damaged.
   */
  read(count: number): Promise<VoxelArray>;
  /**
   * The voxels not read yet, in runs of any length (each a new array), as they arrive. Reaching the end or
   * breaking out closes the file.
   */
  runs(): AsyncGenerator<VoxelArray, void, undefined>;
  /** Closes the file without reading the rest. */
  cancel(): Promise<void>;
}

/** The keys of {@linkcode OpenNiftiOptions}, checked at run time. */
const OPEN_NIFTI_OPTION_KEYS: OptionKeys<OpenNiftiOptions> = { source: true, anyRank: true, signal: true };

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Runs are at most this long, so that a plain file given as one buffer is not copied whole at once. */
const MAX_RUN_BYTES = MAX_PIECE_BYTES;

/**
 * Opens a NIfTI-1 image for streaming: reads and checks the header, skips any extensions up to
 * `vox_offset`, and leaves the voxels to {@linkcode NiftiFile.read} or {@linkcode NiftiFile.runs}.
 *
 * @example Sum the voxels of a small `.nii.gz`
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { writeNifti } from "@spimfetch/spimfetch";
 * import { openNifti } from "@spimfetch/spimfetch/read";
 * const dir = await Deno.makeTempDir();
 * const volume = { data: new Uint16Array([1, 2, 3, 4, 5, 6]), shape: [1, 2, 3] as [number, number, number], dtype: "uint16" as const };
 * await writeNifti(`${dir}/v.nii.gz`, volume, { geometry: { spacing: [1, 1, 1], origin: [0, 0, 0], direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] } });
 * const file = await openNifti(`${dir}/v.nii.gz`);
 * let sum = 0;
 * for await (const run of file.runs()) for (const v of run) sum += v;
 * assertEquals([file.header.shape, file.header.dtype, sum], [[1, 2, 3], "uint16", 21]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @param input A path, the file's bytes, or a stream of them (gzipped or not).
 * @param options The name for messages, whether more than 3 dimensions are accepted, cancellation.
 * @returns The opened file.
 * @throws {NiftiFormatError} If the header is not a single-file NIfTI-1 of a scalar type (naming the
 * field), the image has more than 3 dimensions without `anyRank`, or the file ends before `vox_offset`.
 * @throws {Deno.errors.NotFound} If the path does not exist.
 */
export async function openNifti(input: NiftiInput, options: OpenNiftiOptions = {}): Promise<NiftiFile> {
  options = checkOptions(options, OPEN_NIFTI_OPTION_KEYS, "openNifti()");
  const source = options.source ?? (typeof input === "string" ? input : "NIfTI bytes");
  const bytes = new ByteQueue(await plainChunks(input, source), source);
  try {
    const head = await bytes.read(NIFTI1_HEADER_BYTES);
    const header = parseNiftiHeader(head, source);
    if (!options.anyRank) checkVolume(header, source);
    const extensions = header.voxOffset - NIFTI1_HEADER_BYTES;
    if (await bytes.skip(extensions) < extensions) {
      throw new NiftiFormatError("truncated", `the file ends before vox_offset ${header.voxOffset}`, {
        source,
        bytesRead: 0,
        bytesExpected: header.voxelCount * header.datatype.bytes,
      });
    }
    return new StreamedNifti(header, source, bytes, options.signal);
  } catch (error) {
    await bytes.close();
    throw error;
  }
}

/**
 * Decodes a whole NIfTI-1 file held in memory (gzipped or not) at once: for callers that need every voxel
 * anyway and cannot wait (the atlas' annotation). Same checks and messages as {@linkcode openNifti}.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { buildNiftiHeader } from "@spimfetch/spimfetch/write";
 * import { decodeNifti } from "@spimfetch/spimfetch/read";
 * const header = buildNiftiHeader(
 *   { shape: [1, 1, 2], dtype: "uint8" },
 *   { spacing: [1, 1, 1], origin: [0, 0, 0], direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] },
 * );
 * const file = new Uint8Array([...header, 7, 9]);
 * assertEquals([...decodeNifti(file).voxels], [7, 9]);
 * ```
 * @param bytes The file's bytes.
 * @param options The name for messages and whether more than 3 dimensions are accepted.
 * @returns The header and every voxel, in the host's byte order.
 * @throws {NiftiFormatError} As {@linkcode openNifti}, and `truncated` for a file shorter than its voxels.
 */
export function decodeNifti(
  bytes: Uint8Array,
  options: Omit<OpenNiftiOptions, "signal"> = {},
): { header: NiftiHeader; voxels: VoxelArray } {
  options = checkOptions(options, OPEN_NIFTI_OPTION_KEYS, "decodeNifti()");
  const source = options.source ?? "NIfTI bytes";
  let raw = bytes;
  const gzipped = isGzip(bytes);
  if (gzipped) {
    try {
      const out = gunzipSync(bytes);
      // A Buffer may sit in Node's shared pool: only one that owns its whole ArrayBuffer is kept as is.
      raw = out.byteOffset === 0 && out.buffer.byteLength === out.length
        ? new Uint8Array(out.buffer, 0, out.length)
        : new Uint8Array(out);
    } catch (cause) {
      throw new NiftiFormatError("gzip", `cannot decompress: ${(cause as Error).message}`, { source, cause });
    }
  }
  const header = parseNiftiHeader(raw, source);
  if (!options.anyRank) checkVolume(header, source);
  const expected = header.voxelCount * header.datatype.bytes;
  const have = Math.max(0, Math.min(expected, raw.length - header.voxOffset));
  if (have < expected) throw truncated(source, have, expected);
  const data = raw.subarray(header.voxOffset, header.voxOffset + expected);
  // The gunzipped buffer is ours: when its voxels are aligned and in the host's order, view them in place
  // rather than copy them (the atlas' annotation is 154 MB at 25 µm).
  const inPlace = gzipped && data.byteOffset % header.datatype.bytes === 0 &&
    (header.datatype.bytes === 1 || header.littleEndian === LITTLE_ENDIAN_HOST);
  const voxels = inPlace
    ? new VOXEL_ARRAYS[header.dtype](data.buffer as ArrayBuffer, data.byteOffset, header.voxelCount)
    : toVoxels(data, header);
  return { header, voxels };
}

/**
 * Voxels of a type from bytes of either order: a new array in the host's byte order (one copy, then a
 * byte swap in place when the orders differ). Also used for NRRD's voxels.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { voxelsFromBytes } from "@spimfetch/spimfetch/read";
 * assertEquals([...voxelsFromBytes(new Uint8Array([1, 2]), "uint16", false)], [258]);
 * ```
 * @param bytes Whole voxels (a length that is a multiple of the type's size).
 * @param dtype The voxel type.
 * @param littleEndian The bytes' order.
 * @returns The voxels.
 */
export function voxelsFromBytes(bytes: Uint8Array, dtype: VoxelType, littleEndian: boolean): VoxelArray {
  const Array = VOXEL_ARRAYS[dtype];
  const width = Array.BYTES_PER_ELEMENT;
  const copy = bytes.slice(0, bytes.length - (bytes.length % width));
  if (width > 1 && littleEndian !== LITTLE_ENDIAN_HOST) swapBytes(copy, width);
  return new Array(copy.buffer);
}

function toVoxels(bytes: Uint8Array, header: NiftiHeader): VoxelArray {
  return voxelsFromBytes(bytes, header.dtype, header.littleEndian);
}

function checkVolume(header: NiftiHeader, source: string): void {
  if (header.dims.slice(3).some((n) => n > 1)) {
    throw new NiftiFormatError(
      "dim",
      `dim is [${header.dims.length}, ${header.dims}]: expected a 3-D volume (sizes past the third of 1)`,
      { source },
    );
  }
}

function truncated(source: string, have: number, expected: number): NiftiFormatError {
  return new NiftiFormatError("truncated", `the voxel data ends after ${have} of ${expected} bytes`, {
    source,
    bytesRead: have,
    bytesExpected: expected,
  });
}

function swapBytes(bytes: Uint8Array, width: number): void {
  if (width === 2) {
    for (let i = 0; i + 1 < bytes.length; i += 2) {
      const t = bytes[i];
      bytes[i] = bytes[i + 1];
      bytes[i + 1] = t;
    }
    return;
  }
  for (let i = 0; i + width <= bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

class StreamedNifti implements NiftiFile {
  #bytes: ByteQueue;
  #signal: AbortSignal | undefined;
  #remaining: number;
  #width: number;

  constructor(readonly header: NiftiHeader, readonly source: string, bytes: ByteQueue, signal?: AbortSignal) {
    this.#bytes = bytes;
    this.#signal = signal;
    this.#remaining = header.voxelCount;
    this.#width = header.datatype.bytes;
  }

  get remaining(): number {
    return this.#remaining;
  }

  #voxelBytesRead(): number {
    return (this.header.voxelCount - this.#remaining) * this.#width;
  }

  async read(count: number): Promise<VoxelArray> {
    if (!Number.isInteger(count) || count < 0 || count > this.#remaining) {
      throw new RangeError(
        `Cannot read ${count} voxels of ${this.source}: expected a whole number up to the ${this.#remaining} left`,
      );
    }
    this.#signal?.throwIfAborted();
    const bytes = await this.#bytes.read(count * this.#width).catch((error) => this.#fail(error));
    if (bytes.length < count * this.#width) {
      const have = this.#voxelBytesRead() + bytes.length;
      await this.cancel();
      throw truncated(this.source, have, this.header.voxelCount * this.#width);
    }
    this.#remaining -= count;
    // The file has nothing more to give: close it now rather than when the caller remembers to.
    if (this.#remaining === 0) await this.cancel();
    return toVoxels(bytes, this.header);
  }

  async *runs(): AsyncGenerator<VoxelArray, void, undefined> {
    try {
      while (this.#remaining > 0) {
        this.#signal?.throwIfAborted();
        const whole = Math.floor(this.#bytes.buffered / this.#width);
        if (whole === 0) {
          if (await this.#bytes.pull().catch((error) => this.#fail(error))) continue;
          throw truncated(
            this.source,
            this.#voxelBytesRead() + this.#bytes.buffered,
            this.header.voxelCount * this.#width,
          );
        }
        const count = Math.min(whole, this.#remaining, Math.max(1, Math.floor(MAX_RUN_BYTES / this.#width)));
        yield await this.read(count);
      }
    } finally {
      await this.cancel();
    }
  }

  cancel(): Promise<void> {
    return this.#bytes.close();
  }

  /** A damaged or cut `.gz` found among the voxels: say how far the voxels got, then close the file. */
  async #fail(error: unknown): Promise<never> {
    const have = this.#voxelBytesRead() + this.#bytes.buffered;
    await this.cancel();
    if (!(error instanceof NiftiFormatError) || error.problem !== "gzip") throw error;
    const expected = this.header.voxelCount * this.#width;
    throw new NiftiFormatError(
      "gzip",
      `the gzip stream is cut short or damaged after ${have} of ${expected} voxel bytes (${error.detail})`,
      { source: this.source, cause: error, bytesRead: have, bytesExpected: expected },
    );
  }
}
