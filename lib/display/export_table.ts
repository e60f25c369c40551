/**
 * The notebook table of what an export wrote: one column per output, one row per fact a reader of the
 * exported page needs without the code (the file and its format, the grid written, the orientation of its
 * axes, what was read, the voxel type, the size on disk, the compression, the sidecar and the time taken).
 *
 * @module
 */
import type { ExportImageResult } from "../export/mod.ts";
import { formatBytes } from "../core/bytes.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";
import { Display, htmlTable } from "./display.ts";
import { formatTable } from "./format.ts";

/** Options for {@linkcode exportTable}. */
export interface ExportTableOptions {
  /** The caption. @default {"Written"} */
  caption?: string;
}

/** The keys of {@linkcode ExportTableOptions}, checked at run time. */
const EXPORT_TABLE_OPTION_KEYS: OptionKeys<ExportTableOptions> = { caption: true };

/** A number with at most `digits` decimals, without trailing zeros. */
function num(value: number, digits = 6): string {
  const text = value.toFixed(digits).replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
  return text === "-0" ? "0" : text;
}

/** The table's rows, top to bottom: a label, then what to show of one export. */
const ROWS: readonly [string, (r: ExportImageResult) => string][] = [
  ["file", (r) => r.path],
  ["format", (r) => `${r.plan.output.format.suffix}: ${r.plan.output.format.description}`],
  ["size (voxels, x × y × z)", (r) => r.size.join(" × ")],
  ["spacing (mm, x × y × z)", (r) => r.geometry.spacing.map((s) => num(s)).join(" × ")],
  ["orientation (nibabel: where each axis points)", (r) => r.plan.orientations.output.nibabel],
  ["read", (r) => {
    const { level, region } = r.plan;
    const whole = (["x", "y", "z"] as const).every((a, i) =>
      region[a][0] === 0 && region[a][1] === level.size[i]
    );
    return `level ${level.index} (${level.spacing.map((s) => num(s)).join(" × ")} mm), ${
      whole ? "whole" : `x ${region.x.join("–")}, y ${region.y.join("–")}, z ${region.z.join("–")} (voxels)`
    }`;
  }],
  ["voxel type", (r) => r.dtype],
  ["size on disk", (r) => `${formatBytes(r.bytes)} (${r.bytes.toLocaleString("en-US")} bytes)`],
  ["compression", (r) => r.compression ? `gzip by ${r.compression}` : "no gzip"],
  ["sidecar (provenance)", (r) => r.sidecar],
  ["time", (r) => `${num(r.elapsedMs / 1000, 1)} s`],
];

/**
 * What one or more exports wrote, as a table with one column per output.
 *
 * @example
 * ```ts ignore
 * import { exportImage, openSource, show } from "@spimfetch/spimfetch";
 * import { exportTable } from "@spimfetch/spimfetch/display";
 * using source = await openSource({ subject: "652506", channel: "Ex_561_Em_593" });
 * await show(exportTable(await exportImage(source, { level: 3, out: "brain.nii.gz" })));
 * ```
 * @param results What `exportImage` returned, once or for each output.
 * @param options The caption.
 * @returns The table, as HTML and as aligned text.
 */
export function exportTable(
  results: ExportImageResult | readonly ExportImageResult[],
  options: ExportTableOptions = {},
): Display {
  options = checkOptions(options, EXPORT_TABLE_OPTION_KEYS, "exportTable()");
  const list: readonly ExportImageResult[] = Array.isArray(results)
    ? results
    : [results as ExportImageResult];
  const rows = [
    ["", ...list.map((r) => r.path.split("/").filter(Boolean).pop() ?? r.path)],
    ...ROWS.map(([label, cell]) => [label, ...list.map(cell)]),
  ];
  const caption = options.caption ?? "Written";
  return new Display({
    "text/plain": `${caption}\n${formatTable(rows)}`,
    "text/html": htmlTable(rows, { caption }),
  });
}
