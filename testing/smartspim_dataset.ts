/**
 * A synthetic SmartSPIM dataset with AIND's names and layout, for the demo and
 * the tests: a raw asset with `acquisition.json`, stitched assets holding an
 * OME-NGFF 0.4 multiscales group per channel (uint16 Zarr v2, Blosc zstd with
 * byte shuffle, levels downsampled 2× by windowed mean, as AIND's are).
 *
 * The voxels are a brain-like shape whose anatomy shows orientation: olfactory
 * bulbs at the anterior end, a cerebellum at the posterior end, a bright spot
 * in the left hemisphere and a flat dorsal surface.
 *
 * @module
 */
import { encodeZarrV2Array } from "./zarr_v2.ts";

/** One acquisition axis as AIND's schema 0.x/1.x writes it. */
export interface AcquisitionAxisJson {
  /** `X`, `Y` or `Z`. */
  name: string;
  /** Spatial Zarr dimension, 0 = z. */
  dimension: number;
  /** E.g. `Left_to_right`. */
  direction: string;
  /** Always `micrometer` at AIND. */
  unit: string;
}

/** The OME-NGFF axes of AIND's stitched images: t, c, z, y, x, in micrometres. */
export const AIND_NGFF_AXES: readonly { name: string; type: string; unit?: string }[] = [
  { name: "t", type: "time", unit: "millisecond" },
  { name: "c", type: "channel" },
  { name: "z", type: "space", unit: "micrometer" },
  { name: "y", type: "space", unit: "micrometer" },
  { name: "x", type: "space", unit: "micrometer" },
];

/** The reference notebook's acquisition axes (SmartSPIM 652506). */
export const REFERENCE_AXES: AcquisitionAxisJson[] = [
  { name: "X", dimension: 2, direction: "Left_to_right", unit: "micrometer" },
  { name: "Y", dimension: 1, direction: "Posterior_to_anterior", unit: "micrometer" },
  { name: "Z", dimension: 0, direction: "Superior_to_inferior", unit: "micrometer" },
];

/** One stitched asset to generate. */
export interface StitchedSpec {
  /** When it was stitched, `YYYY-MM-DD_hh-mm-ss`. */
  stitchedAt: string;
  /** Where channels go below the asset. @default {"processed/OMEZarr"} */
  layout?: string;
  /** Voxels removed from the x end of level 0 (stitching versions differ in extent). @default {0} */
  cropX?: number;
}

/** What to generate. */
export interface DatasetSpec {
  /** @default {"652506"} */
  subject?: string;
  /** Acquisition time, `YYYY-MM-DD_hh-mm-ss`. @default {"2023-01-09_10-18-12"} */
  acquiredAt?: string;
  /** @default {[{ stitchedAt: "2023-01-13_19-00-54" }]} */
  stitched?: StitchedSpec[];
  /** @default {["Ex_445_Em_469", "Ex_488_Em_525", "Ex_561_Em_593"]} */
  channels?: string[];
  /** Level 0 shape (z, y, x). @default {[40, 56, 48]} */
  shape?: [number, number, number];
  /** Chunk shape (z, y, x). @default {[16, 16, 16]} */
  chunks?: [number, number, number];
  /** Level 0 spacing (z, y, x) in micrometres. @default {[16, 14.4, 14.4]} */
  spacing?: [number, number, number];
  /** Number of levels. @default {3} */
  levels?: number;
  /** Acquisition axes. @default {REFERENCE_AXES} */
  axes?: AcquisitionAxisJson[];
  /** Who writes Blosc chunks; see `encoder` in `zarr_v2.ts`. @default {"numcodecs"} */
  encoder?: "numcodecs" | "native";
  /** acquisition.json `schema_version`. @default {"0.4.3"} */
  schemaVersion?: string;
}

/** The generated objects and what they hold. */
export interface Dataset {
  /** Key → bytes, ready to upload into a bucket. */
  objects: Map<string, Uint8Array>;
  /** The raw asset's name. */
  rawName: string;
  /** Stitched asset names, in the order given. */
  stitchedNames: string[];
  /** `voxels(asset, channel, level)`: the exact uint16 data stored, (z, y, x) C order, and its shape. */
  voxels(
    asset: string,
    channel: string,
    level: number,
  ): { data: Uint16Array; shape: [number, number, number] };
}

/**
 * The anatomy of the synthetic brain, without noise: tissue intensity in the
 * reference notebook's acquisition frame (z toward inferior, y toward
 * anterior, x toward right). Computed once and shared by every channel, which is what keeps the
 * demo dataset quick to make.
 *
 * @param shape Sizes (z, y, x).
 * @returns Intensity above background per voxel (0 outside the brain), x fastest.
 */
