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

const MARGIN = 22;

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
  const spacing = options.spacing ?? options.orientation?.geometry.spacing ?? [1, 1, 1];
  const percents = options.percentiles ?? [1, 99.5];
  const { layout, window: [low, high], png } = renderProjections(volume, spacing, {
    percentiles: percents,
    maxSize: options.maxSize,
  });
  const edges = projectionEdges(volume.shape, options.orientation);
  const top = MARGIN;
  const width = layout.width + 2 * MARGIN;
  const height = layout.height + top + MARGIN;
  const text = (x: number, y: number, label: string, anchor = "middle", extra = ""): string =>
    `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" text-anchor="${anchor}"${extra}>${
      escapeHtml(label)
    }</text>`;
  const titles = { z: "max along z", y: "max along y", x: "max along x" };
  const labels: string[] = [];
  for (const name of ["z", "y", "x"] as const) {
    const r = layout.panels[name];
    const [x0, y0] = [MARGIN + r.x, top + r.y];
    const e = edges[name];
    labels.push(
      text(x0 - 3, y0 + r.height / 2 + 4, e.left, "end"),
      text(x0 + r.width + 3, y0 + r.height / 2 + 4, e.right, "start"),
      text(x0 + r.width / 2, y0 - 4, e.top),
      text(x0 + r.width / 2, y0 + r.height + 13, e.bottom),
      text(x0 + 3, y0 + 11, titles[name], "start", ` fill="#ffd34d" font-size="10"`),
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
    ` font-family="sans-serif" font-size="12"><title>${escapeHtml(summary)}</title>` +
    `<image x="${MARGIN}" y="${top}" width="${layout.width}" height="${layout.height}" style="image-rendering:pixelated"` +
    ` href="data:image/png;base64,${Buffer.from(png).toString("base64")}"/>${labels.join("")}</svg>`;
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

/** Options for {@linkcode histogramView}. */
export interface HistogramViewOptions {
  /** Bars. @default {128} */
  bins?: number;
  /** Percentiles to mark and report. @default {[1, 50, 99.5]} */
  percentiles?: readonly number[];
}

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
  const percents = options.percentiles ?? [1, 50, 99.5];
  const histogram = intensityHistogram(volume.data, { bins: options.bins ?? 128 });
  const marks = intensityPercentiles(volume.data, percents);
  const [w, h, left, bottom] = [560, 200, 48, 36];
  const plotW = w - left - 12;
  const plotH = h - bottom - 12;
  const peak = Math.log10(1 + Math.max(1, ...histogram.counts));
  const barW = plotW / histogram.counts.length;
  const bars = histogram.counts.map((c, i) => {
    const bh = (plotH * Math.log10(1 + c)) / peak;
    return `<rect x="${(left + i * barW).toFixed(2)}" y="${(12 + plotH - bh).toFixed(2)}" width="${
      Math.max(0.5, barW - 0.5).toFixed(2)
    }" height="${bh.toFixed(2)}" fill="#4a78b5"/>`;
  });
  const xOf = (v: number): number =>
    left +
    (histogram.max > histogram.min ? (plotW * (v - histogram.min)) / (histogram.max - histogram.min) : 0);
  // Labels sit at staggered heights beside their lines, so close percentiles (p1 and p50 of a mostly
  // dark volume) stay readable.
  const lines = marks.map((v, i) => {
    if (!Number.isFinite(v)) return "";
    const x = xOf(v).toFixed(1);
    return `<line x1="${x}" x2="${x}" y1="12" y2="${12 + plotH}" stroke="#d62728" stroke-dasharray="3,2"/>` +
      `<text x="${(xOf(v) + 3).toFixed(1)}" y="${22 + 12 * i}" fill="#d62728" font-size="10">p${
        percents[i]
      }</text>`;
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}"` +
    ` font-family="sans-serif" font-size="11"><title>intensity histogram (log counts)</title>${
      bars.join("")
    }` +
    `<line x1="${left}" x2="${left + plotW}" y1="${12 + plotH}" y2="${12 + plotH}" stroke="#333"/>` +
    `<text x="${left}" y="${h - 18}" text-anchor="start">${round(histogram.min)}</text>` +
    `<text x="${left + plotW}" y="${h - 18}" text-anchor="end">${round(histogram.max)}</text>` +
    `<text x="12" y="${12 + plotH / 2}" transform="rotate(-90 12 ${
      12 + plotH / 2
    })" text-anchor="middle">log count</text>` +
    `${lines.join("")}</svg>`;
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
