/**
 * Synthetic registered SmartSPIM assets with known answers, for the CCF tests,
 * the demo server and the notebook.
 *
 * Each registered asset gets a `processing.json` naming its registration
 * capsule version and channel, and `image_atlas_alignment/<channel>/` with the
 * three ANTs files written to their real formats (MATLAB v4 `.mat`, 5-D
 * vector NIfTI, intent 1007, LPS vectors). A template folder holds the shared
 * template → CCF transforms (and, on request, a smooth
 * `ccf_average_template_25.nii.gz` on the real CCF grid).
 *
 * Every transform has a closed form: an affine, and a displacement
 * `W(p)_A = p_A + a·sin(k·p_B + φ)`, `W(p)_B = p_B + b·sin(m·p_C + ψ)`,
 * `W(p)_C = p_C` for a permutation (A, B, C) of the LPS axes, whose exact
 * inverse is `p_C = p'_C`, `p_B = p'_B − b·sin(m·p_C + ψ)`,
 * `p_A = p'_A − a·sin(k·p_B + φ)`. The inverse warp files are sampled from that
 * exact inverse, so a test can compare the library's chain (which interpolates
 * the sampled fields) with the closed form.
 *
 * @module
 */
import { gzipSync } from "node:zlib";
import { AIND_BUCKET } from "../lib/s3/client.ts";
import { startS3Server, type TestS3Server } from "./s3_server.ts";
import {
  type AcquisitionAxisJson,
  buildSmartSpimDataset,
  type Dataset,
  REFERENCE_AXES,
} from "./smartspim_dataset.ts";

type Vec3 = [number, number, number];

/** An affine in ITK's parameters: `y = M(x − c) + t + c` (LPS, mm). */
export interface AffineSpec {
  /** Row-major 3×3. */
  matrix: number[];
  /** Translation t. */
  translation: Vec3;
  /** Centre c. */
  center: Vec3;
}

/** A displacement with a closed-form inverse (see the module documentation). */
export interface WarpSpec {
  /** The axes (A, B, C), a permutation of 0, 1, 2 (LPS x, y, z). */
  axes: Vec3;
  /** Amplitude a (mm), wave number k (1/mm), phase φ of the A displacement. */
  a: number;
  k: number;
  phi: number;
  /** Amplitude b (mm), wave number m (1/mm), phase ψ of the B displacement. */
  b: number;
  m: number;
  psi: number;
}

/** A grid in LPS: `p = origin + direction · (spacing ⊙ index)`. */
export interface GridSpec {
  size: Vec3;
  spacing: number;
  origin: Vec3;
  /** Columns are the index axes, row-major. */
  direction: [Vec3, Vec3, Vec3];
}

/** The four transforms of an asset's chain, in closed form. */
export interface ChainSpec {
  lsAffine: AffineSpec;
  lsWarp: WarpSpec;
  templateAffine: AffineSpec;
  templateWarp: WarpSpec;
}

/** How a transform file is written. */
export interface FileFormat {
  /** `.mat` precision and `.nii.gz` data type. */
  precision: "double" | "single";
  /** Byte order. */
  littleEndian: boolean;
  /** NIfTI: write only the qform (sform code 0), to exercise that path. */
  qformOnly?: boolean;
}

/** One registered (or not) asset to generate. */
export interface RegisteredAssetSpec {
  subject: string;
  acquiredAt: string;
  stitchedAt: string;
  /** Capsule version ("Image importing" code_version); none writes no processing.json. */
  version?: string;
  /** `processing.json` schema: 1 (processing_pipeline) or 2 (top-level, code.version). @default {1} */
  schema?: 1 | 2;
  /** Leave the "Image atlas alignment" process out (channel found from the folder). @default {false} */
  omitAlignmentProcess?: boolean;
  /** Write the transform folder. @default {true when version is given} */
  registered?: boolean;
  axes?: AcquisitionAxisJson[];
  /** Level-0 spacing (z, y, x) µm. */
  spacing?: Vec3;
  shape?: Vec3;
  chunks?: Vec3;
  levels?: number;
  channels?: string[];
  /** The registered channel. @default {the last channel} */
  registeredChannel?: string;
  /** File formats of this asset's transforms. */
  format?: FileFormat;
  /** Zero warps (an affine-only LS chain). @default {false} */
  affineOnly?: boolean;
}

