/**
 * Synthetic segmented assets and a fake Allen Brain Cell Atlas bucket, with
 * known answers, for the cells tests, the notebook and the benchmark.
 *
 * - The atlas: a 100 µm annotation on the Allen CCF's extent (132 × 80 × 114,
 *   AP × DV × ML, uint16 parcellation indices) whose labels follow a closed
 *   form ({@linkcode atlasLabel}), and a small five-level ontology in the ABC
 *   table formats (`parcellation_term.csv`, `parcellation_term_set_membership.csv`,
 *   `parcellation_to_parcellation_term_membership.csv`, columns shuffled as
 *   the ABC may order them).
 * - Each asset's cells: level-0 (z, y, x) detections written in one era's
 *   files, AIND's transformed cells (CCF 25 µm voxel indices) and region
 *   counts, all computed through the closed-form chain of `ccf_dataset.ts`.
 *   Cells whose CCF position lies within 4 µm of a voxel boundary or of the
 *   midline are not generated, so that the library's interpolated warps
 *   (within 2 µm of the closed form) cannot move a cell across one.
 *
 * @module
 */
import { gzipSync } from "node:zlib";
import { AIND_BUCKET } from "../lib/s3/client.ts";
import { startS3Server, type TestS3Server } from "./s3_server.ts";
import {
  buildCcfDataset,
  type CcfDataset,
  closedLsToCcf,
  encodeNiftiHeader,
  type GeneratedTemplate,
  type RegisteredAsset,
  type RegisteredAssetSpec,
} from "./ccf_dataset.ts";

type Vec3 = [number, number, number];

/** The fake atlas bucket's name. */
export const FAKE_ATLAS_BUCKET = "allen-brain-cell-atlas";
/** Resolution of the synthetic annotation, µm. */
export const ATLAS_RESOLUTION = 100;
/** Its size (AP, DV, ML). */
export const ATLAS_SIZE: Vec3 = [132, 80, 114];

/** One term of the synthetic ontology. */
export interface SyntheticTerm {
  label: string;
  id: number | undefined;
  acronym: string;
  name: string;
  /** Term set: 0 organ, 1 category, 2 division, 3 structure, 4 substructure. */
  set: number;
  parent: string | undefined;
}

const T = (
  label: string,
  id: number | undefined,
  acronym: string,
  name: string,
  set: number,
  parent?: string,
) => ({
  label: `AllenCCF-Ontology-2017-${label}`,
  id,
  acronym,
  name,
  set,
  parent: parent && `AllenCCF-Ontology-2017-${parent}`,
});

/** The tree: root → grey → Isocortex → VISp → VISp4, ... */
export const TERMS: SyntheticTerm[] = [
  T("root", 997, "root", "root", 0),
  T("grey", 8, "grey", "Basic cell groups and regions", 1, "root"),
  T("fiber", 1009, "fiber tracts", "fiber tracts", 1, "root"),
  T("Isocortex", 315, "Isocortex", "Isocortex", 2, "grey"),
  T("TH", 549, "TH", "Thalamus", 2, "grey"),
  T("lfbs", 983, "lfbs", "lateral forebrain bundle system", 2, "fiber"),
  // A substructure term repeating its structure's id (a structure without substructures, as its own term),
  // listed before the structure, as nothing in the ABC's tables promises an order.
  T("cst-SUBS", 784, "cst", "corticospinal tract", 4, "cst"),
  T("VISp", 385, "VISp", "Primary visual area", 3, "Isocortex"),
  T("MOp", 985, "MOp", "Primary motor area", 3, "Isocortex"),
  T("LGd", 170, "LGd", "Dorsal part of the lateral geniculate complex", 3, "TH"),
  T("cst", 784, "cst", "corticospinal tract", 3, "lfbs"),
  T("VISp4", 721, "VISp4", "Primary visual area, layer 4", 4, "VISp"),
  T("VISp5", 778, "VISp5", "Primary visual area, layer 5", 4, "VISp"),
  T("MOp5", 648, "MOp5", "Primary motor area, Layer 5", 4, "MOp"),
  T("LGd-sh", 496345664, "LGd-sh", "Dorsal part of the lateral geniculate complex, shell", 4, "LGd"),
  // A structure without substructures listed as its own substructure (same label), holding no voxels.
  T("STR", 477, "STR", "Striatum", 2, "grey"),
  T("CP", 672, "CP", "Caudoputamen", 3, "STR"),
  // An ABC-only term without an MBA identifier, never used by a voxel.
  T("unassigned", undefined, "unassigned", "unassigned", 4, "TH"),
];

