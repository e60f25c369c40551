/**
 * Registration-ready output: a level reoriented to an atlas orientation (the Allen CCF's `PIR`, or any of
 * 48), resampled to atlas spacing by area averaging, AIND's metadata caveats checked or corrected, written
 * in any format with a JSON sidecar. By names, streamed in bounded memory: {@linkcode prepareForRegistration}
 * (the export pipeline, several outputs from one read). On an opened source, into memory:
 * {@linkcode prepareVolume}, then {@linkcode writePrepared}. The steps themselves (resampling, reorientation)
 * live with the pipeline (`lib/export`, `lib/orient`) and are re-exported here. Public as
 * `@spimfetch/spimfetch/registration`.
 *
 * @module
 */
export { prepareForRegistration, type PrepareOptions, type PrepareResult } from "./prepare.ts";
export {
  type PreparedVolume,
  type PrepareRequest,
  type PrepareStep,
  prepareVolume,
  type PrepareVolumeOptions,
} from "./prepare_volume.ts";
export {
  type OrientedVolume,
  type ReorientedGrid,
  reorientGeometry,
  type ReorientResult,
  reorientVolume,
  resolveOrientation,
} from "../orient/reorient.ts";
export {
  chooseLevelForSpacing,
  feasibleSpacing,
  type ResampleGrid,
  resampleGrid,
  type ResampleGridOptions,
  type ResampleOptions,
  type ResampleResult,
  resampleSlabs,
  resampleVolume,
} from "../export/resample.ts";
export {
  checkPreparedOutputs,
  defaultPreparedPath,
  type PreparedFile,
  sidecarPath,
  writePrepared,
  type WritePreparedOptions,
  type WritePreparedResult,
} from "./write_prepared.ts";
