/**
 * The cohort in the Allen CCF as one table: every brain resampled into the
 * CCF (`spimfetch ccf` outputs, all on one grid), their mean image, and per
 * brain its normalized cross-correlation (NCC) with the mean of the others
 * and, when given, with the CCF template. A badly registered brain correlates
 * poorly with both and is flagged.
 *
 * Memory: the running sum (float64) and the template (float32) on the grid;
 * each brain streams past twice (once for the sum, once for its NCCs).
 *
 * @module
 */
import { MetadataError, OutputExistsError } from "../core/errors.ts";
import type { ImageGeometry, Volume } from "../core/volume.ts";
import { sidecarPath } from "../registration/write_prepared.ts";
import { parseAssetName } from "../list/assets.ts";
import { pathExists, withAtomicFile } from "../write/atomic_file.ts";
import { writeNifti } from "../write/nifti.ts";
import { streamVoxels } from "./voxel_stream.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** One brain in CCF, as the CCF table shows it. */
export interface CcfCohortRow {
  /** The image file, as given. */
  path: string;
  /** Subject id. */
  subject: string;
  /** Channel resampled. */
  channel: string;
  /** The stitched asset. */
  asset: string;
  /** AIND's registration capsule version the transforms came from. */
  capsuleVersion: string;
  /** NCC with the mean of the other brains (−1 to 1); `undefined` for a cohort of one. */
  nccToOthers: number | undefined;
  /** NCC with the template, when one was given. */
  nccToTemplate: number | undefined;
  /** Whether this brain stands out (see {@linkcode summarizeCcfCohort}). */
  flagged: boolean;
}

/** The cohort in CCF. */
export interface CcfCohort {
  /** One row per brain, in the order given. */
  rows: CcfCohortRow[];
  /** The mean of the brains, voxel by voxel (float32, C order z, y, x as in the files). */
  mean: Volume<Float32Array>;
  /** The grid's geometry (LPS, from the sidecars). */
  geometry: ImageGeometry;
}

/** Options for {@linkcode summarizeCcfCohort}. */
export interface SummarizeCcfCohortOptions {
  /** A template image on the same grid (e.g. the CCF average template at 25 µm), to correlate each brain with. */
  template?: string;
  /**
   * A brain is flagged when its NCC with the others (or with the template)
   * is below the cohort's median by more than this. @default {0.2}
   */
  flagBelowMedian?: number;
  /** Cancels the reads. */
  signal?: AbortSignal;
}

type Json = Record<string, unknown>;

function get(document: Json, path: string, source: string): unknown {
  let value: unknown = document;
  for (const key of path.split(".")) {
    if (typeof value !== "object" || value === null || !(key in value)) {
      throw new MetadataError(`CCF sidecar has no "${path}": expected the sidecar of \`spimfetch ccf\``, {
        source,
      });
    }
    value = (value as Json)[key];
  }
  return value;
}

async function readCcfSidecar(
  image: string,
): Promise<
  {
    row: Omit<CcfCohortRow, "nccToOthers" | "nccToTemplate" | "flagged">;
    size: number[];
    geometry: ImageGeometry;
  }
> {
  const source = sidecarPath(image);
  let document: Json;
  try {
    document = JSON.parse(await Deno.readTextFile(source));
  } catch (cause) {
    throw new MetadataError(`Cannot read the CCF sidecar of ${image}: ${(cause as Error).message}`, {
      source,
      cause,
    });
  }
  const size = get(document, "output.size", source) as number[];
  return {
    row: {
      path: image,
      subject: parseAssetName(String(get(document, "source.asset", source)))?.subjectId ?? "",
      channel: String(get(document, "source.channel", source)),
      asset: String(get(document, "source.asset", source)),
      capsuleVersion: String(get(document, "registration.capsuleVersion", source)),
    },
    size,
    geometry: {
      spacing: get(document, "output.spacing", source) as ImageGeometry["spacing"],
      origin: get(document, "output.origin", source) as ImageGeometry["origin"],
      direction: get(document, "output.direction", source) as ImageGeometry["direction"],
    },
  };
}

/** Streams a file's voxels, checking its shape (z, y, x) against the grid's. */
async function* voxelsOf(
  path: string,
  shape: readonly number[],
  signal?: AbortSignal,
): AsyncGenerator<ArrayLike<number>> {
  const stream = await streamVoxels(path, { signal });
  if (stream.header.shape.some((n, i) => n !== shape[i])) {
    await stream.cancel();
    throw new MetadataError(
      `${path} holds ${[...stream.header.shape].reverse().join(" × ")} voxels, expected the cohort's grid ` +
        `${[...shape].reverse().join(" × ")} (x × y × z): every brain must be on one CCF grid`,
      { source: path },
    );
  }
  yield* stream.runs;
}

