/**
 * The export pipeline: an opened source to one output, through named steps that each stream z-slabs —
 * plan ({@linkcode planExport}, no I/O) → check outputs and disk → read the level's region → resample
 * (optional) → reorient (optional) → the output format's writer → the sidecar. Memory is bounded by the
 * slab sizes whatever the level; reorientation across z goes through a temporary file beside the output.
 *
 * @module
 */
import { dirname } from "node:path";
import type { Acquisition } from "../metadata/acquisition.ts";
import type { CaveatWarning } from "../metadata/aind_caveats.ts";
import type { ImageLevel } from "../metadata/image.ts";
import type { Asset } from "../list/assets.ts";
import type { Orientation } from "../orient/orient.ts";
import type { ProgressEvent } from "../core/progress_event.ts";
import type { ImageGeometry, VoxelType } from "../core/volume.ts";
import { OutputExistsError } from "../core/errors.ts";
import type { Channel } from "../select/select.ts";
import type { OpenedSource } from "../source/open_source.ts";
import { pathExists } from "../write/atomic_file.ts";
import { createOutputFolder } from "../write/output_folder.ts";
import type { VolumeSlabs } from "../write/nifti.ts";
import type { NrrdSpace } from "../write/nrrd.ts";
import { EXPORT_PLAN_OPTION_KEYS, type ExportPlan, type ExportPlanOptions, planExport } from "./plan.ts";
import { type OmeZarrOutputOptions, sidecarOf } from "./formats.ts";
import { type SidecarFile, writeExportSidecar } from "./sidecar.ts";
import { teeSlabs } from "./_tee_slabs.ts";
import { checkFreeSpace } from "../core/temp_space.ts";
import { exportSlabs } from "./export_slabs.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** Options for {@linkcode exportImage}: what to export (see {@linkcode ExportPlanOptions}) and how. */
export interface ExportImageOptions extends ExportPlanOptions {
  /** gzip level where the format uses gzip, 0-9. @default {1} */
  gzipLevel?: number;
  /** For `.ome.zarr` outputs: NGFF version, chunk and shard shapes, codec. */
  omeZarr?: OmeZarrOutputOptions;
  /** For `.nrrd` outputs: the patient space its vectors are written in. @default {"LPS"} */
  nrrdSpace?: NrrdSpace;
  /** Replace an existing output and sidecar, only once the new ones are complete. @default {false} */
  force?: boolean;
  /** Most bytes in one z-slab read (and of each temporary-file batch). @default {chosen per level} */
  maxSlabBytes?: number;
  /** Chunk requests in flight at once. @default {the source's} */
  concurrency?: number;
  /** Progress of the fetch and write stages. */
  onProgress?: (event: ProgressEvent) => void;
  /** Called, before any voxel is fetched, for each AIND caveat that matches and is not corrected. */
  onWarning?: (warning: CaveatWarning) => void;
  /** One line per step. */
  log?: (line: string) => void;
  /** Cancels the export; no output, sidecar or temporary file is left behind. */
  signal?: AbortSignal;
}

/** The keys of {@linkcode ExportImageOptions}, checked at run time (scripts run without type checks). */
export const EXPORT_IMAGE_OPTION_KEYS: OptionKeys<ExportImageOptions> = {
  ...EXPORT_PLAN_OPTION_KEYS,
  gzipLevel: true,
  omeZarr: true,
  nrrdSpace: true,
  force: true,
  maxSlabBytes: true,
  concurrency: true,
  onProgress: true,
  onWarning: true,
  log: true,
  signal: true,
};

/** What {@linkcode exportImage} did. */
export interface ExportImageResult {
  /** The output written. */
  path: string;
  /** Its sidecar. */
  sidecar: string;
  /** The format's name. */
  format: string;
  /** The stitched asset. */
  asset: Asset;
  /** The channel. */
  channel: Channel;
  /** The level read. */
  level: ImageLevel;
  /** The acquisition metadata as recorded. */
  acquisition: Acquisition & { uri: string };
  /** The orientation of the full level (from the axes trusted). */
  orientation: Orientation;
  /** The geometry written. */
  geometry: ImageGeometry;
  /** Output sizes along x, y, z. */
  size: [number, number, number];
  /** Voxel type written. */
  dtype: VoxelType;
  /** The plan carried out. */
  plan: ExportPlan;
  /** Output size in bytes. */
  bytes: number;
  /** The deflate that compressed a gzipped output, as the writer reports it; absent otherwise. */
  compression?: string;
  /** Compressed bytes fetched from S3 by this source so far. */
  bytesFetched: number;
  /** Requests repeated after a transient failure, since the source was opened. */
  retries: number;
  /** Wall time in ms. */
  elapsedMs: number;
}

