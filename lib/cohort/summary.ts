/**
 * A cohort summary: one row per output (subject, channel, level, size,
 * spacing, orientation, caveats, file size) read from each output's sidecar
 * JSON and its header, with a maximum-intensity thumbnail per output, as CSV
 * and as a small self-contained HTML page, so that a person can look over
 * hundreds of brains for a flipped or failed one.
 *
 * @module
 */
import { basename } from "node:path";
import { pathExists, withAtomicFile } from "../write/atomic_file.ts";
import { MetadataError, OutputExistsError } from "../core/errors.ts";
import { sidecarOf } from "../export/formats.ts";
import { parseAssetName } from "../list/assets.ts";
import type { SubjectInfo } from "./subject_info.ts";
import { writeViewerPage } from "../view/view.ts";
import { type CohortRow, formatCohortCsv, formatCohortHtml, type FormatCohortHtmlOptions } from "./tables.ts";
import {
  projectFile,
  type ProjectionAccumulatorOptions,
  renderThumbnail,
  type RenderThumbnailOptions,
} from "./streaming_projections.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

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
        `Cannot summarize ${image}: its sidecar is missing (spimfetch fetch writes one beside every output)`,
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

/** The keys of {@linkcode SummarizeOutputOptions}, checked at run time. */
const SUMMARIZE_OUTPUT_OPTION_KEYS: OptionKeys<SummarizeOutputOptions> = {
  maxSide: true,
  thumbnail: true,
  signal: true,
};

/**
 * Summarizes one output: its sidecar's provenance and geometry, checked
 * against the file's own header, and its maximum-intensity projections,
 * computed while the file streams past (memory: three planes of at most
 * `maxSide` bins per side, whatever the volume's size).
 *
 * @example
 * ```ts ignore
 * import { summarizeOutput } from "@spimfetch/spimfetch/cohort";
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
  options = checkOptions(options, SUMMARIZE_OUTPUT_OPTION_KEYS, "summarizeOutput()");
  const sidecar = sidecarOf(path);
  const document = await readSidecar(sidecar, path);
  const size = triple(document, "output.size", sidecar);
  const spacing = triple(document, "output.spacing", sidecar);
  const dtype = text(document, "output.dtype", sidecar);
  // An export's sidecar has the level as an object; a `ccf` output's as its index.
  const level = field(document, "source.level", sidecar);
  const levelIndex = typeof level === "number" ? level : field(document, "source.level.index", sidecar);
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
  // Sidecars written before the level's spacing was recorded still summarize, without that column.
  const levelSpacing = typeof level === "object" && level !== null && "spacing" in level
    ? triple(document, "source.level.spacing", sidecar)
    : undefined;
  const parsedAsset = parseAssetName(described.asset);
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
    ...(levelSpacing ? { levelSpacing } : {}),
    ...(parsedAsset ? { acquiredAt: parsedAsset.acquiredAt, stitchedAt: parsedAsset.processedAt } : {}),
    size,
    spacing,
    orientation: described.orientation,
    sourceOrientation: described.sourceOrientation,
    dtype,
    caveats,
    bytes: await sizeOnDisk(path),
    range: projected.range,
    ...(thumbnail ? { thumbnail } : {}),
  };
}

/** Options for {@linkcode summarizeCohort}. */
export interface SummarizeCohortOptions extends SummarizeOutputOptions {
  /**
   * What each subject had ({@linkcode readSubjectInfo}): its channels and
   * registration go into its rows. @default {[]}
   */
  subjects?: readonly SubjectInfo[];
  /** Called after each output is read, e.g. for progress. */
  onRow?: (row: CohortRow, index: number, total: number) => void;
}

/** The keys of {@linkcode SummarizeCohortOptions}, checked at run time. */
const SUMMARIZE_COHORT_OPTION_KEYS: OptionKeys<SummarizeCohortOptions> = {
  maxSide: true,
  thumbnail: true,
  signal: true,
  subjects: true,
  onRow: true,
};

