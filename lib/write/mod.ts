/**
 * Step 6 of the reference notebook, **write**: NIfTI-1 (`.nii`, `.nii.gz`), gzip-encoded NRRD and OME-Zarr
 * (`.ome.zarr`, NGFF 0.4 or 0.5 with its 2× mean pyramid), streamed slab by slab, written atomically (a
 * temporary file or staging folder renamed into place; nothing replaced without `force`).
 * Public as `@spimfetch/spimfetch/write`.
 *
 * A new output format is a writer here taking a `Volume` or `VolumeStream` and an `ImageGeometry`, built on
 * `withAtomicFile` (one file, as `nifti.ts` and `nrrd.ts`) or `withAtomicDirectory` (a folder, as
 * `ome_zarr.ts`).
 *
 * @module
 */
export {
  type VolumeSlabs,
  writeNifti,
  type WriteNiftiOptions,
  type WriteNiftiProgress,
  type WriteNiftiResult,
} from "./nifti.ts";
export {
  buildNiftiHeader,
  NIFTI1_MAX_DIM,
  type NiftiHeaderOptions,
  type NiftiLayout,
} from "./nifti_header.ts";
export {
  buildNrrdHeader,
  type NrrdHeaderOptions,
  type NrrdSpace,
  writeNrrd,
  type WriteNrrdOptions,
  type WriteNrrdResult,
} from "./nrrd.ts";
export { type AtomicFileOptions, pathExists, withAtomicFile } from "./atomic_file.ts";
export type { VoxelArray } from "../core/volume.ts";
export {
  type OmeZarrCodec,
  type OmeZarrLevel,
  writeOmeZarr,
  type WriteOmeZarrOptions,
  type WriteOmeZarrProgress,
  type WriteOmeZarrResult,
} from "./ome_zarr.ts";
export type { OmeroWindow } from "./ome_zarr.ts";
export { type AtomicDirectoryOptions, withAtomicDirectory } from "./atomic_directory.ts";
