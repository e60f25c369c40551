/**
 * Notebook displays for registration-ready output: an orientation in every
 * convention as a table, AIND caveat warnings, and a preview of the volume
 * against the Allen CCFv3 template's extent: the three maximum-intensity
 * projections, edges labelled anatomically, with the template's extent drawn
 * over them as dashed boxes. Before registering, it shows at a glance whether
 * the brain has the atlas's orientation (the long anterior-posterior axis
 * where the atlas has it) and size.
 *
 * Built from `display.ts`, `preview.ts` and `png.ts`; the projections are
 * those of `figures.ts`' `projectionsView`.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { CaveatWarning } from "../metadata/aind_caveats.ts";
import { Display, escapeHtml, htmlTable } from "./display.ts";
import { formatTable } from "./format.ts";
import {
  type AnatomicalAxes,
  LETTER,
  oppositeTerm,
  orientationCode,
  orientationCodes,
} from "../orient/codes.ts";
import { orientationOfDirection } from "../orient/transform.ts";
import { renderProjections } from "./png.ts";
import type { ProjectionPlane } from "./preview.ts";
import type { ImageGeometry, Volume } from "../core/volume.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/**
 * The extent of the Allen CCFv3 template in mm along each anatomical line:
 * 528 × 320 × 456 voxels of 25 µm (anterior-posterior, superior-inferior,
 * left-right).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { CCF_EXTENT_MM } from "@spimfetch/spimfetch/display";
 * assertEquals(CCF_EXTENT_MM, { anteriorPosterior: 13.2, superiorInferior: 8, leftRight: 11.4 });
 * ```
 */
export const CCF_EXTENT_MM: Readonly<
  { anteriorPosterior: number; superiorInferior: number; leftRight: number }
> = {
  anteriorPosterior: 13.2,
  superiorInferior: 8.0,
  leftRight: 11.4,
};

/** Options for {@linkcode ccfExtentView}. */
export interface CcfExtentViewOptions {
  /** The volume's geometry: spacing, and an axis-aligned direction that names its orientation. */
  geometry: ImageGeometry;
  /** The box's extent along each anatomical line, in mm. @default {CCF_EXTENT_MM} */
  extentMm?: Readonly<{ anteriorPosterior: number; superiorInferior: number; leftRight: number }>;
  /** Percentiles of the projections' pixels shown black and white. @default {[1, 99.5]} */
  percentiles?: readonly [number, number];
  /** Largest picture size in pixels (the labels add a margin). @default {640} */
  maxSize?: number;
  /** A title above the picture. */
  title?: string;
}

const MARGIN = 22;
const TITLE = 20;
// Index axes (0, 1, 2 = x, y, z) along each projection's columns and rows, as preview.ts lays them out.
const PANEL_AXES = { z: [0, 1], y: [0, 2], x: [2, 1] } as const;

function boxExtent(axes: AnatomicalAxes, extent: CcfExtentViewOptions["extentMm"] & object): number[] {
  return axes.map((t) =>
    t === "left" || t === "right"
      ? extent.leftRight
      : t === "anterior" || t === "posterior"
      ? extent.anteriorPosterior
      : extent.superiorInferior
  );
}

/** First and last column and row holding a pixel above `threshold`. */
function foreground(plane: ProjectionPlane, threshold: number): [number, number, number, number] | undefined {
  let [c0, c1, r0, r1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let r = 0; r < plane.height; r++) {
    for (let c = 0; c < plane.width; c++) {
      if (plane.data[r * plane.width + c] > threshold) {
        c0 = Math.min(c0, c);
        c1 = Math.max(c1, c);
        r0 = Math.min(r0, r);
        r1 = Math.max(r1, r);
      }
    }
  }
  return c1 < 0 ? undefined : [c0, c1, r0, r1];
}

function round(value: number, digits = 3): string {
  return String(Number(value.toPrecision(digits)));
}

/** The keys of {@linkcode CcfExtentViewOptions}, checked at run time. */
const CCF_EXTENT_VIEW_OPTION_KEYS: OptionKeys<CcfExtentViewOptions> = {
  geometry: true,
  extentMm: true,
  percentiles: true,
  maxSize: true,
  title: true,
};

