/**
 * Registration-ready files in one call, by names: the source is opened, exported through the streaming
 * pipeline (`exportImage`: level, region, caveats, spacing, orientation, every option combining, bounded
 * memory) to each output path from one read of S3, and closed. Outputs that share a stem share one sidecar.
 *
 * @module
 */
import { THIN_SLAB_CACHE_BYTES } from "../codecs/slab_budget.ts";
import { OutputExistsError } from "../core/errors.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";
import type { VoxelType } from "../core/volume.ts";
import { EXPORT_IMAGE_OPTION_KEYS, exportImageToAll } from "../export/export_image.ts";
import type { ExportOptions } from "../export/export_nifti.ts";
import { formatOf, sidecarOf } from "../export/formats.ts";
import { resolveOrientation } from "../orient/reorient.ts";
import { AIND_BUCKET } from "../s3/client.ts";
import { isOpenedSource, OPEN_SOURCE_OPTION_KEYS, openSource } from "../source/open_source.ts";
import { pathExists } from "../write/atomic_file.ts";
import type { PreparedVolume, PrepareRequest } from "./prepare_volume.ts";
import type { WritePreparedResult } from "./write_prepared.ts";

/** Options for {@linkcode prepareForRegistration}: those of `exportNifti`, with one or several outputs. */
export interface PrepareOptions extends Omit<ExportOptions, "out"> {
  /**
   * Output paths, any suffixes of `OUTPUT_FORMATS`; all get the same voxels, from one read of S3.
   * @default {data/input/<subject>/<subject>_<channel>_L<level>[_<orientation>][_<spacing>um].nii.gz}
   */
  out?: string | readonly string[];
  /** One line per step. */
  log?: (line: string) => void;
}

const { log: _log, signal: _signal, ...EXPORT_ONLY_KEYS } = EXPORT_IMAGE_OPTION_KEYS;
/** The keys of {@linkcode PrepareOptions}, checked at run time. */
const PREPARE_OPTION_KEYS: OptionKeys<PrepareOptions> = { ...OPEN_SOURCE_OPTION_KEYS, ...EXPORT_ONLY_KEYS };

/** What {@linkcode prepareForRegistration} did: the provenance of the voxels written, and the files. */
export interface PrepareResult extends Omit<PreparedVolume, "volume">, WritePreparedResult {
  /** Output sizes along its x, y, z. */
  size: [number, number, number];
  /** The voxel type written. */
  dtype: VoxelType;
  /** Requests repeated after a transient failure. */
  retries: number;
  /** Wall time in ms. */
  elapsedMs: number;
}

/**
 * Opens a subject's channel by names, exports it through the streaming pipeline to each output (see the
 * module documentation), and closes it. Memory is bounded whatever the level: reorientation across z goes
 * through a temporary file beside the first output. Every output and sidecar is checked before any request.
 * For an opened source, call `exportImage(source, options)`.
 *
 * @example The reference brain for the Allen CCF at 25 µm
 * ```ts ignore
 * import { prepareForRegistration } from "@spimfetch/spimfetch";
 * const result = await prepareForRegistration(
 *   { subject: "652506", channel: "Ex_561_Em_593" },
 *   { orientation: "PIR", spacing: 0.025, out: ["brain.nii.gz", "brain.nrrd"], onWarning: (w) => console.warn(w.message) },
 * );
 * console.log(result.level.index, result.size, result.sidecars); // 3, [737, 296, 532], ["brain.json"]
 * ```
 * @param request Subject (or asset), channel and optionally the level.
 * @param options Outputs, level, region, spacing, orientation, voxel type, S3 access, progress.
 * @returns Provenance, the files and sidecars written.
 * @throws {TypeError} For an opened source (the message names `exportImage`), an unknown suffix or a path
 * given twice.
 * @throws {OutputExistsError} If an output or sidecar exists and `force` is not set (checked first).
 * @throws {NotFoundError} For an unknown subject, asset, channel or level.
 * @throws {MetadataError} For malformed or inconsistent metadata.
 * @throws {RangeError} For a spacing finer than every level, or a bad region.
 * @throws {SyntaxError} For an orientation that cannot be parsed.
 */
export async function prepareForRegistration(
  request: PrepareRequest,
  options: PrepareOptions = {},
): Promise<PrepareResult> {
  if (isOpenedSource(request)) {
    // The earlier form prepareForRegistration(source, options) ran on the source; say where it went.
    throw new TypeError(
      "prepareForRegistration() takes { subject, channel }; for an opened source call exportImage(source, options)",
    );
  }
  options = checkOptions(options, PREPARE_OPTION_KEYS, "prepareForRegistration()");
  if (options.orientation !== undefined) resolveOrientation(options.orientation);
  const paths = options.out === undefined
    ? []
    : typeof options.out === "string"
    ? [options.out]
    : [...options.out];
  if (options.out !== undefined && paths.length === 0) {
    throw new TypeError("Cannot write: `out` is an empty list; give one or more output paths");
  }
  await refuseExisting(paths, options.force === true);
  // As exportNifti: thin slabs read each chunk of a row once per slab, so the cache holds a chunk row.
  const cacheBytes = options.cacheBytes ??
    (options.maxSlabBytes === undefined ? THIN_SLAB_CACHE_BYTES : 256 * 2 ** 20);
  const { out: _out, ...rest } = options;
  const source = await openSource(request, { ...rest, cacheBytes });
  try {
    const result = await exportImageToAll(
      source,
      { ...rest, level: request.level ?? options.level, out: paths[0] },
      paths.slice(1),
    );
    const { plan } = result;
    const { array: _array, ...level } = plan.level as typeof plan.level & { array?: unknown };
    return {
      geometry: result.geometry,
      asset: source.asset,
      channel: source.channel,
      bucket: source.s3.bucket ?? AIND_BUCKET,
      ...(source.s3.endpoint ? { endpoint: source.s3.endpoint } : {}),
      level,
      region: plan.region,
      acquisition: source.acquisition,
      trustedAxes: plan.trustedAxes,
      warnings: plan.warnings,
      corrections: plan.corrections,
      orientation: plan.orientations,
      steps: plan.steps,
      bytesFetched: result.bytesFetched,
      files: result.files,
      sidecars: result.sidecars,
      size: result.size,
      dtype: result.dtype,
      // Opened here: its retries (listing and metadata included) are this call's.
      retries: source.retries,
      elapsedMs: result.elapsedMs,
    };
  } finally {
    source.close();
  }
}

/** Known suffixes, no path twice, and (without `force`) nothing there yet: before any request. */
async function refuseExisting(paths: readonly string[], force: boolean): Promise<void> {
  for (const path of paths) formatOf(path);
  if (new Set(paths).size !== paths.length) {
    throw new TypeError(`Cannot write the same path twice: ${paths.join(", ")}`);
  }
  if (force) return;
  for (const path of new Set([...paths, ...paths.map(sidecarOf)])) {
    if (await pathExists(path)) throw new OutputExistsError(path);
  }
}
