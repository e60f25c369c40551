/**
 * Plain-text renderings of spimfetch's results: the CLI prints them, and
 * notebook displays use them as their `text/plain` fallback.
 *
 * @module
 */
import type { OmeZarrImage } from "../metadata/image.ts";
import type { Asset } from "../list/assets.ts";
import type { Orientation } from "../orient/orient.ts";
import type { Channel } from "../select/select.ts";
import { formatBytes } from "../core/bytes.ts";

/**
 * Lays rows out as an aligned text table.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { formatTable } from "@spimfetch/spimfetch/display";
 * const text = formatTable([["level", "shape"], ["0", "[1, 2]"]]);
 * assert(text === "level  shape\n0      [1, 2]");
 * ```
 * @param rows The rows; the first is the header.
 * @returns The table, lines joined by `\n`, without trailing spaces.
 */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd()).join("\n");
}

const list = (values: readonly number[]): string => `[${values.join(", ")}]`;

/**
 * The assets as a table: name, subject, acquired, process, processed.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { formatAssets } from "@spimfetch/spimfetch/display";
 * import { parseAssetName } from "@spimfetch/spimfetch";
 * const text = formatAssets([parseAssetName("SmartSPIM_652506_2023-01-09_10-18-12")!]);
 * assert(text.split("\n")[1].startsWith("SmartSPIM_652506_2023-01-09_10-18-12  652506"));
 * ```
 * @param assets The assets.
 * @returns The table.
 */
export function formatAssets(assets: readonly Asset[]): string {
  return formatTable([
    ["asset", "subject", "acquired", "process", "processed"],
    ...assets.map((a) => [a.name, a.subjectId, a.acquiredAt, a.process ?? "-", a.processedAt ?? "-"]),
  ]);
}

/**
 * The channels as a table: name, excitation, emission, layout, URI.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { formatChannels } from "@spimfetch/spimfetch/display";
 * const text = formatChannels([{ name: "Ex_561_Em_593", uri: "s3://b/a.zarr", layout: "processed/OMEZarr", excitationNm: 561, emissionNm: 593 }]);
 * assert(text.includes("561 nm"));
 * ```
 * @param channels The channels.
 * @returns The table.
 */
export function formatChannels(channels: readonly Channel[]): string {
  const nm = (value: number | undefined): string => (value === undefined ? "-" : `${value} nm`);
  return formatTable([
    ["channel", "excitation", "emission", "layout", "uri"],
    ...channels.map((c) => [c.name, nm(c.excitationNm), nm(c.emissionNm), c.layout, c.uri]),
  ]);
}

/**
 * One row per level: index, size (x, y, z), spacing in mm, chunk shape
 * (x, y, z), dtype, chunk count and uncompressed size.
 *
 * @example
 * ```ts ignore
 * const rows = levelRows(await openImage(uri));
 * ```
 * @param image The image.
 * @returns One row of seven cells per level.
 */
export function levelRows(image: OmeZarrImage): string[][] {
  const [z, y, x] = image.multiscales.spatialAxes;
  return image.levels.map((l) => [
    String(l.index),
    list(l.size),
    list(l.spacing),
    list([l.chunks[x], l.chunks[y], l.chunks[z]]),
    l.dtype,
    String(l.chunkCount),
    formatBytes(l.bytes),
  ]);
}

/**
 * The levels of an image as a table: level, size (x, y, z), spacing in mm,
 * chunk shape, dtype and uncompressed size.
 *
 * @example
 * ```ts ignore
 * console.log(formatLevels(await openImage(uri)));
 * ```
 * @param image The image.
 * @returns The table.
 */
export function formatLevels(image: OmeZarrImage): string {
  return formatTable([
    ["level", "size (x, y, z)", "spacing mm (x, y, z)", "chunks (x, y, z)", "dtype", "chunks", "size"],
    ...levelRows(image),
  ]);
}

/**
 * One row per ITK index axis: its letter, Zarr dimension, acquisition axis
 * name, recorded direction, ITK's "from" letter and nibabel's "to" letter.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { orientationAxisRows } from "./format.ts";
 * import { computeOrientation } from "@spimfetch/spimfetch";
 * import { parseAcquisition } from "@spimfetch/spimfetch/metadata";
 * const { axes } = parseAcquisition({ axes: [
 *   { name: "X", dimension: 2, direction: "Left_to_right" },
 *   { name: "Y", dimension: 1, direction: "Posterior_to_anterior" },
 *   { name: "Z", dimension: 0, direction: "Superior_to_inferior" },
 * ] }, { source: "acquisition.json" });
 * const rows = orientationAxisRows(computeOrientation(axes, { size: [2, 2, 2], spacing: [1, 1, 1] }));
 * assertEquals(rows[0], ["x", "2", "X", "Left_to_right", "L", "R"]);
 * ```
 * @param orientation The orientation.
 * @returns Three rows of six cells.
 */
export function orientationAxisRows(orientation: Orientation): string[][] {
  return orientation.axes.map((a) => [
    "xyz"[a.itkAxis],
    String(a.dimension),
    a.name,
    a.rawDirection,
    a.fromLetter,
    a.toLetter,
  ]);
}

/**
 * The orientation as a table (one row per ITK axis: Zarr dimension,
 * acquisition direction, ITK's "from" letter, nibabel's "to" letter), then
 * spacing, origin and direction.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { formatOrientation } from "@spimfetch/spimfetch/display";
 * import { computeOrientation } from "@spimfetch/spimfetch";
 * import { parseAcquisition } from "@spimfetch/spimfetch/metadata";
 * const { axes } = parseAcquisition({ axes: [
 *   { name: "X", dimension: 2, direction: "Left_to_right" },
 *   { name: "Y", dimension: 1, direction: "Posterior_to_anterior" },
 *   { name: "Z", dimension: 0, direction: "Superior_to_inferior" },
 * ] }, { source: "acquisition.json" });
 * const text = formatOrientation(computeOrientation(axes, { size: [925, 1280, 464], spacing: [0.0144, 0.0144, 0.016] }));
 * assert(text.includes("origin (LPS, mm)    [13.3056, 18.4176, 7.408]"));
 * ```
 * @param orientation The orientation.
 * @returns The text.
 */
export function formatOrientation(orientation: Orientation): string {
  const { geometry } = orientation;
  const round = (v: number): number => Number(v.toPrecision(10)) + 0;
  const table = formatTable([
    ["itk axis", "zarr dim", "acquisition axis", "direction", "itk (from)", "nibabel (to)"],
    ...orientationAxisRows(orientation),
  ]);
  const rows = geometry.direction.map((row) => `[${row.map(round).join(", ")}]`).join(" ");
  return [
    table,
    `ITK code            ${orientation.itkCodeName}: ${orientation.itkCode}`,
    `nibabel code        ${orientation.nibabelCode}`,
    `spacing (mm)        [${geometry.spacing.map(round).join(", ")}]`,
    `origin (LPS, mm)    [${geometry.origin.map(round).join(", ")}]`,
    `direction (LPS)     ${rows}`,
  ].join("\n");
}
