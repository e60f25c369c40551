/**
 * Reads an output file (`.nii`, `.nii.gz`, `.nrrd`) for the viewer: its geometry from the header, and its
 * voxels streamed plane by plane, keeping every n-th voxel so that a file larger than the budget is never
 * held whole.
 *
 * NIfTI comes through the one NIfTI reader (`read/nifti_file.ts`); the small NRRD header reader here exists
 * only to place NRRD voxels for the viewer.
 *
 * @module
 */
import { MetadataError } from "../core/errors.ts";
import { allocateVoxels, bytesPerVoxel, type ImageGeometry, type VoxelType } from "../core/volume.ts";
import {
  DEFAULT_VIEW_BUDGET_BYTES,
  stridedGeometry,
  strideForBudget,
  type ViewerVolume,
} from "./viewer_volume.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";
import { type NiftiFile, openNifti, voxelsFromBytes } from "../read/nifti_file.ts";
import { NiftiFormatError, niftiGeometry } from "../read/nifti_header.ts";

/** Options for {@linkcode readVolumeFile}. */
export interface ReadVolumeFileOptions {
  /** The largest size of the voxels shown, in bytes. @default {DEFAULT_VIEW_BUDGET_BYTES} */
  budgetBytes?: number;
  /** The name shown. @default {the file's name} */
  name?: string;
  /** Cancels the read. */
  signal?: AbortSignal;
}

interface FileLayout {
  shape: [number, number, number];
  dtype: VoxelType;
  littleEndian: boolean;
  geometry: ImageGeometry;
  /** Bytes before the voxels, in the decompressed stream. */
  dataOffset: number;
  /** Whether the voxels or the whole file are gzip-compressed. */
  gzip: "none" | "file" | "data";
}

const NRRD_TYPES: Readonly<Record<string, VoxelType>> = {
  "signed char": "int8",
  int8: "int8",
  int8_t: "int8",
  uchar: "uint8",
  "unsigned char": "uint8",
  uint8: "uint8",
  uint8_t: "uint8",
  short: "int16",
  "short int": "int16",
  "signed short": "int16",
  "signed short int": "int16",
  int16: "int16",
  int16_t: "int16",
  ushort: "uint16",
  "unsigned short": "uint16",
  "unsigned short int": "uint16",
  uint16: "uint16",
  uint16_t: "uint16",
  int: "int32",
  "signed int": "int32",
  int32: "int32",
  int32_t: "int32",
  uint: "uint32",
  "unsigned int": "uint32",
  uint32: "uint32",
  uint32_t: "uint32",
  float: "float32",
  double: "float64",
};

/** The keys of {@linkcode ReadVolumeFileOptions}, checked at run time. */
const READ_VOLUME_FILE_OPTION_KEYS: OptionKeys<ReadVolumeFileOptions> = {
  budgetBytes: true,
  name: true,
  signal: true,
};

/**
 * Reads a `.nii`, `.nii.gz` or `.nrrd` file for the viewer, with every n-th voxel when it exceeds the budget.
 *
 * @example
 * ```ts ignore
 * import { readVolumeFile } from "@spimfetch/spimfetch/view";
 * const shown = await readVolumeFile("out/652506_Ex_561_Em_593_level3.nii.gz");
 * console.log(shown.step, shown.volume.shape);
 * ```
 * @param file The file's path, or its bytes.
 * @param options The budget, the name and a signal.
 * @returns What the viewer shows.
 * @throws {MetadataError} If the file is not a 3-D NIfTI-1 or NRRD image of a supported type, or ends early.
 * @throws {Deno.errors.NotFound} If the file does not exist.
 */
export async function readVolumeFile(
  file: string | Uint8Array,
  options: ReadVolumeFileOptions = {},
): Promise<ViewerVolume> {
  options = checkOptions(options, READ_VOLUME_FILE_OPTION_KEYS, "readVolumeFile()");
  const budgetBytes = options.budgetBytes ?? DEFAULT_VIEW_BUDGET_BYTES;
  const path = typeof file === "string" ? file : options.name ?? "image bytes";
  const name = options.name ?? path.split("/").pop()!;
  const head = await readHead(file);
  if (new TextDecoder().decode(head.bytes.subarray(0, 4)) !== "NRRD") {
    return await readNiftiStrided(file, path, name, budgetBytes, options.signal);
  }
  let bytes: AsyncIterator<Uint8Array> | undefined;
  try {
    const layout = parseNrrd(head.bytes, head.gzip, path);
    let stream: ReadableStream<Uint8Array> = await openBytes(file);
    if (layout.gzip === "file") {
      stream = (stream as ReadableStream<Uint8Array<ArrayBuffer>>).pipeThrough(
        new DecompressionStream("gzip"),
      );
    }
    const reader = new ByteReader(stream[Symbol.asyncIterator](), path);
    bytes = reader.source;
    await reader.skip(layout.dataOffset);
    if (layout.gzip === "data") {
      // NRRD's gzip covers only the voxels, after the text header.
      const rest = new ReadableStream<Uint8Array<ArrayBuffer>>({
        async pull(controller): Promise<void> {
          const chunk = await reader.next();
          if (chunk) controller.enqueue(chunk as Uint8Array<ArrayBuffer>);
          else controller.close();
        },
      }).pipeThrough(new DecompressionStream("gzip"));
      const inner = new ByteReader(rest[Symbol.asyncIterator](), path);
      return await readStrided(nrrdPlanes(inner, layout), layout, name, budgetBytes, options.signal);
    }
    return await readStrided(nrrdPlanes(reader, layout), layout, name, budgetBytes, options.signal);
  } finally {
    await bytes?.return?.();
  }
}

