/**
 * ANTs displacement fields (`*Warp.nii.gz`, `*InverseWarp.nii.gz`): NIfTI-1
 * images with `dim = [5, X, Y, Z, 1, 3]` and intent code 1007 (vector),
 * float32 or float64, gzipped or not, either byte order.
 *
 * Component c of voxel (i, j, k) is stored at linear index
 * `i + X·(j + Y·(k + Z·c))`. ITK writes the vectors in its own LPS frame, in
 * mm, without converting them to RAS (the grid's sform/qform is RAS as usual,
 * so its first two rows are negated to get the LPS grid).
 *
 * The field is kept interleaved (x, y, z per voxel) as float32 in a
 * `SharedArrayBuffer`, so that worker threads can read it without a copy.
 *
 * @module
 */
import { MetadataError } from "../core/errors.ts";
import { type NiftiFile, type NiftiInput, openNifti } from "../read/nifti_file.ts";
import { NiftiFormatError, type NiftiHeader } from "../read/nifti_header.ts";
import { invert3 } from "./ants_affine.ts";

/** A displacement field on a grid: `p ↦ p + u(p)`, u linearly interpolated. */
export interface DisplacementField {
  /** Voxel counts (X, Y, Z). */
  size: [number, number, number];
  /** Index → LPS mm: row-major 3×4 `[A | b]`, `p = A·(i, j, k) + b`. */
  indexToLps: number[];
  /** LPS mm → continuous index: row-major 3×4. */
  lpsToIndex: number[];
  /** Displacements (LPS, mm), interleaved: voxel v's vector at `3v, 3v + 1, 3v + 2`. */
  data: Float32Array;
  /** Where it was read from. */
  source: string;
}

const NIFTI_INTENT_VECTOR = 1007;

/** The grid of a warp's header (index → LPS), after the checks only a displacement field needs. */
function warpGrid(header: NiftiHeader, source: string): { size: [number, number, number]; lps: number[] } {
  const bad = (message: string): MetadataError =>
    new MetadataError(`Cannot read the displacement field: ${message}`, { source });
  const dim = [header.dims.length, ...header.dims];
  if (dim[0] !== 5 || dim[4] !== 1 || dim[5] !== 3) {
    throw bad(`dim is [${dim}]: expected [5, X, Y, Z, 1, 3], a 3-D grid of 3-vectors as ANTs writes`);
  }
  if (header.intentCode !== NIFTI_INTENT_VECTOR) {
    throw bad(`intent code is ${header.intentCode}: expected ${NIFTI_INTENT_VECTOR} (NIFTI_INTENT_VECTOR)`);
  }
  if (header.dtype !== "float32" && header.dtype !== "float64") {
    throw bad(`datatype is ${header.datatype.code}: expected 16 (float32) or 64 (float64)`);
  }
  if (header.affineFrom === "pixdim") {
    throw bad("neither sform_code nor qform_code is set: the grid has no position in space");
  }
  // ITK's LPS world: negate the x and y rows of NIfTI's RAS.
  const lps = header.affine.flatMap((row, r) => row.map((v) => (r < 2 ? -v : v) + 0));
  if (!lps.every(Number.isFinite)) throw bad(`the grid's affine is not finite: [${lps}]`);
  return { size: [dim[1], dim[2], dim[3]], lps };
}

/** The reader's error in this module's words (the file is named either way). */
function reworded(error: unknown, source: string): unknown {
  if (!(error instanceof NiftiFormatError)) return error;
  if (error.problem === "gzip") {
    return new MetadataError(`Cannot decompress the displacement field: ${error.detail}`, {
      source,
      cause: error,
    });
  }
  const detail = error.problem === "truncated" && error.bytesExpected !== undefined
    ? `the file holds ${error.bytesRead} of the ${error.bytesExpected} voxel bytes its header announces`
    : error.detail;
  return new MetadataError(`Cannot read the displacement field: ${detail}`, { source, cause: error });
}

function invertAffine(m: readonly number[]): number[] {
  const a = [m[0], m[1], m[2], m[4], m[5], m[6], m[8], m[9], m[10]];
  const inv = invert3(a);
  const b = [m[3], m[7], m[11]];
  const t = [0, 1, 2].map((r) => -(inv[3 * r] * b[0] + inv[3 * r + 1] * b[1] + inv[3 * r + 2] * b[2]));
  return [0, 1, 2].flatMap((r) => [inv[3 * r], inv[3 * r + 1], inv[3 * r + 2], t[r]]);
}

/**
 * Parses an ANTs displacement field from the bytes of its `.nii.gz` (or
 * `.nii`) file, decompressing as it goes so that only the field itself is
 * held (as float32, interleaved), converted as the bytes arrive.
 *
 * @example
 * ```ts ignore
 * import { parseDisplacementField } from "./displacement_field.ts";
 * const field = await parseDisplacementField(await Deno.readFile("ls_to_template_SyN_1Warp.nii.gz"), "1Warp");
 * console.log(field.size);
 * ```
 * @param bytes The file's bytes.
 * @param source Where they came from, for messages.
 * @returns The field.
 * @throws {MetadataError} If the file is not a gzipped or plain NIfTI-1 vector field of float32/float64
 * with dim [5, X, Y, Z, 1, 3] and intent 1007, or is cut short.
 */
