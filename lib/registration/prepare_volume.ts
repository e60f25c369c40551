/**
 * Registration-ready voxels in memory: the export pipeline's plan ({@linkcode planExport}: level, region,
 * caveats, spacing, orientation, every option combining) carried out on an opened source into an array the
 * caller keeps, for pictures and analysis. Files are the streaming road's job (`exportImage`,
 * `prepareForRegistration`), which never holds the level.
 *
 * Memory: the region read, or with `spacing` only the resampled output (the level streams through the
 * resampler), and twice that at the peak while reorienting.
 *
 * @module
 */
import { checkOptions, type OptionKeys } from "../core/options.ts";
import type { AcquisitionAxis } from "../metadata/acquisition.ts";
import type { CaveatWarning } from "../metadata/aind_caveats.ts";
import type { ImageLevel } from "../metadata/image.ts";
import type { Asset } from "../list/assets.ts";
import type { OrientationCodes } from "../orient/codes.ts";
import type { ProgressEvent } from "../core/progress_event.ts";
import type { AcquisitionRecord } from "../metadata/read_acquisition.ts";
import { readLevel, streamLevel } from "../read/read.ts";
import type { Region } from "../core/volume.ts";
import { resampleVolume } from "../export/resample.ts";
import { type ExportPlanOptions, type ExportStep, planExport } from "../export/plan.ts";
import { type OrientedVolume, reorientVolume } from "../orient/reorient.ts";
import { AIND_BUCKET } from "../s3/client.ts";
import type { Channel } from "../select/select.ts";
import { isOpenedSource, type OpenedSource } from "../source/open_source.ts";

/** What to prepare, by names: the request {@linkcode prepareForRegistration} takes. */
export interface PrepareRequest {
  /** A subject id (the newest stitched asset is used) or an exact stitched asset name. */
  subject: string;
  /** The channel, e.g. `Ex_561_Em_593`. */
  channel: string;
  /** The level to read. @default {the coarsest level at least as fine as `spacing`, or 3} */
  level?: ExportPlanOptions["level"];
}

/** Options for {@linkcode prepareVolume}: what to prepare (as for an export, without an output) and how. */
export interface PrepareVolumeOptions extends Omit<ExportPlanOptions, "out" | "tmpDir"> {
  /** Chunk requests in flight at once. @default {the source's} */
  concurrency?: number;
  /** Progress of the fetch. */
  onProgress?: (event: ProgressEvent) => void;
  /** Called for each caveat that matches and is not corrected. */
  onWarning?: (warning: CaveatWarning) => void;
  /** One line per step. */
  log?: (line: string) => void;
  /** Cancels the requests. */
  signal?: AbortSignal;
}

/** One step of the preparation, as the sidecar records it (the export's steps). */
export type PrepareStep = ExportStep;

/** A prepared volume in memory, with everything the sidecar needs. */
export interface PreparedVolume extends OrientedVolume {
  /** The stitched asset. */
  asset: Asset;
  /** The channel. */
  channel: Channel;
  /** The bucket read. */
  bucket: string;
  /** The S3 endpoint read (absent: AWS). */
  endpoint?: string;
  /** The level read (without its zarrita array). */
  level: Omit<ImageLevel, "array">;
  /** The region of the level read. */
  region: Required<Region>;
  /** The acquisition metadata as recorded. */
  acquisition: AcquisitionRecord;
  /** The axes the orientation was computed from (recorded, or corrected). */
  trustedAxes: AcquisitionAxis[];
  /** Caveats that match the acquisition. */
  warnings: CaveatWarning[];
  /** Ids of the caveats corrected. */
  corrections: string[];
  /** The orientation as trusted (before reorientation) and as written. */
  orientation: { source: OrientationCodes; output: OrientationCodes };
  /** The steps applied, in order. */
  steps: PrepareStep[];
  /** Compressed bytes fetched from S3. */
  bytesFetched: number;
}

/** The keys of {@linkcode PrepareVolumeOptions}, checked at run time. */
export const PREPARE_VOLUME_OPTION_KEYS: OptionKeys<PrepareVolumeOptions> = {
  level: true,
  roi: true,
  roiMm: true,
  spacing: true,
  orientation: true,
  aindOrientationFix: true,
  dtype: true,
  concurrency: true,
  onProgress: true,
  onWarning: true,
  log: true,
  signal: true,
};