/** Parcellation index → the finest term's short label (index 20 is in the volume but in no table). */
export const INDEX_TERMS: Record<number, string> = {
  10: "VISp4",
  11: "VISp5",
  12: "MOp5",
  13: "LGd-sh",
  14: "cst",
};
/** A parcellation index the annotation holds but the tables do not name. */
export const UNKNOWN_INDEX = 20;

/**
 * The closed-form annotation: the parcellation index at Allen µm (ap, dv, ml).
 * Outside an ellipsoid: 0. Inside, by AP bands: MOp5, then VISp4 (dorsal) or VISp5 (ventral), LGd-sh,
 * cst; a small block of an unknown index.
 */
export function atlasLabel(ap: number, dv: number, ml: number): number {
  const r = ((ap - 6600) / 5500) ** 2 + ((dv - 4000) / 3500) ** 2 + ((ml - 5700) / 5000) ** 2;
  if (r > 1) return 0;
  if (ap >= 9000 && ap < 9800 && dv < 4000) return UNKNOWN_INDEX;
  if (ap < 4000) return 12;
  if (ap < 6600) return dv < 4000 ? 10 : 11;
  if (ap < 9000) return 13;
  return 14;
}

/** The Allen id of a parcellation index (0 outside or unknown), from the tables above. */
export function idOfIndex(index: number): number {
  const short = INDEX_TERMS[index];
  return short ? TERMS.find((t) => t.label.endsWith(`-${short}`))!.id! : 0;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** The fake bucket's objects: annotation and tables at the ABC's keys. */
export function atlasObjects(resolution: number = ATLAS_RESOLUTION): Map<string, Uint8Array> {
  const r = resolution;
  const size: Vec3 = [13200 / r, 8000 / r, 11400 / r];
  const [na, nd, nm] = size;
  const header = encodeNiftiHeader(
    { size, spacing: r / 1000, origin: [0, 0, 0], direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] },
    [3, na, nd, nm, 1, 1, 1, 1],
    512,
    {},
  );
  const body = new Uint16Array(na * nd * nm);
  for (let k = 0; k < nm; k++) {
    for (let j = 0; j < nd; j++) {
      for (let i = 0; i < na; i++) body[i + na * (j + nd * k)] = atlasLabel(i * r, j * r, k * r);
    }
  }
  const file = new Uint8Array(header.length + body.byteLength);
  file.set(header);
  file.set(new Uint8Array(body.buffer), header.length);
  const sets = ["ORGA", "CATE", "DIVI", "STRU", "SUBS"].map((s) => `AllenCCF-Ontology-2017-${s}`);
  const setNames = ["organ", "category", "division", "structure", "substructure"];
  const objects = new Map<string, Uint8Array>();
  objects.set(
    `image_volumes/Allen-CCF-2020/20250331/annotation_25.nii.gz`,
    new Uint8Array(gzipSync(file, { level: 1 })),
  );
  const dir = "metadata/Allen-CCF-2020/20230630/";
  // Columns in another order than the documentation's, to prove reading by name.
  objects.set(
    `${dir}parcellation_term.csv`,
    text(
      "acronym,label,name,color_hex_triplet,graph_order,identifier,red,green,blue,parent_identifier\n" +
        TERMS.map((t, n) =>
          `${t.acronym},${t.label},"${t.name}",#808080,${n},${t.id ? `MBA:${t.id}` : ""},128,128,128,${
            t.parent ? `MBA:${TERMS.find((p) => p.label === t.parent)!.id}` : ""
          }`
        ).join("\n") + "\n",
    ),
  );
  const membership: string[] = [];
  for (const t of TERMS) {
    membership.push(`${t.label},${sets[t.set]},${t.parent ?? ""},${t.set}`);
    // A structure without substructures is its own substructure, as in the ABC.
    if (t.set === 3 && !TERMS.some((c) => c.parent === t.label)) {
      membership.push(`${t.label},${sets[4]},${t.label},4`);
    }
  }
  objects.set(
    `${dir}parcellation_term_set_membership.csv`,
    text(
      `parcellation_term_label,parcellation_term_set_label,parent_term_label,term_order\n${
        membership.join("\n")
      }\n`,
    ),
  );
  const rows: string[] = [];
  for (const [index, short] of Object.entries(INDEX_TERMS)) {
    const chain: SyntheticTerm[] = [];
    for (
      let t = TERMS.find((x) => x.label.endsWith(`-${short}`));
      t;
      t = TERMS.find((x) => x.label === t!.parent)
    ) {
      chain.unshift(t);
    }
    while (chain.length < 5) chain.push(chain[chain.length - 1]);
    chain.forEach((t, set) =>
      rows.push(
        `AllenCCF-Annotation-2020-${idOfIndex(Number(index))},${t.label},${
          sets[set]
        },${index},0,0,#808080,128,128,128,` +
          `"${t.name}",${t.acronym},${setNames[set]},${set},0,${t.parent ?? ""}`,
      )
    );
  }
  objects.set(
    `${dir}parcellation_to_parcellation_term_membership.csv`,
    text(
      "parcellation_label,parcellation_term_label,parcellation_term_set_label,parcellation_index,voxel_count," +
        "volume_mm3,color_hex_triplet,red,green,blue,parcellation_term_name,parcellation_term_acronym," +
        `parcellation_term_set_name,term_set_order,term_order,parent_term_label\n${rows.join("\n")}\n`,
    ),
  );
  return objects;
}