export function brainAnatomy(shape: [number, number, number]): Float32Array {
  const [nz, ny, nx] = shape;
  const out = new Float32Array(nz * ny * nx);
  for (let z = 0; z < nz; z++) {
    const u = (z + 0.5) / nz; // 0 superior → 1 inferior
    for (let y = 0; y < ny; y++) {
      const v = (y + 0.5) / ny; // 0 posterior → 1 anterior
      for (let x = 0; x < nx; x++) {
        const w = (x + 0.5) / nx; // 0 left → 1 right
        const cerebrum = ((w - 0.5) / 0.42) ** 2 + ((v - 0.52) / 0.34) ** 2 + ((u - 0.5) / 0.4) ** 2;
        const bulbs = Math.min(
          ((w - 0.42) / 0.07) ** 2 + ((v - 0.9) / 0.08) ** 2 + ((u - 0.55) / 0.1) ** 2,
          ((w - 0.58) / 0.07) ** 2 + ((v - 0.9) / 0.08) ** 2 + ((u - 0.55) / 0.1) ** 2,
        );
        const cerebellum = ((w - 0.5) / 0.3) ** 2 + ((v - 0.14) / 0.1) ** 2 + ((u - 0.6) / 0.25) ** 2;
        const leftSpot = ((w - 0.3) / 0.06) ** 2 + ((v - 0.55) / 0.06) ** 2 + ((u - 0.4) / 0.06) ** 2;
        // u > 0.12 flattens the dorsal surface.
        if (u > 0.12 && (cerebrum < 1 || bulbs < 1 || cerebellum < 1)) {
          let value = 500 + 300 * v + 200 * Math.sin(12 * u);
          if (cerebellum < 1) value += 400;
          if (leftSpot < 1) value += 2500;
          out[(z * ny + y) * nx + x] = value;
        }
      }
    }
  }
  return out;
}

/**
 * One channel of the synthetic brain: its anatomy with a channel's gain and
 * noise, cropped to `shape` (which may be smaller than the anatomy's along x).
 *
 * @param anatomy From {@linkcode brainAnatomy}.
 * @param anatomyShape The anatomy's sizes (z, y, x).
 * @param options The channel (varies brightness and noise) and the output shape.
 * @returns The voxels, x fastest.
 */
export function brainChannel(
  anatomy: Float32Array,
  anatomyShape: [number, number, number],
  options: { channel: number; shape?: [number, number, number] },
): Uint16Array {
  const [nz, ny, nx] = options.shape ?? anatomyShape;
  const ax = anatomyShape[2];
  const gain = 1 + 0.25 * options.channel;
  const data = new Uint16Array(nz * ny * nx);
  // xorshift32: a reproducible noise stream per channel, far cheaper than hashing every index.
  let state = (0x9e3779b9 ^ (options.channel * 0x85ebca6b)) >>> 0 || 1;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const row = (z * ny + y) * nx;
      const source = (z * anatomyShape[1] + y) * ax;
      for (let x = 0; x < nx; x++) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        const random = (state >>> 0) / 4294967296;
        const tissue = anatomy[source + x];
        const noise = tissue > 0 ? 170 * random : 20 * random;
        data[row + x] = Math.min(65535, Math.round(90 + gain * tissue + noise));
      }
    }
  }
  return data;
}

/**
 * A brain-like uint16 volume in the reference notebook's acquisition frame.
 *
 * @param shape Sizes (z, y, x).
 * @param channelSeed Varies brightness and noise between channels.
 * @returns The voxels, x fastest.
 */
export function syntheticBrain(shape: [number, number, number], channelSeed = 0): Uint16Array {
  return brainChannel(brainAnatomy(shape), shape, { channel: channelSeed });
}

