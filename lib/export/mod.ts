/**
 * The export pipeline: an opened source to one output in any format, every option combining with every
 * other (level, region, spacing, orientation, voxel type), streamed in bounded memory, with a provenance
 * sidecar. Public as `@spimfetch/spimfetch/export`.
 *
 * - {@linkcode planExport}: what will be read and written (pure, no request);
 * - {@linkcode exportImage}: the pipeline on an opened source;
 * - {@linkcode exportNifti}: the same, by subject and channel names;
 * - {@linkcode OUTPUT_FORMATS}: the one table of formats (suffix → writer, readers, sidecar).
 *
 * @module
 */
export {
  defaultOutputPath,
  exportNifti,
  type ExportOptions,
  type ExportRequest,
  type ExportResult,
} from "./export_nifti.ts";
export {
  checkOutputs,
  exportImage,
  type ExportImageOptions,
  type ExportImageResult,
} from "./export_image.ts";
export {
  defaultExportPath,
  type ExportPlan,
  type ExportPlanOptions,
  type ExportStep,
  planExport,
  type PlannedGrid,
  type PlanSource,
} from "./plan.ts";
export {
  describeFormats,
  type FormatDescription,
  formatOf,
  type FormatWriteOptions,
  type OmeZarrOutputOptions,
  OUTPUT_FORMATS,
  type OutputFormat,
  sidecarOf,
} from "./formats.ts";
export {
  type ReorientedSlabs,
  reorientNeedsTempFile,
  reorientSlabs,
  type ReorientSlabsOptions,
} from "./reorient_slabs.ts";
export {
  exportSidecar,
  type SidecarFile,
  type SidecarPlan,
  type SidecarSource,
  writeExportSidecar,
} from "./sidecar.ts";
export { checkFreeSpace, DiskSpaceError, freeBytes, tempPathFor } from "../core/temp_space.ts";
export { placeRegion } from "../orient/place_region.ts";
