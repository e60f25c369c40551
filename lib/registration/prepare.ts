/**
 * Registration-ready output in one call: select, read a level (or a region),
 * check AIND's known caveats, resample to an atlas spacing, reorient to the
 * atlas's axes, and write NIfTI and/or NRRD with a JSON sidecar:
 * {@linkcode prepareVolume} then {@linkcode writePrepared}.
 *
 * @module
 */
import type { OpenedSource } from "../source/open_source.ts";
import {
  PREPARE_VOLUME_OPTION_KEYS,
  type PreparedVolume,
  type PrepareRequest,
  prepareVolume,
  type PrepareVolumeOptions,
} from "./prepare_volume.ts";
import { resolveOrientation } from "./reorient.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";
import type { VoxelType } from "../core/volume.ts";
import {
  checkPreparedOutputs,
  defaultPreparedPath,
  writePrepared,
  type WritePreparedOptions,
  type WritePreparedResult,
} from "./write_prepared.ts";

/** Options for {@linkcode prepareForRegistration}. */
export interface PrepareOptions extends PrepareVolumeOptions, Omit<WritePreparedOptions, "out"> {
  /** Output paths. @default {defaultPreparedPath(...) as .nii.gz} */
  out?: string | readonly string[];
}

/** The keys of {@linkcode PrepareOptions}, checked at run time. */
const PREPARE_OPTION_KEYS: OptionKeys<PrepareOptions> = {
  ...PREPARE_VOLUME_OPTION_KEYS,
  force: true,
  gzipLevel: true,
  nrrdSpace: true,
  log: true,
  out: true,
};
/** What {@linkcode prepareForRegistration} did: the prepared volume's provenance and the files. */
export interface PrepareResult extends Omit<PreparedVolume, "volume">, WritePreparedResult {
  /** Output sizes along its x, y, z. */
  size: [number, number, number];
  /** The voxel type written. */
  dtype: VoxelType;
}

/**
 * The whole preparation: {@linkcode prepareVolume} then
 * {@linkcode writePrepared}, with outputs checked before any request.
 *
 * @example The reference brain for the Allen CCF at 25 µm
 * ```ts ignore
 * import { prepareForRegistration } from "@spimfetch/spimfetch";
 * const result = await prepareForRegistration(
 *   { subject: "652506", channel: "Ex_561_Em_593" },
 *   { orientation: "PIR", spacing: 0.025, out: ["brain.nii.gz", "brain.nrrd"], onWarning: (w) => console.warn(w.message) },
 * );
 * console.log(result.level.index, result.size); // 3, [737, 296, 532]
 * ```
 * @param request Subject (or asset), channel and optionally the level; or an opened source (left open).
 * @param options Everything {@linkcode prepareVolume} and {@linkcode writePrepared} take.
 * @returns Provenance, the files and sidecars written.
 * @throws {TypeError} For an unknown extension.
 * @throws {OutputExistsError} If an output or sidecar exists and `force` is not set (checked first).
 * @throws {NotFoundError} For an unknown subject, asset, channel or level.
 * @throws {MetadataError} For malformed or inconsistent metadata.
 * @throws {RangeError} For a spacing finer than every level, or a bad region.
 * @throws {SyntaxError} For an orientation that cannot be parsed.
 */
export async function prepareForRegistration(
  request: PrepareRequest | OpenedSource,
  options: PrepareOptions = {},
): Promise<PrepareResult> {
  options = checkOptions(options, PREPARE_OPTION_KEYS, "prepareForRegistration()");
  if (options.orientation !== undefined) resolveOrientation(options.orientation);
  if (options.out !== undefined) await checkPreparedOutputs(options.out, options);
  const prepared = await prepareVolume(request, options);
  const out = options.out ??
    defaultPreparedPath(prepared.asset.subjectId, prepared.channel.name, {
      level: prepared.level.index,
      orientation: options.orientation === undefined ? undefined : prepared.orientation.output.nibabel,
      spacing: options.spacing,
    });
  const written = await writePrepared(prepared, { ...options, out });
  const { volume, ...provenance } = prepared;
  const [nz, ny, nx] = volume.shape;
  return { ...provenance, ...written, size: [nx, ny, nz], dtype: volume.dtype };
}
