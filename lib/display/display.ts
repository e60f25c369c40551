/**
 * Notebook displays: results as tables and pictures for the Deno Jupyter
 * kernel, through the `Symbol.for("Jupyter.display")` protocol. Every display
 * is a MIME bundle with a `text/plain` fallback (the text tables of
 * `format.ts`), so the same objects print sensibly in `deno run` too. Nothing
 * here touches `Deno.jupyter` at import time; {@linkcode show} looks for it
 * when called.
 *
 * @module
 */
import type { Asset } from "../list/assets.ts";
import type { OmeZarrImage } from "../metadata/image.ts";
import type { Orientation } from "../orient/orient.ts";
import type { Channel } from "../select/select.ts";
import {
  formatAssets,
  formatChannels,
  formatOrientation,
  formatTable,
  levelRows,
  orientationAxisRows,
} from "./format.ts";
import { formatBytes } from "../core/bytes.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** The key of the Jupyter display protocol: the Deno kernel calls `value[JUPYTER_DISPLAY]()`. */
export const JUPYTER_DISPLAY: unique symbol = Symbol.for("Jupyter.display");

/** Output in several MIME types; frontends pick the richest they can show. */
export interface MimeBundle {
  /** Always present: what a terminal or a plain-text frontend shows. */
  "text/plain": string;
  /** Tables and figures. */
  "text/html"?: string;
  /** Any other type, e.g. `image/png` as base64. */
  [mime: string]: string | undefined;
}

/**
 * A value the Deno kernel shows as its MIME bundle and `console.log` prints as
 * its plain text.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { Display, JUPYTER_DISPLAY } from "@spimfetch/spimfetch/display";
 * const display = new Display({ "text/plain": "hi", "text/html": "<b>hi</b>" });
 * assertEquals(display[JUPYTER_DISPLAY]()["text/html"], "<b>hi</b>");
 * assertEquals(String(display), "hi");
 * ```
 */
export class Display {
  /** The bundle shown. */
  readonly bundle: MimeBundle;

  /**
   * Wraps a bundle.
   * @param bundle The MIME bundle.
   */
  constructor(bundle: MimeBundle) {
    this.bundle = bundle;
  }

  /**
   * The bundle, for the Jupyter kernel.
   * @returns The MIME bundle.
   */
  [JUPYTER_DISPLAY](): MimeBundle {
    return this.bundle;
  }

  /**
   * The plain text, for `console.log` outside notebooks.
   * @returns The `text/plain` entry.
   */
  [Symbol.for("Deno.customInspect")](): string {
    return this.bundle["text/plain"];
  }

  /**
   * The plain text.
   * @returns The `text/plain` entry.
   */
  toString(): string {
    return this.bundle["text/plain"];
  }
}

/**
 * Escapes text for HTML element content and attribute values.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { escapeHtml } from "@spimfetch/spimfetch/display";
 * assertEquals(escapeHtml(`<script>"&'`), "&lt;script&gt;&quot;&amp;&#39;");
 * ```
 * @param text Any text.
 * @returns The text with `& < > " '` escaped.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Options for {@linkcode htmlTable}. */
export interface HtmlTableOptions {
  /** A caption above the table (plain text; escaped). */
  caption?: string;
  /** A last row spanning every column, e.g. "… and 570 more" (plain text; escaped). */
  footer?: string;
}

/** The keys of {@linkcode HtmlTableOptions}, checked at run time. */
const HTML_TABLE_OPTION_KEYS: OptionKeys<HtmlTableOptions> = {
  caption: true,
  footer: true,
};

/**
 * Renders rows as an HTML table; every cell is escaped.
 *
 * @example
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { htmlTable } from "@spimfetch/spimfetch/display";
 * const html = htmlTable([["name"], ["<b>"]], { caption: "1 row" });
 * assertStringIncludes(html, "<td>&lt;b&gt;</td>");
 * ```
 * @param rows The rows; the first is the header.
 * @param options Caption and footer.
 * @returns The `<table>` element.
 */