/** One template folder. */
export interface TemplateSpec {
  prefix: string;
  /** Zero warps (an affine-only template chain). */
  affineOnly?: boolean;
  /** Also write `ccf_average_template_25.nii.gz` on the real CCF grid. @default {false} */
  averageTemplate?: boolean;
}

/** A generated registered asset and its closed-form chain. */
export interface RegisteredAsset {
  spec: RegisteredAssetSpec;
  /** The stitched asset's name. */
  name: string;
  /** The LS half of the chain (the template half is the template's). */
  lsAffine: AffineSpec;
  lsWarp: WarpSpec;
  /** The grid the LS warps were sampled on (the template grid). */
  lsGrid: GridSpec;
  /** The dataset holding the voxels. */
  dataset: Dataset;
}

/** A generated template folder. */
export interface GeneratedTemplate {
  spec: TemplateSpec;
  templateAffine: AffineSpec;
  templateWarp: WarpSpec;
  /** The grid the template warps were sampled on (covering the CCF). */
  grid: GridSpec;
}

/** All objects and closed forms. */
export interface CcfDataset {
  objects: Map<string, Uint8Array>;
  assets: Map<string, RegisteredAsset>;
  templates: Map<string, GeneratedTemplate>;
}

// ---------------------------------------------------------------- closed forms

/** `M(x − c) + t + c`. */
export function affineForward(a: AffineSpec, p: readonly number[]): Vec3 {
  const d = [p[0] - a.center[0], p[1] - a.center[1], p[2] - a.center[2]];
  return [0, 1, 2].map((r) =>
    a.matrix[3 * r] * d[0] + a.matrix[3 * r + 1] * d[1] + a.matrix[3 * r + 2] * d[2] + a.translation[r] +
    a.center[r]
  ) as Vec3;
}

/** The inverse of {@linkcode affineForward}, by Cramer's rule. */
export function affineInverse(a: AffineSpec, q: readonly number[]): Vec3 {
  const m = a.matrix;
  const r = [0, 1, 2].map((i) => q[i] - a.translation[i] - a.center[i]);
  const det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) +
    m[2] * (m[3] * m[7] - m[4] * m[6]);
  const col = (j: number, v: number[]): number[] => m.map((x, i) => (i % 3 === j ? v[Math.floor(i / 3)] : x));
  const d3 = (n: number[]): number =>
    n[0] * (n[4] * n[8] - n[5] * n[7]) - n[1] * (n[3] * n[8] - n[5] * n[6]) +
    n[2] * (n[3] * n[7] - n[4] * n[6]);
  return [0, 1, 2].map((j) => d3(col(j, r)) / det + a.center[j]) as Vec3;
}

/** The displacement of {@linkcode WarpSpec} at p (forward). */
export function warpDisplacement(w: WarpSpec, p: readonly number[]): Vec3 {
  const u: Vec3 = [0, 0, 0];
  const [A, B, C] = w.axes;
  u[A] = w.a * Math.sin(w.k * p[B] + w.phi);
  u[B] = w.b * Math.sin(w.m * p[C] + w.psi);
  return u;
}

/** The exact inverse displacement at p'. */
export function inverseWarpDisplacement(w: WarpSpec, q: readonly number[]): Vec3 {
  const [A, B, C] = w.axes;
  const pB = q[B] - w.b * Math.sin(w.m * q[C] + w.psi);
  const u: Vec3 = [0, 0, 0];
  u[B] = pB - q[B];
  u[A] = -w.a * Math.sin(w.k * pB + w.phi);
  return u;
}

const add = (p: readonly number[], u: readonly number[]): Vec3 => [p[0] + u[0], p[1] + u[1], p[2] + u[2]];

