/**
 * CCF space: the step after the reference notebook's six steps (list, select,
 * metadata, orient, read, write). For a SmartSPIM asset that AIND's pipeline
 * registered to the Allen CCF, it finds the registration, rebuilds the
 * pipeline's LS space (with the version corrections AIND's capsule made),
 * reads the four ANTs transforms (two per-asset, two shared template → CCF),
 * and maps points both ways between level-0 Zarr indices and CCF coordinates,
 * or resamples a whole channel into the CCF 25 µm grid.
 *
 * Sources: AIND's `aind-zarr-utils` (AZU) and `aind-smartspim-ccf-registration`
 * (REG); ANTs and ITK for the file formats and the order of transforms.
 *
 * @example Map a point of a registered asset to Allen CCF µm
 * ```ts ignore
 * import { openCcfSpace, zarrToCcf } from "./mod.ts";
 * const space = await openCcfSpace({ subject: "784354" });
 * console.log(zarrToCcf(space, [[3000, 5000, 4000]])[0].allen); // { ap, dv, ml }
 * space.close();
 * ```
 *
 * @module
 */
export { type AntsAffine, parseAntsAffine } from "./_mat.ts";
export { type DisplacementField, displacePoint, parseDisplacementField } from "./_warp.ts";
export {
  type AffineMap,
  ccfPointToLs,
  type CcfTransforms,
  DEFAULT_TEMPLATE_PREFIX,
  LS_TRANSFORM_FILES,
  lsPointToCcf,
  TEMPLATE_TRANSFORM_FILES,
} from "./_transforms.ts";
export { clearTransformCache } from "./_read_transforms.ts";
export {
  CORRECTION_RULES,
  type CorrectionRule,
  correctionsFor,
  type PipelineGeometry,
  pipelineGeometry,
  RAS_CORNER_TARGET,
  versionSatisfies,
} from "./_versions.ts";
export {
  findRegistration,
  type FindRegistrationOptions,
  parseProcessing,
  type ProcessingFacts,
  type Registration,
  RegistrationError,
} from "./_registration.ts";
export {
  type CcfSpace,
  type CcfSpaceRequest,
  describeCorrections,
  openCcfSpace,
  type OpenCcfSpaceOptions,
  type TransformFile,
} from "./_space.ts";
export {
  type AllenPoint,
  allenToLps,
  type CcfPoint,
  ccfToZarr,
  lpsToAllen,
  lpsToZarrIndex,
  mapPointsCsv,
  PointsCsvError,
  zarrIndexToLps,
  zarrToCcf,
} from "./_points.ts";
export {
  CCF_25_GRID,
  type CcfGrid,
  type CcfResampling,
  chooseCcfLevel,
  resampleToCcf,
  type ResampleToCcfOptions,
} from "./_resample.ts";
export {
  type CcfComparison,
  writeBrainInCcf,
  type WriteBrainInCcfOptions,
  type WriteBrainInCcfResult,
} from "./_write.ts";
export { readTemplateFile } from "./_template.ts";
export { type NiftiStream, openNiftiStream } from "./_nifti_stream.ts";
export { axesAsRegistered, isSplAcquisition, RECENT_TEMPLATE_ORIENTATIONS } from "./_spl.ts";
