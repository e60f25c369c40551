/**
 * Pictures of a volume for notebooks: its orthogonal maximum-intensity
 * projections as one PNG inside an SVG that labels each edge with the
 * anatomical direction it faces, and a histogram of intensities (SVG).
 *
 * The labels are SVG text around the embedded PNG rather than pixels in it:
 * text stays crisp at any zoom and no bitmap font is needed.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { Display, escapeHtml } from "./display.ts";
import { formatTable } from "./format.ts";
import type { Orientation } from "../orient/orient.ts";
import { renderProjections } from "./png.ts";
import { intensityHistogram, intensityPercentiles, projectionEdges } from "./preview.ts";
import type { Volume } from "../core/volume.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** Options for {@linkcode projectionsView}. */
export interface ProjectionsViewOptions {
  /** The volume's orientation: edges are labelled anatomically (else by index). */
  orientation?: Orientation;
  /** Voxel size along (x, y, z) in mm. @default {orientation's spacing, else [1, 1, 1]} */
  spacing?: readonly [number, number, number];
  /** Percentiles of the projections' pixels shown black and white. @default {[1, 99.5]} */
  percentiles?: readonly [number, number];
  /** Largest picture size in pixels (the labels add a margin). @default {640} */
  maxSize?: number;
  /** A title above the picture. */
  title?: string;
}

/** Width of one character of the 12 px labels, in px (a conservative average for sans-serif). */
const LABEL_CHAR_PX = 7;
/** Height of a panel title's line, in px. */
const TITLE_PX = 16;
/** Height of an edge label's line, in px. */
const EDGE_PX = 14;

/** The keys of {@linkcode ProjectionsViewOptions}, checked at run time. */
const PROJECTIONS_VIEW_OPTION_KEYS: OptionKeys<ProjectionsViewOptions> = {
  orientation: true,
  spacing: true,
  percentiles: true,
  maxSize: true,
  title: true,
};

/**
 * The volume's three maximum-intensity projections as one labelled picture:
 * along z (top left), along x (right of it) and along y (below it), at one
 * physical scale so aspect ratios are true, with contrast from percentiles.
 *
 * @example
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { projectionsView } from "@spimfetch/spimfetch/display";
 * const volume = { data: new Uint16Array(2 * 3 * 4).map((_, i) => i), shape: [2, 3, 4] as [number, number, number], dtype: "uint16" as const };
 * const { bundle } = projectionsView(volume, { spacing: [1, 1, 2] });
 * assertStringIncludes(bundle["text/html"]!, "data:image/png;base64,");
 * assertStringIncludes(bundle["text/plain"], "2 × 3 × 4");
 * ```
 * @param volume The volume, (z, y, x).
 * @param options Orientation, spacing, contrast, size and title.
 * @returns The display (`text/html`: an inline SVG embedding the PNG).
 */
