/**
 * The NRRD writer (http://teem.sourceforge.net/nrrd/format.html): an ASCII
 * header, a blank line, then the voxels, raw or as one gzip stream
 * (`encoding: gzip`, as the Allen Institute ships the CCF template). The
 * header says where the voxels lie in a named patient space:
 *
 * - `space: left-posterior-superior` (the default; ITK's own) or
 *   `right-anterior-superior`, the world the vectors below are written in;
 * - `space directions`: for each axis, fastest first, the vector from one
 *   sample to the next: column `j` of `direction · diag(spacing)`;
 * - `space origin`: the centre of the first sample, voxel (0, 0, 0).
 *
 * The sample at index `(i, j, k)` therefore lies at `space origin + i·d0 +
 * j·d1 + k·d2`: the same map as the NIfTI sform `writeNifti` writes for the
 * same geometry (which is in RAS, so its first two rows are negated with
 * respect to LPS). Axes are written fastest first, x, y, z, so C-order
 * (z, y, x) voxels need no transpose.
 *
 * @module
 */
import { withAtomicFile } from "./atomic_file.ts";
import { createParallelGzip } from "../codecs/parallel_gzip.ts";
import { stageVoxels } from "./_stage_voxels.ts";
import {
  bytesPerVoxel,
  type ImageGeometry,
  isVoxelType,
  type Volume,
  type VoxelArray,
  type VoxelType,
} from "../core/volume.ts";
import type { VolumeSlabs } from "./nifti.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** The patient spaces {@linkcode writeNrrd} can write. */
export type NrrdSpace = "LPS" | "RAS";

/** Options for {@linkcode buildNrrdHeader}. */
export interface NrrdHeaderOptions {
  /** The space the vectors are written in. @default {"LPS"} */
  space?: NrrdSpace;
  /** `encoding: gzip` rather than `raw`. @default {true} */
  gzip?: boolean;
  /** The `content` field: one line of description. */
  content?: string;
  /** Extra `key:=value` lines (newlines and backslashes escaped as the format asks). */
  keyValues?: Readonly<Record<string, string>>;
}

/** Options for {@linkcode writeNrrd}. */
export interface WriteNrrdOptions extends NrrdHeaderOptions {
  /** Where the voxels lie, in ITK's LPS conventions. */
  geometry: ImageGeometry;
  /** gzip level, 0-9. @default {1} */
  gzipLevel?: number;
  /** Voxel type to write, converting as `TypedArray.prototype.set` does. @default {the input's dtype} */
  outputType?: VoxelType;
  /** Replace an existing file, only once the new one is complete. @default {false} */
  force?: boolean;
  /** Cancels the write; no file is left behind. */
  signal?: AbortSignal;
}

/** What {@linkcode writeNrrd} wrote. */
export interface WriteNrrdResult {
  /** The file written. */
  path: string;
  /** Size of the file in bytes. */
  bytes: number;
  /** Voxel bytes before compression. */
  voxelBytes: number;
  /** Whether the voxels are gzipped. */
  gzip: boolean;
  /**
   * The deflate that compressed the voxels, e.g. `"libdeflate 1.25 level 1
   * (WebAssembly)"` or `"ISA-L igzip level 2 (native)"`; absent when not gzipped.
   */
  compression?: string;
}

// teem's canonical type names.
const NRRD_TYPES: Readonly<Record<VoxelType, string>> = {
  int8: "signed char",
  uint8: "unsigned char",
  int16: "short",
  uint16: "unsigned short",
  int32: "int",
  uint32: "unsigned int",
  float32: "float",
  float64: "double",
};
const SPACE_NAMES: Readonly<Record<NrrdSpace, string>> = {
  LPS: "left-posterior-superior",
  RAS: "right-anterior-superior",
};
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function checkGeometry(geometry: ImageGeometry): void {
  const values = [...geometry.spacing, ...geometry.origin, ...geometry.direction.flat()];
  if (values.length !== 15 || !values.every(Number.isFinite) || !geometry.spacing.every((s) => s > 0)) {
    throw new RangeError(
      `Cannot write NRRD geometry ${JSON.stringify(geometry)}: expected finite numbers and positive spacing`,
    );
  }
}

function oneLine(text: string): string {
  // The format escapes only these two in key/value pairs; `content` gets the same treatment.
  return text.replaceAll("\\", "\\\\").replaceAll("\n", "\\n").replaceAll("\r", "");
}