/** The eras a channel's files can be written in. */
export type CellsEra = "2023" | "2024-02" | "2024-08" | "2026";

/** One segmented channel to generate. */
export interface SegmentedChannelSpec {
  channel: string;
  era: CellsEra;
  /** Cells to draw (before those near a boundary are dropped). */
  cells: number;
  /** Seed of the draw. */
  seed: number;
  /** Leave the quantification folder out. */
  noQuantification?: boolean;
}

/** A generated channel: the detections and what the closed form says of them. */
export interface GeneratedCells {
  channel: string;
  era: CellsEra;
  /** Level-0 (z, y, x) of each cell (only real cells; not the "not a cell" rows). */
  zyx: Vec3[];
  /** Closed-form Allen µm (ap, dv, ml) of each. */
  ccf: Vec3[];
}

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Closed-form Allen µm of a level-0 index, given the pipeline LS position of it. */
export function closedCellToCcf(
  asset: RegisteredAsset,
  template: GeneratedTemplate,
  lps: readonly number[],
): Vec3 {
  const p = closedLsToCcf(asset, template, lps);
  return [1000 * p[1], -1000 * p[2], -1000 * p[0]];
}

/**
 * Draws cells on a level-0 grid (multiples of 2, as AIND's are snapped), keeping those whose closed-form
 * position is at least 4 µm from every voxel boundary of the 100 µm annotation and from the midline.
 */
export function drawCells(
  spec: SegmentedChannelSpec,
  shape: Vec3,
  toCcf: (zyx: Vec3) => Vec3,
): GeneratedCells {
  const next = random(spec.seed);
  const zyx: Vec3[] = [], ccf: Vec3[] = [];
  const far = (v: number): boolean => {
    const f = v / ATLAS_RESOLUTION - Math.floor(v / ATLAS_RESOLUTION);
    return Math.abs(f - 0.5) * ATLAS_RESOLUTION > 4;
  };
  for (let n = 0; n < spec.cells; n++) {
    const p: Vec3 = [0, 1, 2].map((a) => 2 * Math.floor(next() * (shape[a] / 2))) as Vec3;
    const c = toCcf(p);
    if (!c.every(far) || Math.abs(c[2] - 5700) < 4) continue;
    zyx.push(p);
    ccf.push(c);
  }
  return { channel: spec.channel, era: spec.era, zyx, ccf };
}

/** Region counts in the closed form, hierarchical, per hemisphere: id → [left, right]. */
export function closedCounts(ccf: readonly Vec3[]): Map<number, [number, number]> {
  const out = new Map<number, [number, number]>();
  for (const [ap, dv, ml] of ccf) {
    const r = ATLAS_RESOLUTION;
    const index = atlasLabel(Math.round(ap / r) * r, Math.round(dv / r) * r, Math.round(ml / r) * r);
    const id = idOfIndex(index);
    if (id === 0) continue;
    const seen = new Set<number>();
    for (let t = TERMS.find((x) => x.id === id); t; t = TERMS.find((x) => x.label === t!.parent)) {
      if (seen.has(t.id!)) continue;
      seen.add(t.id!);
      const c = out.get(t.id!) ?? [0, 0];
      c[ml < 5700 ? 0 : 1]++;
      out.set(t.id!, c);
    }
  }
  return out;
}