/** Closed-form LS (pipeline, LPS mm) → CCF (LPS mm). */
export function closedLsToCcf(
  asset: RegisteredAsset,
  template: GeneratedTemplate,
  p: readonly number[],
): Vec3 {
  let q = affineInverse(asset.lsAffine, p);
  q = add(q, inverseWarpDisplacement(asset.lsWarp, q));
  q = affineInverse(template.templateAffine, q);
  return add(q, inverseWarpDisplacement(template.templateWarp, q));
}

/** Closed-form CCF (LPS mm) → LS (pipeline, LPS mm): where a CCF point samples. */
export function closedCcfToLs(
  asset: RegisteredAsset,
  template: GeneratedTemplate,
  c: readonly number[],
): Vec3 {
  let q = add(c, warpDisplacement(template.templateWarp, c));
  q = affineForward(template.templateAffine, q);
  q = add(q, warpDisplacement(asset.lsWarp, q));
  return affineForward(asset.lsAffine, q);
}

// ---------------------------------------------------------------- file writers

/**
 * Writes MATLAB level-4 variables (full real matrices, one column each).
 * @param variables Name → values.
 * @param format Precision and byte order.
 * @returns The file's bytes.
 */
export function encodeMatV4(variables: [string, number[]][], format: FileFormat): Uint8Array {
  const parts: Uint8Array[] = [];
  const size = format.precision === "double" ? 8 : 4;
  for (const [name, values] of variables) {
    const nameBytes = new TextEncoder().encode(`${name}\0`);
    const bytes = new Uint8Array(20 + nameBytes.length + size * values.length);
    const view = new DataView(bytes.buffer);
    const type = (format.littleEndian ? 0 : 1000) + (format.precision === "double" ? 0 : 10);
    [type, values.length, 1, 0, nameBytes.length].forEach((v, i) =>
      view.setInt32(4 * i, v, format.littleEndian)
    );
    bytes.set(nameBytes, 20);
    values.forEach((v, i) => {
      const at = 20 + nameBytes.length + size * i;
      if (size === 8) view.setFloat64(at, v, format.littleEndian);
      else view.setFloat32(at, v, format.littleEndian);
    });
    parts.push(bytes);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** An ANTs affine `.mat`. */
export function encodeAffineMat(a: AffineSpec, format: FileFormat): Uint8Array {
  const name = format.precision === "double" ? "AffineTransform_double_3_3" : "AffineTransform_float_3_3";
  return encodeMatV4([[name, [...a.matrix, ...a.translation]], ["fixed", [...a.center]]], format);
}

/** Grid index → LPS. */
export function gridPoint(g: GridSpec, ijk: readonly number[]): Vec3 {
  return [0, 1, 2].map((r) =>
    g.origin[r] +
    g.spacing * (g.direction[r][0] * ijk[0] + g.direction[r][1] * ijk[1] + g.direction[r][2] * ijk[2])
  ) as Vec3;
}

/**
 * Writes a NIfTI-1 header (348 bytes + 4 extension bytes) for a grid in LPS.
 * @param g The grid.
 * @param dims `dim[0..7]`.
 * @param datatype NIfTI datatype code; bitpix follows.
 * @param options Intent code, byte order, qform-only.
 * @returns 352 bytes.
 */
export function encodeNiftiHeader(
  g: GridSpec,
  dims: number[],
  datatype: number,
  options: { intent?: number; littleEndian?: boolean; qformOnly?: boolean },
): Uint8Array {
  const le = options.littleEndian ?? true;
  const bytes = new Uint8Array(352);
  const view = new DataView(bytes.buffer);
  const bitpix = { 2: 8, 4: 16, 16: 32, 64: 64, 512: 16 }[datatype] ?? 32;
  view.setInt32(0, 348, le);
  dims.forEach((n, i) => view.setInt16(40 + 2 * i, n, le));
  view.setInt16(68, options.intent ?? 0, le);
  view.setInt16(70, datatype, le);
  view.setInt16(72, bitpix, le);
  [1, g.spacing, g.spacing, g.spacing, 1, 1, 1, 1].forEach((v, i) => view.setFloat32(76 + 4 * i, v, le));
  view.setFloat32(108, 352, le);
  bytes[123] = 2;
  // RAS = LPS with x and y negated.
  const ras = (r: number, v: number): number => (r < 2 ? -v : v);
  if (options.qformOnly) {
    // Only for direction = identity in LPS, which is a 180° turn about z in RAS: quaternion (0, 0, 0, 1).
    view.setInt16(252, 1, le);
    [0, 0, 1, ras(0, g.origin[0]), ras(1, g.origin[1]), ras(2, g.origin[2])].forEach((v, i) =>
      view.setFloat32(256 + 4 * i, v, le)
    );
  } else {
    view.setInt16(254, 1, le);
    for (let r = 0; r < 3; r++) {
      for (let j = 0; j < 3; j++) {
        view.setFloat32(280 + 4 * (4 * r + j), ras(r, g.direction[r][j] * g.spacing), le);
      }
      view.setFloat32(280 + 4 * (4 * r + 3), ras(r, g.origin[r]), le);
    }
  }
  bytes.set([0x6e, 0x2b, 0x31, 0], 344);
  return bytes;
}

/**
 * Samples a displacement at every voxel centre of a grid and writes an ANTs
 * warp `.nii.gz`: dim [5, X, Y, Z, 1, 3], intent 1007, component-major.
 */
export function encodeWarpNifti(
  g: GridSpec,
  displacement: (p: Vec3) => Vec3,
  format: FileFormat,
): Uint8Array {
  const [nx, ny, nz] = g.size;
  const n = nx * ny * nz;
  const size = format.precision === "double" ? 8 : 4;
  const header = encodeNiftiHeader(g, [5, nx, ny, nz, 1, 3, 1, 1], size === 8 ? 64 : 16, {
    intent: 1007,
    littleEndian: format.littleEndian,
    qformOnly: format.qformOnly,
  });
  const body = new Uint8Array(n * 3 * size);
  const view = new DataView(body.buffer);
  let v = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, v++) {
        const u = displacement(gridPoint(g, [i, j, k]));
        for (let c = 0; c < 3; c++) {
          const at = (c * n + v) * size;
          if (size === 8) view.setFloat64(at, u[c], format.littleEndian);
          else view.setFloat32(at, u[c], format.littleEndian);
        }
      }
    }
  }
  const file = new Uint8Array(header.length + body.length);
  file.set(header);
  file.set(body, header.length);
  return new Uint8Array(gzipSync(file, { level: 1 }));
}

