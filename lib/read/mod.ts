/**
 * Step 5 of the reference notebook, **read voxels**: a level (or a region of it) from an opened image or
 * source, whole or as a stream of z-slabs, through a bounded queue of chunk requests and a byte-budgeted
 * chunk cache. Public as `@spimfetch/spimfetch/read`.
 *
 * @module
 */
export {
  type ImageHolder,
  readLevel,
  type ReadLevelOptions,
  streamLevel,
  type VolumeStream,
} from "./read.ts";
export type { Region, VoxelRange } from "../core/volume.ts";
export { checkReadMemory, type ReadMemoryOptions } from "./memory.ts";
export {
  NIFTI1_HEADER_BYTES,
  NiftiFormatError,
  niftiGeometry,
  type NiftiHeader,
  type NiftiProblem,
  parseNiftiHeader,
} from "./nifti_header.ts";
export {
  decodeNifti,
  type NiftiFile,
  type NiftiInput,
  openNifti,
  type OpenNiftiOptions,
  voxelsFromBytes,
} from "./nifti_file.ts";
export {
  NIFTI_DATATYPES,
  type NiftiDatatype,
  niftiDatatypeNames,
  niftiDatatypeOf,
  niftiDatatypeOfCode,
} from "../core/nifti_datatypes.ts";
