/**
 * The cohort summary as tables: CSV (one row per output) and a small self-contained HTML page with a
 * thumbnail per output, highlighting rows whose size or orientation differs from most of the cohort.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { formatBytes } from "../core/bytes.ts";
import { escapeHtml } from "../display/display.ts";
import type { Thumbnail } from "./streaming_projections.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** One AIND caveat found for an output, and whether it was corrected. */
export interface CohortCaveat {
  /** The caveat's id, e.g. `smartspim-2022-2023-y-posterior-to-anterior`. */
  id: string;
  /** Whether `--aind-orientation-fix` corrected it. */
  corrected: boolean;
}

/** One output of a cohort, as the summary shows it. */
export interface CohortRow {
  /** The output file, as given. */
  path: string;
  /** Its sidecar JSON. */
  sidecar: string;
  /** `nifti`, `nrrd` or `ome-zarr`. */
  format: "nifti" | "nrrd" | "ome-zarr";
  /**
   * Which output of the subject this is: the file's name without its
   * extension and without a leading `<subject>_` (the workflow names files
   * `<subject>_<channel>_<output>`), e.g. `Ex_561_Em_593_ccf25`. Rows of one
   * kind are comparable across subjects.
   */
  kind: string;
  /** Subject id. */
  subject: string;
  /** Channel name. */
  channel: string;
  /** The stitched asset read. */
  asset: string;
  /** The resolution level read (0 = finest). */
  level: number;
  /** That level's spacing along the source's x, y, z, in mm (before any resampling). */
  levelSpacing?: [number, number, number];
  /** When the subject was acquired, from the asset's name (`YYYY-MM-DDTHH:MM:SS`, the lab's local time). */
  acquiredAt?: string;
  /** When the asset was stitched, from its name: AIND's stitching version. */
  stitchedAt?: string;
  /** Every channel the subject had (from its `spimfetch info --json`), when known. */
  subjectChannels?: string[];
  /** AIND's registration of the subject to the Allen CCF, when known and present. */
  registration?: { channel: string; version: string };
  /** Output size along its x, y, z, in voxels. */
  size: [number, number, number];
  /** Output spacing along its x, y, z, in mm. */
  spacing: [number, number, number];
  /** The output's orientation, nibabel letters (where each index axis points). */
  orientation: string;
  /** The acquisition's orientation as trusted, nibabel letters. */
  sourceOrientation: string;
  /** The voxel type. */
  dtype: string;
  /** AIND caveats found for the acquisition. */
  caveats: CohortCaveat[];
  /** The output file's size in bytes. */
  bytes: number;
  /** The smallest and largest voxel values. */
  range: [number, number];
  /** Three maximum-intensity projections, when asked for. */
  thumbnail?: Thumbnail;
}

/** The CSV columns, in order. */
export const COHORT_CSV_COLUMNS: readonly string[] = [
  "subject",
  "channel",
  "output",
  "level",
  "size_xyz",
  "spacing_mm_xyz",
  "orientation",
  "source_orientation",
  "dtype",
  "caveats",
  "bytes",
  "min",
  "max",
  "asset",
  "file",
  "acquired",
  "stitched",
  "level_spacing_mm_xyz",
  "registration",
  "subject_channels",
];

function caveatText(caveats: readonly CohortCaveat[]): string {
  return caveats.map((c) => `${c.id}${c.corrected ? " (corrected)" : ""}`).join("; ");
}

function spacingText(spacing: readonly number[]): string {
  return spacing.map((s) => String(Number(s.toPrecision(6)))).join("x");
}

function registrationText(row: CohortRow): string {
  return row.registration ? `${row.registration.channel} capsule ${row.registration.version}` : "";
}

function cells(row: CohortRow): string[] {
  return [
    row.subject,
    row.channel,
    row.kind,
    String(row.level),
    row.size.join("x"),
    row.spacing.map((s) => String(Number(s.toPrecision(6)))).join("x"),
    row.orientation,
    row.sourceOrientation,
    row.dtype,
    caveatText(row.caveats),
    String(row.bytes),
    String(row.range[0]),
    String(row.range[1]),
    row.asset,
    row.path,
    row.acquiredAt ?? "",
    row.stitchedAt ?? "",
    row.levelSpacing ? spacingText(row.levelSpacing) : "",
    registrationText(row),
    (row.subjectChannels ?? []).join(" "),
  ];
}