/** The CCF 25 µm grid: 528 × 320 × 456, PIR, origin 0. */
export const CCF_GRID: GridSpec = {
  size: [528, 320, 456],
  spacing: 0.025,
  origin: [0, 0, 0],
  direction: [[0, 0, -1], [1, 0, 0], [0, -1, 0]],
};

/**
 * A smooth uint8 "average template" on the CCF grid: a brain-shaped ellipsoid
 * with a brighter cortex shell, gzipped NIfTI.
 */
export function encodeAverageTemplate(): Uint8Array {
  const [nx, ny, nz] = CCF_GRID.size;
  const header = encodeNiftiHeader(CCF_GRID, [3, nx, ny, nz, 1, 1, 1, 1], 2, {});
  const body = new Uint8Array(nx * ny * nz);
  for (let k = 0; k < nz; k++) {
    const w = (k - nz / 2) / (nz * 0.42);
    for (let j = 0; j < ny; j++) {
      const v = (j - ny * 0.45) / (ny * 0.4);
      const row = (k * ny + j) * nx;
      for (let i = 0; i < nx; i++) {
        const u = (i - nx / 2) / (nx * 0.45);
        const r = u * u + v * v + w * w;
        if (r < 1) body[row + i] = Math.round(60 + 120 * r * r + 40 * Math.cos(8 * u) * Math.cos(6 * w));
      }
    }
  }
  const file = new Uint8Array(header.length + body.length);
  file.set(header);
  file.set(body, header.length);
  return new Uint8Array(gzipSync(file, { level: 1 }));
}