export function htmlTable(rows: readonly (readonly string[])[], options: HtmlTableOptions = {}): string {
  options = checkOptions(options, HTML_TABLE_OPTION_KEYS, "htmlTable()");
  const [header, ...body] = rows;
  const cells = (row: readonly string[], tag: string): string =>
    `<tr>${row.map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`).join("")}</tr>`;
  const caption = options.caption === undefined ? "" : `<caption>${escapeHtml(options.caption)}</caption>`;
  const footer = options.footer === undefined
    ? ""
    : `<tr><td colspan="${header?.length ?? 1}"><i>${escapeHtml(options.footer)}</i></td></tr>`;
  return `<table>${caption}<thead>${header ? cells(header, "th") : ""}</thead><tbody>${
    body.map((r) => cells(r, "td")).join("")
  }${footer}</tbody></table>`;
}

/** Options for {@linkcode assetsTable}. */
export interface AssetsTableOptions {
  /** Rows shown; the rest are counted. @default {10} */
  limit?: number;
  /** What the assets are, for the caption. @default {"assets"} */
  what?: string;
}

/** The keys of {@linkcode AssetsTableOptions}, checked at run time. */
const ASSETS_TABLE_OPTION_KEYS: OptionKeys<AssetsTableOptions> = {
  limit: true,
  what: true,
};

/**
 * The assets as a table: their count, then the first rows (a bucket holds
 * thousands; nobody reads them all).
 *
 * @example
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { assetsTable } from "@spimfetch/spimfetch/display";
 * import { parseAssetName } from "@spimfetch/spimfetch";
 * const assets = ["SmartSPIM_1_2023-01-01_00-00-00", "SmartSPIM_2_2023-01-01_00-00-00"].map((n) => parseAssetName(n)!);
 * const { bundle } = assetsTable(assets, { limit: 1 });
 * assertStringIncludes(bundle["text/html"]!, "2 assets");
 * assertStringIncludes(bundle["text/plain"], "… and 1 more");
 * ```
 * @param assets The assets.
 * @param options How many rows, and what to call them.
 * @returns The display.
 */
export function assetsTable(assets: readonly Asset[], options: AssetsTableOptions = {}): Display {
  options = checkOptions(options, ASSETS_TABLE_OPTION_KEYS, "assetsTable()");
  const limit = options.limit ?? 10;
  const shown = assets.slice(0, limit);
  const caption = `${assets.length} ${options.what ?? "assets"}`;
  const footer = assets.length > limit ? `… and ${assets.length - limit} more` : undefined;
  const rows = [
    ["asset", "subject", "acquired", "process", "processed"],
    ...shown.map((a) => [a.name, a.subjectId, a.acquiredAt, a.process ?? "-", a.processedAt ?? "-"]),
  ];
  return new Display({
    "text/plain": [caption, formatAssets(shown), ...(footer ? [footer] : [])].join("\n"),
    "text/html": htmlTable(rows, { caption, footer }),
  });
}

/**
 * The channels of an asset as a table: name, wavelengths, layout, URI.
 *
 * @example
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { channelsTable } from "@spimfetch/spimfetch/display";
 * const channel = { name: "Ex_561_Em_593", uri: "s3://b/a.zarr", layout: "processed/OMEZarr", excitationNm: 561, emissionNm: 593 };
 * assertStringIncludes(channelsTable([channel]).bundle["text/html"]!, "<td>561 nm</td>");
 * ```
 * @param channels The channels.
 * @returns The display.
 */
export function channelsTable(channels: readonly Channel[]): Display {
  const nm = (value: number | undefined): string => (value === undefined ? "-" : `${value} nm`);
  const rows = [
    ["channel", "excitation", "emission", "layout", "uri"],
    ...channels.map((c) => [c.name, nm(c.excitationNm), nm(c.emissionNm), c.layout, c.uri]),
  ];
  const caption = `${channels.length} channel${channels.length === 1 ? "" : "s"}`;
  return new Display({
    "text/plain": `${caption}\n${formatChannels(channels)}`,
    "text/html": htmlTable(rows, { caption }),
  });
}