export function projectionsView(volume: Volume, options: ProjectionsViewOptions = {}): Display {
  options = checkOptions(options, PROJECTIONS_VIEW_OPTION_KEYS, "projectionsView()");
  const spacing = options.spacing ?? options.orientation?.geometry.spacing ?? [1, 1, 1];
  const percents = options.percentiles ?? [1, 99.5];
  const { layout, window: [low, high], png } = renderProjections(volume, spacing, {
    percentiles: percents,
    maxSize: options.maxSize,
  });
  const edges = projectionEdges(volume.shape, options.orientation);
  // Each panel is cut out of the one PNG and placed with room around it for its title and four edge labels,
  // sized to their text: labels between two panels no longer share (and overlap in) the PNG's fixed gap.
  // A white ground and dark text read the same on a notebook's light or dark theme.
  const wide = (label: string): number => label.length * LABEL_CHAR_PX + 8;
  const { z: pz, x: px, y: py } = layout.panels;
  const leftColumn = Math.max(wide(edges.z.left), wide(edges.y.left));
  const between = wide(edges.z.right) + wide(edges.x.left);
  const above = TITLE_PX + EDGE_PX + 4;
  const below = EDGE_PX + 4;
  const placed = {
    z: { x: leftColumn, y: above },
    x: { x: leftColumn + pz.width + between, y: above },
    y: { x: leftColumn, y: above + pz.height + below + above },
  };
  const width = Math.ceil(
    Math.max(placed.x.x + px.width + wide(edges.x.right), placed.y.x + py.width + wide(edges.y.right)),
  );
  const height = Math.ceil(placed.y.y + py.height + below);
  const text = (x: number, y: number, label: string, anchor = "middle", extra = ""): string =>
    `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" text-anchor="${anchor}"${extra}>${
      escapeHtml(label)
    }</text>`;
  const titles = { z: "max along z", y: "max along y", x: "max along x" };
  const id = `spimfetch-mip-${crypto.randomUUID().slice(0, 8)}`;
  const labels: string[] = [];
  for (const name of ["z", "y", "x"] as const) {
    const r = layout.panels[name];
    const { x: x0, y: y0 } = placed[name];
    const e = edges[name];
    labels.push(
      `<svg x="${x0}" y="${y0}" width="${r.width}" height="${r.height}" viewBox="${r.x} ${r.y} ${r.width} ${r.height}">` +
        `<use href="#${id}"/></svg>`,
      text(x0 - 4, y0 + r.height / 2 + 4, e.left, "end"),
      text(x0 + r.width + 4, y0 + r.height / 2 + 4, e.right, "start"),
      text(x0 + r.width / 2, y0 - 4, e.top),
      text(x0 + r.width / 2, y0 + r.height + EDGE_PX, e.bottom),
      text(x0, y0 - EDGE_PX - 6, titles[name], "start", ` font-weight="bold" font-size="${TITLE_PX - 2}"`),
    );
  }
  const axes = options.orientation
    ? ["x", "y", "z"].map((a, j) => `${a}: ${options.orientation!.axes[j].rawDirection}`).join(", ")
    : "no orientation given: edges show index ranges";
  const [nz, ny, nx] = volume.shape;
  const summary =
    `Maximum-intensity projections of a ${nz} × ${ny} × ${nx} (z, y, x) ${volume.dtype} volume; ` +
    `contrast: percentiles ${percents[0]}–${percents[1]} of the projections = [${round(low)}, ${
      round(high)
    }]; ` +
    `${round(layout.mmPerPixel * 1000)} µm per pixel; ${axes}`;
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"` +
    ` font-family="sans-serif" font-size="12" fill="#222"><title>${escapeHtml(summary)}</title>` +
    `<rect width="100%" height="100%" fill="#fff"/>` +
    `<defs><image id="${id}" width="${layout.width}" height="${layout.height}" style="image-rendering:pixelated"` +
    ` href="data:image/png;base64,${Buffer.from(png).toString("base64")}"/></defs>${labels.join("")}</svg>`;
  const edgeText = (["z", "y", "x"] as const).map((n) =>
    `  ${titles[n]}: left ${edges[n].left}, right ${edges[n].right}, top ${edges[n].top}, bottom ${
      edges[n].bottom
    }`
  );
  return new Display({
    "text/plain": [...(options.title ? [options.title] : []), summary, ...edgeText].join("\n"),
    // The title is HTML rather than SVG text so that a long asset name wraps instead of being cut off.
    "text/html": `<div>${
      options.title
        ? `<div style="font-weight:bold;max-width:${width}px">${escapeHtml(options.title)}</div>`
        : ""
    }${svg}<div style="font-size:11px;color:#555;max-width:${width}px">${escapeHtml(summary)}</div></div>`,
  });
}

function round(value: number): string {
  return String(Number(value.toPrecision(4)));
}

/** Width of one character of the 11 px histogram labels, in px (a conservative average). */
const HISTOGRAM_CHAR_PX = 6.5;

/**
 * The row of each label so that no two in a row overlap: labels in order of their left edge, each in the
 * first row whose last label ends before it starts. `undefined` entries (no label) get row -1.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { labelRows } from "./figures.ts";
 * assertEquals(labelRows([{ from: 0, to: 40 }, { from: 10, to: 50 }, { from: 60, to: 90 }]), [0, 1, 0]);
 * ```
 * @param spans Each label's horizontal extent, in px.
 * @returns Each label's row, from 0.
 */
export function labelRows(spans: readonly ({ from: number; to: number } | undefined)[]): number[] {
  const rows: number[] = spans.map(() => -1);
  const ends: number[] = [];
  const order = spans.map((_, i) => i).filter((i) => spans[i] !== undefined)
    .sort((a, b) => spans[a]!.from - spans[b]!.from);
  for (const i of order) {
    const { from, to } = spans[i]!;
    let row = ends.findIndex((end) => end + 4 <= from);
    if (row < 0) row = ends.push(to) - 1;
    else ends[row] = to;
    rows[i] = row;
  }
  return rows;
}

/** Options for {@linkcode histogramView}. */
export interface HistogramViewOptions {
  /** Bars. @default {128} */
  bins?: number;
  /** Percentiles to mark and report. @default {[1, 50, 99.5]} */
  percentiles?: readonly number[];
}

/** The keys of {@linkcode HistogramViewOptions}, checked at run time. */
const HISTOGRAM_VIEW_OPTION_KEYS: OptionKeys<HistogramViewOptions> = {
  bins: true,
  percentiles: true,
};