/** A NIfTI file through the one NIfTI reader (`read/nifti_file.ts`), plane by plane. */
async function readNiftiStrided(
  file: string | Uint8Array,
  path: string,
  name: string,
  budgetBytes: number,
  signal: AbortSignal | undefined,
): Promise<ViewerVolume> {
  let nifti: NiftiFile | undefined;
  try {
    nifti = await openNifti(file, { source: path, signal });
    const { header } = nifti;
    const layout = { shape: header.shape, dtype: header.dtype, geometry: niftiGeometry(header, path) };
    const opened = nifti;
    const plane = header.shape[1] * header.shape[2];
    return await readStrided(() => opened.read(plane), layout, name, budgetBytes, signal);
  } catch (error) {
    if (!(error instanceof NiftiFormatError)) throw error;
    const detail = error.problem === "not-nifti"
      ? "expected a NIfTI-1 (.nii, .nii.gz) or NRRD (.nrrd) image, found neither header"
      : error.detail;
    throw new MetadataError(`Cannot view ${path}: ${detail}`, { source: path, cause: error });
  } finally {
    await nifti?.cancel();
  }
}

/** NRRD planes: exact byte counts from the stream, in the host's byte order. */
function nrrdPlanes(reader: ByteReader, layout: FileLayout): () => Promise<ArrayLike<number>> {
  const planeBytes = layout.shape[1] * layout.shape[2] * bytesPerVoxel(layout.dtype);
  return async () => voxelsFromBytes(await reader.take(planeBytes), layout.dtype, layout.littleEndian);
}

/** The file's bytes as a stream (which closes the file when read to its end or cancelled). */
async function openBytes(file: string | Uint8Array): Promise<ReadableStream<Uint8Array<ArrayBuffer>>> {
  if (typeof file !== "string") return new Blob([file as Uint8Array<ArrayBuffer>]).stream();
  return (await Deno.open(file)).readable;
}

async function readStrided(
  nextPlane: () => Promise<ArrayLike<number>>,
  layout: Pick<FileLayout, "shape" | "dtype" | "geometry">,
  name: string,
  budgetBytes: number,
  signal?: AbortSignal,
): Promise<ViewerVolume> {
  const [nz, ny, nx] = layout.shape;
  const step = strideForBudget(layout.shape, layout.dtype, budgetBytes);
  const shape = layout.shape.map((n) => Math.ceil(n / step)) as [number, number, number];
  const out = allocateVoxels(layout.dtype, shape[0] * shape[1] * shape[2]);
  let o = 0;
  for (let z = 0; z < nz; z++) {
    signal?.throwIfAborted();
    const plane = await nextPlane();
    if (z % step !== 0) continue;
    for (let y = 0; y < ny; y += step) {
      for (let x = 0; x < nx; x += step) out[o++] = plane[y * nx + x];
    }
  }
  return {
    name,
    volume: { data: out, shape, dtype: layout.dtype },
    geometry: stridedGeometry(layout.geometry, step),
    step,
    sourceShape: layout.shape,
    budgetBytes,
  };
}

/** Reads exact byte counts from a stream of chunks. */
class ByteReader {
  #pending: Uint8Array = new Uint8Array(0);
  constructor(readonly source: AsyncIterator<Uint8Array>, readonly path: string) {}

  async next(): Promise<Uint8Array | undefined> {
    if (this.#pending.length) {
      const out = this.#pending;
      this.#pending = new Uint8Array(0);
      return out;
    }
    const { value, done } = await this.source.next();
    return done ? undefined : value;
  }

  async take(count: number): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let have = 0;
    while (have < count) {
      const chunk = await this.next();
      if (!chunk) {
        throw new MetadataError(
          `Cannot read ${this.path}: the file ends before the voxels its header announces`,
          { source: this.path },
        );
      }
      const need = count - have;
      if (chunk.length > need) {
        parts.push(chunk.subarray(0, need));
        this.#pending = chunk.subarray(need);
        have = count;
      } else {
        parts.push(chunk);
        have += chunk.length;
      }
    }
    if (parts.length === 1) return parts[0];
    const out = new Uint8Array(count);
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }

  async skip(count: number): Promise<void> {
    await this.take(count);
  }
}