function vector(values: readonly number[]): string {
  // String() gives the shortest text that reads back to the same double; + 0 turns −0 into 0.
  return `(${values.map((v) => String(v + 0)).join(",")})`;
}

/** The keys of {@linkcode NrrdHeaderOptions}, checked at run time. */
const NRRD_HEADER_OPTION_KEYS: OptionKeys<NrrdHeaderOptions> = {
  space: true,
  gzip: true,
  content: true,
  keyValues: true,
};

/**
 * Builds the header of an attached-header NRRD file (`.nrrd`) for a 3-D
 * volume, up to and including the blank line that ends it.
 *
 * @example The reference level 3 (origin at its far corner, direction −I) in LPS
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { buildNrrdHeader } from "@spimfetch/spimfetch/write";
 * const header = buildNrrdHeader(
 *   { shape: [464, 1280, 925], dtype: "uint16" },
 *   { spacing: [0.0144, 0.0144, 0.016], origin: [13.3056, 18.4176, 7.408], direction: [[-1, 0, 0], [0, -1, 0], [0, 0, -1]] },
 * );
 * assertStringIncludes(header, "sizes: 925 1280 464\n");
 * assertStringIncludes(header, "space directions: (-0.0144,0,0) (0,-0.0144,0) (0,0,-0.016)\n");
 * assertStringIncludes(header, "space origin: (13.3056,18.4176,7.408)\n");
 * ```
 * @param layout Shape (z, y, x) and voxel type of the data that follows.
 * @param geometry Where the voxels lie (LPS, mm).
 * @param options Space, encoding, description and key/value pairs.
 * @returns The header text, ending with an empty line.
 * @throws {RangeError} For a non-positive size or spacing, or non-finite geometry.
 * @throws {TypeError} For an unknown voxel type or space.
 */
export function buildNrrdHeader(
  layout: { shape: readonly [number, number, number]; dtype: VoxelType },
  geometry: ImageGeometry,
  options: NrrdHeaderOptions = {},
): string {
  options = checkOptions(options, NRRD_HEADER_OPTION_KEYS, "buildNrrdHeader()");
  if (!Object.hasOwn(NRRD_TYPES, layout.dtype)) {
    throw new TypeError(
      `Cannot write voxel type "${layout.dtype}" to NRRD: expected one of ${
        Object.keys(NRRD_TYPES).join(", ")
      }`,
    );
  }
  const space = options.space ?? "LPS";
  if (!Object.hasOwn(SPACE_NAMES, space)) {
    throw new TypeError(`Cannot write NRRD in space "${space}": expected LPS or RAS`);
  }
  if (!layout.shape.every((n) => Number.isInteger(n) && n > 0)) {
    throw new RangeError(`Cannot write NRRD of shape [${layout.shape}]: expected positive integers`);
  }
  checkGeometry(geometry);
  // RAS negates the first two coordinates of every point and vector.
  const sign = space === "RAS" ? [-1, -1, 1] : [1, 1, 1];
  const directions = [0, 1, 2].map((j) =>
    vector([0, 1, 2].map((p) => sign[p] * geometry.direction[p][j] * geometry.spacing[j]))
  );
  const [nz, ny, nx] = layout.shape;
  const lines = [
    "NRRD0004",
    "# Complete NRRD file format specification at:",
    "# http://teem.sourceforge.net/nrrd/format.html",
    ...(options.content ? [`content: ${oneLine(options.content)}`] : []),
    `type: ${NRRD_TYPES[layout.dtype]}`,
    "dimension: 3",
    `space: ${SPACE_NAMES[space]}`,
    `sizes: ${nx} ${ny} ${nz}`,
    `space directions: ${directions.join(" ")}`,
    "kinds: domain domain domain",
    "endian: little",
    `encoding: ${options.gzip ?? true ? "gzip" : "raw"}`,
    'space units: "mm" "mm" "mm"',
    `space origin: ${vector(geometry.origin.map((v, p) => sign[p] * v))}`,
    ...Object.entries(options.keyValues ?? {}).map(([key, value]) =>
      `${oneLine(key).replaceAll(":=", ":")}:=${oneLine(value)}`
    ),
  ];
  return `${lines.join("\n")}\n\n`;
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.length;) offset += await file.write(bytes.subarray(offset));
}

/** The keys of {@linkcode WriteNrrdOptions}, checked at run time. */
const WRITE_NRRD_OPTION_KEYS: OptionKeys<WriteNrrdOptions> = {
  space: true,
  gzip: true,
  content: true,
  keyValues: true,
  geometry: true,
  gzipLevel: true,
  outputType: true,
  force: true,
  signal: true,
};

