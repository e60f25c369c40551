/**
 * Choosing a resolution level by what the user needs (a voxel size, a byte
 * budget) rather than by index, and regions given in voxels or millimetres.
 *
 * @module
 */
import type { ImageLevel, OmeZarrImage } from "../metadata/image.ts";
import { bytesPerVoxel, type Region, type VoxelRange, type VoxelType } from "../core/volume.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** How to choose a level: by index, by voxel size, or by output size. */
export type LevelChoice =
  | number
  | { resolution: number }
  | { maxBytes: number };

/** Options for {@linkcode chooseLevel}. */
export interface ChooseLevelOptions {
  /** A region in mm (see {@linkcode regionFromMillimeters}) whose size counts against `maxBytes`. */
  roiMm?: RegionMm;
  /** The voxel type written, for `maxBytes`. @default {each level's own} */
  dtype?: VoxelType;
}

/**
 * Picks a level: an index as is; `{ resolution }` (mm) gives the coarsest
 * level whose voxels are at least that fine on every axis (the finest level
 * if none is); `{ maxBytes }` gives the finest level whose output (the region,
 * if any) fits the budget.
 *
 * @example
 * ```ts
 * import { assertStrictEquals } from "@std/assert";
 * import { chooseLevel } from "@spimfetch/spimfetch";
 * const level = (index: number, mm: number) => ({ index, spacing: [mm, mm, mm], size: [1000 >> index, 1000 >> index, 500 >> index], dtype: "uint16" });
 * const image = { uri: "s3://b/i.zarr", levels: [0, 1, 2, 3].map((i) => level(i, 0.0036 * 2 ** i)) } as never;
 * assertStrictEquals(chooseLevel(image, { resolution: 0.025 }).index, 2); // 0.0144 mm; level 3 is 0.0288
 * assertStrictEquals(chooseLevel(image, { maxBytes: 2e7 }).index, 2);
 * ```
 * @param image The image.
 * @param choice An index, `{ resolution }` in mm, or `{ maxBytes }`.
 * @param options A region in mm and the output voxel type.
 * @returns The level.
 * @throws {RangeError} If the index does not exist, the resolution is not positive, or no level fits the budget.
 */
export function chooseLevel(
  image: Pick<OmeZarrImage, "uri" | "levels">,
  choice: LevelChoice,
  options: ChooseLevelOptions = {},
): Pick<ImageLevel, "index" | "spacing" | "size" | "dtype"> {
  options = checkOptions(options, CHOOSE_LEVEL_OPTION_KEYS, "chooseLevel()");
  const levels = image.levels;
  if (typeof choice === "number") {
    const found = levels[choice];
    if (!found || !Number.isInteger(choice)) {
      throw new RangeError(
        `Unknown level ${choice} in ${image.uri}: available levels are 0 to ${levels.length - 1}`,
      );
    }
    return found;
  }
  if ("resolution" in choice) {
    if (!(choice.resolution > 0)) {
      throw new RangeError(`Cannot aim for a resolution of ${choice.resolution} mm`);
    }
    return coarsestLevelAtMost(levels, choice.resolution) ?? levels[0];
  }
  const fits = levels.find((l) => outputBytes(l, options) <= choice.maxBytes);
  if (!fits) {
    const smallest = outputBytes(levels.at(-1)!, options);
    throw new RangeError(
      `No level of ${image.uri} fits in ${choice.maxBytes} bytes: the coarsest needs ${smallest}`,
    );
  }
  return fits;
}

/**
 * The coarsest level whose voxels are at least as fine as `spacing` on every
 * axis: the rule behind `chooseLevel(image, { resolution })` and, for
 * resampling, `chooseLevelForSpacing` (averaging from it reaches the target
 * over as few input voxels as possible). "Coarsest" is the largest voxel
 * volume; of two levels with the same volume, the later (OME-NGFF lists
 * levels finest first). A spacing equal to the target within one part in
 * 10⁹ counts as fine enough, so that rounded metadata does not skip a level.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { coarsestLevelAtMost } from "./choose_level.ts";
 * const levels = [0, 1, 2, 3].map((index) => ({ index, spacing: [0.0036 * 2 ** index, 0.0036 * 2 ** index, 0.004 * 2 ** index] }));
 * assertEquals(coarsestLevelAtMost(levels, 0.025)?.index, 2); // level 3 is 0.0288 x 0.0288 x 0.032 mm
 * assertEquals(coarsestLevelAtMost(levels, [0.1, 0.1, 0.01])?.index, 1); // z allows no coarser
 * assertEquals(coarsestLevelAtMost(levels, 0.001), undefined);
 * ```
 * @param levels The levels, each with its spacing along ITK axes x, y, z in mm.
 * @param spacing The target in mm: one number for every axis, or one per axis (x, y, z).
 * @returns The level, or `undefined` if every level is coarser than the target on some axis.
 */
