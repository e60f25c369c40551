/**
 * A cohort summary: one row per output (subject, channel, level, size,
 * spacing, orientation, caveats, file size) read from each output's sidecar
 * JSON and its header, with a maximum-intensity thumbnail per output, as CSV
 * and as a small self-contained HTML page, so that a person can look over
 * hundreds of brains for a flipped or failed one.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { basename } from "node:path";
import { pathExists, withAtomicFile } from "../write/atomic_file.ts";
import { MetadataError, OutputExistsError } from "../core/errors.ts";
import { sidecarPath } from "../registration/write_prepared.ts";
import {
  projectFile,
  type ProjectionAccumulatorOptions,
  renderThumbnail,
  type RenderThumbnailOptions,
  type Thumbnail,
} from "./streaming_projections.ts";

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
  /** `nifti` or `nrrd`. */
  format: "nifti" | "nrrd";
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

/** Options for {@linkcode summarizeOutput}. */
export interface SummarizeOutputOptions extends ProjectionAccumulatorOptions {
  /** Draw a thumbnail (and how), or not (`false`: the file is still read for its value range). @default {{}} */
  thumbnail?: RenderThumbnailOptions | false;
  /** Cancels the read. */
  signal?: AbortSignal;
}

type Json = Record<string, unknown>;

function field(document: Json, path: string, source: string): unknown {
  let value: unknown = document;
  for (const key of path.split(".")) {
    if (typeof value !== "object" || value === null || !(key in value)) {
      throw new MetadataError(`Sidecar has no "${path}": expected a spimfetch sidecar`, { source });
    }
    value = (value as Json)[key];
  }
  return value;
}

function text(document: Json, path: string, source: string): string {
  const value = field(document, path, source);
  if (typeof value !== "string") {
    throw new MetadataError(`Sidecar "${path}" is ${JSON.stringify(value)}, expected a string`, { source });
  }
  return value;
}

function triple(document: Json, path: string, source: string): [number, number, number] {
  const value = field(document, path, source);
  if (!Array.isArray(value) || value.length !== 3 || !value.every((v) => typeof v === "number")) {
    throw new MetadataError(`Sidecar "${path}" is ${JSON.stringify(value)}, expected 3 numbers`, { source });
  }
  return value as [number, number, number];
}

async function readSidecar(path: string, image: string): Promise<Json> {
  let content: string;
  try {
    content = await Deno.readTextFile(path);
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) {
      throw new MetadataError(
        `Cannot summarize ${image}: its sidecar is missing (spimfetch writes one for --orientation, --spacing, ` +
          `--aind-orientation-fix and .nrrd outputs)`,
        { source: path, cause },
      );
    }
    throw cause;
  }
  try {
    const parsed = JSON.parse(content);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new TypeError("not an object");
    }
    return parsed;
  } catch (cause) {
    throw new MetadataError(`Sidecar is not a JSON object: ${(cause as Error).message}`, {
      source: path,
      cause,
    });
  }
}

/**
 * Summarizes one output: its sidecar's provenance and geometry, checked
 * against the file's own header, and its maximum-intensity projections,
 * computed while the file streams past (memory: three planes of at most
 * `maxSide` bins per side, whatever the volume's size).
 *
 * @example
 * ```ts ignore
 * import { summarizeOutput } from "./summary.ts";
 * const row = await summarizeOutput("results/652506/652506_Ex_561_Em_593_ccf25.nii.gz");
 * console.log(row.subject, row.level, row.size, row.orientation); // 652506 3 [...] PIR
 * ```
 * @param path A `.nii`, `.nii.gz` or `.nrrd` output with its sidecar `<stem>.json` beside it.
 * @param options Thumbnail, plane size limit, cancellation.
 * @returns The row.
 * @throws {MetadataError} If the sidecar is missing, malformed, or disagrees with the file's header.
 * @throws {SyntaxError} If the file cannot be read as a 3-D volume.
 * @throws {TypeError} For an extension other than `.nii`, `.nii.gz` or `.nrrd`.
 */
