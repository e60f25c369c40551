/**
 * The geometry of a region of a level: where its first voxel lies. Shared by every export road (the pipeline,
 * registration-ready output), so it sits below both.
 *
 * @module
 */
import type { ImageLevel } from "../metadata/image.ts";
import type { ImageGeometry, Region } from "../core/volume.ts";

/**
 * The geometry of a region of a level: the level's, with the origin moved to
 * the region's first voxel and the NGFF translation applied.
 *
 * @example
 * ```ts ignore
 * const geometry = placeRegion(orientation.geometry, level, { x: [10, 20], y: [0, 5], z: [3, 4] });
 * ```
 * @param geometry The full level's geometry (origin at voxel 0, no translation).
 * @param level The level, for its NGFF translation.
 * @param region The region's voxel ranges.
 * @returns The region's geometry.
 */
export function placeRegion(
  geometry: ImageGeometry,
  level: Pick<ImageLevel, "translation">,
  region: Required<Region>,
): ImageGeometry {
  const start = [region.x[0], region.y[0], region.z[0]];
  const shift = start.map((s, j) => s * geometry.spacing[j] + level.translation[j]);
  const origin = geometry.origin.map((o, row) =>
    o + geometry.direction[row].reduce((sum, d, j) => sum + d * shift[j], 0)
  ) as [number, number, number];
  return { ...geometry, origin };
}