export function parseDisplacementField(bytes: Uint8Array, source: string): Promise<DisplacementField> {
  return readDisplacementField(bytes, source);
}

/**
 * {@linkcode parseDisplacementField} on the file's bytes (gzipped or not), in chunks of any size.
 *
 * @param chunks The NIfTI file's bytes (not gzipped), in order.
 * @param source Where they came from, for messages.
 * @returns The field.
 * @throws {MetadataError} As {@linkcode parseDisplacementField}.
 */
export function parseDisplacementChunks(
  chunks: AsyncIterable<Uint8Array>,
  source: string,
): Promise<DisplacementField> {
  return readDisplacementField(chunks, source);
}

async function readDisplacementField(input: NiftiInput, source: string): Promise<DisplacementField> {
  let file: NiftiFile | undefined;
  try {
    file = await openNifti(input, { source, anyRank: true });
    const { size, lps } = warpGrid(file.header, source);
    const n = size[0] * size[1] * size[2];
    const scaling = file.header.scaling;
    const data = new Float32Array(new SharedArrayBuffer(n * 3 * 4));
    // Component-major on disk (all x, then all y, then all z); interleaved (one vector per voxel) for
    // interpolation. Values are converted run by run as they arrive, never holding the raw field.
    let voxel = 0, component = 0;
    for await (const run of file.runs()) {
      for (let i = 0; i < run.length; i++) {
        data[3 * voxel + component] = scaling ? run[i] * scaling.slope + scaling.inter : run[i];
        if (++voxel === n) [voxel, component] = [0, component + 1];
      }
    }
    return { size, indexToLps: lps, lpsToIndex: invertAffine(lps), data, source };
  } catch (error) {
    throw reworded(error, source);
  } finally {
    await file?.cancel();
  }
}

/**
 * Applies a displacement field to one point, as ITK's
 * `DisplacementFieldTransform` does: p + u(p), with u trilinear between voxel
 * centres and clamped to the edge voxels within half a voxel of the grid; a
 * point farther outside is returned unchanged.
 *
 * @param field The field.
 * @param p The point (LPS, mm); overwritten with the result.
 */
export function displacePoint(field: DisplacementField, p: Float64Array | number[]): void {
  const m = field.lpsToIndex;
  const x = p[0], y = p[1], z = p[2];
  const ci = m[0] * x + m[1] * y + m[2] * z + m[3];
  const cj = m[4] * x + m[5] * y + m[6] * z + m[7];
  const ck = m[8] * x + m[9] * y + m[10] * z + m[11];
  const size = field.size, nx = size[0], ny = size[1], nz = size[2];
  if (!(ci >= -0.5 && ci < nx - 0.5 && cj >= -0.5 && cj < ny - 0.5 && ck >= -0.5 && ck < nz - 0.5)) return;
  const i0 = Math.floor(ci), j0 = Math.floor(cj), k0 = Math.floor(ck);
  const fi = ci - i0, fj = cj - j0, fk = ck - k0;
  const ia = i0 < 0 ? 0 : i0, ib = i0 + 1 > nx - 1 ? nx - 1 : i0 + 1;
  const ja = j0 < 0 ? 0 : j0, jb = j0 + 1 > ny - 1 ? ny - 1 : j0 + 1;
  const ka = k0 < 0 ? 0 : k0, kb = k0 + 1 > nz - 1 ? nz - 1 : k0 + 1;
  const d = field.data;
  const v000 = 3 * (ia + nx * (ja + ny * ka)), v100 = 3 * (ib + nx * (ja + ny * ka));
  const v010 = 3 * (ia + nx * (jb + ny * ka)), v110 = 3 * (ib + nx * (jb + ny * ka));
  const v001 = 3 * (ia + nx * (ja + ny * kb)), v101 = 3 * (ib + nx * (ja + ny * kb));
  const v011 = 3 * (ia + nx * (jb + ny * kb)), v111 = 3 * (ib + nx * (jb + ny * kb));
  const w000 = (1 - fi) * (1 - fj) * (1 - fk), w100 = fi * (1 - fj) * (1 - fk);
  const w010 = (1 - fi) * fj * (1 - fk), w110 = fi * fj * (1 - fk);
  const w001 = (1 - fi) * (1 - fj) * fk, w101 = fi * (1 - fj) * fk;
  const w011 = (1 - fi) * fj * fk, w111 = fi * fj * fk;
  for (let c = 0; c < 3; c++) {
    p[c] += w000 * d[v000 + c] + w100 * d[v100 + c] + w010 * d[v010 + c] + w110 * d[v110 + c] +
      w001 * d[v001 + c] + w101 * d[v101 + c] + w011 * d[v011 + c] + w111 * d[v111 + c];
  }
}