/** Running sums for a normalized cross-correlation. */
class Correlation {
  n = 0;
  a = 0;
  b = 0;
  aa = 0;
  bb = 0;
  ab = 0;
  add(x: number, y: number): void {
    this.n++;
    this.a += x;
    this.b += y;
    this.aa += x * x;
    this.bb += y * y;
    this.ab += x * y;
  }
  value(): number {
    const cov = this.ab - (this.a * this.b) / this.n;
    const va = this.aa - (this.a * this.a) / this.n, vb = this.bb - (this.b * this.b) / this.n;
    return va > 0 && vb > 0 ? cov / Math.sqrt(va * vb) : 0;
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The keys of {@linkcode SummarizeCcfCohortOptions}, checked at run time. */
const SUMMARIZE_CCF_COHORT_OPTION_KEYS: OptionKeys<SummarizeCcfCohortOptions> = {
  template: true,
  flagBelowMedian: true,
  signal: true,
};

/**
 * Reads brains in CCF (each with its `spimfetch ccf` sidecar), averages them
 * and correlates each with the mean of the others (leave-one-out, so that a
 * brain does not correlate with itself) and with a template. A brain whose
 * NCC is more than `flagBelowMedian` below the cohort's median is flagged:
 * a flipped, shifted or failed registration.
 *
 * @example
 * ```ts ignore
 * import { summarizeCcfCohort } from "@spimfetch/spimfetch/cohort";
 * const cohort = await summarizeCcfCohort(["r/1/1_Ex_639_Em_667_ccf.nii.gz", "r/2/2_Ex_639_Em_667_ccf.nii.gz"]);
 * console.log(cohort.rows.map((r) => [r.subject, r.nccToOthers, r.flagged]));
 * ```
 * @param paths The brains in CCF (`.nii`, `.nii.gz`, `.nrrd`), each with its sidecar.
 * @param options A template, the flagging threshold, cancellation.
 * @returns The rows, the mean image and the grid's geometry.
 * @throws {TypeError} If no image is given.
 * @throws {MetadataError} If a sidecar is missing or malformed, or the images are not all on one grid.
 */
export async function summarizeCcfCohort(
  paths: readonly string[],
  options: SummarizeCcfCohortOptions = {},
): Promise<CcfCohort> {
  options = checkOptions(options, SUMMARIZE_CCF_COHORT_OPTION_KEYS, "summarizeCcfCohort()");
  if (paths.length === 0) throw new TypeError("Cannot summarize a cohort in CCF: no image given");
  const described = await Promise.all(paths.map(readCcfSidecar));
  const size = described[0].size;
  for (const d of described) {
    if (d.size.some((n, i) => n !== size[i])) {
      throw new MetadataError(
        `${d.row.path} is on a ${d.size.join(" × ")} grid, ${paths[0]} on ${
          size.join(" × ")
        }: every brain must be ` +
          `on one CCF grid`,
        { source: sidecarPath(d.row.path) },
      );
    }
  }
  const shape = [size[2], size[1], size[0]] as [number, number, number];
  const count = shape[0] * shape[1] * shape[2];
  const sum = new Float64Array(count);
  for (const path of paths) {
    let at = 0;
    for await (const run of voxelsOf(path, shape, options.signal)) {
      for (let i = 0; i < run.length; i++) sum[at + i] += run[i];
      at += run.length;
    }
  }
  let template: Float32Array | undefined;
  if (options.template !== undefined) {
    template = new Float32Array(count);
    let at = 0;
    for await (const run of voxelsOf(options.template, shape, options.signal)) {
      template.set(run, at);
      at += run.length;
    }
  }
  const n = paths.length;
  const rows: CcfCohortRow[] = [];
  for (const [index, path] of paths.entries()) {
    const others = new Correlation();
    const withTemplate = new Correlation();
    let at = 0;
    for await (const run of voxelsOf(path, shape, options.signal)) {
      for (let i = 0; i < run.length; i++, at++) {
        const x = run[i];
        if (n > 1) others.add(x, (sum[at] - x) / (n - 1));
        if (template) withTemplate.add(x, template[at]);
      }
    }
    rows.push({
      ...described[index].row,
      nccToOthers: n > 1 ? others.value() : undefined,
      nccToTemplate: template ? withTemplate.value() : undefined,
      flagged: false,
    });
  }
  const threshold = options.flagBelowMedian ?? 0.2;
  for (const key of ["nccToOthers", "nccToTemplate"] as const) {
    const values = rows.map((r) => r[key]).filter((v): v is number => v !== undefined);
    // Two brains are each other's only comparison: no majority to stand out from.
    if (values.length < (key === "nccToOthers" ? 3 : 2)) continue;
    const middle = median(values);
    for (const row of rows) if (row[key] !== undefined && row[key]! < middle - threshold) row.flagged = true;
  }
  const mean = new Float32Array(count);
  for (let i = 0; i < count; i++) mean[i] = sum[i] / n;
  return { rows, mean: { data: mean, shape, dtype: "float32" }, geometry: described[0].geometry };
}

/** The CSV columns of {@linkcode formatCcfCohortCsv}, in order. */
export const CCF_COHORT_CSV_COLUMNS: readonly string[] = [
  "subject",
  "channel",
  "ncc_to_others",
  "ncc_to_template",
  "flagged",
  "capsule_version",
  "asset",
  "file",
];

/**
 * The CCF table as CSV (a header line, `\n` line ends; NCCs to 4 decimals,
 * empty when not computed).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { formatCcfCohortCsv } from "@spimfetch/spimfetch/cohort";
 * const csv = formatCcfCohortCsv([{ path: "r/1_ccf.nii.gz", subject: "1", channel: "C", asset: "A",
 *   capsuleVersion: "0.0.25", nccToOthers: 0.91234, nccToTemplate: undefined, flagged: false }]);
 * assertEquals(csv.split("\n")[1], "1,C,0.9123,,no,0.0.25,A,r/1_ccf.nii.gz");
 * ```
 * @param rows The rows.
 * @returns The CSV text.
 */
export function formatCcfCohortCsv(rows: readonly CcfCohortRow[]): string {
  const number = (v: number | undefined): string => v === undefined ? "" : v.toFixed(4);
  const lines = [CCF_COHORT_CSV_COLUMNS.join(",")];
  for (const r of rows) {
    lines.push(
      [
        r.subject,
        r.channel,
        number(r.nccToOthers),
        number(r.nccToTemplate),
        r.flagged ? "yes" : "no",
        r.capsuleVersion,
        r.asset,
        r.path,
      ]
        .map((v) => /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v).join(","),
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Options for {@linkcode writeCcfCohort}. */
export interface WriteCcfCohortOptions {
  /** Where the CSV goes. */
  csv: string;
  /** Where the mean image goes (`.nii` or `.nii.gz`), if wanted. */
  mean?: string;
  /** Replace existing files, once the new ones are complete. @default {false} */
  force?: boolean;
  /** Cancels the writes. */
  signal?: AbortSignal;
}

/** The keys of {@linkcode WriteCcfCohortOptions}, checked at run time. */
const WRITE_CCF_COHORT_OPTION_KEYS: OptionKeys<WriteCcfCohortOptions> = {
  csv: true,
  mean: true,
  force: true,
  signal: true,
};

/**
 * Writes the CCF table's CSV and the mean image (float32 NIfTI on the CCF
 * grid), each appearing only when complete.
 *
 * @example
 * ```ts ignore
 * import { summarizeCcfCohort, writeCcfCohort } from "@spimfetch/spimfetch/cohort";
 * const cohort = await summarizeCcfCohort(["r/1/1_C_ccf.nii.gz", "r/2/2_C_ccf.nii.gz", "r/3/3_C_ccf.nii.gz"]);
 * await writeCcfCohort(cohort, { csv: "r/ccf_summary.csv", mean: "r/ccf_mean.nii.gz" });
 * ```
 * @param cohort From {@linkcode summarizeCcfCohort}.
 * @param options Paths and overwriting.
 * @returns The paths written.
 * @throws {OutputExistsError} If a file exists and `force` is not set (checked before writing either).
 */
export async function writeCcfCohort(cohort: CcfCohort, options: WriteCcfCohortOptions): Promise<string[]> {
  options = checkOptions(options, WRITE_CCF_COHORT_OPTION_KEYS, "writeCcfCohort()");
  const paths = [options.csv, ...(options.mean === undefined ? [] : [options.mean])];
  if (!options.force) {
    for (const path of paths) if (await pathExists(path)) throw new OutputExistsError(path);
  }
  const bytes = new TextEncoder().encode(formatCcfCohortCsv(cohort.rows));
  await withAtomicFile(options.csv, async (file) => {
    for (let offset = 0; offset < bytes.length;) offset += await file.write(bytes.subarray(offset));
  }, options);
  if (options.mean !== undefined) {
    await writeNifti(options.mean, cohort.mean, {
      geometry: cohort.geometry,
      force: options.force,
      description: `spimfetch mean of ${cohort.rows.length} brains in CCF`,
    });
  }
  return paths;
}
