/**
 * Parsing a NIfTI-1 header (either byte order) into what readers need: sizes, voxel type (from the one
 * table of codes, `core/nifti_datatypes.ts`), where the voxels start, their scaling, and the voxel-to-world
 * transform (sform, else qform, else pixdim, as `nifti1.h` ranks them), in NIfTI's RAS world and as ITK's
 * LPS geometry. The streaming reader (`nifti_file.ts`) builds on it.
 *
 * @module
 */
import { MetadataError } from "../core/errors.ts";
import type { ImageGeometry, VoxelType } from "../core/volume.ts";
import { type NiftiDatatype, niftiDatatypeNames, niftiDatatypeOfCode } from "../core/nifti_datatypes.ts";

/** Bytes of a NIfTI-1 header (its `sizeof_hdr`). */
export const NIFTI1_HEADER_BYTES = 348;

/** What went wrong in a {@linkcode NiftiFormatError}. */
export type NiftiProblem =
  | "not-nifti"
  | "magic"
  | "dim"
  | "datatype"
  | "vox_offset"
  | "truncated"
  | "gzip";

/**
 * A file that is not a NIfTI-1 image spimfetch reads, or is cut short. The message names the file (in
 * `source`), the field and what was expected; `problem` and `detail` let a caller say it in its own words.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { NiftiFormatError, parseNiftiHeader } from "@spimfetch/spimfetch/read";
 * try {
 *   parseNiftiHeader(new Uint8Array(100), "short.nii");
 * } catch (error) {
 *   assert(error instanceof NiftiFormatError && error.problem === "not-nifti");
 *   assert(error.message.includes("short.nii"));
 * }
 * ```
 */
export class NiftiFormatError extends MetadataError {
  /** Which check failed. */
  readonly problem: NiftiProblem;
  /** What was wrong and what was expected, without the file's name. */
  readonly detail: string;
  /** For `truncated` (and `gzip` after the header): the voxel bytes the file holds. */
  readonly bytesRead: number | undefined;
  /** For `truncated` (and `gzip` after the header): the voxel bytes the header announces. */
  readonly bytesExpected: number | undefined;
  /**
   * Creates the error.
   * @param problem Which check failed.
   * @param detail What was wrong and what was expected.
   * @param options The file, the byte counts of a short file, and the cause.
   */
  constructor(
    problem: NiftiProblem,
    detail: string,
    options: { source: string; cause?: unknown; bytesRead?: number; bytesExpected?: number },
  ) {
    super(`Cannot read NIfTI: ${detail}`, { source: options.source, cause: options.cause });
    this.name = "NiftiFormatError";
    this.problem = problem;
    this.detail = detail;
    this.bytesRead = options.bytesRead;
    this.bytesExpected = options.bytesExpected;
  }
}

/** A parsed NIfTI-1 header. */
export interface NiftiHeader {
  /** Whether the file is little-endian (voxels included). */
  littleEndian: boolean;
  /** `dim[1..dim[0]]`: the sizes, x first. */
  dims: number[];
  /** Sizes along (z, y, x), Zarr's order (1 for an axis past `dim[0]`). */
  shape: [number, number, number];
  /** The voxel type's row of the datatype table. */
  datatype: NiftiDatatype;
  /** The voxel type. */
  dtype: VoxelType;
  /** Voxels in the file: the product of {@linkcode NiftiHeader.dims}. */
  voxelCount: number;
  /** Where the voxels start (bytes from the start of the uncompressed file). */
  voxOffset: number;
  /** `scl_slope`/`scl_inter` when they change values (`undefined` for slope 0, NaN, or 1 with inter 0). */
  scaling: { slope: number; inter: number } | undefined;
  /** `intent_code` (1007 for a vector field). */
  intentCode: number;
  /** `pixdim[0..7]` (`pixdim[0]` is qfac). */
  pixdim: number[];
  /** The spatial unit of `xyzt_units`. */
  spatialUnit: "unknown" | "m" | "mm" | "um";
  /** `qform_code`. */
  qformCode: number;
  /** `sform_code`. */
  sformCode: number;
  /** Voxel index (i, j, k) → RAS, row-major 3×4 `[A | b]`. */
  affine: number[][];
  /** Which field the affine comes from: sform when its code is set, else qform, else pixdim. */
  affineFrom: "sform" | "qform" | "pixdim";
  /** `descrip`. */
  description: string;
}

