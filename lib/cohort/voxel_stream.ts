/**
 * Reading a written volume (NIfTI-1 `.nii`/`.nii.gz`, NRRD `.nrrd`) as a
 * stream of voxel runs, so that a summary of a cohort can look at outputs of
 * many gigabytes without holding any of them in memory.
 *
 * Only what spimfetch and the common tools write is read: single-file NIfTI-1
 * (`n+1`) of either byte order, through the one NIfTI reader
 * (`read/nifti_file.ts`), and 3-D NRRD with `raw` or `gzip` encoding;
 * anything else is refused with a message naming the file and the field.
 *
 * @module
 */
import { VOXEL_ARRAYS, type VoxelType } from "../core/volume.ts";
import { openOmeZarrLevelZero } from "./_ome_zarr_stream.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";
import { openNifti } from "../read/nifti_file.ts";
import { NiftiFormatError } from "../read/nifti_header.ts";

/** What a volume file's header says about its voxels. */
export interface VoxelFileHeader {
  /** `nifti`, `nrrd` or `ome-zarr` (level 0). */
  format: "nifti" | "nrrd" | "ome-zarr";
  /** Sizes along (z, y, x), x fastest in the file. */
  shape: [number, number, number];
  /** The voxel type. */
  dtype: VoxelType;
  /** Whether the voxel bytes are little-endian. */
  littleEndian: boolean;
}

/** Options for {@linkcode streamVoxels}. */
export interface StreamVoxelsOptions {
  /** Cancels the read. */
  signal?: AbortSignal;
}

/** A volume file opened for streaming: its header, then its voxels in file order. */
export interface VoxelStream {
  /** The header. */
  header: VoxelFileHeader;
  /**
   * The voxels in file order (x fastest, then y, then z), in runs of any
   * length; together exactly `z · y · x` values. Read it once.
   */
  runs: AsyncIterable<ArrayLike<number>>;
  /** Closes the file without reading the rest (iterating `runs` to its end, or breaking out, closes it too). */
  cancel(): Promise<void>;
}

type Constructor = { new (buffer: ArrayBuffer): ArrayLike<number>; BYTES_PER_ELEMENT: number };

const ARRAYS: Readonly<Record<VoxelType, Constructor>> = VOXEL_ARRAYS;

// NRRD's type names and their synonyms (NRRD0005 spec, "type").
const NRRD_TYPES: Readonly<Record<string, VoxelType>> = {
  "signed char": "int8",
  "int8": "int8",
  "int8_t": "int8",
  "uchar": "uint8",
  "unsigned char": "uint8",
  "uint8": "uint8",
  "uint8_t": "uint8",
  "short": "int16",
  "short int": "int16",
  "signed short": "int16",
  "signed short int": "int16",
  "int16": "int16",
  "int16_t": "int16",
  "ushort": "uint16",
  "unsigned short": "uint16",
  "unsigned short int": "uint16",
  "uint16": "uint16",
  "uint16_t": "uint16",
  "int": "int32",
  "signed int": "int32",
  "int32": "int32",
  "int32_t": "int32",
  "uint": "uint32",
  "unsigned int": "uint32",
  "uint32": "uint32",
  "uint32_t": "uint32",
  "float": "float32",
  "double": "float64",
};

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const MAX_NRRD_HEADER = 64 * 1024;