/**
 * Exports an opened source to one output, in any format of `OUTPUT_FORMATS`, through the pipeline (see
 * the module documentation). Every option combines with every other. Outputs are refused if they exist
 * (without `force`) and the free space for temporary files is checked, both before any voxel is fetched.
 *
 * @example The level nearest 25 µm, a box in mm, in PIR, as NRRD
 * ```ts ignore
 * import { openSource } from "@spimfetch/spimfetch";
 * import { exportImage } from "@spimfetch/spimfetch/export";
 * using source = await openSource({ subject: "652506", channel: "Ex_561_Em_593" });
 * const result = await exportImage(source, { level: { resolution: 0.025 }, roiMm: { z: [2, 4] }, orientation: "PIR", out: "brain.nrrd" });
 * console.log(result.path, result.sidecar); // brain.nrrd brain.json
 * ```
 * @param source The opened source (left open).
 * @param options What to export, the output, progress and cancellation.
 * @returns What was written.
 * @throws {OutputExistsError} If the output or its sidecar exists and `force` is not set.
 * @throws {DiskSpaceError} If the temporary file would not fit.
 * @throws {RangeError} For an unknown level, a bad region, spacing or gzip level.
 * @throws {SyntaxError} For an orientation that cannot be parsed.
 * @throws {TypeError} For an output suffix no format has.
 */
export async function exportImage(
  source: OpenedSource,
  options: ExportImageOptions = {},
): Promise<ExportImageResult> {
  options = checkOptions(options, EXPORT_IMAGE_OPTION_KEYS, "exportImage()");
  const { files: _files, sidecars: _sidecars, ...result } = await exportImageToAll(source, options, []);
  return result;
}

/** What {@linkcode exportImageToAll} did: {@linkcode ExportImageResult} of the first output, and every file. */
export interface ExportImageToAllResult extends ExportImageResult {
  /** Every output written, in the order asked for. */
  files: SidecarFile[];
  /** Every sidecar written: one per distinct stem (`brain.nii.gz` and `brain.nrrd` share `brain.json`). */
  sidecars: string[];
}

/**
 * {@linkcode exportImage} to `options.out` and, from the same voxels in the same pass, to each of `more`
 * (other formats, other places): S3 is read once and the writers share the stream of slabs, so memory stays
 * bounded. Every output and sidecar is checked before any request; a failure of one writer cancels the
 * others, and none leaves a staged file behind. Outputs that share a stem share one sidecar listing them.
 * Options are not checked here (the public caller checks them under its own name).
 *
 * @example
 * ```ts ignore
 * await exportImageToAll(source, { orientation: "PIR", out: "brain.nii.gz" }, ["brain.nrrd"]);
 * ```
 * @param source The opened source (left open).
 * @param options What to export; `out` is the first output.
 * @param more Further outputs.
 * @returns What was written.
 * @throws {TypeError} For a path given twice or an unknown suffix.
 * @throws {OutputExistsError} If an output or sidecar exists and `force` is not set.
 */
export async function exportImageToAll(
  source: OpenedSource,
  options: ExportImageOptions,
  more: readonly string[],
): Promise<ExportImageToAllResult> {
  const started = performance.now();
  const retriesBefore = source.retries;
  const plan = planExport(source, options);
  const plans = [plan, ...more.map((out) => planExport(source, { ...options, out }))];
  const paths = plans.map((p) => p.output.path);
  if (new Set(paths).size !== paths.length) {
    throw new TypeError(`Cannot write the same path twice: ${paths.join(", ")}`);
  }
  for (const p of plans) await checkOutputs(p, options.force === true);
  for (const warning of plan.warnings) {
    if (!plan.corrections.includes(warning.id)) options.onWarning?.(warning);
  }
  const log = options.log ?? ((): void => {});
  logPlan(plan, log);
  for (const { output } of plans) {
    // A default path's folder is said through `log` as the command line says `--out`'s.
    await createOutputFolder(output.path, log).catch((cause) => {
      throw new Error(`Cannot create output directory ${dirname(output.path)}: ${cause.message}`, {
        cause,
      });
    });
  }
  if (plan.temp.bytes > 0) {
    checkFreeSpace(plan.temp.directory, plan.temp.bytes, "the reorientation's temporary file");
  }
  // Requests still in flight when the export ends (a sibling of one that failed) are cancelled.
  const finished = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, finished.signal]) : finished.signal;
  try {
    const slabs = await exportSlabs(source, plan, { ...options, signal });
    const written = await writeOutputs(source, plans, slabs, { ...options, signal }, finished);
    const files: SidecarFile[] = plans.map((p, i) => ({
      path: p.output.path,
      format: p.output.format.name,
      bytes: written[i].bytes,
      ...(written[i].compression ? { compression: written[i].compression } : {}),
    }));
    const sidecars = [...new Set(plans.map((p) => p.output.sidecar))];
    for (const sidecar of sidecars) {
      const members = files.filter((f) => sidecarOf(f.path) === sidecar);
      const owner = plans.find((p) => p.output.sidecar === sidecar)!;
      await writeExportSidecar(source, owner, members, { force: options.force, signal: options.signal });
    }
    const described = files.map((f) =>
      `${f.path} (${f.bytes} bytes${f.compression ? `, gzip: ${f.compression}` : ""})`
    );
    log(`Wrote ${described.join(", ")} and ${sidecars.join(", ")}`);
    const [first] = files;
    return {
      path: first.path,
      sidecar: plan.output.sidecar,
      format: first.format,
      asset: source.asset,
      channel: source.channel,
      level: plan.level,
      acquisition: source.acquisition,
      orientation: plan.orientation,
      geometry: plan.output.geometry,
      size: plan.output.size,
      dtype: plan.output.dtype,
      plan,
      bytes: first.bytes,
      ...(first.compression ? { compression: first.compression } : {}),
      bytesFetched: source.image.stats?.bytes ?? 0,
      retries: source.retries - retriesBefore,
      elapsedMs: performance.now() - started,
      files,
      sidecars,
    };
  } finally {
    finished.abort();
  }
}

