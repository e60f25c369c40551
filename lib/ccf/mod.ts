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
export { type AntsAffine, parseAntsAffine } from "./ants_affine.ts";
export { type DisplacementField, displacePoint, parseDisplacementField } from "./displacement_field.ts";
export {
  type AffineMap,
  ccfPointToLs,
  type CcfTransforms,
  DEFAULT_TEMPLATE_PREFIX,
  LS_TRANSFORM_FILES,
  lsPointToCcf,
  TEMPLATE_TRANSFORM_FILES,
} from "./transforms.ts";
export { clearTransformCache } from "./read_transforms.ts";
export {
  CORRECTION_RULES,
  type CorrectionRule,
  correctionsFor,
  type PipelineGeometry,
  pipelineGeometry,
  RAS_CORNER_TARGET,
  versionSatisfies,
} from "./versions.ts";
export {
  findRegistration,
  type FindRegistrationOptions,
  parseProcessing,
  type ProcessingFacts,
  type Registration,
  RegistrationError,
} from "./registration.ts";
export {
  type CcfSpace,
  type CcfSpaceRequest,
  describeCorrections,
  openCcfSpace,
  type OpenCcfSpaceOptions,
  type TransformFile,
} from "./ccf_space.ts";
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
} from "./points.ts";
export {
  CCF_25_GRID,
  type CcfGrid,
  type CcfResampling,
  chooseCcfLevel,
  resampleToCcf,
  type ResampleToCcfOptions,
} from "./resample_to_ccf.ts";
export {
  type CcfComparison,
  writeBrainInCcf,
  type WriteBrainInCcfOptions,
  type WriteBrainInCcfResult,
} from "./write_brain_in_ccf.ts";
export { readTemplateFile } from "./template.ts";
export { type NiftiStream, openNiftiStream } from "./nifti_stream.ts";
export { axesAsRegistered, isSplAcquisition, RECENT_TEMPLATE_ORIENTATIONS } from "./spl_acquisition.ts";