const UNITS: Record<number, NiftiHeader["spatialUnit"]> = { 1: "m", 2: "mm", 3: "um" };

/**
 * Parses the first 348 bytes of an uncompressed NIfTI-1 file.
 *
 * @example A header written by spimfetch
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { buildNiftiHeader } from "@spimfetch/spimfetch/write";
 * import { parseNiftiHeader } from "@spimfetch/spimfetch/read";
 * const bytes = buildNiftiHeader(
 *   { shape: [4, 3, 2], dtype: "int16" },
 *   { spacing: [0.5, 0.5, 2], origin: [0, 0, 0], direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] },
 * );
 * const header = parseNiftiHeader(bytes, "a.nii");
 * assertEquals([header.shape, header.dtype, header.voxOffset], [[4, 3, 2], "int16", 352]);
 * ```
 * @param bytes At least the header's 348 bytes, not gzipped.
 * @param source The file, for messages.
 * @returns The header.
 * @throws {NiftiFormatError} If the bytes are not a single-file NIfTI-1 header (`n+1`) of positive sizes,
 * a scalar type of the table and a whole `vox_offset` ≥ 348.
 */
export function parseNiftiHeader(bytes: Uint8Array, source: string): NiftiHeader {
  const fail = (problem: NiftiProblem, detail: string): never => {
    throw new NiftiFormatError(problem, detail, { source });
  };
  if (bytes.length < NIFTI1_HEADER_BYTES) {
    fail("not-nifti", `the header is ${bytes.length} bytes long, expected ${NIFTI1_HEADER_BYTES}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, NIFTI1_HEADER_BYTES);
  const le = view.getInt32(0, true) === NIFTI1_HEADER_BYTES;
  if (!le && view.getInt32(0, false) !== NIFTI1_HEADER_BYTES) {
    const nifti2 = view.getInt32(0, true) === 540 || view.getInt32(0, false) === 540;
    fail(
      "not-nifti",
      nifti2
        ? "sizeof_hdr is 540 (NIfTI-2), expected 348: NIfTI-2 is not read"
        : `sizeof_hdr is ${view.getInt32(0, true)}, expected 348 (not a NIfTI-1 file)`,
    );
  }
  const magic = new TextDecoder("latin1").decode(bytes.subarray(344, 347));
  if (magic !== "n+1") {
    const pair = magic === "ni1" ? " (a .hdr/.img pair, which is not read)" : "";
    fail("magic", `magic is "${printable(magic)}"${pair}, expected "n+1" (a single-file NIfTI-1)`);
  }
  const rank = view.getInt16(40, le);
  const all = Array.from({ length: 7 }, (_, i) => view.getInt16(42 + 2 * i, le));
  if (rank < 1 || rank > 7) fail("dim", `dim[0] is ${rank}, expected 1 to 7 dimensions`);
  const dims = all.slice(0, rank);
  if (!dims.every((n) => n >= 1)) fail("dim", `dim is [${rank}, ${dims}]: expected sizes ≥ 1`);
  const code = view.getInt16(70, le);
  const datatype = niftiDatatypeOfCode(code) ??
    fail(
      "datatype",
      `datatype ${code} is not a scalar type spimfetch reads: expected ${niftiDatatypeNames()}`,
    );
  const voxOffset = view.getFloat32(108, le);
  if (!(voxOffset >= NIFTI1_HEADER_BYTES) || !Number.isInteger(voxOffset)) {
    fail("vox_offset", `vox_offset is ${voxOffset}, expected a whole number ≥ ${NIFTI1_HEADER_BYTES}`);
  }
  const slope = view.getFloat32(112, le), inter = view.getFloat32(116, le);
  // nifti1.h: a slope of 0 means "no scaling"; nibabel writes NaN for the same.
  const scaling = slope !== 0 && Number.isFinite(slope) && !(slope === 1 && inter === 0)
    ? { slope, inter: Number.isFinite(inter) ? inter : 0 }
    : undefined;
  const pixdim = Array.from({ length: 8 }, (_, i) => view.getFloat32(76 + 4 * i, le));
  const qformCode = view.getInt16(252, le), sformCode = view.getInt16(254, le);
  let affine: number[][], affineFrom: NiftiHeader["affineFrom"];
  if (sformCode > 0) {
    affine = [0, 1, 2].map((r) => [0, 1, 2, 3].map((c) => view.getFloat32(280 + 16 * r + 4 * c, le)));
    affineFrom = "sform";
  } else if (qformCode > 0) {
    affine = qformAffine(view, le, pixdim);
    affineFrom = "qform";
  } else {
    // nifti1.h's "method 1", for Analyze-era files: pixdim scaling only.
    const d = [1, 2, 3].map((i) => pixdim[i] > 0 ? pixdim[i] : 1);
    affine = [[d[0], 0, 0, 0], [0, d[1], 0, 0], [0, 0, d[2], 0]];
    affineFrom = "pixdim";
  }
  const size = (axis: number): number => (axis < rank ? dims[axis] : 1);
  const descrip = bytes.subarray(148, 228);
  const nul = descrip.indexOf(0);
  return {
    littleEndian: le,
    dims,
    shape: [size(2), size(1), size(0)],
    datatype,
    dtype: datatype.dtype,
    voxelCount: dims.reduce((a, b) => a * b, 1),
    voxOffset,
    scaling,
    intentCode: view.getInt16(68, le),
    pixdim,
    spatialUnit: UNITS[bytes[123] & 7] ?? "unknown",
    qformCode,
    sformCode,
    affine,
    affineFrom,
    description: new TextDecoder("latin1").decode(nul < 0 ? descrip : descrip.subarray(0, nul)),
  };
}

/** nifti1_io's `nifti_quatern_to_mat44`: the quaternion, qfac and pixdim as a 3×4 RAS affine. */
function qformAffine(view: DataView, le: boolean, pixdim: number[]): number[][] {
  let [b, c, d] = [256, 260, 264].map((o) => view.getFloat32(o, le));
  const offset = [268, 272, 276].map((o) => view.getFloat32(o, le));
  let a = 1 - (b * b + c * c + d * d);
  if (a < 1e-7) {
    // A 180° rotation: b, c, d are renormalised and a is 0, as nifti1_io does.
    const norm = 1 / Math.sqrt(b * b + c * c + d * d);
    [a, b, c, d] = [0, b * norm, c * norm, d * norm];
  } else a = Math.sqrt(a);
  const qfac = pixdim[0] < 0 ? -1 : 1;
  const scale = [1, 2, 3].map((i) => pixdim[i] > 0 ? pixdim[i] : 1);
  scale[2] *= qfac;
  const r = [
    [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
    [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
    [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b],
  ];
  return r.map((row, i) => [...row.map((v, j) => v * scale[j]), offset[i]]);
}

/**
 * The header's affine as ITK geometry: spacing from the column lengths, and direction and origin in ITK's
 * LPS world (NIfTI's RAS with its first two rows negated, as ITK's NIfTI reader does).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { buildNiftiHeader } from "@spimfetch/spimfetch/write";
 * import { niftiGeometry, parseNiftiHeader } from "@spimfetch/spimfetch/read";
 * const geometry = { spacing: [0.5, 0.5, 2], origin: [1, 2, 3], direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] } as const;
 * const header = parseNiftiHeader(buildNiftiHeader({ shape: [4, 3, 2], dtype: "int16" }, structuredClone(geometry) as never), "a.nii");
 * assertEquals(niftiGeometry(header, "a.nii"), structuredClone(geometry) as never);
 * ```
 * @param header A parsed header.
 * @param source The file, for messages.
 * @returns Spacing, origin and direction (LPS, the header's spatial unit).
 * @throws {NiftiFormatError} If an axis of the affine has length 0 or is not finite.
 */
export function niftiGeometry(header: NiftiHeader, source: string): ImageGeometry {
  const ras = header.affine;
  const spacing = [0, 1, 2].map((j) => Math.hypot(ras[0][j], ras[1][j], ras[2][j]));
  if (!spacing.every((s) => s > 0 && Number.isFinite(s)) || !ras.flat().every(Number.isFinite)) {
    throw new NiftiFormatError(
      "dim",
      `its ${header.affineFrom} affine [${ras.join("; ")}] has an empty axis`,
      {
        source,
      },
    );
  }
  const flip = [-1, -1, 1];
  // "+ 0" turns a flipped 0 (−0) into 0, which prints and compares as users expect.
  return {
    spacing: spacing as ImageGeometry["spacing"],
    origin: [0, 1, 2].map((r) => flip[r] * ras[r][3] + 0) as ImageGeometry["origin"],
    direction: [0, 1, 2].map((r) =>
      [0, 1, 2].map((j) => flip[r] * ras[r][j] / spacing[j] + 0)
    ) as ImageGeometry["direction"],
  };
}

function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`);
}