// ---------------------------------------------------------------- assets

const json = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value, null, 2));

function rotation(axis: 0 | 1 | 2, degrees: number, scale: Vec3): number[] {
  const c = Math.cos((degrees * Math.PI) / 180), s = Math.sin((degrees * Math.PI) / 180);
  const r = axis === 2
    ? [c, -s, 0, s, c, 0, 0, 0, 1]
    : axis === 0
    ? [1, 0, 0, 0, c, -s, 0, s, c]
    : [c, 0, s, 0, 1, 0, -s, 0, c];
  return r.map((v, i) => v * scale[i % 3]);
}

/** The default template chain (CCF ↔ template). */
export function defaultTemplate(spec: TemplateSpec): GeneratedTemplate {
  const ccfCentre: Vec3 = [-5.7, 6.6, -4];
  // Template space is chosen around the LS anchor (−1.5114, −1.5, 1.5), where the LS images lie.
  const target: Vec3 = [2.5, 3.5, -2.5];
  return {
    spec,
    templateAffine: {
      matrix: rotation(2, 6, [0.97, 1.02, 0.99]),
      center: ccfCentre,
      translation: [target[0] - ccfCentre[0], target[1] - ccfCentre[1], target[2] - ccfCentre[2]],
    },
    templateWarp: spec.affineOnly
      ? { axes: [0, 1, 2], a: 0, k: 1, phi: 0, b: 0, m: 1, psi: 0 }
      : { axes: [1, 2, 0], a: 0.04, k: 1.1, phi: 0.3, b: 0.03, m: 0.9, psi: -0.2 },
    // Covers the CCF box (x −11.4…0, y 0…13.2, z −8…0) and where the synthetic brains land, with a
    // margin (x −13…4, y −3…14.8, z −9.2…3), in PIR like the real grid.
    grid: {
      size: [90, 62, 86],
      spacing: 0.2,
      origin: [4, -3, 3],
      direction: [[0, 0, -1], [1, 0, 0], [0, -1, 0]],
    },
  };
}

function lsChain(
  spec: RegisteredAssetSpec,
  index: number,
): Pick<RegisteredAsset, "lsAffine" | "lsWarp" | "lsGrid"> {
  const centre: Vec3 = [2.5, 3.5, -2.5];
  return {
    lsAffine: {
      matrix: rotation(index % 2 === 0 ? 0 : 1, 4 + 3 * index, [1.03, 0.98, 1.01]),
      center: centre,
      translation: [0.1 * (index + 1), -0.05, 0.08],
    },
    lsWarp: spec.affineOnly
      ? { axes: [0, 1, 2], a: 0, k: 1, phi: 0, b: 0, m: 1, psi: 0 }
      : { axes: [2, 0, 1], a: 0.05, k: 1.2, phi: 0.1 * index, b: 0.035, m: 1.0, psi: 0.4 },
    // The template grid: identity direction in LPS, covering the template-space box with a margin.
    lsGrid: {
      size: [90, 90, 80],
      spacing: 0.2,
      origin: [-6.5, -5.5, -10.5],
      direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
    },
  };
}