/** The first bytes of the file, decompressed when gzipped: enough for a NIfTI header or an NRRD text header. */
async function readHead(file: string | Uint8Array): Promise<{ bytes: Uint8Array; gzip: boolean }> {
  let magic: Uint8Array;
  if (typeof file === "string") {
    using handle = await Deno.open(file);
    magic = new Uint8Array(2);
    await handle.read(magic);
  } else magic = file.subarray(0, 2);
  const gzip = magic[0] === 0x1f && magic[1] === 0x8b;
  const raw = await openBytes(file);
  const stream: ReadableStream<Uint8Array> = gzip ? raw.pipeThrough(new DecompressionStream("gzip")) : raw;
  const parts: Uint8Array[] = [];
  let have = 0;
  // Breaking out of the loop cancels the stream, which closes the file.
  for await (const chunk of stream) {
    parts.push(chunk);
    have += chunk.length;
    if (have >= 65536) break;
  }
  const bytes = new Uint8Array(have);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return { bytes, gzip };
}

/** ITK geometry (LPS) from a 3×4 RAS voxel-to-world matrix. */
function geometryFromRas(ras: number[][], path: string): ImageGeometry {
  const spacing = [0, 1, 2].map((j) => Math.hypot(ras[0][j], ras[1][j], ras[2][j])) as [
    number,
    number,
    number,
  ];
  if (spacing.some((s) => !(s > 0))) {
    throw new MetadataError(`Cannot view ${path}: its voxel-to-world matrix has an empty axis`, {
      source: path,
    });
  }
  const flip = [-1, -1, 1];
  return {
    spacing,
    origin: [0, 1, 2].map((r) => flip[r] * ras[r][3] + 0) as [number, number, number],
    direction: [0, 1, 2].map((r) =>
      [0, 1, 2].map((j) => flip[r] * ras[r][j] / spacing[j] + 0)
    ) as ImageGeometry[
      "direction"
    ],
  };
}

function parseNrrd(bytes: Uint8Array, fileGzip: boolean, path: string): FileLayout {
  const text = new TextDecoder("latin1").decode(bytes);
  const end = text.search(/\r?\n\r?\n/);
  if (end < 0) throw new MetadataError(`Cannot view ${path}: its NRRD header does not end`, { source: path });
  const blank = text.slice(end).match(/^\r?\n\r?\n/)![0].length;
  const fields = new Map<string, string>();
  for (const line of text.slice(0, end).split(/\r?\n/).slice(1)) {
    if (line.startsWith("#") || line.includes(":=")) continue;
    const at = line.indexOf(":");
    if (at > 0) fields.set(line.slice(0, at).trim().toLowerCase(), line.slice(at + 1).trim());
  }
  const fail = (what: string): never => {
    throw new MetadataError(`Cannot view ${path}: ${what}`, { source: path });
  };
  if (fields.has("data file") || fields.has("datafile")) fail("detached NRRD data files are not supported");
  if (fields.get("dimension") !== "3") {
    fail(`expected a 3-D NRRD, found dimension ${fields.get("dimension")}`);
  }
  const dtype = NRRD_TYPES[fields.get("type") ?? ""] ?? fail(`unsupported NRRD type "${fields.get("type")}"`);
  const sizes = (fields.get("sizes") ?? "").split(/\s+/).map(Number);
  if (sizes.length !== 3 || sizes.some((n) => !Number.isInteger(n) || n < 1)) {
    fail(`expected three sizes, found "${fields.get("sizes")}"`);
  }
  const encoding = fields.get("encoding") ?? "";
  if (!["raw", "gzip", "gz"].includes(encoding)) fail(`unsupported NRRD encoding "${encoding}"`);
  const vectors = [...(fields.get("space directions") ?? "").matchAll(/\(([^)]*)\)/g)].map((m) =>
    m[1].split(",").map(Number)
  );
  const space = (fields.get("space") ?? "").toLowerCase();
  // NRRD names the space its vectors are in; the viewer needs RAS.
  const toRas: Record<string, number[]> = {
    "right-anterior-superior": [1, 1, 1],
    ras: [1, 1, 1],
    "left-posterior-superior": [-1, -1, 1],
    lps: [-1, -1, 1],
    "left-anterior-superior": [-1, 1, 1],
    las: [-1, 1, 1],
  };
  const signs = toRas[space] ?? fail(`unsupported NRRD space "${fields.get("space")}"`);
  if (vectors.length !== 3 || vectors.some((v) => v.length !== 3 || v.some((n) => !Number.isFinite(n)))) {
    fail(`expected three space directions, found "${fields.get("space directions")}"`);
  }
  const origin = (fields.get("space origin") ?? "(0,0,0)").replace(/[()]/g, "").split(",").map(Number);
  const ras = [0, 1, 2].map((r) => [...vectors.map((v) => signs[r] * v[r]), signs[r] * origin[r]]);
  return {
    shape: [sizes[2], sizes[1], sizes[0]],
    dtype,
    littleEndian: (fields.get("endian") ?? "little") === "little",
    geometry: geometryFromRas(ras, path),
    dataOffset: end + blank,
    gzip: fileGzip ? "file" : encoding === "raw" ? "none" : "data",
  };
}