/** Options for {@linkcode levelsTable}. */
export interface LevelsTableOptions {
  /** Stored (compressed) bytes per level, from {@linkcode measureStoredBytes}; `undefined` = not measured. */
  storedBytes?: readonly (number | undefined)[];
}

/** The keys of {@linkcode LevelsTableOptions}, checked at run time. */
const LEVELS_TABLE_OPTION_KEYS: OptionKeys<LevelsTableOptions> = {
  storedBytes: true,
};

/**
 * The multiscales levels as a table: level, size and chunk shape (x, y, z),
 * spacing in mm, dtype, chunk count, uncompressed bytes, and stored bytes with
 * the compression ratio when given.
 *
 * @example A one-level image held in memory
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { levelsTable } from "@spimfetch/spimfetch/display";
 * import { openImage } from "@spimfetch/spimfetch";
 * const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
 * const axes = ["z", "y", "x"].map((name) => ({ name, type: "space", unit: "micrometer" }));
 * const files = new Map([
 *   ["/.zattrs", json({ multiscales: [{ version: "0.4", axes, datasets: [{ path: "0", coordinateTransformations: [{ type: "scale", scale: [16, 14.4, 14.4] }] }] }] })],
 *   ["/0/.zarray", json({ zarr_format: 2, shape: [4, 6, 8], chunks: [2, 6, 8], dtype: "<u2", compressor: null, fill_value: 0, order: "C", filters: null })],
 * ]);
 * const image = await openImage("memory://example.zarr", { store: { get: (key) => Promise.resolve(files.get(key)) } });
 * const text = levelsTable(image, { storedBytes: [100] }).bundle["text/plain"];
 * assertStringIncludes(text, "[8, 6, 4]");
 * assertStringIncludes(text, "3.84×");
 * ```
 * @param image The opened image.
 * @param options Stored sizes, if measured.
 * @returns The display.
 */
export function levelsTable(image: OmeZarrImage, options: LevelsTableOptions = {}): Display {
  options = checkOptions(options, LEVELS_TABLE_OPTION_KEYS, "levelsTable()");
  const stored = options.storedBytes;
  const rows = [
    [
      "level",
      "size (x, y, z)",
      "spacing mm (x, y, z)",
      "chunk (x, y, z)",
      "dtype",
      "chunks",
      "uncompressed",
      ...(stored ? ["stored", "ratio"] : []),
    ],
    ...levelRows(image).map((row, i) => {
      const s = stored?.[i];
      const bytes = image.levels[i].bytes;
      return [
        ...row,
        ...(stored
          ? [s === undefined ? "not measured" : formatBytes(s), s ? `${(bytes / s).toFixed(2)}×` : "-"]
          : []),
      ];
    }),
  ];
  const caption = `${image.uri} (Zarr v${image.zarrFormat}, NGFF ${image.multiscales.version})`;
  return new Display({
    "text/plain": `${caption}\n${formatTable(rows)}`,
    "text/html": htmlTable(rows, { caption }),
  });
}

/**
 * A small SVG of the three index axes (x right, y down, z into the page), each
 * arrow labelled with the anatomical direction it points to and, at its tail,
 * the one it comes from. Tested through {@linkcode orientationView}.
 * @param orientation The orientation.
 * @returns The `<svg>` element.
 */
