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

interface WarpHeader {
  little: boolean;
  size: [number, number, number];
  datatype: number;
  voxOffset: number;
  slope: number;
  inter: number;
  lps: number[];
}

function parseHeader(header: Uint8Array, source: string): WarpHeader {
  const bad = (message: string): MetadataError =>
    new MetadataError(`Cannot read the displacement field: ${message}`, { source });
  if (header.length < 348) throw bad(`the file holds ${header.length} bytes, less than a NIfTI-1 header`);
  const view = new DataView(header.buffer, header.byteOffset, 348);
  let little = true;
  if (view.getInt32(0, true) !== 348) {
    if (view.getInt32(0, false) !== 348) {
      throw bad(`sizeof_hdr is not 348: expected a NIfTI-1 file (NIfTI-2 is not read)`);
    }
    little = false;
  }
  const dim = Array.from({ length: 8 }, (_, i) => view.getInt16(40 + 2 * i, little));
  const intent = view.getInt16(68, little);
  const datatype = view.getInt16(70, little);
  if (dim[0] !== 5 || dim[4] !== 1 || dim[5] !== 3 || dim.slice(1, 4).some((n) => n < 1)) {
    throw bad(
      `dim is [${
        dim.slice(0, dim[0] + 1)
      }]: expected [5, X, Y, Z, 1, 3], a 3-D grid of 3-vectors as ANTs writes`,
    );
  }
  if (intent !== NIFTI_INTENT_VECTOR) {
    throw bad(`intent code is ${intent}: expected ${NIFTI_INTENT_VECTOR} (NIFTI_INTENT_VECTOR)`);
  }
  if (datatype !== 16 && datatype !== 64) {
    throw bad(`datatype is ${datatype}: expected 16 (float32) or 64 (float64)`);
  }
  const voxOffset = view.getFloat32(108, little);
  const slope = view.getFloat32(112, little);
  const inter = view.getFloat32(116, little);
  const qformCode = view.getInt16(252, little);
  const sformCode = view.getInt16(254, little);
  const pixdim = Array.from({ length: 4 }, (_, i) => view.getFloat32(76 + 4 * i, little));
  let ras: number[]; // row-major 3×4
  if (sformCode > 0) {
    ras = Array.from({ length: 12 }, (_, i) => view.getFloat32(280 + 4 * i, little));
  } else if (qformCode > 0) {
    const [b, c, d] = [256, 260, 264].map((o) => view.getFloat32(o, little));
    const [qx, qy, qz] = [268, 272, 276].map((o) => view.getFloat32(o, little));
    const a = Math.sqrt(Math.max(0, 1 - b * b - c * c - d * d));
    const qfac = pixdim[0] < 0 ? -1 : 1;
    const r = [
      [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
      [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
      [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b],
    ];
    const s = [pixdim[1], pixdim[2], pixdim[3] * qfac];
    ras = [0, 1, 2].flatMap((row) => [...[0, 1, 2].map((j) => r[row][j] * s[j]), [qx, qy, qz][row]]);
  } else {
    throw bad("neither sform_code nor qform_code is set: the grid has no position in space");
  }
  // ITK's LPS world: negate the x and y rows of NIfTI's RAS.
  const lps = ras.map((v, i) => (i < 8 ? -v : v) + 0);
  if (!lps.every(Number.isFinite)) throw bad(`the grid's affine is not finite: [${lps}]`);
  const size = [dim[1], dim[2], dim[3]] as [number, number, number];
  return { little, size, datatype, voxOffset: Math.round(voxOffset), slope, inter, lps };
}

function invertAffine(m: readonly number[]): number[] {
  const a = [m[0], m[1], m[2], m[4], m[5], m[6], m[8], m[9], m[10]];
  const inv = invert3(a);
  const b = [m[3], m[7], m[11]];
  const t = [0, 1, 2].map((r) => -(inv[3 * r] * b[0] + inv[3 * r + 1] * b[1] + inv[3 * r + 2] * b[2]));
  return [0, 1, 2].flatMap((r) => [inv[3 * r], inv[3 * r + 1], inv[3 * r + 2], t[r]]);
}

async function* chunksOf(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  const gzip = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  if (!gzip) {
    yield bytes;
    return;
  }
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new DecompressionStream("gzip"),
  );
  for await (const chunk of stream) yield chunk;
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
  return parseDisplacementChunks(chunksOf(bytes), source);
}

/**
 * {@linkcode parseDisplacementField} on the decompressed file, in chunks of any size.
 *
 * @param chunks The NIfTI file's bytes (not gzipped), in order.
 * @param source Where they came from, for messages.
 * @returns The field.
 * @throws {MetadataError} As {@linkcode parseDisplacementField}.
 */
export async function parseDisplacementChunks(
  chunks: AsyncIterable<Uint8Array>,
  source: string,
): Promise<DisplacementField> {
  let head = new Uint8Array(0);
  let header: WarpHeader | undefined;
  let data: Float32Array | undefined;
  let n = 0;
  let itemBytes = 4;
  let skip = 0;
  // Voxel values are converted as the bytes arrive (never holding the raw field): `item` counts the values
  // done; a value split between two chunks waits in `carry`.
  let item = 0;
  const carry = new Uint8Array(8);
  let carried = 0;
  let scale = false;
  const store = (view: DataView, at: number): void => {
    let value = itemBytes === 4 ? view.getFloat32(at, header!.little) : view.getFloat64(at, header!.little);
    if (scale) value = value * header!.slope + header!.inter;
    // Component-major on disk; interleaved (one vector per voxel) for interpolation.
    const c = Math.floor(item / n);
    data![3 * (item - c * n) + c] = value;
    item++;
  };
  try {
    for await (let chunk of chunks) {
      if (!header) {
        const joined = new Uint8Array(head.length + chunk.length);
        joined.set(head);
        joined.set(chunk, head.length);
        if (joined.length < 348) {
          head = joined;
          continue;
        }
        header = parseHeader(joined, source);
        n = header.size[0] * header.size[1] * header.size[2];
        itemBytes = header.datatype === 64 ? 8 : 4;
        scale = header.slope !== 0 && Number.isFinite(header.slope) &&
          !(header.slope === 1 && header.inter === 0);
        data = new Float32Array(new SharedArrayBuffer(n * 3 * 4));
        skip = header.voxOffset;
        chunk = joined;
      }
      if (skip > 0) {
        const drop = Math.min(skip, chunk.length);
        chunk = chunk.subarray(drop);
        skip -= drop;
      }
      let at = 0;
      if (carried > 0 && item < 3 * n) {
        const more = Math.min(itemBytes - carried, chunk.length);
        carry.set(chunk.subarray(0, more), carried);
        carried += more;
        at = more;
        if (carried === itemBytes) {
          store(new DataView(carry.buffer), 0);
          carried = 0;
        }
      }
      const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      for (; at + itemBytes <= chunk.length && item < 3 * n; at += itemBytes) store(view, at);
      if (at < chunk.length && item < 3 * n) {
        carry.set(chunk.subarray(at), 0);
        carried = chunk.length - at;
      }
    }
  } catch (cause) {
    if (cause instanceof MetadataError) throw cause;
    throw new MetadataError(`Cannot decompress the displacement field: ${(cause as Error).message}`, {
      source,
      cause,
    });
  }
  if (!header || !data) {
    throw new MetadataError("Cannot read the displacement field: the file is shorter than a NIfTI-1 header", {
      source,
    });
  }
  if (item < 3 * n) {
    throw new MetadataError(
      `Cannot read the displacement field: the file holds ${item * itemBytes + carried} of the ${
        3 * n * itemBytes
      } voxel bytes its header announces`,
      { source },
    );
  }
  return { size: header.size, indexToLps: header.lps, lpsToIndex: invertAffine(header.lps), data, source };
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
