/**
 * Step one of registration-ready output: fetch one level (or a region) of
 * one channel and prepare it in memory. AIND's known caveats are checked
 * (and corrected if asked), the level is resampled to the target spacing by
 * area averaging, and the voxels are reoriented to the target orientation.
 *
 * The order is chosen for memory: the level streams through the resampler
 * (which keeps only its output), and only the resampled volume is
 * reoriented. Without a spacing the whole level (or region) is held, twice
 * at the peak during reorientation. Every step keeps each voxel's physical
 * position, so the order changes no result.
 *
 * @module
 */
import { checkOptions, forwardOptions, type OptionKeys } from "../core/options.ts";
import type { AcquisitionAxis } from "../metadata/acquisition.ts";
import { applyAindCaveats, type CaveatWarning, checkAindCaveats } from "../metadata/aind_caveats.ts";
import { placeRegion } from "../orient/place_region.ts";
import { getLevel, type ImageLevel } from "../metadata/image.ts";
import type { Asset } from "../list/assets.ts";
import { computeOrientation } from "../orient/orient.ts";
import {
  type AnatomicalAxes,
  orientationCode,
  type OrientationCodes,
  orientationCodes,
  orientationOfAcquisition,
} from "../orient/codes.ts";
import { describeTransform, orientationTransform } from "../orient/transform.ts";
import type { ProgressEvent } from "../core/progress_event.ts";
import type { AcquisitionRecord } from "../metadata/read_acquisition.ts";
import { readLevel, streamLevel } from "../read/read.ts";
import type { Region } from "../core/volume.ts";
import { chooseLevelForSpacing, resampleVolume } from "./resample.ts";
import { type OrientedVolume, reorientVolume, resolveOrientation } from "./reorient.ts";
import { AIND_BUCKET, S3_OPTION_KEYS } from "../s3/client.ts";
import type { Channel } from "../select/select.ts";
import {
  isOpenedSource,
  type OpenedSource,
  openSource,
  type OpenSourceOptions,
} from "../source/open_source.ts";

type Vec3 = [number, number, number];

/** What to prepare. */
export interface PrepareRequest {
  /** A subject id (the newest stitched asset is used) or an exact stitched asset name. */
  subject: string;
  /** The channel, e.g. `Ex_561_Em_593`. */
  channel: string;
  /** The level to read. @default {the coarsest level at least as fine as `spacing`, or 3} */
  level?: number;
}

/** Options for {@linkcode prepareVolume}. */
export interface PrepareVolumeOptions extends OpenSourceOptions {
  /** The level to read, when preparing an opened source (with names it may be part of the request). */
  level?: number;
  /** Target orientation: nibabel letters (`PIR` for the Allen CCF, `RAS`, `LPS`, ...) or axes. @default {as recorded} */
  orientation?: AnatomicalAxes | string;
  /**
   * Target spacing in mm: one number, or one per axis of the output (its x,
   * y, z after reorientation). Resampled by area averaging. @default {the level's}
   */
  spacing?: number | readonly [number, number, number];
  /** Apply the corrections of AIND's known caveats that match (see `aind_caveats.ts`). @default {false} */
  aindOrientationFix?: boolean;
  /** Only this box of the level (voxel ranges of the level read). */
  roi?: Region;
  /** Voxel type: as stored (means rounded), or float32. @default {"native"} */
  dtype?: "native" | "float32";
  /** Progress of the fetch. */
  onProgress?: (event: ProgressEvent) => void;
  /** Called for each caveat that matches and is not corrected. */
  onWarning?: (warning: CaveatWarning) => void;
}

/** One step of the preparation, as the sidecar records it. */
export type PrepareStep =
  | {
    step: "read";
    level: number;
    region: Required<Region>;
    size: [number, number, number];
    spacing: [number, number, number];
  }
  | { step: "aind-caveat-correction"; id: string; description: string }
  | {
    step: "resample";
    method: "area-average";
    from: [number, number, number];
    to: [number, number, number];
    factors: [number, number, number];
    size: [number, number, number];
    rule: string;
  }
  | {
    step: "reorient";
    from: string;
    to: string;
    sourceAxis: [number, number, number];
    flip: [boolean, boolean, boolean];
    axes: string[];
  };