/**
 * The three maximum-intensity projections of a volume with the CCF
 * template's extent drawn over each as a dashed box, centred on the
 * foreground (pixels above a quarter of the way from the low to the high
 * percentile). The text lists the foreground's extent next to the CCF's.
 *
 * @example A PIR volume the size of the CCF at 1 mm
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { ccfExtentView } from "@spimfetch/spimfetch/display";
 * import { directionOfOrientation } from "../orient/transform.ts";
 * const volume = { data: new Uint16Array(11 * 8 * 13).fill(100), shape: [11, 8, 13] as [number, number, number], dtype: "uint16" as const };
 * const view = ccfExtentView(volume, {
 *   geometry: { spacing: [1, 1, 1], origin: [0, 0, 0], direction: directionOfOrientation(["posterior", "inferior", "right"]) },
 * });
 * assertStringIncludes(view.bundle["text/plain"], "CCF 13.2 × 8 × 11.4 mm");
 * assertStringIncludes(view.bundle["text/html"]!, 'stroke-dasharray');
 * ```
 * @param volume The volume, (z, y, x).
 * @param options Its geometry, the box extent, contrast, size and title.
 * @returns The display (`text/html`: an inline SVG embedding the PNG).
 * @throws {RangeError} If the direction is oblique.
 */
export function ccfExtentView(volume: Volume, options: CcfExtentViewOptions): Display {
  options = checkOptions(options, CCF_EXTENT_VIEW_OPTION_KEYS, "ccfExtentView()");
  const axes = orientationOfDirection(options.geometry.direction);
  const spacing = options.geometry.spacing;
  const percents = options.percentiles ?? [1, 99.5];
  const { projections, layout, window: [low, high], png } = renderProjections(volume, spacing, {
    percentiles: percents,
    maxSize: options.maxSize,
  });
  const extent = boxExtent(axes, options.extentMm ?? CCF_EXTENT_MM);

  // The foreground's index range per axis, from the projections (z gives x and y; y gives z).
  const threshold = low + 0.25 * (high - low);
  const [nz, ny, nx] = volume.shape;
  const fz = foreground(projections.z, threshold);
  const fy = foreground(projections.y, threshold);
  const range: [number, number][] = fz && fy
    ? [[fz[0], fz[1]], [fz[2], fz[3]], [fy[2], fy[3]]]
    : [[0, nx - 1], [0, ny - 1], [0, nz - 1]];
  const centre = range.map(([a, b]) => (a + b + 1) / 2); // in voxels from the first edge
  const found = range.map(([a, b], j) => (b - a + 1) * spacing[j]);

  const top = MARGIN + (options.title ? TITLE : 0);
  const width = layout.width + 2 * MARGIN;
  const height = layout.height + top + MARGIN;
  const text = (x: number, y: number, label: string, anchor = "middle", extra = ""): string =>
    `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" text-anchor="${anchor}"${extra}>${
      escapeHtml(label)
    }</text>`;
  const parts: string[] = [];
  for (const name of ["z", "y", "x"] as const) {
    const r = layout.panels[name];
    const [x0, y0] = [MARGIN + r.x, top + r.y];
    const [columns, rows] = PANEL_AXES[name];
    parts.push(
      text(x0 - 3, y0 + r.height / 2 + 4, LETTER[oppositeTerm(axes[columns])], "end"),
      text(x0 + r.width + 3, y0 + r.height / 2 + 4, LETTER[axes[columns]], "start"),
      text(x0 + r.width / 2, y0 - 4, LETTER[oppositeTerm(axes[rows])]),
      text(x0 + r.width / 2, y0 + r.height + 13, LETTER[axes[rows]]),
    );
    const px = (mm: number): number => mm / layout.mmPerPixel;
    const w = px(extent[columns]);
    const h = px(extent[rows]);
    const cx = x0 + px(centre[columns] * spacing[columns]);
    const cy = y0 + px(centre[rows] * spacing[rows]);
    parts.push(
      `<rect x="${(cx - w / 2).toFixed(1)}" y="${(cy - h / 2).toFixed(1)}" width="${w.toFixed(1)}" height="${
        h.toFixed(1)
      }" fill="none" stroke="#4dd2ff" stroke-width="1.5" stroke-dasharray="5 3"/>`,
    );
  }
  const code = orientationCode(axes, "nibabel");
  const along = axes.map((t, j) => `${"xyz"[j]} ${LETTER[t]}`).join(", ");
  const summary =
    `${code} volume ${nz} × ${ny} × ${nx} (z, y, x); foreground ${
      found.map((v) => round(v)).join(" × ")
    } mm vs CCF ${
      extent.map((v) => round(v)).join(" × ")
    } mm (${along}); dashed: the CCF extent, centred on the ` +
    `foreground; contrast percentiles ${percents[0]}–${percents[1]} = [${round(low, 4)}, ${round(high, 4)}]`;
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"` +
    ` font-family="sans-serif" font-size="12"><title>${escapeHtml(summary)}</title>` +
    (options.title ? text(width / 2, 16, options.title, "middle", ` font-weight="bold"`) : "") +
    `<image x="${MARGIN}" y="${top}" width="${layout.width}" height="${layout.height}" style="image-rendering:pixelated"` +
    ` href="data:image/png;base64,${Buffer.from(png).toString("base64")}"/>${parts.join("")}</svg>`;
  return new Display({
    "text/plain": [...(options.title ? [options.title] : []), summary].join("\n"),
    "text/html": `<div>${svg}<div style="font-size:11px;color:#555;max-width:${width}px">${
      escapeHtml(summary)
    }</div></div>`,
  });
}