export async function summarizeOutput(
  path: string,
  options: SummarizeOutputOptions = {},
): Promise<CohortRow> {
  const sidecar = sidecarPath(path);
  const document = await readSidecar(sidecar, path);
  const size = triple(document, "output.size", sidecar);
  const spacing = triple(document, "output.spacing", sidecar);
  const dtype = text(document, "output.dtype", sidecar);
  const levelIndex = field(document, "source.level.index", sidecar);
  if (!Number.isInteger(levelIndex)) {
    throw new MetadataError(
      `Sidecar "source.level.index" is ${JSON.stringify(levelIndex)}, expected an integer`,
      {
        source: sidecar,
      },
    );
  }
  const caveatsValue = field(document, "acquisition.caveats", sidecar);
  if (!Array.isArray(caveatsValue)) {
    throw new MetadataError(`Sidecar "acquisition.caveats" is not a list`, { source: sidecar });
  }
  const caveats = caveatsValue.map((c: Json) => ({ id: String(c?.id), corrected: c?.corrected === true }));
  // Every sidecar field is read before the volume, which may take a while to stream.
  const subject = text(document, "source.subject", sidecar);
  const described = {
    channel: text(document, "source.channel", sidecar),
    asset: text(document, "source.asset", sidecar),
    orientation: text(document, "orientation.output.nibabel", sidecar),
    sourceOrientation: text(document, "orientation.source.nibabel", sidecar),
  };
  const projected = await projectFile(path, options);
  const [nz, ny, nx] = projected.header.shape;
  if (nx !== size[0] || ny !== size[1] || nz !== size[2] || projected.header.dtype !== dtype) {
    throw new MetadataError(
      `${path} holds ${nx} × ${ny} × ${nz} ${projected.header.dtype} voxels but its sidecar says ` +
        `${size.join(" × ")} ${dtype}: the sidecar belongs to another export`,
      { source: sidecar },
    );
  }
  const [bz, by, bx] = projected.bins;
  const thumbnail = options.thumbnail === false ? undefined : renderThumbnail(
    projected.projections,
    [spacing[0] * bx, spacing[1] * by, spacing[2] * bz],
    options.thumbnail,
  );
  const stem = basename(sidecar, ".json");
  return {
    path,
    sidecar,
    format: projected.header.format,
    kind: stem.startsWith(`${subject}_`) ? stem.slice(subject.length + 1) : stem,
    subject,
    channel: described.channel,
    asset: described.asset,
    level: levelIndex as number,
    size,
    spacing,
    orientation: described.orientation,
    sourceOrientation: described.sourceOrientation,
    dtype,
    caveats,
    bytes: (await Deno.stat(path)).size,
    range: projected.range,
    ...(thumbnail ? { thumbnail } : {}),
  };
}

/** Options for {@linkcode summarizeCohort}. */
export interface SummarizeCohortOptions extends SummarizeOutputOptions {
  /** Called after each output is read, e.g. for progress. */
  onRow?: (row: CohortRow, index: number, total: number) => void;
}

/**
 * Summarizes outputs one after the other (one volume streams at a time, so
 * memory does not grow with the cohort beyond the thumbnails).
 *
 * @example
 * ```ts ignore
 * import { summarizeCohort, formatCohortCsv } from "./summary.ts";
 * const rows = await summarizeCohort(["a/a_Ex_561_Em_593_ccf25.nii.gz", "b/b_Ex_561_Em_593_ccf25.nii.gz"]);
 * console.log(formatCohortCsv(rows));
 * ```
 * @param paths Output files, each with its sidecar.
 * @param options As {@linkcode summarizeOutput}, plus a callback per row.
 * @returns One row per output, in the order given.
 * @throws {TypeError} If no output is given.
 * @throws {MetadataError} See {@linkcode summarizeOutput}.
 */
export async function summarizeCohort(
  paths: readonly string[],
  options: SummarizeCohortOptions = {},
): Promise<CohortRow[]> {
  if (paths.length === 0) throw new TypeError("Cannot summarize a cohort: no output given");
  const rows: CohortRow[] = [];
  for (const [index, path] of paths.entries()) {
    options.signal?.throwIfAborted();
    const row = await summarizeOutput(path, options);
    rows.push(row);
    options.onRow?.(row, index, paths.length);
  }
  return rows;
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
];