function orientationSvg(orientation: Orientation): string {
  const o = [70, 62];
  const tips = [[170, 62], [70, 160], [140, 14]];
  const colors = ["#d62728", "#2ca02c", "#1f77b4"];
  const parts = orientation.axes.map((a, j) => {
    const [tx, ty] = tips[j];
    const [dx, dy] = [tx - o[0], ty - o[1]];
    const len = Math.hypot(dx, dy);
    const [ux, uy] = [dx / len, dy / len];
    const head = `${tx},${ty} ${tx - 9 * ux - 4 * uy},${ty - 9 * uy + 4 * ux} ${tx - 9 * ux + 4 * uy},${
      ty - 9 * uy - 4 * ux
    }`;
    const to = `${"xyz"[j]} → ${a.toLetter} (${a.direction.to})`;
    return `<line x1="${o[0]}" y1="${o[1]}" x2="${tx - 8 * ux}" y2="${ty - 8 * uy}" stroke="${
      colors[j]
    }" stroke-width="2"/><polygon points="${head}" fill="${colors[j]}"/>` +
      `<text x="${tx + 12 * ux}" y="${ty + 12 * uy + 4}" fill="${colors[j]}" font-size="11" text-anchor="${
        j === 1 ? "middle" : "start"
      }">${escapeHtml(to)}</text>` +
      `<line x1="${o[0]}" y1="${o[1]}" x2="${o[0] - 22 * ux}" y2="${o[1] - 22 * uy}" stroke="${
        colors[j]
      }" stroke-dasharray="2,2"/>` +
      `<text x="${o[0] - 30 * ux}" y="${o[1] - 30 * uy + 4}" fill="${
        colors[j]
      }" font-size="10" text-anchor="middle">${escapeHtml(a.fromLetter)}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="270" height="190" viewBox="0 0 270 190" font-family="sans-serif">` +
    `<title>${escapeHtml(`index axes: ${orientation.nibabelCode}`)}</title>${parts.join("")}</svg>`;
}

/**
 * The orientation: one row per index axis (Zarr dimension, acquisition axis
 * and direction, ITK's "from" letter, nibabel's "to" letter), the codes,
 * spacing, origin and direction matrix, and an SVG of the axes.
 *
 * @example
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { orientationView } from "@spimfetch/spimfetch/display";
 * import { computeOrientation } from "@spimfetch/spimfetch";
 * import { parseAcquisition } from "@spimfetch/spimfetch/metadata";
 * const { axes } = parseAcquisition({ axes: [
 *   { name: "X", dimension: 2, direction: "Left_to_right" },
 *   { name: "Y", dimension: 1, direction: "Posterior_to_anterior" },
 *   { name: "Z", dimension: 0, direction: "Superior_to_inferior" },
 * ] }, { source: "acquisition.json" });
 * const view = orientationView(computeOrientation(axes, { size: [4, 4, 4], spacing: [1, 1, 1] }));
 * assertStringIncludes(view.bundle["text/html"]!, "<svg");
 * assertStringIncludes(view.bundle["text/plain"], "RAI");
 * ```
 * @param orientation The orientation.
 * @returns The display.
 */
export function orientationView(orientation: Orientation): Display {
  const { geometry } = orientation;
  const round = (v: number): string => String(Number(v.toPrecision(10)) + 0);
  const axes = htmlTable([
    ["index axis", "zarr dim", "acquisition axis", "direction", "ITK letter (from)", "nibabel letter (to)"],
    ...orientationAxisRows(orientation),
  ]);
  const facts = htmlTable([
    ["", ""],
    ["ITK code", `${orientation.itkCodeName}: ${orientation.itkCode}`],
    ["nibabel code", orientation.nibabelCode],
    ["spacing (mm)", `[${geometry.spacing.map(round).join(", ")}]`],
    ["origin (LPS, mm)", `[${geometry.origin.map(round).join(", ")}]`],
    ["direction (LPS)", geometry.direction.map((r) => `[${r.map(round).join(", ")}]`).join(" ")],
  ]);
  return new Display({
    "text/plain": formatOrientation(orientation),
    "text/html":
      `<div style="display:flex;gap:24px;align-items:flex-start;flex-wrap:wrap"><div>${axes}${facts}</div>${
        orientationSvg(orientation)
      }</div>`,
  });
}