/**
 * A histogram of the volume's intensities (log counts, since background
 * dominates), with percentiles marked, and a text summary.
 *
 * @example
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { histogramView } from "@spimfetch/spimfetch/display";
 * const volume = { data: Uint16Array.from({ length: 1000 }, (_, i) => i), shape: [10, 10, 10] as [number, number, number], dtype: "uint16" as const };
 * const { bundle } = histogramView(volume, { bins: 10 });
 * assertStringIncludes(bundle["text/html"]!, "<svg");
 * assertStringIncludes(bundle["text/plain"], "p50");
 * ```
 * @param volume The volume.
 * @param options Bins and percentiles.
 * @returns The display.
 */
export function histogramView(volume: Volume, options: HistogramViewOptions = {}): Display {
  options = checkOptions(options, HISTOGRAM_VIEW_OPTION_KEYS, "histogramView()");
  const percents = options.percentiles ?? [1, 50, 99.5];
  const histogram = intensityHistogram(volume.data, { bins: options.bins ?? 128 });
  const marks = intensityPercentiles(volume.data, percents);
  // Percentile labels ("p50 = 104") sit in a lane above the plot, each beside its line, moved down a row
  // where it would run into the one before: close percentiles (p1 and p50 of a mostly dark volume) and the
  // axis labels never overlap.
  const [w, left, right, bottom] = [560, 48, 12, 36];
  const plotW = w - left - right;
  const xOf = (v: number): number =>
    left +
    (histogram.max > histogram.min ? (plotW * (v - histogram.min)) / (histogram.max - histogram.min) : 0);
  const labelTexts = marks.map((v, i) => `p${percents[i]} = ${round(v)}`);
  const spans = marks.map((v, i) => {
    const x = xOf(v);
    const width = labelTexts[i].length * HISTOGRAM_CHAR_PX;
    const end = x + 3 + width > w - 2;
    return { x, end, from: end ? x - 3 - width : x + 3, to: end ? x - 3 : x + 3 + width };
  });
  const rowOf = labelRows(spans.map((span, i) => (Number.isFinite(marks[i]) ? span : undefined)));
  const lane = 14 * (Math.max(-1, ...rowOf) + 1) + 4;
  const top = 8 + lane;
  const plotH = 140;
  const h = top + plotH + bottom;
  const peak = Math.log10(1 + Math.max(1, ...histogram.counts));
  const barW = plotW / histogram.counts.length;
  const bars = histogram.counts.map((c, i) => {
    const bh = (plotH * Math.log10(1 + c)) / peak;
    return `<rect x="${(left + i * barW).toFixed(2)}" y="${(top + plotH - bh).toFixed(2)}" width="${
      Math.max(0.5, barW - 0.5).toFixed(2)
    }" height="${bh.toFixed(2)}" fill="#4a78b5"/>`;
  });
  const lines = marks.map((v, i) => {
    if (!Number.isFinite(v)) return "";
    const { x, end } = spans[i];
    const y = 8 + 14 * rowOf[i] + 10;
    return `<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${y - 10}" y2="${
      top + plotH
    }" stroke="#d62728"` +
      ` stroke-dasharray="3,2"/>` +
      `<text x="${(end ? x - 3 : x + 3).toFixed(1)}" y="${y}" fill="#d62728" text-anchor="${
        end ? "end" : "start"
      }"` +
      `>${escapeHtml(labelTexts[i])}</text>`;
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}"` +
    ` font-family="sans-serif" font-size="11" fill="#222"><title>intensity histogram (log counts)</title>` +
    `<rect width="100%" height="100%" fill="#fff"/>${bars.join("")}` +
    `<line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>` +
    `<text x="${left}" y="${top + plotH + 14}" text-anchor="start">${round(histogram.min)}</text>` +
    `<text x="${left + plotW}" y="${top + plotH + 14}" text-anchor="end">${round(histogram.max)}</text>` +
    `<text x="${left + plotW / 2}" y="${
      top + plotH + 28
    }" text-anchor="middle">intensity (${volume.dtype})</text>` +
    `<text x="14" y="${top + plotH / 2}" transform="rotate(-90 14 ${
      top + plotH / 2
    })" text-anchor="middle">` +
    `log count</text>${lines.join("")}</svg>`;
  const rows = [
    ["voxels", "min", ...percents.map((p) => `p${p}`), "max"],
    [String(volume.data.length), round(histogram.min), ...marks.map(round), round(histogram.max)],
  ];
  const table = formatTable(rows);
  return new Display({
    "text/plain": `Intensity histogram (${volume.dtype}, ${histogram.counts.length} bins)\n${table}`,
    "text/html": `<div>${svg}<pre style="font-size:11px">${escapeHtml(table)}</pre></div>`,
  });
}