export function coarsestLevelAtMost<L extends { readonly spacing: readonly number[] }>(
  levels: readonly L[],
  spacing: number | readonly number[],
): L | undefined {
  const target = (axis: number): number => typeof spacing === "number" ? spacing : spacing[axis];
  const volume = (level: L): number => level.spacing.reduce((a, b) => a * b, 1);
  let best: L | undefined;
  for (const level of levels) {
    if (!level.spacing.every((s, axis) => s <= target(axis) * (1 + 1e-9))) continue;
    if (best === undefined || volume(level) >= volume(best)) best = level;
  }
  return best;
}

/** The keys of {@linkcode ChooseLevelOptions}, checked at run time. */
const CHOOSE_LEVEL_OPTION_KEYS: OptionKeys<ChooseLevelOptions> = {
  roiMm: true,
  dtype: true,
};

/**
 * Bytes of a level's output (or of a region of it).
 *
 * @example
 * ```ts
 * import { assertStrictEquals } from "@std/assert";
 * import { outputBytes } from "./choose_level.ts";
 * assertStrictEquals(outputBytes({ size: [925, 1280, 464], spacing: [0.0144, 0.0144, 0.016], dtype: "uint16" }), 1098752000);
 * ```
 * @param level The level.
 * @param options A region in mm and the output voxel type.
 * @returns The byte count.
 */
export function outputBytes(
  level: Pick<ImageLevel, "size" | "spacing" | "dtype">,
  options: ChooseLevelOptions = {},
): number {
  options = checkOptions(options, CHOOSE_LEVEL_OPTION_KEYS, "outputBytes()");
  const region = options.roiMm ? regionFromMillimeters(level, options.roiMm) : undefined;
  const counts = region ? [region.x, region.y, region.z].map(([a, b]) => b - a) : level.size;
  return counts[0] * counts[1] * counts[2] * bytesPerVoxel(options.dtype ?? level.dtype);
}

/** A box in millimetres along the image's own x, y and z axes, measured from the centre of voxel 0. */
export interface RegionMm {
  /** `[from, to]` along x, in mm. */
  x?: [number, number];
  /** `[from, to]` along y, in mm. */
  y?: [number, number];
  /** `[from, to]` along z, in mm. */
  z?: [number, number];
}

/**
 * The voxels of a level whose centres lie in a box given in mm, clipped to the level.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { regionFromMillimeters } from "./choose_level.ts";
 * const level = { size: [100, 100, 50] as [number, number, number], spacing: [0.1, 0.1, 0.2] as [number, number, number] };
 * assertEquals(regionFromMillimeters(level, { x: [1, 2], z: [0, 100] }), { x: [10, 21], y: [0, 100], z: [0, 50] });
 * ```
 * @param level The level's size and spacing (ITK order).
 * @param box The box.
 * @returns Voxel ranges.
 * @throws {RangeError} If the box misses the level or has `from > to`.
 */
export function regionFromMillimeters(
  level: Pick<ImageLevel, "size" | "spacing">,
  box: RegionMm,
): Required<Region> {
  const axis = (name: "x" | "y" | "z", j: number): VoxelRange => {
    const range = box[name];
    if (!range) return [0, level.size[j]];
    const [from, to] = range;
    if (!(from <= to)) {
      throw new RangeError(`Cannot use the ${name} range ${from}:${to} mm: expected from <= to`);
    }
    const s = level.spacing[j];
    // Small tolerance so that a bound on a voxel centre counts as inside despite float rounding.
    const start = Math.max(0, Math.ceil(from / s - 1e-9));
    const stop = Math.min(level.size[j], Math.floor(to / s + 1e-9) + 1);
    if (start >= stop) {
      throw new RangeError(
        `The ${name} range ${from}:${to} mm holds no voxel centre of a level ${
          (level.size[j] - 1) * s
        } mm long (spacing ${s} mm)`,
      );
    }
    return [start, stop];
  };
  return { x: axis("x", 0), y: axis("y", 1), z: axis("z", 2) };
}

/**
 * Parses a region as the CLI takes it: `x=A:B,y=A:B,z=A:B` (any subset, in
 * any order); numbers are voxels, or mm with `unit: "mm"`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseRegion } from "./choose_level.ts";
 * assertEquals(parseRegion("x=10:20,z=0:5"), { x: [10, 20], z: [0, 5] });
 * ```
 * @param text The region.
 * @returns Ranges per axis.
 * @throws {SyntaxError} If the text does not have that form.
 */
export function parseRegion(text: string): RegionMm {
  const region: RegionMm = {};
  for (const part of text.split(",")) {
    const match = /^\s*([xyz])\s*=\s*(-?[\d.]+(?:e-?\d+)?)\s*:\s*(-?[\d.]+(?:e-?\d+)?)\s*$/i.exec(part);
    if (!match) {
      throw new SyntaxError(
        `Cannot parse region "${text}": expected axis=from:to parts such as x=100:400,y=0:640,z=50:100`,
      );
    }
    const name = match[1].toLowerCase() as "x" | "y" | "z";
    if (region[name]) throw new SyntaxError(`Cannot parse region "${text}": axis ${name} is given twice`);
    region[name] = [Number(match[2]), Number(match[3])];
  }
  return region;
}