const csvNumber = (v: number): string => String(Number(v.toFixed(4)));

/**
 * The files AIND would have written for one channel in one era.
 * @param asset The stitched asset's name.
 * @param cells The cells.
 * @param spec The era and options.
 * @returns Key → bytes.
 */
export function cellFiles(
  asset: string,
  cells: GeneratedCells,
  spec: SegmentedChannelSpec,
): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const seg = `${asset}/image_cell_segmentation/${spec.channel}`;
  const quant = `${asset}/image_cell_quantification/${spec.channel}`;
  const n = cells.zyx.length;
  // Non-cells interleaved in the likelihood and classified files: they must not be counted.
  const notCell = (i: number): Vec3 => [1 + (i % 7), 3 + (i % 5), 5 + (i % 3)];
  const xml = (markers: { type: number; xyz: Vec3[] }[]): string =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<CellCounter_Marker_File>\n  <Image_Properties>\n    ` +
    `<Image_Filename>placeholder.tif</Image_Filename>\n  </Image_Properties>\n  <Marker_Data>\n    ` +
    `<Current_Type>1</Current_Type>\n` +
    markers.map((m) =>
      `    <Marker_Type>\n      <Type>${m.type}</Type>\n` +
      m.xyz.map(([x, y, z]) =>
        `      <Marker>\n        <MarkerX>${x}</MarkerX>\n        <MarkerY>${y}</MarkerY>\n        <MarkerZ>${z}</MarkerZ>\n      </Marker>\n`
      ).join("") + `    </Marker_Type>\n`
    ).join("") + `  </Marker_Data>\n</CellCounter_Marker_File>\n`;
  const xyzOf = (zyx: Vec3): Vec3 => [zyx[2], zyx[1], zyx[0]];
  if (spec.era === "2026") {
    out.set(
      `${seg}/detected_cells.csv`,
      text(`,x,y,z\n${cells.zyx.map(([z, y, x], i) => `${i},${x}.0,${y}.0,${z}.0`).join("\n")}\n`),
    );
    const lines: string[] = [];
    cells.zyx.forEach(([z, y, x], i) => {
      lines.push(`${2 * i},${x}.0,${y}.0,${z}.0,1,0.9,120.5,100.25,${i}`);
      const [nz, ny, nx] = notCell(i);
      lines.push(`${2 * i + 1},${nx}.0,${ny}.0,${nz}.0,0,0.1,101.0,100.5,${n + i}`);
    });
    out.set(
      `${seg}/proposals/cell_likelihoods.csv`,
      text(`,x,y,z,Class,Cell Likelihood,Foreground,Background,Cell ID\n${lines.join("\n")}\n`),
    );
  } else if (spec.era === "2024-08") {
    out.set(
      `${seg}/classified_cells.xml`,
      text(xml([{ type: 1, xyz: cells.zyx.slice(0, 5).map((_, i) => xyzOf(notCell(i))) }, {
        type: 2,
        xyz: cells.zyx.map(xyzOf),
      }])),
    );
    out.set(
      `${seg}/cell_likelihoods.csv`,
      text(
        `,X,Y,Z,Class,Cell Likelihood\n${
          cells.zyx.map(([z, y, x], i) => `${i},${x},${y},${z},2,0.9`).join("\n")
        }\n`,
      ),
    );
  } else {
    out.set(
      `${seg}/detected_cells.xml`,
      text(xml([{ type: 2, xyz: cells.zyx.map(xyzOf) }, { type: 1, xyz: [xyzOf(notCell(0))] }])),
    );
  }
  if (spec.noQuantification) return out;
  // AIND's transformed cells: CCF 25 µm voxel indices of the same cells, in this era's order.
  const inside = cells.ccf.map((c, i) => ({ c, i })).filter(({ c }) =>
    idOfIndex(atlasLabel(...c.map((v) => Math.round(v / ATLAS_RESOLUTION) * ATLAS_RESOLUTION) as Vec3)) !== 0
  );
  if (spec.era === "2026") {
    out.set(
      `${quant}/transformed_cells.csv`,
      text(
        `,x,y,z,Foreground,Background,Cell ID\n${
          inside.map(({ c: [ap, dv, ml], i }, n) =>
            `${n},${csvNumber(ap / 25)},${csvNumber(dv / 25)},${csvNumber(ml / 25)},120.5,100.25,${i}`
          ).join("\n")
        }\n`,
      ),
    );
  } else {
    // XML: integers clamped to >= 1; 2024-08 on MarkerX = AP, MarkerZ = ML; before, MarkerX = ML, MarkerZ = AP.
    const v = (u: number): number => Math.max(1, Math.round(u / 25));
    const all = cells.ccf.map(([ap, dv, ml]) =>
      (spec.era === "2024-08" ? [v(ap), v(dv), v(ml)] : [v(ml), v(dv), v(ap)]) as Vec3
    );
    out.set(`${quant}/transformed_cells.xml`, text(xml([{ type: 1, xyz: all }])));
  }
  const counts = closedCounts(cells.ccf);
  const header: Record<CellsEra, string> = {
    "2023": ",Id,Structure,Struct_Info,Left,Right,Total",
    "2024-02":
      ",Id,Structure,Struct_Info,Struct_area_um3,Left,Right,Total,Left_Density,Right_Density,Total_Density",
    "2024-08":
      ",ID,Acronym,Name,Parent Region,Layer,Ancestors,Graph Order,Id,Struct_Info,Struct_area_um3,Left,Right,Total,Left_Density,Right_Density,Total_Density",
    "2026":
      ",ID,Acronym,Name,Parent Region,Layer,Ancestors,Graph Order,Id,Struct_Info,Struct_area_um3,Left,Right,Total,Left_Density,Right_Density,Total_Density,Left_Median_Foreground,Right_Median_Foreground,Total_Median_Foreground,Left_Median_Background,Right_Median_Background,Total_Median_Background",
  };
  const rows = TERMS.filter((t, n) => t.id !== undefined && TERMS.findIndex((x) => x.id === t.id) === n).map(
    (t, n) => {
      const [l, r] = counts.get(t.id!) ?? [0, 0];
      const info = t.id === 997 || t.id === 8 ? "mid" : "hemi";
      const volume = 1e9 * (t.set + 1);
      const d = (c: number, v: number): string => String(c / v);
      const both = info === "mid" ? volume : 2 * volume, side = info === "mid" ? volume / 2 : volume;
      const ancestors: string[] = [];
      for (let p = TERMS.find((x) => x.label === t.parent); p; p = TERMS.find((x) => x.label === p!.parent)) {
        ancestors.unshift(p.acronym);
      }
      const parent = TERMS.find((x) => x.label === t.parent)?.acronym ?? "";
      const fg = l + r > 0 ? "120.5" : "";
      switch (spec.era) {
        case "2023":
          return `${n},${t.id},${t.acronym},${info},${l},${r},${l + r}`;
        case "2024-02":
          return `${n},${t.id},${t.acronym},${info},${volume},${l},${r},${l + r},${d(l, side)},${
            d(r, side)
          },${d(l + r, both)}`;
        default:
          return `${n},${t.id},${t.acronym},"${t.name}",${parent},,"${
            JSON.stringify(ancestors).replaceAll('"', "'")
          }",${n},${t.id},${info},${volume},${l},${r},${l + r},${d(l, side)},${d(r, side)},${d(l + r, both)}${
            spec.era === "2026" ? `,${fg},${fg},${fg},${fg},${fg},${fg}` : ""
          }`;
      }
    },
  );
  out.set(`${quant}/cell_count_by_region.csv`, text(`${header[spec.era]}\n${rows.join("\n")}\n`));
  return out;
}

/** The segmented assets of {@linkcode buildCellsDataset}. */
export const SEGMENTED_ASSETS: { asset: RegisteredAssetSpec; channels: SegmentedChannelSpec[] }[] = [
  {
    asset: {
      subject: "700002",
      acquiredAt: "2024-05-01_10-00-00",
      stitchedAt: "2024-09-02_10-00-00",
      version: "0.0.33",
      schema: 2,
      spacing: [200, 180, 180],
      format: { precision: "single", littleEndian: false },
    },
    channels: [
      { channel: "Ex_488_Em_525", era: "2026", cells: 400, seed: 1 },
      { channel: "Ex_639_Em_667", era: "2024-08", cells: 300, seed: 2 },
    ],
  },
  {
    asset: {
      subject: "700006",
      acquiredAt: "2023-08-01_10-00-00",
      stitchedAt: "2023-08-02_10-00-00",
      version: "0.0.32",
      affineOnly: true,
      spacing: [200, 180, 180],
      format: { precision: "double", littleEndian: false },
    },
    channels: [
      { channel: "Ex_488_Em_525", era: "2024-02", cells: 200, seed: 3, noQuantification: true },
      { channel: "Ex_639_Em_667", era: "2023", cells: 250, seed: 4 },
    ],
  },
];

/** The pipeline LS position (LPS mm) of a level-0 index for the seed-axis assets (stored spacing, 0.0.32+). */
export function seedAxesLps(zyx: readonly number[]): Vec3 {
  const [nx, ny] = [48, 56];
  const [sx, sy, sz] = [0.18, 0.18, 0.2];
  const o = [-1.5114 + sx * (nx - 1), -1.5 + sy * (ny - 1), 1.5];
  return [o[0] - sx * zyx[2], o[1] - sy * zyx[1], o[2] - sz * zyx[0]];
}

/** The generated cells of every asset: subject → channel → cells. */
export type CellsTruth = Map<string, Map<string, GeneratedCells>>;

/**
 * Adds the segmented assets' cell files to a CCF dataset's objects (the assets must be in it).
 * @param dataset A dataset built with {@linkcode SEGMENTED_ASSETS}' asset specs.
 * @param options Which assets (default all) and a scale factor for the cell counts.
 * @returns The truth per subject and channel.
 */
export function addCellFiles(
  dataset: CcfDataset,
  options: { assets?: typeof SEGMENTED_ASSETS; templatePrefix?: string; scale?: number } = {},
): CellsTruth {
  const truth: CellsTruth = new Map();
  const template = dataset.templates.get(options.templatePrefix ?? "SmartSPIM-template_2024-05-16_11-26-14")!;
  for (const { asset: spec, channels } of options.assets ?? SEGMENTED_ASSETS) {
    const asset = dataset.assets.get(spec.subject)!;
    const perChannel = new Map<string, GeneratedCells>();
    for (const c of channels) {
      const scaled = { ...c, cells: Math.round(c.cells * (options.scale ?? 1)) };
      const cells = drawCells(
        scaled,
        spec.shape ?? [40, 56, 48],
        (zyx) => closedCellToCcf(asset, template, seedAxesLps(zyx)),
      );
      for (const [k, v] of cellFiles(asset.name, cells, scaled)) dataset.objects.set(k, v);
      perChannel.set(c.channel, cells);
    }
    truth.set(spec.subject, perChannel);
  }
  return truth;
}

/** A test server with segmented assets in `aind-open-data` and the fake atlas in `allen-brain-cell-atlas`. */
export interface CellsDatasetServer {
  server: TestS3Server;
  dataset: CcfDataset;
  truth: CellsTruth;
  /** Options that point spimfetch at the server (data and atlas). */
  s3: { endpoint: string; atlasEndpoint: string };
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts a local S3 server holding the segmented assets and the fake atlas.
 * @param options Assets (default {@linkcode SEGMENTED_ASSETS}) and a scale factor for the cell counts.
 * @returns The running server.
 */
export async function serveCellsDataset(
  options: {
    assets?: typeof SEGMENTED_ASSETS;
    scale?: number;
    averageTemplate?: boolean;
    /** The annotation's resolution, µm. @default {100} */
    atlasResolution?: number;
    /** More objects for `aind-open-data` (e.g. a benchmark's detections). */
    extra?: Map<string, Uint8Array>;
  } = {},
): Promise<CellsDatasetServer> {
  const assets = options.assets ?? SEGMENTED_ASSETS;
  const dataset = await buildCcfDataset({
    assets: assets.map((a) => a.asset),
    templates: [{
      prefix: "SmartSPIM-template_2024-05-16_11-26-14",
      averageTemplate: options.averageTemplate,
    }],
  });
  const truth = addCellFiles(dataset, { assets, scale: options.scale });
  const server = await startS3Server();
  try {
    await server.createBucket(AIND_BUCKET);
    for (const [k, v] of options.extra ?? []) dataset.objects.set(k, v);
    await server.upload(AIND_BUCKET, dataset.objects);
    await server.createBucket(FAKE_ATLAS_BUCKET);
    await server.upload(FAKE_ATLAS_BUCKET, atlasObjects(options.atlasResolution));
  } catch (error) {
    await server.close();
    throw error;
  }
  return {
    server,
    dataset,
    truth,
    s3: { endpoint: server.endpoint, atlasEndpoint: server.endpoint },
    [Symbol.asyncDispose]: () => server.close(),
  };
}
