/**
 * Notebook views of cells in the CCF: the regions with most cells (left vs
 * right), AIND's count beside ours, a cohort heatmap, and a density map of
 * the cells over the CCF average template in three projections. Each returns
 * a `Display` (HTML and plain text); nothing here touches `Deno.jupyter`.
 *
 * @module
 */
import { openNiftiStream } from "../ccf/mod.ts";
import { Display, escapeHtml, htmlTable } from "./display.ts";
import { renderProjectionPlanes } from "./png.ts";
import type { Projections } from "./preview.ts";
import type { CountRow } from "../cells/mod.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** Options for {@linkcode regionsTable}. */
export interface RegionsTableOptions {
  /** Rows shown. @default {10} */
  top?: number;
  /** Which count. @default {"recount" if present, else "aind"} */
  source?: "aind" | "recount";
  /** Only structures this deep (e.g. 3 for the ABC's "structure" level). @default {every depth but the root's} */
  depth?: number;
}

function sourceOf(rows: readonly CountRow[], source?: "aind" | "recount"): "aind" | "recount" {
  return source ?? (rows.some((r) => r.source === "recount") ? "recount" : "aind");
}

/** The keys of {@linkcode RegionsTableOptions}, checked at run time. */
const REGIONS_TABLE_OPTION_KEYS: OptionKeys<RegionsTableOptions> = {
  top: true,
  source: true,
  depth: true,
};

/**
 * The regions with most cells, left and right, as a table.
 * @param rows Count rows (one subject and channel, or summed over them).
 * @param options How many, which source, which depth.
 * @returns The display.
 */
export function regionsTable(rows: readonly CountRow[], options: RegionsTableOptions = {}): Display {
  options = checkOptions(options, REGIONS_TABLE_OPTION_KEYS, "regionsTable()");
  const source = sourceOf(rows, options.source);
  const by = new Map<
    number,
    { acronym: string; name: string; left: number; right: number; density: number | null }
  >();
  for (const r of rows) {
    if (r.source !== source || r.depth === 0) continue;
    if (options.depth !== undefined && r.depth !== options.depth) continue;
    const e = by.get(r.structure_id) ??
      { acronym: r.acronym, name: r.name, left: 0, right: 0, density: null };
    if (r.hemisphere === "left") e.left += r.count;
    if (r.hemisphere === "right") e.right += r.count;
    if (r.hemisphere === "both") e.density = r.density_per_mm3;
    by.set(r.structure_id, e);
  }
  const top = [...by.values()].sort((a, b) => b.left + b.right - (a.left + a.right)).slice(
    0,
    options.top ?? 10,
  );
  const table = [
    ["acronym", "name", "left", "right", "total", "cells / mm³"],
    ...top.map((e) => [
      e.acronym,
      e.name,
      String(e.left),
      String(e.right),
      String(e.left + e.right),
      e.density === null ? "" : e.density.toFixed(1),
    ]),
  ];
  return new Display({
    "text/plain": table.map((r) => r.join("\t")).join("\n"),
    "text/html": htmlTable(table, { caption: `Regions with most cells (${source})` }),
  });
}

/**
 * AIND's count beside ours, per structure (both hemispheres), largest first.
 * @param rows Count rows with both sources.
 * @param options How many rows. @default {15}
 * @returns The display.
 */
export function sourcesTable(rows: readonly CountRow[], options: { top?: number } = {}): Display {
  const by = new Map<string, { channel: string; acronym: string; aind?: number; recount?: number }>();
  for (const r of rows) {
    if (r.hemisphere !== "both") continue;
    const key = `${r.subject}\n${r.channel}\n${r.structure_id}`;
    const e = by.get(key) ?? { channel: r.channel, acronym: r.acronym };
    e[r.source] = r.count;
    by.set(key, e);
  }
  const both = [...by.values()].filter((e) => e.aind !== undefined && e.recount !== undefined)
    .sort((a, b) => b.aind! - a.aind!).slice(0, options.top ?? 15);
  const table = [
    ["channel", "acronym", "AIND", "recount", "difference"],
    ...both.map((
      e,
    ) => [e.channel, e.acronym, String(e.aind), String(e.recount), String(e.recount! - e.aind!)]),
  ];
  return new Display({
    "text/plain": table.map((r) => r.join("\t")).join("\n"),
    "text/html": htmlTable(table, { caption: "AIND's count (meshes) beside ours (annotation volume)" }),
  });
}

/**
 * A cohort heatmap: subjects × regions, cells coloured by density (or count) relative to each region's
 * largest value.
 * @param rows Count rows of several subjects.
 * @param options The regions (acronyms), which source and value.
 * @returns The display.
 */
