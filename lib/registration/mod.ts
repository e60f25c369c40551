/**
 * Registration-ready output: a level reoriented to an atlas orientation (the Allen CCF's `PIR`, or any of
 * 48), resampled to atlas spacing by area averaging, written as NIfTI or NRRD with a JSON sidecar, AIND's
 * metadata caveats checked or corrected. Public as `@spimfetch/spimfetch/registration`.
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