/** Pulls bytes from a stream: exact counts or up to a delimiter, then the rest as a stream. */
class ByteReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #buffered: Uint8Array = new Uint8Array(0);
  #done = false;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  async #more(): Promise<boolean> {
    if (this.#done) return false;
    const { value, done } = await this.#reader.read();
    if (done) {
      this.#done = true;
      return false;
    }
    const joined = new Uint8Array(this.#buffered.length + value.length);
    joined.set(this.#buffered);
    joined.set(value, this.#buffered.length);
    this.#buffered = joined;
    return true;
  }

  /** Up to `n` bytes (fewer only at the end of the stream). */
  async read(n: number): Promise<Uint8Array> {
    while (this.#buffered.length < n && await this.#more());
    const out = this.#buffered.subarray(0, n);
    this.#buffered = this.#buffered.subarray(out.length);
    return out;
  }

  /** The bytes before the first `delimiter` (which is consumed), or undefined if not within `limit`. */
  async readUntil(delimiter: Uint8Array, limit: number): Promise<Uint8Array | undefined> {
    for (;;) {
      const at = indexOf(this.#buffered, delimiter);
      if (at >= 0) {
        const out = this.#buffered.subarray(0, at);
        this.#buffered = this.#buffered.subarray(at + delimiter.length);
        return out;
      }
      if (this.#buffered.length > limit || !await this.#more()) return undefined;
    }
  }

  /** What is left, as a stream (the buffered bytes first). */
  rest(): ReadableStream<Uint8Array> {
    const reader = this.#reader;
    let first: Uint8Array | undefined = this.#buffered;
    const done = this.#done;
    return new ReadableStream<Uint8Array>({
      async pull(controller): Promise<void> {
        if (first) {
          const bytes = first;
          first = undefined;
          if (bytes.length > 0) return controller.enqueue(bytes);
        }
        if (done) return controller.close();
        const { value, done: end } = await reader.read();
        if (end) controller.close();
        else controller.enqueue(value);
      },
      cancel(reason): Promise<void> {
        return reader.cancel(reason);
      },
    });
  }

  cancel(): Promise<void> {
    return this.#reader.cancel().catch(() => {});
  }
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function gunzip(stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  return stream.pipeThrough(
    new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
  );
}

function formatOfPath(path: string): "nifti" | "nrrd" {
  const lower = path.toLowerCase();
  if (lower.endsWith(".nii") || lower.endsWith(".nii.gz")) return "nifti";
  if (lower.endsWith(".nrrd")) return "nrrd";
  throw new TypeError(`Cannot read ${path}: expected a .nii, .nii.gz or .nrrd file or an .ome.zarr store`);
}

async function openNrrd(path: string, stream: ReadableStream<Uint8Array>): Promise<{
  header: VoxelFileHeader;
  body: ReadableStream<Uint8Array>;
}> {
  const reader = new ByteReader(stream);
  const fail = (what: string): never => {
    void reader.cancel();
    throw new SyntaxError(`Cannot read NRRD ${path}: ${what}`);
  };
  const text = await reader.readUntil(new TextEncoder().encode("\n\n"), MAX_NRRD_HEADER);
  if (text === undefined) fail(`no blank line ends the header within ${MAX_NRRD_HEADER} bytes`);
  const lines = new TextDecoder().decode(text).split("\n");
  if (!/^NRRD000\d$/.test(lines[0] ?? "")) fail(`the first line is "${lines[0]}", expected NRRD000N`);
  const fields = new Map<string, string>();
  for (const line of lines.slice(1)) {
    if (line.startsWith("#") || !line.includes(": ")) continue;
    const at = line.indexOf(": ");
    fields.set(line.slice(0, at).trim().toLowerCase(), line.slice(at + 2).trim());
  }
  if (fields.has("data file") || fields.has("datafile")) fail("detached data files are not read");
  const dtype = NRRD_TYPES[fields.get("type") ?? ""];
  if (dtype === undefined) fail(`type "${fields.get("type")}" is not a scalar type spimfetch reads`);
  const sizes = (fields.get("sizes") ?? "").split(/\s+/).filter(Boolean).map(Number);
  if (
    fields.get("dimension") !== "3" || sizes.length !== 3 ||
    !sizes.every((n) => Number.isInteger(n) && n >= 1)
  ) {
    fail(
      `dimension ${fields.get("dimension")} and sizes "${fields.get("sizes")}": expected 3 positive sizes`,
    );
  }
  const encoding = fields.get("encoding");
  if (encoding !== "raw" && encoding !== "gzip" && encoding !== "gz") {
    fail(`encoding "${encoding}" is not read: expected raw or gzip`);
  }
  const endian = fields.get("endian") ?? "little";
  const body = reader.rest();
  return {
    header: { format: "nrrd", shape: [sizes[2], sizes[1], sizes[0]], dtype, littleEndian: endian !== "big" },
    body: encoding === "raw" ? body : gunzip(body),
  };
}

function swapBytes(bytes: Uint8Array, width: number): void {
  for (let i = 0; i + width <= bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

async function* voxelRuns(
  path: string,
  header: VoxelFileHeader,
  body: ReadableStream<Uint8Array>,
  signal: AbortSignal | undefined,
): AsyncGenerator<ArrayLike<number>> {
  const Array = ARRAYS[header.dtype];
  const width = Array.BYTES_PER_ELEMENT;
  const total = header.shape[0] * header.shape[1] * header.shape[2] * width;
  const swap = width > 1 && header.littleEndian !== LITTLE_ENDIAN_HOST;
  let carry = new Uint8Array(0);
  let seen = 0;
  const reader = body.getReader();
  try {
    while (seen < total) {
      signal?.throwIfAborted();
      const { value, done } = await reader.read();
      if (done) break;
      const take = value.subarray(0, Math.min(value.length, total - seen));
      seen += take.length;
      // A run must hold whole voxels and start on an aligned offset: copy into a fresh buffer.
      const usable = Math.floor((carry.length + take.length) / width) * width;
      const run = new Uint8Array(usable);
      run.set(carry.subarray(0, usable));
      if (usable > carry.length) run.set(take.subarray(0, usable - carry.length), carry.length);
      const next = new Uint8Array(carry.length + take.length - usable);
      if (usable >= carry.length) next.set(take.subarray(usable - carry.length));
      else {
        next.set(carry.subarray(usable));
        next.set(take, carry.length - usable);
      }
      carry = next;
      if (swap) swapBytes(run, width);
      if (run.length > 0) yield new Array(run.buffer);
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  if (seen < total) {
    throw new SyntaxError(`Cannot read ${path}: the voxel data ends after ${seen} of ${total} bytes`);
  }
}

/**
 * A NIfTI file through the one NIfTI reader (`read/nifti_file.ts`); its errors become the `SyntaxError`s
 * this module has always thrown, with the same words.
 */
async function streamNifti(path: string, signal: AbortSignal | undefined): Promise<VoxelStream> {
  let file;
  try {
    file = await openNifti(path, { signal });
  } catch (error) {
    if (!(error instanceof NiftiFormatError)) throw error;
    throw new SyntaxError(`Cannot read NIfTI ${path}: ${error.detail}`, { cause: error });
  }
  const { shape, dtype, littleEndian } = file.header;
  async function* runs(): AsyncGenerator<ArrayLike<number>> {
    try {
      yield* file!.runs();
    } catch (error) {
      if (!(error instanceof NiftiFormatError)) throw error;
      throw new SyntaxError(`Cannot read ${path}: ${error.detail}`, { cause: error });
    }
  }
  return {
    header: { format: "nifti", shape, dtype, littleEndian },
    runs: runs(),
    cancel: () => file!.cancel(),
  };
}

/** The keys of {@linkcode StreamVoxelsOptions}, checked at run time. */
const STREAM_VOXELS_OPTION_KEYS: OptionKeys<StreamVoxelsOptions> = {
  signal: true,
};

/**
 * Opens a NIfTI-1 or NRRD file for streaming: the header is read and
 * checked, and the voxels come as runs, decompressed on the fly (`.nii.gz`,
 * or NRRD `encoding: gzip`), in memory bounded by the stream's buffers rather
 * than by the volume.
 *
 * @example Sum the voxels of a small NIfTI file
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { writeNifti } from "@spimfetch/spimfetch";
 * import { streamVoxels } from "@spimfetch/spimfetch/cohort";
 * const dir = await Deno.makeTempDir();
 * const volume = { data: new Uint16Array([1, 2, 3, 4, 5, 6]), shape: [1, 2, 3] as [number, number, number], dtype: "uint16" as const };
 * await writeNifti(`${dir}/v.nii.gz`, volume, { geometry: { spacing: [1, 1, 1], origin: [0, 0, 0], direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] } });
 * const { header, runs } = await streamVoxels(`${dir}/v.nii.gz`);
 * let sum = 0;
 * for await (const run of runs) for (let i = 0; i < run.length; i++) sum += run[i];
 * assertEquals([header.shape, header.dtype, sum], [[1, 2, 3], "uint16", 21]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @param path A `.nii`, `.nii.gz` or `.nrrd` file, or an `.ome.zarr` store (its level 0).
 * @param options Cancellation.
 * @returns The header and the voxel runs.
 * @throws {TypeError} For another extension.
 * @throws {SyntaxError} For a header that is not a 3-D scalar NIfTI-1 or NRRD, naming the field; and,
 * while iterating, for voxel data shorter than the header says.
 * @throws {Deno.errors.NotFound} If the file does not exist.
 */
export async function streamVoxels(path: string, options: StreamVoxelsOptions = {}): Promise<VoxelStream> {
  options = checkOptions(options, STREAM_VOXELS_OPTION_KEYS, "streamVoxels()");
  if (path.toLowerCase().replace(/\/+$/, "").endsWith(".ome.zarr")) {
    const { shape, dtype, runs } = await openOmeZarrLevelZero(path, options.signal);
    return {
      header: { format: "ome-zarr", shape, dtype, littleEndian: LITTLE_ENDIAN_HOST },
      runs,
      cancel: async (): Promise<void> => void await runs.return(undefined),
    };
  }
  const format = formatOfPath(path);
  if (format === "nifti") return await streamNifti(path, options.signal);
  const file = await Deno.open(path);
  const { header, body } = await openNrrd(path, file.readable);
  const runs = voxelRuns(path, header, body, options.signal);
  return {
    header,
    runs,
    // Before the first run the generator has not taken the body's reader; after, its `finally` cancels it.
    cancel: async (): Promise<void> => {
      if (body.locked) await runs.return(undefined);
      else await body.cancel();
    },
  };
}
