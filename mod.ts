/**
 * spimfetch: SmartSPIM light-sheet volumes from public S3 buckets (OME-Zarr) to analysis-ready, correctly
 * oriented NIfTI.
 *
 * The steps of the reference notebook, each a function (and a folder of `lib/`):
 *
 * 1. **list** the assets of a bucket: {@linkcode listAssets}, {@linkcode parseAssetName}
 * 2. **select** a stitched asset, channel and level: {@linkcode selectAsset}, {@linkcode listChannels},
 *    {@linkcode selectChannel}, {@linkcode chooseLevel}
 * 3. **read metadata**: {@linkcode openImage} (OME-NGFF multiscales), {@linkcode readAcquisition}
 * 4. **orient**: {@linkcode computeOrientation}, {@linkcode toRasAffine}
 * 5. **read voxels**: {@linkcode readLevel}, {@linkcode streamLevel}
 * 6. **write** NIfTI-1, NRRD or OME-Zarr: {@linkcode writeNifti}, {@linkcode writeNrrd}, {@linkcode writeOmeZarr}
 *
 * Steps 2 and 3 at once, with one S3 client that every later step reuses: {@linkcode openSource}. All the
 * steps at once: {@linkcode exportNifti}. Registration-ready output (atlas orientation such as the Allen
 * CCF's `PIR`, atlas spacing, NIfTI or NRRD with a JSON sidecar): {@linkcode prepareForRegistration}.
 *
 * Everything else is public under subpaths: `@spimfetch/spimfetch/s3`, `/metadata`, `/orientation`,
 * `/read`, `/write`, `/codecs`, `/registration`, `/display` (notebook tables and pictures), `/ccf` (Allen CCF
 * space from AIND's own registration: points both ways, the brain resampled), `/cohort` (cohort summaries).
 *
 * @example The reference notebook's job
 * ```ts ignore
 * import { exportNifti } from "@spimfetch/spimfetch";
 * const result = await exportNifti({ subject: "652506", channel: "Ex_561_Em_593", level: 3 });
 * console.log(result.path); // data/input/652506/652506_Ex_561_Em_593_L3.nii.gz
 * ```
 *
 * @module
 */
export { type Asset, listAssets, type ListOptions, parseAssetName } from "./lib/list/mod.ts";
export {
  type Channel,
  chooseLevel,
  type ChooseLevelOptions,
  findStitchedAssets,
  type LevelChoice,
  listChannels,
  type RegionMm,
  selectAsset,
  selectChannel,
  type SelectOptions,
} from "./lib/select/mod.ts";
export {
  type DescribeOptions,
  describeTarget,
  type OpenedSource,
  openSource,
  type OpenSourceOptions,
  type SourceRequest,
  type TargetDescription,
} from "./lib/source/mod.ts";
export {
  type Acquisition,
  type AcquisitionRecord,
  checkAindCaveats,
  getLevel,
  type ImageLevel,
  type OmeZarrImage,
  openImage,
  readAcquisition,
} from "./lib/metadata/mod.ts";
export { computeOrientation, type Orientation, parseOrientation, toRasAffine } from "./lib/orient/mod.ts";
export {
  readLevel,
  type ReadLevelOptions,
  type Region,
  streamLevel,
  type VolumeStream,
} from "./lib/read/mod.ts";
export {
  writeNifti,
  type WriteNiftiOptions,
  type WriteNiftiResult,
  writeOmeZarr,
  type WriteOmeZarrOptions,
  type WriteOmeZarrResult,
} from "./lib/write/mod.ts";
export {
  defaultOutputPath,
  exportImage,
  type ExportImageOptions,
  type ExportImageResult,
  exportNifti,
  type ExportOptions,
  type ExportRequest,
  type ExportResult,
  OUTPUT_FORMATS,
} from "./lib/export/mod.ts";
export {
  prepareForRegistration,
  type PrepareOptions,
  type PrepareRequest,
  type PrepareResult,
  prepareVolume,
} from "./lib/registration/mod.ts";
export {
  type ImageGeometry,
  MetadataError,
  NotFoundError,
  type NotFoundKind,
  OutputExistsError,
  S3RequestError,
  type Volume,
  type VoxelArray,
  type VoxelType,
} from "./lib/core/mod.ts";
export { AIND_BUCKET, type S3Options } from "./lib/s3/mod.ts";
export { notebookProgress, type ProgressEvent, settingsFromEnv, show } from "./lib/display/mod.ts";