/** The default set: corrected (0.0.25, schema 1), uncorrected (0.0.33, schema 2), permuted (folder fallback), unregistered, too old. */
export const DEFAULT_REGISTERED_ASSETS: RegisteredAssetSpec[] = [
  {
    subject: "700001",
    acquiredAt: "2023-03-01_10-00-00",
    stitchedAt: "2023-03-02_10-00-00",
    version: "0.0.25",
    schema: 1,
    format: { precision: "double", littleEndian: true },
  },
  {
    subject: "700002",
    acquiredAt: "2024-05-01_10-00-00",
    stitchedAt: "2024-05-02_10-00-00",
    version: "0.0.33",
    schema: 2,
    spacing: [200, 180, 180],
    format: { precision: "single", littleEndian: false },
  },
  {
    subject: "700003",
    acquiredAt: "2024-06-01_10-00-00",
    stitchedAt: "2024-06-02_10-00-00",
    version: "0.0.33",
    schema: 1,
    omitAlignmentProcess: true,
    spacing: [190, 200, 170],
    axes: [
      { name: "X", dimension: 2, direction: "Anterior_to_posterior", unit: "micrometer" },
      { name: "Y", dimension: 1, direction: "Right_to_left", unit: "micrometer" },
      { name: "Z", dimension: 0, direction: "Inferior_to_superior", unit: "micrometer" },
    ],
    format: { precision: "single", littleEndian: true, qformOnly: true },
  },
  { subject: "700004", acquiredAt: "2024-07-01_10-00-00", stitchedAt: "2024-07-02_10-00-00" },
  {
    subject: "700006",
    acquiredAt: "2023-08-01_10-00-00",
    stitchedAt: "2023-08-02_10-00-00",
    version: "0.0.32",
    affineOnly: true,
    spacing: [200, 180, 180],
    format: { precision: "double", littleEndian: false },
  },
  {
    subject: "700005",
    acquiredAt: "2022-07-01_10-00-00",
    stitchedAt: "2022-07-02_10-00-00",
    version: "0.0.17",
    format: { precision: "double", littleEndian: true },
  },
];

interface Step {
  name: string;
  version: string;
  input: string;
  notes?: string;
}

function processingJson(spec: RegisteredAssetSpec, channel: string): unknown {
  const location = `/tmp/nxf.synthetic/capsule/data/fused/${channel}.zarr/3`;
  const importing: Step = { name: "Image importing", version: spec.version!, input: location };
  const alignment: Step = {
    name: "Image atlas alignment",
    version: "0.4.2",
    input: location,
    notes: "Template based registration: LS -> template -> Allen CCFv3 Atlas",
  };
  const steps: Step[] = [
    {
      name: "Image importing",
      version: "0.0.7",
      input: `/tmp/x/${channel}.zarr/0`,
      notes: "for segmentation",
    },
    importing,
    ...(spec.omitAlignmentProcess ? [] : [alignment]),
  ];
  // The cell-segmentation importing comes first on purpose: the registration's is the one with the alignment's input.
  if (spec.omitAlignmentProcess) steps.reverse();
  if ((spec.schema ?? 1) === 2) {
    return {
      object_type: "Processing",
      schema_version: "2.0.4",
      data_processes: steps.map((s) => ({
        object_type: "Data process",
        name: s.name,
        stage: "Processing",
        code: {
          object_type: "Code",
          url: "https://github.com/AllenNeuralDynamics/synthetic",
          version: s.version,
        },
        input_location: s.input,
        output_location: "/results",
        notes: s.notes ?? null,
      })),
    };
  }
  return {
    schema_version: "1.1.4",
    processing_pipeline: {
      pipeline_version: "3.0.1",
      data_processes: steps.map((s) => ({
        name: s.name,
        code_version: s.version,
        input_location: s.input,
        output_location: "/results",
        notes: s.notes ?? null,
      })),
    },
  };
}

/**
 * Generates registered assets and template folders.
 *
 * @param options The assets and templates. @default {DEFAULT_REGISTERED_ASSETS, one template with warps and one affine-only}
 * @returns Objects to upload and the closed forms.
 */