/**
 * Refuses, before any work, an output or sidecar that exists (unless `force`).
 *
 * @param plan The plan.
 * @param force Whether existing files may be replaced.
 * @throws {OutputExistsError} If one exists and `force` is not set.
 */
export async function checkOutputs(plan: Pick<ExportPlan, "output">, force: boolean): Promise<void> {
  if (force) return;
  for (const path of [plan.output.path, plan.output.sidecar]) {
    if (await pathExists(path)) throw new OutputExistsError(path);
  }
}

function logPlan(plan: ExportPlan, log: (line: string) => void): void {
  const { level, orientation } = plan;
  log(
    `Level ${level.index}: size ${level.size.join(" x ")} (x, y, z), spacing ${level.spacing.join(", ")} mm`,
  );
  log(
    `Orientation: ${orientation.itkCodeName} (ITK code ${orientation.itkCode}, nibabel ${orientation.nibabelCode})`,
  );
  for (const id of plan.corrections) log(`Corrected: ${id}`);
  if (plan.resample) log(`Resample by area averaging to size ${plan.resample.size.join(" x ")}`);
  if (plan.reorient) {
    log(`Reorient ${plan.orientations.source.nibabel} -> ${plan.orientations.output.nibabel}`);
  }
}

/**
 * The write step: each output format's streaming writer, all fed from the one stream of slabs. When one
 * fails the others are cancelled (each removes its staged output) before the failure is thrown.
 */
async function writeOutputs(
  source: OpenedSource,
  plans: readonly ExportPlan[],
  slabs: VolumeSlabs,
  options: ExportImageOptions & { signal: AbortSignal },
  cancel: AbortController,
): Promise<{ bytes: number; compression?: string }[]> {
  if (plans.length === 1) return [await writeOutput(source, plans[0], slabs, options)];
  const tee = teeSlabs(slabs.slabs, plans.length, { signal: options.signal });
  const settled = await Promise.allSettled(
    plans.map((plan, i) =>
      writeOutput(source, plan, { ...slabs, slabs: tee.readers[i] }, {
        ...options,
        // Progress is the first output's: the others move in step with it.
        onProgress: i === 0 ? options.onProgress : undefined,
      }).catch((error) => {
        cancel.abort(error);
        throw error;
      }).finally(() => tee.release(i))
    ),
  );
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
  // The first failure is the cause; the others' are the cancellation it caused.
  const cause =
    settled.find((r): r is PromiseRejectedResult =>
      r.status === "rejected" && !(r.reason instanceof DOMException && r.reason.name === "AbortError")
    ) ?? failed;
  if (cause) throw cause.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<{ bytes: number; compression?: string }>).value);
}

/** One output format's streaming writer. */
async function writeOutput(
  source: OpenedSource,
  plan: ExportPlan,
  slabs: VolumeSlabs,
  options: ExportImageOptions,
): Promise<{ bytes: number; compression?: string }> {
  const written = await plan.output.format.write(plan.output.path, slabs, {
    geometry: plan.output.geometry,
    outputType: plan.output.dtype,
    gzipLevel: options.gzipLevel,
    omeZarr: options.omeZarr,
    tmpDir: plan.temp.directory,
    nrrdSpace: options.nrrdSpace,
    force: options.force,
    signal: options.signal,
    description: `spimfetch ${source.asset.subjectId} ${source.channel.name} L${plan.level.index}${
      plan.reorient ? ` ${plan.orientations.output.nibabel}` : ""
    }`,
    label: source.channel.name,
    onProgress: options.onProgress &&
      ((e) =>
        options.onProgress!({
          stage: "write",
          done: e.bytesWritten,
          total: e.totalBytes,
          bytes: e.bytesWritten,
        })),
  });
  return written;
}