function csvCell(value: string): string {
  // RFC 4180: quote a field holding a comma, quote or line break; double the quotes inside.
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * The rows as CSV (RFC 4180, a header line, `\n` line ends): sizes and
 * spacings as `x`-joined triples along the output's x, y, z, caveats joined
 * by `; `.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { formatCohortCsv } from "@spimfetch/spimfetch/cohort";
 * const csv = formatCohortCsv([{
 *   path: "r/1/1_C_a.nii.gz", sidecar: "r/1/1_C_a.json", format: "nifti", kind: "C_a", subject: "1", channel: "C",
 *   asset: "SmartSPIM_1_x", level: 3, size: [2, 3, 4], spacing: [0.025, 0.025, 0.025], orientation: "PIR",
 *   sourceOrientation: "RAI", dtype: "uint16", caveats: [{ id: "a,b", corrected: true }], bytes: 10, range: [0, 9],
 * }]);
 * assertEquals(csv.split("\n")[1], '1,C,C_a,3,2x3x4,0.025x0.025x0.025,PIR,RAI,uint16,"a,b (corrected)",10,0,9,SmartSPIM_1_x,r/1/1_C_a.nii.gz,,,,,');
 * ```
 * @param rows The rows.
 * @returns The CSV text.
 */
export function formatCohortCsv(rows: readonly CohortRow[]): string {
  const lines = [COHORT_CSV_COLUMNS.join(",")];
  for (const row of rows) lines.push(cells(row).map(csvCell).join(","));
  return `${lines.join("\n")}\n`;
}

/** Options for {@linkcode formatCohortHtml}. */
export interface FormatCohortHtmlOptions {
  /** The page's title. @default {"spimfetch cohort summary"} */
  title?: string;
  /** Links to an interactive view of each output: the output's path → the view page's URL (relative). */
  viewLinks?: Readonly<Record<string, string>>;
}

/** The keys of {@linkcode FormatCohortHtmlOptions}, checked at run time. */
const FORMAT_COHORT_HTML_OPTION_KEYS: OptionKeys<FormatCohortHtmlOptions> = {
  title: true,
  viewLinks: true,
};

/**
 * The rows as one self-contained HTML page: a table with each output's
 * thumbnail embedded as a PNG data URI. Rows whose output orientation or
 * size differs from most rows of the same kind (the same channel and output
 * in other subjects) are marked, as are uncorrected caveats: those are the
 * ones to look at first.
 *
 * @example
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { formatCohortHtml } from "@spimfetch/spimfetch/cohort";
 * const html = formatCohortHtml([], { title: "<cohort>" });
 * assertStringIncludes(html, "<title>&lt;cohort&gt;</title>");
 * ```
 * @param rows The rows.
 * @param options The title.
 * @returns The page.
 */
export function formatCohortHtml(rows: readonly CohortRow[], options: FormatCohortHtmlOptions = {}): string {
  options = checkOptions(options, FORMAT_COHORT_HTML_OPTION_KEYS, "formatCohortHtml()");
  const title = options.title ?? "spimfetch cohort summary";
  const usual = new Map<string, { orientation: string; size: string }>();
  for (const kind of new Set(rows.map((r) => r.kind))) {
    const of = rows.filter((r) => r.kind === kind);
    usual.set(kind, {
      orientation: mostCommon(of.map((r) => r.orientation)),
      size: mostCommon(of.map((r) => r.size.join("x"))),
    });
  }
  const body = rows.map((row) => {
    const expected = usual.get(row.kind)!;
    const notes: string[] = [];
    if (row.orientation !== expected.orientation) {
      notes.push(`orientation differs (most: ${expected.orientation})`);
    }
    if (row.size.join("x") !== expected.size) notes.push(`size differs (most: ${expected.size})`);
    const image = row.thumbnail
      ? `<img alt="maximum-intensity projections of ${escapeHtml(row.subject)} ${escapeHtml(row.channel)}" ` +
        `width="${row.thumbnail.width}" height="${row.thumbnail.height}" ` +
        `src="data:image/png;base64,${Buffer.from(row.thumbnail.png).toString("base64")}">`
      : "";
    const href = options.viewLinks?.[row.path];
    const shown = href === undefined
      ? image
      : `<a href="${escapeHtml(href)}" title="open the interactive view">${image || "view"}</a><br><a href="${
        escapeHtml(href)
      }">view</a>`;
    const caveats = row.caveats.map((c) =>
      `<span class="${c.corrected ? "fixed" : "caveat"}">${escapeHtml(c.id)}${
        c.corrected ? " (corrected)" : ""
      }</span>`
    ).join("<br>");
    return `<tr${notes.length ? ' class="odd"' : ""}>
<td>${shown}</td>
<td><b>${escapeHtml(row.subject)}</b><br>${escapeHtml(row.kind)}<br><small>${
      escapeHtml(row.asset)
    }</small></td>
<td>${row.level}${
      row.levelSpacing ? `<br><small>${escapeHtml(spacingText(row.levelSpacing))} mm</small>` : ""
    }</td>
<td><small>acquired ${escapeHtml(row.acquiredAt ?? "?")}<br>stitched ${escapeHtml(row.stitchedAt ?? "?")}${
      row.registration ? `<br>registered ${escapeHtml(registrationText(row))}` : ""
    }${row.subjectChannels ? `<br>channels ${escapeHtml(row.subjectChannels.join(", "))}` : ""}</small></td>
<td>${row.size.join(" × ")}</td>
<td>${row.spacing.map((s) => String(Number(s.toPrecision(6)))).join(" × ")}</td>
<td>${escapeHtml(row.orientation)}<br><small>from ${escapeHtml(row.sourceOrientation)}</small></td>
<td>${caveats}${notes.length ? `<br><span class="caveat">${escapeHtml(notes.join("; "))}</span>` : ""}</td>
<td>${formatBytes(row.bytes)}<br><small>${escapeHtml(row.dtype)} ${row.range[0]}–${row.range[1]}</small></td>
<td><small>${escapeHtml(row.path)}</small></td>
</tr>`;
  }).join("\n");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 1.5em; }
table { border-collapse: collapse; }
th, td { border-bottom: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
img { background: #222; image-rendering: pixelated; }
tr.odd { background: #fff3d6; }
.caveat { color: #a40000; }
.fixed { color: #555; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>${rows.length} outputs. Each picture shows maximum-intensity projections along the output's index axes:
along z at the top left, along x to its right, along y below (same millimetres per pixel). Highlighted rows
differ in orientation or size from most rows of the same output in other subjects.</p>
<table>
<thead><tr><th>projections</th><th>subject / output</th><th>level</th><th>subject</th><th>size (x × y × z)</th>
<th>spacing (mm)</th><th>orientation</th><th>caveats</th><th>file size</th><th>file</th></tr></thead>
<tbody>
${body}
</tbody>
</table>
</body>
</html>
`;
}

function mostCommon(values: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? "";
}