export async function buildCcfDataset(options: {
  assets?: RegisteredAssetSpec[];
  templates?: TemplateSpec[];
} = {}): Promise<CcfDataset> {
  const objects = new Map<string, Uint8Array>();
  const assets = new Map<string, RegisteredAsset>();
  const templates = new Map<string, GeneratedTemplate>();
  for (const [index, spec] of (options.assets ?? DEFAULT_REGISTERED_ASSETS).entries()) {
    const channels = spec.channels ?? ["Ex_488_Em_525", "Ex_639_Em_667"];
    const dataset = await buildSmartSpimDataset({
      subject: spec.subject,
      acquiredAt: spec.acquiredAt,
      stitched: [{ stitchedAt: spec.stitchedAt, layout: "image_tile_fusing/OMEZarr" }],
      channels,
      shape: spec.shape ?? [40, 56, 48],
      chunks: spec.chunks ?? [16, 16, 16],
      spacing: spec.spacing,
      levels: spec.levels ?? 3,
      axes: spec.axes ?? REFERENCE_AXES,
    });
    for (const [key, bytes] of dataset.objects) objects.set(key, bytes);
    const name = dataset.stitchedNames[0];
    const channel = spec.registeredChannel ?? channels[channels.length - 1];
    // s3rver lists an asset only if an object sits directly under it.
    objects.set(`${name}/acquisition.json`, dataset.objects.get(`${dataset.rawName}/acquisition.json`)!);
    if (spec.version) objects.set(`${name}/processing.json`, json(processingJson(spec, channel)));
    const chain = lsChain(spec, index);
    const registered: RegisteredAsset = { spec, name, ...chain, dataset };
    assets.set(spec.subject, registered);
    if (spec.registered ?? spec.version !== undefined) {
      const format = spec.format ?? { precision: "double", littleEndian: true };
      const folder = `${name}/image_atlas_alignment/${channel}`;
      objects.set(`${folder}/ls_to_template_SyN_0GenericAffine.mat`, encodeAffineMat(chain.lsAffine, format));
      objects.set(
        `${folder}/ls_to_template_SyN_1Warp.nii.gz`,
        encodeWarpNifti(chain.lsGrid, (p) => warpDisplacement(chain.lsWarp, p), format),
      );
      objects.set(
        `${folder}/ls_to_template_SyN_1InverseWarp.nii.gz`,
        encodeWarpNifti(chain.lsGrid, (p) => inverseWarpDisplacement(chain.lsWarp, p), format),
      );
    }
  }
  const templateSpecs = options.templates ??
    [{ prefix: "SmartSPIM-template_2024-05-16_11-26-14" }, {
      prefix: "synthetic-template-affine-only",
      affineOnly: true,
    }];
  for (const spec of templateSpecs) {
    const t = defaultTemplate(spec);
    templates.set(spec.prefix, t);
    const format: FileFormat = { precision: "double", littleEndian: true };
    objects.set(
      `${spec.prefix}/spim_template_to_ccf_syn_0GenericAffine_25.mat`,
      encodeAffineMat(t.templateAffine, format),
    );
    objects.set(
      `${spec.prefix}/spim_template_to_ccf_syn_1Warp_25.nii.gz`,
      encodeWarpNifti(t.grid, (p) => warpDisplacement(t.templateWarp, p), {
        precision: "single",
        littleEndian: true,
      }),
    );
    objects.set(
      `${spec.prefix}/spim_template_to_ccf_syn_1InverseWarp_25.nii.gz`,
      encodeWarpNifti(t.grid, (p) => inverseWarpDisplacement(t.templateWarp, p), {
        precision: "single",
        littleEndian: true,
      }),
    );
    if (spec.averageTemplate) {
      objects.set(`${spec.prefix}/ccf_average_template_25.nii.gz`, encodeAverageTemplate());
    }
  }
  return { objects, assets, templates };
}