/**
 * An orientation in every convention spimfetch knows, as a table: what each
 * tool would call the same axes (see `orientation_codes.ts`).
 *
 * @example The Allen CCF's PIR
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { orientationCodesView } from "@spimfetch/spimfetch/display";
 * const view = orientationCodesView(["posterior", "inferior", "right"]);
 * assertStringIncludes(view.bundle["text/plain"], "brainglobe");
 * assertStringIncludes(view.bundle["text/html"]!, "<td>lsa</td>");
 * ```
 * @param axes The orientation, index order i, j, k.
 * @returns The display.
 */
export function orientationCodesView(axes: AnatomicalAxes): Display {
  const codes = orientationCodes(axes);
  const rows = [
    ["convention", "code", "letters or words name", "axis order"],
    ["nibabel (aff2axcodes)", codes.nibabel, "where the index increases to", "x, y, z"],
    [
      "ITK legacy (SpatialOrientation)",
      `${codes.itk} (${codes.itkEnum})`,
      "where the index comes from",
      "x, y, z",
    ],
    ["BrainGlobe (brainglobe-space)", codes.brainglobe, "where index 0 lies", "z, y, x (array order)"],
    ["AIND acquisition.json", codes.aind.join(", "), "from_to_to per axis", "Zarr dimension 0, 1, 2"],
    ["OME-NGFF RFC-4", codes.ngff.join(", "), "from-to-to per axis", "NGFF axes order (z, y, x)"],
  ];
  return new Display({ "text/plain": formatTable(rows), "text/html": htmlTable(rows) });
}

/**
 * AIND caveat warnings as a notebook display: each warning with its sources,
 * or a line saying none applies.
 *
 * @example
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { caveatsView } from "@spimfetch/spimfetch/display";
 * assertStringIncludes(caveatsView([]).bundle["text/plain"], "No known AIND caveat");
 * ```
 * @param warnings Warnings from `checkAindCaveats` (or a preparation's `warnings`).
 * @param corrected Ids of the caveats whose correction was applied.
 * @returns The display.
 */
export function caveatsView(warnings: readonly CaveatWarning[], corrected: readonly string[] = []): Display {
  if (warnings.length === 0) {
    const text = "No known AIND caveat applies to this acquisition.";
    return new Display({ "text/plain": text, "text/html": `<p>${text}</p>` });
  }
  const status = (w: CaveatWarning): string => (corrected.includes(w.id) ? "CORRECTED" : "WARNING");
  const text = warnings.map((w) =>
    `${status(w)}: ${w.message}\n${w.sources.map((s) => `  source: ${s.url}`).join("\n")}`
  ).join("\n\n");
  const html = warnings.map((w) =>
    `<div style="border-left:4px solid ${
      corrected.includes(w.id) ? "#3a3" : "#e90"
    };padding:4px 8px;margin:4px 0"><b>${status(w)}</b>: ${escapeHtml(w.message)}<ul>${
      w.sources.map((s) =>
        `<li><a href="${escapeHtml(s.url)}">${escapeHtml(s.url)}</a>: ${escapeHtml(s.note)}</li>`
      )
        .join("")
    }</ul></div>`
  ).join("");
  return new Display({ "text/plain": text, "text/html": html });
}