/**
 * Reads one level (or a region) of an opened source and prepares it in memory: AIND caveats checked (and
 * corrected if asked), resampled to `spacing` by area averaging, reoriented to `orientation`. Every voxel
 * keeps its physical position through every step. To write files instead, in bounded memory, call
 * `exportImage(source, options)` (or `prepareForRegistration` by names).
 *
 * @example The CCF's orientation and spacing
 * ```ts ignore
 * import { openSource, prepareVolume } from "@spimfetch/spimfetch";
 * using source = await openSource({ subject: "652506", channel: "Ex_561_Em_593" });
 * const prepared = await prepareVolume(source, { orientation: "PIR", spacing: 0.025 });
 * console.log(prepared.orientation.output.nibabel, prepared.geometry.spacing); // PIR [0.025, 0.025, 0.025]
 * ```
 * @param source The opened source (left open).
 * @param options Level, region, orientation, spacing, caveat correction, voxel type, progress.
 * @returns The volume, its geometry and its provenance.
 * @throws {TypeError} If given names rather than an opened source; the message says what to call.
 * @throws {NotFoundError} For an unknown level.
 * @throws {RangeError} For a spacing finer than every level, a bad region, or an oblique direction.
 * @throws {SyntaxError} For an orientation that cannot be parsed.
 */
export async function prepareVolume(
  source: OpenedSource,
  options: PrepareVolumeOptions = {},
): Promise<PreparedVolume> {
  options = checkOptions(options, PREPARE_VOLUME_OPTION_KEYS, "prepareVolume()");
  if (!isOpenedSource(source)) {
    // The earlier form prepareVolume({ subject, channel }) opened the source itself.
    throw new TypeError(
      "prepareVolume() takes an opened source: prepareVolume(await openSource({ subject, channel }), options); " +
        "to write files by names call prepareForRegistration({ subject, channel }, options)",
    );
  }
  const { concurrency, onProgress, onWarning, log = () => {}, signal, ...what } = options;
  const plan = planExport(source, what);
  for (const w of plan.warnings) if (!plan.corrections.includes(w.id)) onWarning?.(w);
  for (const id of plan.corrections) log(`Corrected: ${id}`);
  const { level } = plan;
  log(
    `Level ${level.index}: size ${level.size.join(" x ")} (x, y, z), spacing ${level.spacing.join(", ")} mm`,
  );
  const read = { roi: plan.region, dtype: options.dtype, concurrency, onProgress, signal };
  let prepared: OrientedVolume;
  if (plan.resample) {
    prepared = await resampleVolume(streamLevel(source.image, level.index, read), {
      geometry: plan.read.geometry,
      spacing: plan.resample.geometry.spacing,
      signal,
    });
    log(`Resampled by area averaging to size ${plan.resample.size.join(" x ")}`);
  } else {
    prepared = { volume: await readLevel(source.image, level.index, read), geometry: plan.read.geometry };
  }
  if (plan.reorient) {
    prepared = reorientVolume(prepared, plan.reorient.to);
    log(`Reoriented ${plan.orientations.source.nibabel} -> ${plan.orientations.output.nibabel}`);
  }
  // Some versions of ImageLevel carry the zarrita array; the result keeps only metadata.
  const { array: _array, ...levelInfo } = level as ImageLevel & { array?: unknown };
  return {
    volume: prepared.volume,
    geometry: prepared.geometry,
    asset: source.asset,
    channel: source.channel,
    bucket: source.s3.bucket ?? AIND_BUCKET,
    ...(source.s3.endpoint ? { endpoint: source.s3.endpoint } : {}),
    level: levelInfo,
    region: plan.region,
    acquisition: source.acquisition,
    trustedAxes: plan.trustedAxes,
    warnings: plan.warnings,
    corrections: plan.corrections,
    orientation: plan.orientations,
    steps: plan.steps,
    bytesFetched: source.image.stats?.bytes ?? 0,
  };
}