export function cohortHeatmap(
  rows: readonly CountRow[],
  options: { regions: readonly string[]; source?: "aind" | "recount"; value?: "count" | "density" },
): Display {
  const source = sourceOf(rows, options.source);
  const value = options.value ?? "count";
  const subjects = [...new Set(rows.map((r) => r.subject))];
  const cell = new Map<string, number>();
  for (const r of rows) {
    if (r.source !== source || r.hemisphere !== "both" || !options.regions.includes(r.acronym)) continue;
    const v = value === "count" ? r.count : r.density_per_mm3 ?? 0;
    const key = `${r.subject}\n${r.acronym}`;
    cell.set(key, (cell.get(key) ?? 0) + v);
  }
  const max = new Map(
    options.regions.map((a) => [a, Math.max(0, ...subjects.map((s) => cell.get(`${s}\n${a}`) ?? 0))]),
  );
  const head = `<tr><th>subject</th>${options.regions.map((a) => `<th>${escapeHtml(a)}</th>`).join("")}</tr>`;
  const body = subjects.map((s) =>
    `<tr><th>${escapeHtml(s)}</th>${
      options.regions.map((a) => {
        const v = cell.get(`${s}\n${a}`);
        const f = v === undefined || !max.get(a) ? 0 : v / max.get(a)!;
        const text = v === undefined ? "" : value === "count" ? String(v) : v.toFixed(1);
        return `<td style="background: rgba(220, 60, 30, ${
          (0.1 + 0.9 * f).toFixed(2)
        }); text-align: right">${text}</td>`;
      }).join("")
    }</tr>`
  ).join("");
  const plain = [
    ["subject", ...options.regions].join("\t"),
    ...subjects.map((s) =>
      [s, ...options.regions.map((a) => String(cell.get(`${s}\n${a}`) ?? ""))].join("\t")
    ),
  ].join("\n");
  return new Display({
    "text/plain": plain,
    "text/html":
      `<table><caption>Cells per region (${source}, ${value}), subjects × regions</caption>${head}${body}</table>`,
  });
}

/**
 * A density map of cells in the CCF over the CCF average template: three projections (sagittal: along ML;
 * horizontal: along DV; coronal: along AP) of the template's mean with the cells' counts per 25 µm pixel
 * added on top, drawn by the display step's projection renderer.
 * @param ccf `(ap, dv, ml)` µm per cell (one array or several).
 * @param template `ccf_average_template_25.nii.gz` (528 × 320 × 456, AP fastest).
 * @param options The title.
 * @returns The display.
 * @throws {MetadataError} If the template is not a 3-D NIfTI image.
 */
export async function cellDensityMap(
  ccf: Float32Array | readonly Float32Array[],
  template: Uint8Array,
  options: { title?: string } = {},
): Promise<Display> {
  const stream = await openNiftiStream(template, "the CCF average template");
  const [na, nd, nm] = stream.size;
  // As a (z, y, x) volume: z = ML, y = DV, x = AP.
  const sag = new Float32Array(nd * na), hor = new Float32Array(nm * na), cor = new Float32Array(nd * nm);
  for (let m = 0; m < nm; m++) {
    const slice = await stream.read(na * nd);
    for (let d = 0; d < nd; d++) {
      let sum = 0;
      for (let a = 0; a < na; a++) {
        const v = slice[a + na * d];
        sag[d * na + a] += v / nm;
        hor[m * na + a] += v / nd;
        sum += v;
      }
      cor[d * nm + m] = sum / na;
    }
  }
  const dens = [new Float32Array(sag.length), new Float32Array(hor.length), new Float32Array(cor.length)];
  let cells = 0;
  for (const points of Array.isArray(ccf) ? ccf : [ccf as Float32Array]) {
    for (let c = 0; c < points.length; c += 3) {
      const a = Math.round(points[c] / 25),
        d = Math.round(points[c + 1] / 25),
        m = Math.round(points[c + 2] / 25);
      if (a < 0 || a >= na || d < 0 || d >= nd || m < 0 || m >= nm) continue;
      dens[0][d * na + a]++;
      dens[1][m * na + a]++;
      dens[2][d * nm + m]++;
      cells++;
    }
  }
  // Template at up to 60 % grey, cells brightening it toward white.
  const blend = (base: Float32Array, density: Float32Array): Float32Array => {
    let bmax = 0, dmax = 0;
    for (const v of base) if (v > bmax) bmax = v;
    for (const v of density) if (v > dmax) dmax = v;
    return base.map((v, i) => 0.6 * (bmax ? v / bmax : 0) + 0.4 * (dmax ? Math.sqrt(density[i] / dmax) : 0));
  };
  const planes: Projections = {
    z: { data: blend(sag, dens[0]), width: na, height: nd },
    y: { data: blend(hor, dens[1]), width: na, height: nm },
    x: { data: blend(cor, dens[2]), width: nm, height: nd },
  };
  const image = renderProjectionPlanes(planes, [0.025, 0.025, 0.025], {
    percentiles: [0, 100],
    maxSize: 720,
  });
  const png = encodePngBase64(image.png);
  const title = options.title ?? `${cells} cells in the CCF over the average template`;
  return new Display({
    "text/plain": `${title}: sagittal (along ML), horizontal (along DV), coronal (along AP) projections`,
    "text/html": `<figure><img src="data:image/png;base64,${png}" alt="${escapeHtml(title)}">` +
      `<figcaption>${escapeHtml(title)}: sagittal (top left; anterior left, dorsal up), coronal (right), ` +
      `horizontal (below)</figcaption></figure>`,
    "image/png": png,
  });
}

function encodePngBase64(png: Uint8Array): string {
  let text = "";
  for (let i = 0; i < png.length; i += 0x8000) text += String.fromCharCode(...png.subarray(i, i + 0x8000));
  return btoa(text);
}