/**
 * Summarizes outputs one after the other (one volume streams at a time, so
 * memory does not grow with the cohort beyond the thumbnails).
 *
 * @example
 * ```ts ignore
 * import { summarizeCohort, formatCohortCsv } from "@spimfetch/spimfetch/cohort";
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
  options = checkOptions(options, SUMMARIZE_COHORT_OPTION_KEYS, "summarizeCohort()");
  if (paths.length === 0) throw new TypeError("Cannot summarize a cohort: no output given");
  const subjects = new Map((options.subjects ?? []).map((s) => [s.subject, s]));
  const rows: CohortRow[] = [];
  for (const [index, path] of paths.entries()) {
    options.signal?.throwIfAborted();
    const row = await summarizeOutput(path, options);
    const info = subjects.get(row.subject);
    if (info) {
      row.subjectChannels = info.channels;
      if (info.registration) row.registration = info.registration;
    }
    rows.push(row);
    options.onRow?.(row, index, paths.length);
  }
  return rows;
}

/** Options for {@linkcode writeCohortSummary}. */
export interface WriteCohortSummaryOptions extends FormatCohortHtmlOptions {
  /** Where the CSV goes. */
  csv: string;
  /** Where the HTML page goes, if wanted. */
  html?: string;
  /** Replace existing files, once the new ones are complete. @default {false} */
  force?: boolean;
  /**
   * Also write an interactive view (a self-contained viewer page) of each output into `<html stem>_views/`,
   * linked from its thumbnail; the number is each view's budget of voxel bytes. Needs `html`. @default {false}
   */
  views?: boolean | { budgetBytes: number };
  /** Cancels the writes. */
  signal?: AbortSignal;
}

/** The keys of {@linkcode WriteCohortSummaryOptions}, checked at run time. */
const WRITE_COHORT_SUMMARY_OPTION_KEYS: OptionKeys<WriteCohortSummaryOptions> = {
  title: true,
  viewLinks: true,
  csv: true,
  html: true,
  force: true,
  views: true,
  signal: true,
};

/**
 * Writes the CSV (and the HTML page, and with `views` a viewer page per output), each appearing only when
 * complete.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { writeCohortSummary } from "@spimfetch/spimfetch/cohort";
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
  options = checkOptions(options, WRITE_COHORT_SUMMARY_OPTION_KEYS, "writeCohortSummary()");
  if (!options.force) {
    for (const path of [options.csv, options.html]) {
      if (path !== undefined && await pathExists(path)) throw new OutputExistsError(path);
    }
  }
  const views: Record<string, string> = {};
  if (options.views && options.html !== undefined) {
    // Written first: the summary links to them only once they exist.
    const folder = `${options.html.replace(/\.html?$/i, "")}_views`;
    const budgetBytes = options.views === true ? 16 * 2 ** 20 : options.views.budgetBytes;
    await Deno.mkdir(folder, { recursive: true });
    for (const [i, row] of rows.entries()) {
      const name = `${i + 1}_${basename(row.path).replace(/\.(nii(\.gz)?|nrrd)$/i, "")}.html`;
      await writeViewerPage(`${folder}/${name}`, row.path, {
        budgetBytes,
        title: `${row.subject} ${row.kind}`,
        force: options.force,
        signal: options.signal,
      });
      views[row.path] = `${basename(folder)}/${encodeURIComponent(name)}`;
    }
  }
  const files: [string, string][] = [[options.csv, formatCohortCsv(rows)]];
  if (options.html !== undefined) {
    files.push([options.html, formatCohortHtml(rows, { ...options, viewLinks: views })]);
  }
  for (const [path, content] of files) {
    const bytes = new TextEncoder().encode(content);
    await withAtomicFile(path, async (file) => {
      for (let offset = 0; offset < bytes.length;) offset += await file.write(bytes.subarray(offset));
    }, options);
  }
  return files.map(([path]) => path);
}

/** Bytes of a file, or of every file in a store (an OME-Zarr output is a directory). */
async function sizeOnDisk(path: string): Promise<number> {
  const stat = await Deno.stat(path);
  if (!stat.isDirectory) return stat.size;
  let total = 0;
  for await (const entry of Deno.readDir(path)) total += await sizeOnDisk(`${path}/${entry.name}`);
  return total;
}