/** 2× windowed-mean downsampling along z, y and x (sizes rounded down, as xarray-multiscale does). */
function downsample(
  data: Uint16Array,
  shape: [number, number, number],
): [Uint16Array, [number, number, number]] {
  const [sz, sy, sx] = shape;
  const [nz, ny, nx] = shape.map((n) => Math.max(1, Math.floor(n / 2))) as [number, number, number];
  const out = new Uint16Array(nz * ny * nx);
  // A size-1 axis has no second sample: reading the first twice keeps the mean exact.
  const dz = sz > 1 ? 1 : 0, dy = sy > 1 ? 1 : 0, dx = sx > 1 ? 1 : 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const r00 = ((2 * z) * sy + 2 * y) * sx, r01 = r00 + dy * sx;
      const r10 = r00 + dz * sy * sx, r11 = r10 + dy * sx;
      const o = (z * ny + y) * nx;
      for (let x = 0; x < nx; x++) {
        const a = 2 * x, b = a + dx;
        const sum = data[r00 + a] + data[r00 + b] + data[r01 + a] + data[r01 + b] +
          data[r10 + a] + data[r10 + b] + data[r11 + a] + data[r11 + b];
        out[o + x] = Math.round(sum / 8);
      }
    }
  }
  return [out, [nz, ny, nx]];
}

const json = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value, null, 2));

/**
 * Generates a dataset: objects to upload, and the voxels they hold.
 *
 * @param spec What to generate; every field has a small default.
 * @returns The dataset.
 */
export async function buildSmartSpimDataset(spec: DatasetSpec = {}): Promise<Dataset> {
  const subject = spec.subject ?? "652506";
  const acquiredAt = spec.acquiredAt ?? "2023-01-09_10-18-12";
  const rawName = `SmartSPIM_${subject}_${acquiredAt}`;
  const channels = spec.channels ?? ["Ex_445_Em_469", "Ex_488_Em_525", "Ex_561_Em_593"];
  const shape0 = spec.shape ?? [40, 56, 48];
  const chunks = spec.chunks ?? [16, 16, 16];
  const spacing = spec.spacing ?? [16, 14.4, 14.4];
  const levelCount = spec.levels ?? 3;
  const objects = new Map<string, Uint8Array>();
  const stored = new Map<string, { data: Uint16Array; shape: [number, number, number] }>();

  objects.set(
    `${rawName}/acquisition.json`,
    json({
      schema_version: spec.schemaVersion ?? "0.4.3",
      subject_id: subject,
      instrument_id: "SmartSPIM (synthetic)",
      session_start_time: acquiredAt,
      axes: spec.axes ?? REFERENCE_AXES,
    }),
  );
  objects.set(
    `${rawName}/data_description.json`,
    json({ name: rawName, subject_id: subject, platform: "SmartSPIM" }),
  );

  const stitchedNames: string[] = [];
  const anatomy = brainAnatomy(shape0);
  for (const version of spec.stitched ?? [{ stitchedAt: "2023-01-13_19-00-54" }]) {
    const name = `${rawName}_stitched_${version.stitchedAt}`;
    stitchedNames.push(name);
    const layout = version.layout ?? "processed/OMEZarr";
    objects.set(`${name}/data_description.json`, json({ name, subject_id: subject, platform: "SmartSPIM" }));
    objects.set(`${name}/${layout}/.zgroup`, json({ zarr_format: 2 }));
    for (const [c, channel] of channels.entries()) {
      const prefix = `${name}/${layout}/${channel}.zarr`;
      const cropped: [number, number, number] = [shape0[0], shape0[1], shape0[2] - (version.cropX ?? 0)];
      let data = brainChannel(anatomy, shape0, { channel: c, shape: cropped });
      let shape = cropped;
      const datasets = [];
      for (let level = 0; level < levelCount; level++) {
        if (level > 0) [data, shape] = downsample(data, shape);
        stored.set(`${name}|${channel}|${level}`, { data, shape });
        const factor = 2 ** level;
        datasets.push({
          path: String(level),
          coordinateTransformations: [{
            type: "scale",
            scale: [1, 1, spacing[0] * factor, spacing[1] * factor, spacing[2] * factor],
          }],
        });
        const arrays = await encodeZarrV2Array(`${prefix}/${level}`, {
          encoder: spec.encoder,
          data,
          shape: [1, 1, ...shape],
          chunks: [1, 1, ...chunks],
        });
        for (const [key, bytes] of arrays) objects.set(key, bytes);
      }
      objects.set(`${prefix}/.zgroup`, json({ zarr_format: 2 }));
      objects.set(
        `${prefix}/.zattrs`,
        json({
          multiscales: [{
            axes: AIND_NGFF_AXES,
            datasets,
            name: `/${channel}.zarr`,
            version: "0.4",
          }],
        }),
      );
    }
  }
  return {
    objects,
    rawName,
    stitchedNames,
    voxels(asset, channel, level): { data: Uint16Array; shape: [number, number, number] } {
      const found = stored.get(`${asset}|${channel}|${level}`);
      if (!found) throw new RangeError(`No voxels generated for ${asset} ${channel} level ${level}`);
      return found;
    },
  };
}
