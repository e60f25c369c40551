/**
 * The reference notebook end to end: one level of one channel from S3 to an oriented NIfTI file, streamed.
 *
 * @module
 */
export {
  defaultOutputPath,
  exportNifti,
  type ExportOptions,
  type ExportRequest,
  type ExportResult,
  placeRegion,
} from "./export_nifti.ts";