/** A prepared volume in memory, with everything the sidecar needs. */
export interface PreparedVolume extends OrientedVolume {
  /** The stitched asset. */
  asset: Asset;
  /** The channel. */
  channel: Channel;
  /** The bucket read. */
  bucket: string;
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

const HALF_VOXEL_RULE =
  "output voxel i has its centre at input index (i + 0.5)·f − 0.5, f = output/input spacing";

/** The keys of {@linkcode PrepareVolumeOptions}, checked at run time. */
export const PREPARE_VOLUME_OPTION_KEYS: OptionKeys<PrepareVolumeOptions> = {
  ...S3_OPTION_KEYS,
  bucket: true,
  platform: true,
  signal: true,
  cacheBytes: true,
  cacheDir: true,
  concurrency: true,
  log: true,
  level: true,
  orientation: true,
  spacing: true,
  aindOrientationFix: true,
  roi: true,
  dtype: true,
  onProgress: true,
  onWarning: true,
};

/**
 * Fetches one level (or a region) of one channel and prepares it in memory:
 * AIND caveats checked (and corrected if asked), resampled to `spacing` by
 * area averaging, reoriented to `orientation`. Every voxel keeps its
 * physical position through every step.
 *
 * @example The CCF's orientation and spacing
 * ```ts ignore
 * import { prepareVolume } from "@spimfetch/spimfetch";
 * const prepared = await prepareVolume({ subject: "652506", channel: "Ex_561_Em_593" }, { orientation: "PIR", spacing: 0.025 });
 * console.log(prepared.orientation.output.nibabel, prepared.geometry.spacing); // PIR [0.025, 0.025, 0.025]
 * ```
 * @param request Subject (or asset), channel and optionally the level; or an opened source (left open).
 * @param options Orientation, spacing, caveat correction, region, S3 access, progress.
 * @returns The volume, its geometry and its provenance.
 * @throws {NotFoundError} For an unknown subject, asset, channel or level.
 * @throws {MetadataError} For malformed or inconsistent metadata.
 * @throws {RangeError} For a spacing finer than every level, a bad region, or an oblique direction.
 * @throws {SyntaxError} For an orientation that cannot be parsed.
 */
export async function prepareVolume(
  request: PrepareRequest | OpenedSource,
  options: PrepareVolumeOptions = {},
): Promise<PreparedVolume> {
  options = checkOptions(options, PREPARE_VOLUME_OPTION_KEYS, "prepareVolume()");
  const target = options.orientation === undefined ? undefined : resolveOrientation(options.orientation);
  if (isOpenedSource(request)) return await prepareSource(request, options.level, target, options);
  // Not checked here yet: the source takes what it knows of these options.
  const source = await openSource(request, forwardOptions(options));
  try {
    return await prepareSource(source, request.level ?? options.level, target, options);
  } finally {
    source.close();
  }
}

async function prepareSource(
  opened: OpenedSource,
  levelChoice: number | undefined,
  target: AnatomicalAxes | undefined,
  options: PrepareVolumeOptions,
): Promise<PreparedVolume> {
  const log = options.log ?? (() => {});
  const bucket = opened.s3.bucket ?? AIND_BUCKET;
  const { asset, channel, image, acquisition } = opened;
  const warnings = checkAindCaveats(acquisition, { asset });
  const steps: PrepareStep[] = [];
  let trustedAxes = acquisition.axes;
  const corrections: string[] = [];
  if (options.aindOrientationFix) {
    const fixed = applyAindCaveats(acquisition, { asset });
    trustedAxes = fixed.acquisition.axes;
    for (const applied of fixed.applied) {
      corrections.push(applied.id);
      steps.push({ step: "aind-caveat-correction", id: applied.id, description: applied.title });
      log(`Corrected (${applied.flag}): ${applied.title}`);
    }
    if (fixed.applied.length === 0) {
      log("No known AIND caveat applies to this acquisition: nothing corrected");
    }
  }
  for (const warning of warnings) if (!corrections.includes(warning.id)) options.onWarning?.(warning);

  const source = orientationOfAcquisition(trustedAxes);
  const to = target ?? source;
  const transform = orientationTransform(source, to);
  // The spacing is given along the output's axes; the level's axes are the source's.
  const wanted = options.spacing === undefined
    ? undefined
    : typeof options.spacing === "number"
    ? [options.spacing, options.spacing, options.spacing] as Vec3
    : [...options.spacing] as Vec3;
  const sourceSpacing = wanted && ([0, 0, 0] as Vec3);
  if (wanted && sourceSpacing) transform.sourceAxis.forEach((s, o) => (sourceSpacing[s] = wanted[o]));
  const levelIndex = levelChoice ??
    (sourceSpacing
      ? chooseLevelForSpacing(image.levels, sourceSpacing)
      : Math.min(3, image.levels.length - 1));
  const level = getLevel(image, levelIndex);
  log(
    `Level ${level.index}: size ${level.size.join(" x ")} (x, y, z), spacing ${level.spacing.join(", ")} mm`,
  );
  const recorded = computeOrientation(trustedAxes, { size: level.size, spacing: level.spacing });
  log(
    `Orientation as ${corrections.length ? "corrected" : "recorded"}: ${recorded.nibabelCode} (nibabel)`,
  );
  const region: Required<Region> = {
    x: options.roi?.x ?? [0, level.size[0]],
    y: options.roi?.y ?? [0, level.size[1]],
    z: options.roi?.z ?? [0, level.size[2]],
  };
  const regionSize = [
    region.x[1] - region.x[0],
    region.y[1] - region.y[0],
    region.z[1] - region.z[0],
  ] as Vec3;
  steps.unshift({
    step: "read",
    level: level.index,
    region,
    size: regionSize,
    spacing: [...level.spacing],
  });
  const readOptions = {
    roi: region,
    dtype: options.dtype,
    concurrency: options.concurrency,
    onProgress: options.onProgress,
    signal: options.signal,
  };
  let prepared: OrientedVolume;
  const geometry = placeRegion(recorded.geometry, level, region);
  if (sourceSpacing) {
    const stream = streamLevel(image, level.index, readOptions);
    const resampled = await resampleVolume(stream, {
      geometry,
      spacing: sourceSpacing,
      signal: options.signal,
    });
    steps.push({
      step: "resample",
      method: "area-average",
      from: [...level.spacing],
      to: [...resampled.geometry.spacing],
      factors: resampled.factors,
      size: resampled.size,
      rule: HALF_VOXEL_RULE,
    });
    log(
      `Resampled by area averaging: factors ${resampled.factors.map((f) => f.toFixed(4)).join(", ")}, size ${
        resampled.size.join(" x ")
      }`,
    );
    prepared = resampled;
  } else {
    prepared = { volume: await readLevel(image, level.index, readOptions), geometry };
  }
  const reoriented = reorientVolume(prepared, to);
  const description = describeTransform(transform, to);
  steps.push({
    step: "reorient",
    from: orientationCode(source, "nibabel"),
    to: orientationCode(to, "nibabel"),
    sourceAxis: [...transform.sourceAxis],
    flip: [...transform.flip],
    axes: description,
  });
  log(
    `Reoriented ${orientationCode(source, "nibabel")} -> ${orientationCode(to, "nibabel")}: ${
      description.join("; ")
    }`,
  );
  // Some versions of ImageLevel carry the zarrita array; the sidecar and result keep only metadata.
  const { array: _array, ...levelInfo } = level as ImageLevel & { array?: unknown };
  return {
    volume: reoriented.volume,
    geometry: reoriented.geometry,
    asset,
    channel,
    bucket,
    level: levelInfo,
    region,
    acquisition,
    trustedAxes: [...trustedAxes],
    warnings,
    corrections,
    orientation: { source: orientationCodes(source), output: orientationCodes(to) },
    steps,
    bytesFetched: image.stats?.bytes ?? 0,
  };
}