/** A test server holding a CCF dataset in `aind-open-data`. */
export interface CcfDatasetServer {
  server: TestS3Server;
  dataset: CcfDataset;
  /** Options that point spimfetch at the server. */
  s3: { endpoint: string };
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts a local S3 server and uploads a CCF dataset.
 * @param options What to generate (see {@linkcode buildCcfDataset}).
 * @returns The running server.
 */
export async function serveCcfDataset(
  options: Parameters<typeof buildCcfDataset>[0] = {},
): Promise<CcfDatasetServer> {
  const dataset = await buildCcfDataset(options);
  const server = await startS3Server();
  try {
    await server.createBucket(AIND_BUCKET);
    await server.upload(AIND_BUCKET, dataset.objects);
  } catch (error) {
    await server.close();
    throw error;
  }
  return { server, dataset, s3: { endpoint: server.endpoint }, [Symbol.asyncDispose]: () => server.close() };
}

/**
 * The brain in CCF the slow, obvious way: for every voxel of a grid, the
 * closed-form pull `A_ls(W_ls(A_t(W_t(c))))`, the pipeline index given by
 * `toZarr` (level 0, z, y, x), divided by 2^level, then trilinear sampling of
 * the stored level with ITK's rules (inside when −0.5 ≤ c < n − 0.5 on every
 * axis, neighbours clamped to the edge, 0 outside).
 *
 * @returns Values in C order (grid z slowest), the local range of the 8 neighbours of each, and which
 * voxels sample within 0.05 voxel of the level's edge (where a tiny change of position decides inside or out).
 */
export function slowPullImage(
  asset: RegisteredAsset,
  template: GeneratedTemplate,
  grid: GridSpec,
  options: { level: number; channel: string; toZarr: (lps: readonly number[]) => Vec3 },
): { values: Float64Array; range: Float64Array; edge: Uint8Array } {
  const { data, shape } = asset.dataset.voxels(asset.name, options.channel, options.level);
  const [nz, ny, nx] = shape;
  const [gx, gy, gz] = grid.size;
  const values = new Float64Array(gx * gy * gz);
  const range = new Float64Array(gx * gy * gz);
  const edge = new Uint8Array(gx * gy * gz);
  const near = (c: number, n: number): boolean => Math.abs(c + 0.5) < 0.05 || Math.abs(c - (n - 0.5)) < 0.05;
  const at = (x: number, y: number, z: number): number => data[(z * ny + y) * nx + x];
  const clamp = (v: number, n: number): number => Math.min(Math.max(v, 0), n - 1);
  for (let k = 0, v = 0; k < gz; k++) {
    for (let j = 0; j < gy; j++) {
      for (let i = 0; i < gx; i++, v++) {
        const q = closedCcfToLs(asset, template, gridPoint(grid, [i, j, k]));
        const [z, y, x] = options.toZarr(q).map((c) => c / 2 ** options.level);
        if (near(x, nx) || near(y, ny) || near(z, nz)) edge[v] = 1;
        if (!(x >= -0.5 && x < nx - 0.5 && y >= -0.5 && y < ny - 0.5 && z >= -0.5 && z < nz - 0.5)) continue;
        const [x0, y0, z0] = [Math.floor(x), Math.floor(y), Math.floor(z)];
        let sum = 0, lo = Infinity, hi = -Infinity;
        for (const [dz, wz] of [[0, 1 - (z - z0)], [1, z - z0]]) {
          for (const [dy, wy] of [[0, 1 - (y - y0)], [1, y - y0]]) {
            for (const [dx, wx] of [[0, 1 - (x - x0)], [1, x - x0]]) {
              const s = at(clamp(x0 + dx, nx), clamp(y0 + dy, ny), clamp(z0 + dz, nz));
              sum += wx * wy * wz * s;
              lo = Math.min(lo, s);
              hi = Math.max(hi, s);
            }
          }
        }
        values[v] = sum;
        range[v] = hi - lo;
      }
    }
  }
  return { values, range, edge };
}

/** A float32 3-D NIfTI on a grid, gzipped (as AIND's `moved_ls_to_ccf.nii.gz`). */
export function encodeFloatNifti(grid: GridSpec, values: ArrayLike<number>): Uint8Array {
  const [nx, ny, nz] = grid.size;
  const header = encodeNiftiHeader(grid, [3, nx, ny, nz, 1, 1, 1, 1], 16, {});
  const body = new Float32Array(Array.from(values));
  const file = new Uint8Array(header.length + body.byteLength);
  file.set(header);
  file.set(new Uint8Array(body.buffer), header.length);
  return new Uint8Array(gzipSync(file, { level: 1 }));
}