/**
 * Writes a volume to an NRRD file with an attached header (`.nrrd`), raw or
 * gzip-encoded (one gzip member after the header). The file appears only
 * when complete; on any error or abort nothing is left behind. Big-endian
 * hosts are not supported.
 *
 * @example Write a tiny gzip-encoded volume
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { writeNrrd } from "@spimfetch/spimfetch/write";
 * const dir = await Deno.makeTempDir();
 * const result = await writeNrrd(
 *   `${dir}/tiny.nrrd`,
 *   { data: new Uint16Array(2 * 3 * 4).fill(7), shape: [2, 3, 4], dtype: "uint16" },
 *   { geometry: { spacing: [1, 1, 1], origin: [0, 0, 0], direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] } },
 * );
 * assertEquals([result.gzip, result.voxelBytes], [true, 48]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @param path The output file; it must end in `.nrrd`.
 * @param image A volume in memory, or a stream of z-slabs.
 * @param options Geometry, space, encoding, output type, overwriting.
 * @returns The path, file size and voxel byte count.
 * @throws {TypeError} For another extension, an unknown voxel type or space.
 * @throws {RangeError} For a bad `gzipLevel` or geometry, or data (or slabs) that do not fill the shape.
 * @throws {OutputExistsError} If the file exists and `force` is not set.
 * @throws {Error} If the output directory is missing or not writable.
 */
export async function writeNrrd(
  path: string,
  image: Volume | VolumeSlabs,
  options: WriteNrrdOptions,
): Promise<WriteNrrdResult> {
  options = checkOptions(options, WRITE_NRRD_OPTION_KEYS, "writeNrrd()");
  if (!path.toLowerCase().endsWith(".nrrd")) {
    throw new TypeError(`Cannot write NRRD to ${path}: expected the extension .nrrd (attached header)`);
  }
  const gzip = options.gzip ?? true;
  const level = options.gzipLevel ?? 1;
  if (!Number.isInteger(level) || level < 0 || level > 9) {
    throw new RangeError(`Cannot use gzip level ${level}: expected an integer from 0 to 9`);
  }
  if (!isVoxelType(image.dtype)) throw new TypeError(`Cannot write voxels of unknown type "${image.dtype}"`);
  const outputType = options.outputType ?? image.dtype;
  const header = new TextEncoder().encode(
    buildNrrdHeader({ shape: image.shape, dtype: outputType }, options.geometry, options),
  );
  const [nz, ny, nx] = image.shape;
  const total = nz * ny * nx;
  if ("data" in image && image.data.length !== total) {
    throw new RangeError(
      `Cannot write a volume of shape [${image.shape}] from ${image.data.length} voxels: expected ${total}`,
    );
  }
  if (!LITTLE_ENDIAN_HOST) throw new Error("Cannot write NRRD on a big-endian host: not supported");
  const slabs: Iterable<VoxelArray> | AsyncIterable<VoxelArray> = "data" in image
    ? [image.data]
    : image.slabs;

  let compression: string | undefined;
  const bytes = await withAtomicFile(path, async (file) => {
    await writeAll(file, header);
    const gz = gzip ? createParallelGzip((bytes) => writeAll(file, bytes), { level }) : undefined;
    try {
      let seen = 0;
      const voxels = await stageVoxels(slabs, {
        outputType,
        write: (piece) => (gz ? gz.write(piece) : writeAll(file, piece)),
        check: (slab) => {
          if (seen + slab.length > total || slab.length % (ny * nx) !== 0) {
            throw new RangeError(
              `Cannot write NRRD: a slab of ${slab.length} voxels at voxel ${seen} does not fit shape [${image.shape}]`,
            );
          }
          seen += slab.length;
        },
        signal: options.signal,
      });
      if (voxels !== total) {
        throw new RangeError(`Cannot write NRRD: the slabs ended after ${voxels} of ${total} voxels`);
      }
      const written = header.length + (gz ? await gz.end() : total * bytesPerVoxel(outputType));
      compression = gz?.codec;
      return written;
    } finally {
      // After an error the gzip workers must be let go, or they keep the process alive.
      gz?.abort();
    }
  }, options);
  return {
    path,
    bytes,
    voxelBytes: total * bytesPerVoxel(outputType),
    gzip,
    ...(compression ? { compression } : {}),
  };
}
