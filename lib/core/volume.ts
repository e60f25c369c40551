/**
 * Voxel containers and the geometry that places them in physical space.
 *
 * @module
 */

/** Voxel data types spimfetch reads and writes. */
export type VoxelType =
  | "int8"
  | "uint8"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "float32"
  | "float64";

/** The typed array that holds voxels of a {@linkcode VoxelType}. */
export type VoxelArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array;

/** A half-open voxel range `[start, stop)` along one axis. */
export type VoxelRange = [start: number, stop: number];

/** A box of voxels of one level, per spatial axis; a missing axis means all of it. */
export interface Region {
  /** Range along x (the fastest-varying axis). */
  x?: VoxelRange;
  /** Range along y. */
  y?: VoxelRange;
  /** Range along z (the slowest-varying axis). */
  z?: VoxelRange;
}

/**
 * Placement of an image's voxel grid in physical space, in ITK's conventions:
 * LPS coordinates in millimetres, index axes in ITK order (x, y, z), which is
 * the reverse of Zarr's (z, y, x).
 *
 * A voxel at ITK index `i` lies at `origin + direction · (spacing ⊙ i)`.
 */
export interface ImageGeometry {
  /** Voxel size along ITK index axes (x, y, z), in mm. */
  spacing: [number, number, number];
  /** Physical position (LPS, mm) of the voxel at index (0, 0, 0). */
  origin: [number, number, number];
  /**
   * Direction cosines, row-major 3×3: `direction[row][column]`, where column
   * `j` is the LPS unit vector along which ITK index axis `j` increases.
   */
  direction: [[number, number, number], [number, number, number], [number, number, number]];
}

/**
 * A 3-D block of voxels in C order: `shape` is (z, y, x) as in Zarr, and the
 * x index varies fastest in `data`. This is also NIfTI's voxel order for
 * dims (x, y, z), so it can be written without a transpose.
 */
export interface Volume<T extends VoxelArray = VoxelArray> {
  /** The voxels, x fastest. */
  data: T;
  /** Sizes along (z, y, x). */
  shape: [number, number, number];
  /** The voxel data type. */
  dtype: VoxelType;
}

/** The values each integer voxel type holds, for rounding and clamping into it. */
export const INTEGER_RANGES: Readonly<Partial<Record<VoxelType, readonly [number, number]>>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};

/** The typed array that holds each voxel type. */
export const VOXEL_ARRAYS = {
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

/**
 * Bytes per voxel of a data type.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { bytesPerVoxel } from "./volume.ts";
 * assert(bytesPerVoxel("uint16") === 2);
 * ```
 * @param dtype The voxel type.
 * @returns Its size in bytes.
 */
export function bytesPerVoxel(dtype: VoxelType): number {
  return VOXEL_ARRAYS[dtype].BYTES_PER_ELEMENT;
}

/**
 * Allocates a zeroed typed array for `length` voxels of `dtype`.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { allocateVoxels } from "./volume.ts";
 * assert(allocateVoxels("float32", 4) instanceof Float32Array);
 * ```
 * @param dtype The voxel type.
 * @param length Number of voxels.
 * @returns The array.
 */
export function allocateVoxels(dtype: VoxelType, length: number): VoxelArray {
  return new VOXEL_ARRAYS[dtype](length);
}

/**
 * Whether a string names a {@linkcode VoxelType}.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { isVoxelType } from "./volume.ts";
 * assert(isVoxelType("uint16") && !isVoxelType("complex64"));
 * ```
 * @param value Any string.
 * @returns True for the names spimfetch supports.
 */
export function isVoxelType(value: string): value is VoxelType {
  return Object.hasOwn(VOXEL_ARRAYS, value);
}
