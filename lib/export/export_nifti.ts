/**
 * The names-in entry point of the export pipeline: open a subject's source by names, export it with
 * {@linkcode exportImage}, close it. Named for the reference notebook's job (NIfTI), it writes any format of
 * `OUTPUT_FORMATS` by the output's suffix.
 *
 * @module
 */
import type { LevelChoice } from "../select/choose_level.ts";
import { OutputExistsError } from "../core/errors.ts";
import { THIN_SLAB_CACHE_BYTES } from "../codecs/slab_budget.ts";
import { pathExists } from "../write/atomic_file.ts";
import { isOpenedSource, openSource, type OpenSourceOptions } from "../source/open_source.ts";
import { exportImage, type ExportImageOptions, type ExportImageResult } from "./export_image.ts";
import { formatOf, sidecarOf } from "./formats.ts";
import { EXPORT_IMAGE_OPTION_KEYS } from "./export_image.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";
import { OPEN_SOURCE_OPTION_KEYS } from "../source/open_source.ts";

const { log: _log, signal: _signal, ...EXPORT_ONLY_KEYS } = EXPORT_IMAGE_OPTION_KEYS;
/** The keys of {@linkcode ExportOptions}, checked at run time. */
const EXPORT_OPTION_KEYS: OptionKeys<ExportOptions> = { ...OPEN_SOURCE_OPTION_KEYS, ...EXPORT_ONLY_KEYS };

/** What to export. */
export interface ExportRequest {
  /** A subject id (the newest stitched asset is used) or an exact stitched asset name. */
  subject: string;
  /** The channel, e.g. `Ex_561_Em_593`. */
  channel: string;
  /**
   * The resolution level: an index (0 is the finest), `{ resolution }` in mm
   * (the coarsest level at least that fine), or `{ maxBytes }` (the finest
   * level whose output fits). @default {chosen by `spacing`, else 3}
   */
  level?: LevelChoice;
}

/** Options for {@linkcode exportNifti}: where the source is ({@linkcode OpenSourceOptions}) and what to export. */
export interface ExportOptions extends OpenSourceOptions, Omit<ExportImageOptions, "log" | "signal"> {}

/** What {@linkcode exportNifti} did. */
export type ExportResult = ExportImageResult;

/**
 * The reference notebook's output path: `data/input/<subject>/<subject>_<channel>_L<level>.nii.gz`.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { defaultOutputPath } from "@spimfetch/spimfetch";
 * assert(defaultOutputPath("652506", "Ex_561_Em_593", 3) === "data/input/652506/652506_Ex_561_Em_593_L3.nii.gz");
 * ```
 * @param subject The subject id.
 * @param channel The channel name.
 * @param level The level.
 * @returns The relative path.
 */
export function defaultOutputPath(subject: string, channel: string, level: number): string {
  return `data/input/${subject}/${subject}_${channel}_L${level}.nii.gz`;
}

/**
 * Exports one level of one channel of a subject's stitched asset, named by subject (or asset) and channel:
 * the source is opened (S3 settings from `options`), exported through {@linkcode exportImage} (every option
 * combines: level, region, spacing, orientation, format by suffix; a sidecar beside the output) and closed.
 * An existing output is refused before any request.
 *
 * @example The reference notebook's job
 * ```ts ignore
 * import { exportNifti } from "@spimfetch/spimfetch";
 * const result = await exportNifti({ subject: "652506", channel: "Ex_561_Em_593", level: 3 });
 * console.log(result.path, result.orientation.itkCode); // data/input/652506/652506_Ex_561_Em_593_L3.nii.gz 525570
 * ```
 * @param request Subject (or asset), channel and level.
 * @param options Output, voxel type, region, spacing, orientation, S3 access, progress.
 * @returns What was written.
 * @throws {OutputExistsError} If the output exists and `force` is not set (checked before any request).
 * @throws {NotFoundError} For an unknown subject, asset, channel or level.
 * @throws {MetadataError} For malformed or inconsistent metadata.
 * @throws {TypeError} If given an opened source: that is {@linkcode exportImage}'s job.
 */
export async function exportNifti(
  request: ExportRequest,
  options: ExportOptions = {},
): Promise<ExportResult> {
  if (isOpenedSource(request)) {
    // The earlier form exportNifti(source, options) ran the export on the source; say where it went.
    throw new TypeError(
      "exportNifti() takes { subject, channel }; for an opened source call exportImage(source, options)",
    );
  }
  return await exportByName(request, options);
}

async function exportByName(request: ExportRequest, options: ExportOptions): Promise<ExportResult> {
  options = checkOptions(options, EXPORT_OPTION_KEYS, "exportNifti()");
  if (options.out !== undefined && !options.force) {
    formatOf(options.out);
    for (const path of [options.out, sidecarOf(options.out)]) {
      if (await pathExists(path)) throw new OutputExistsError(path);
    }
  }
  // Thin slabs read each chunk of a row once per slab: the cache must hold a compressed chunk row. By
  // default slabs are thin wherever a row fits THIN_SLAB_CACHE_BYTES (see codecs/slab_budget.ts).
  const cacheBytes = options.cacheBytes ??
    (options.maxSlabBytes === undefined ? THIN_SLAB_CACHE_BYTES : 256 * 2 ** 20);
  const source = await openSource(request, { ...options, cacheBytes });
  try {
    const result = await exportImage(source, { ...options, level: request.level ?? options.level });
    // Opened here: its retries (listing and metadata included) are this export's.
    return { ...result, retries: source.retries };
  } finally {
    source.close();
  }
}
