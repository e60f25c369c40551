/**
 * What every step shares: the typed errors a caller catches, the voxel and geometry types, and the bound on
 * work in flight. No module here imports from another folder of `lib/`.
 *
 * @module
 */
export {
  MetadataError,
  NotFoundError,
  type NotFoundKind,
  OutputExistsError,
  S3RequestError,
  type SpimfetchErrorOptions,
} from "./errors.ts";
export {
  allocateVoxels,
  bytesPerVoxel,
  type ImageGeometry,
  isVoxelType,
  type Volume,
  type VoxelArray,
  type VoxelType,
} from "./volume.ts";
export { Limiter } from "./limiter.ts";