function caveatText(caveats: readonly CohortCaveat[]): string {
  return caveats.map((c) => `${c.id}${c.corrected ? " (corrected)" : ""}`).join("; ");
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
 * import { formatCohortCsv } from "./summary.ts";
 * const csv = formatCohortCsv([{
 *   path: "r/1/1_C_a.nii.gz", sidecar: "r/1/1_C_a.json", format: "nifti", kind: "C_a", subject: "1", channel: "C",
 *   asset: "SmartSPIM_1_x", level: 3, size: [2, 3, 4], spacing: [0.025, 0.025, 0.025], orientation: "PIR",
 *   sourceOrientation: "RAI", dtype: "uint16", caveats: [{ id: "a,b", corrected: true }], bytes: 10, range: [0, 9],
 * }]);
 * assertEquals(csv.split("\n")[1], '1,C,C_a,3,2x3x4,0.025x0.025x0.025,PIR,RAI,uint16,"a,b (corrected)",10,0,9,SmartSPIM_1_x,r/1/1_C_a.nii.gz');
 * ```
 * @param rows The rows.
 * @returns The CSV text.
 */
export function formatCohortCsv(rows: readonly CohortRow[]): string {
  const lines = [COHORT_CSV_COLUMNS.join(",")];
  for (const row of rows) lines.push(cells(row).map(csvCell).join(","));
  return `${lines.join("\n")}\n`;
}

function escapeHtml(value: string): string {
  return value.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll(
    '"',
    "&quot;",
  );
}

function humanBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes, unit = 0;
  while (value >= 1024 && unit < units.length - 1) value /= 1024, unit++;
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** Options for {@linkcode formatCohortHtml}. */
export interface FormatCohortHtmlOptions {
  /** The page's title. @default {"spimfetch cohort summary"} */
  title?: string;
}

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
 * import { formatCohortHtml } from "./summary.ts";
 * const html = formatCohortHtml([], { title: "<cohort>" });
 * assertStringIncludes(html, "<title>&lt;cohort&gt;</title>");
 * ```
 * @param rows The rows.
 * @param options The title.
 * @returns The page.
 */
export function formatCohortHtml(rows: readonly CohortRow[], options: FormatCohortHtmlOptions = {}): string {
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
    const caveats = row.caveats.map((c) =>
      `<span class="${c.corrected ? "fixed" : "caveat"}">${escapeHtml(c.id)}${
        c.corrected ? " (corrected)" : ""
      }</span>`
    ).join("<br>");
    return `<tr${notes.length ? ' class="odd"' : ""}>
<td>${image}</td>
<td><b>${escapeHtml(row.subject)}</b><br>${escapeHtml(row.kind)}<br><small>${
      escapeHtml(row.asset)
    }</small></td>
<td>${row.level}</td>
<td>${row.size.join(" × ")}</td>
<td>${row.spacing.map((s) => String(Number(s.toPrecision(6)))).join(" × ")}</td>
<td>${escapeHtml(row.orientation)}<br><small>from ${escapeHtml(row.sourceOrientation)}</small></td>
<td>${caveats}${notes.length ? `<br><span class="caveat">${escapeHtml(notes.join("; "))}</span>` : ""}</td>
<td>${humanBytes(row.bytes)}<br><small>${escapeHtml(row.dtype)} ${row.range[0]}–${row.range[1]}</small></td>
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
<thead><tr><th>projections</th><th>subject / output</th><th>level</th><th>size (x × y × z)</th>
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

/** Options for {@linkcode writeCohortSummary}. */
export interface WriteCohortSummaryOptions extends FormatCohortHtmlOptions {
  /** Where the CSV goes. */
  csv: string;
  /** Where the HTML page goes, if wanted. */
  html?: string;
  /** Replace existing files, once the new ones are complete. @default {false} */
  force?: boolean;
  /** Cancels the writes. */
  signal?: AbortSignal;
}

/**
 * Writes the CSV (and the HTML page), each appearing only when complete.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { writeCohortSummary } from "./summary.ts";
 * const dir = await Deno.makeTempDir();
 * const written = await writeCohortSummary([], { csv: `${dir}/s.csv`, html: `${dir}/s.html` });
 * assertEquals(written, [`${dir}/s.csv`, `${dir}/s.html`]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @param rows The rows.
 * @param options Paths, overwriting, title.
 * @returns The paths written.
 * @throws {OutputExistsError} If a file exists and `force` is not set (checked before writing either).
 */
export async function writeCohortSummary(
  rows: readonly CohortRow[],
  options: WriteCohortSummaryOptions,
): Promise<string[]> {
  const files: [string, string][] = [[options.csv, formatCohortCsv(rows)]];
  if (options.html !== undefined) files.push([options.html, formatCohortHtml(rows, options)]);
  if (!options.force) {
    for (const [path] of files) if (await pathExists(path)) throw new OutputExistsError(path);
  }
  for (const [path, content] of files) {
    const bytes = new TextEncoder().encode(content);
    await withAtomicFile(path, async (file) => {
      for (let offset = 0; offset < bytes.length;) offset += await file.write(bytes.subarray(offset));
    }, options);
  }
  return files.map(([path]) => path);
}
