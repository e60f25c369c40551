/**
 * The export pipeline's plan, made before any voxel moves: which level, which region, the grid after each
 * step (resample, reorient), the output's geometry, path, format and sidecar, and the temporary space
 * needed. Pure: it reads only the opened source's metadata, so every combination of options can be
 * checked (and shown) without a request.
 *
 * @module
 */
import type { AcquisitionAxis } from "../metadata/acquisition.ts";
import { applyAindCaveats, type CaveatWarning, checkAindCaveats } from "../metadata/aind_caveats.ts";
import { getLevel, type ImageLevel } from "../metadata/image.ts";
import { computeOrientation, type Orientation } from "../orient/orient.ts";
import {
  type AnatomicalAxes,
  orientationCode,
  type OrientationCodes,
  orientationCodes,
} from "../orient/codes.ts";
import {
  describeTransform,
  isIdentityTransform,
  orientationOfDirection,
  orientationTransform,
} from "../orient/transform.ts";
import { placeRegion } from "../orient/place_region.ts";
import { bytesPerVoxel, type ImageGeometry, type Region, type VoxelType } from "../core/volume.ts";
import {
  chooseLevel,
  type LevelChoice,
  regionFromMillimeters,
  type RegionMm,
} from "../select/choose_level.ts";
import { chooseLevelForSpacing, type ResampleGrid, resampleGrid } from "./resample.ts";
import { type ReorientedGrid, reorientGeometry, resolveOrientation } from "../orient/reorient.ts";
import type { OpenedSource } from "../source/open_source.ts";
import { formatOf, type OutputFormat, sidecarOf } from "./formats.ts";
import { reorientNeedsTempFile } from "./reorient_slabs.ts";
import { dirname } from "node:path";
import { checkOptions, type OptionKeys } from "../core/options.ts";

type Vec3 = [number, number, number];

/** What to export from an opened source: every option combines with every other. */
export interface ExportPlanOptions {
  /** The level: an index, `{ resolution }` (mm) or `{ maxBytes }`. @default {chosen by `spacing`, else 3} */
  level?: LevelChoice;
  /** Only this box of the level (voxel ranges). */
  roi?: Region;
  /** Only this box, in mm along the level's axes from voxel 0 (ignored when `roi` is given). */
  roiMm?: RegionMm;
  /** Resample to this spacing (mm) by area averaging: one number, or one per output axis (x, y, z). */
  spacing?: number | readonly [number, number, number];
  /** Reorient to this orientation: nibabel letters (`PIR` for the Allen CCF, `RAS`, ...) or axes. */
  orientation?: AnatomicalAxes | string;
  /** Apply the corrections of AIND's known metadata caveats that match. @default {false} */
  aindOrientationFix?: boolean;
  /** Voxel type: as stored (resampled means rounded), or float32. @default {"native"} */
  dtype?: "native" | "float32";
  /** The output path; its suffix picks the format (see `OUTPUT_FORMATS`). @default {a path under data/input/} */
  out?: string;
  /** Where temporary files go. @default {the output's directory} */
  tmpDir?: string;
}

/** One step of an export, as the sidecar records it. */
export type ExportStep =
  | {
    step: "read";
    level: number;
    region: Required<Region>;
    size: [number, number, number];
    spacing: [number, number, number];
  }
  | { step: "aind-caveat-correction"; id: string; description: string }
  | {
    step: "resample";
    method: "area-average";
    from: [number, number, number];
    to: [number, number, number];
    factors: [number, number, number];
    size: [number, number, number];
    rule: string;
  }
  | {
    step: "reorient";
    from: string;
    to: string;
    sourceAxis: [number, number, number];
    flip: [boolean, boolean, boolean];
    axes: string[];
  };

/** One grid of the pipeline: sizes (x, y, z) and where the voxels lie. */
export interface PlannedGrid {
  /** Sizes along x, y, z. */
  size: [number, number, number];
  /** Where the voxels lie (LPS, mm). */
  geometry: ImageGeometry;
}

/** What {@linkcode planExport} decided. */
export interface ExportPlan {
  /** The level read. */
  level: ImageLevel;
  /** Its voxels read. */
  region: Required<Region>;
  /** The orientation of the whole level, from the axes trusted. */
  orientation: Orientation;
  /** The acquisition axes trusted (as recorded, or corrected). */
  trustedAxes: AcquisitionAxis[];
  /** Caveats that match the acquisition. */
  warnings: CaveatWarning[];
  /** Ids of the caveats corrected. */
  corrections: string[];
  /** The region read, before any step. */
  read: PlannedGrid;
  /** The resampling, when a spacing was asked for. */
  resample?: ResampleGrid;
  /** The reorientation, when it changes anything. */
  reorient?: ReorientedGrid;
  /** The orientation before and after. */
  orientations: { source: OrientationCodes; output: OrientationCodes };
  /** The output. */
  output: PlannedGrid & { path: string; format: OutputFormat; sidecar: string; dtype: VoxelType };
  /** Where the temporary file goes and its size (0: none). */
  temp: { directory: string; bytes: number };
  /** The steps, as the sidecar records them. */
  steps: ExportStep[];
}

/** What planning reads of an opened source: its metadata only. */
export type PlanSource = Pick<OpenedSource, "asset" | "channel" | "image" | "acquisition">;
type Source = PlanSource;

/** The keys of {@linkcode ExportPlanOptions}, checked at run time. */
export const EXPORT_PLAN_OPTION_KEYS: OptionKeys<ExportPlanOptions> = {
  level: true,
  roi: true,
  roiMm: true,
  spacing: true,
  orientation: true,
  aindOrientationFix: true,
  dtype: true,
  out: true,
  tmpDir: true,
};

/**
 * Plans an export (see the module documentation) without any request.
 *
 * @example The level nearest 25 µm, a box in mm, in PIR
 * ```ts ignore
 * import { openSource } from "@spimfetch/spimfetch";
 * import { planExport } from "@spimfetch/spimfetch/export";
 * using source = await openSource({ subject: "652506", channel: "Ex_561_Em_593" });
 * const plan = planExport(source, { level: { resolution: 0.025 }, roiMm: { z: [1, 3] }, orientation: "PIR", out: "b.nii.gz" });
 * console.log(plan.level.index, plan.output.size, plan.temp.bytes);
 * ```
 * @param source The opened source (only its metadata is read).
 * @param options Level, region, spacing, orientation, voxel type, output.
 * @returns The plan.
 * @throws {RangeError} For an unknown level, a bad region or spacing, or an oblique direction.
 * @throws {SyntaxError} For an orientation that cannot be parsed.
 * @throws {TypeError} For an output suffix no format has.
 */
export function planExport(source: PlanSource, options: ExportPlanOptions = {}): ExportPlan {
  options = checkOptions(options, EXPORT_PLAN_OPTION_KEYS, "planExport()");
  const target = options.orientation === undefined ? undefined : resolveOrientation(options.orientation);
  if (options.out !== undefined) formatOf(options.out);
  const trusted = trustAxes(source, options.aindOrientationFix === true);
  const level = planLevel(source, trusted.axes, target, options);
  const orientation = computeOrientation(trusted.axes, { size: level.size, spacing: level.spacing });
  const region = options.roi ?? (options.roiMm ? regionFromMillimeters(level, options.roiMm) : undefined);
  const read = readGrid(level, orientation, region);
  const resample = options.spacing === undefined ? undefined : resampleGrid(read.geometry, {
    size: read.size,
    spacing: sourceSpacing(read.geometry, target, options.spacing),
  });
  const beforeReorient: PlannedGrid = resample ?? read;
  const grid = target &&
    reorientGeometry(beforeReorient.geometry, { size: beforeReorient.size, orientation: target });
  const reorient = grid && !isIdentityTransform(grid.transform) ? grid : undefined;
  const last: PlannedGrid = reorient ?? beforeReorient;
  const dtype: VoxelType = options.dtype === "float32" ? "float32" : level.dtype;
  const path = options.out ?? defaultExportPath(source, level.index, options);
  const format = formatOf(path);
  const needsTemp = reorient !== undefined &&
    reorientNeedsTempFile(beforeReorient.geometry, beforeReorient.size, target!);
  const voxels = last.size[0] * last.size[1] * last.size[2];
  const from = orientationOfDirection(read.geometry.direction);
  return {
    level,
    region: read.region,
    orientation,
    ...trusted.caveats,
    trustedAxes: trusted.axes,
    read,
    resample,
    reorient,
    orientations: { source: orientationCodes(from), output: orientationCodes(target ?? from) },
    output: { ...last, path, format, sidecar: sidecarOf(path), dtype },
    temp: {
      directory: options.tmpDir ?? dirname(path),
      bytes: needsTemp ? voxels * bytesPerVoxel(dtype) : 0,
    },
    steps: planSteps(level, read, trusted.steps, resample, reorient),
  };
}

function trustAxes(
  source: Source,
  fix: boolean,
): {
  axes: AcquisitionAxis[];
  caveats: { warnings: CaveatWarning[]; corrections: string[] };
  steps: ExportStep[];
} {
  const { acquisition, asset } = source;
  const warnings = checkAindCaveats(acquisition, { asset });
  if (!fix) return { axes: [...acquisition.axes], caveats: { warnings, corrections: [] }, steps: [] };
  const fixed = applyAindCaveats(acquisition, { asset });
  return {
    axes: [...fixed.acquisition.axes],
    caveats: { warnings, corrections: fixed.applied.map((a) => a.id) },
    steps: fixed.applied.map((a) => ({ step: "aind-caveat-correction", id: a.id, description: a.title })),
  };
}

function planLevel(
  source: Source,
  axes: AcquisitionAxis[],
  target: AnatomicalAxes | undefined,
  options: ExportPlanOptions,
): ImageLevel {
  const { image } = source;
  const choice = options.level;
  if (typeof choice === "number") return getLevel(image, choice);
  if (choice !== undefined) {
    const dtype = options.dtype === "float32" ? "float32" : undefined;
    return image.levels[chooseLevel(image, choice, { roiMm: options.roiMm, dtype }).index];
  }
  if (options.spacing === undefined) return getLevel(image, Math.min(3, image.levels.length - 1));
  // The spacing is along the output's axes; the levels' along the source's.
  const finest = image.levels[0];
  const geometry = computeOrientation(axes, { size: finest.size, spacing: finest.spacing }).geometry;
  return getLevel(
    image,
    chooseLevelForSpacing(image.levels, sourceSpacing(geometry, target, options.spacing)),
  );
}

function readGrid(
  level: ImageLevel,
  orientation: Orientation,
  region: Region | undefined,
): PlannedGrid & { region: Required<Region> } {
  const full: Required<Region> = {
    x: region?.x ?? [0, level.size[0]],
    y: region?.y ?? [0, level.size[1]],
    z: region?.z ?? [0, level.size[2]],
  };
  (["x", "y", "z"] as const).forEach((axis, j) => {
    const [from, to] = full[axis];
    if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && from < to && to <= level.size[j])) {
      throw new RangeError(
        `Cannot read ${axis} voxels ${from}:${to} of level ${level.index}: expected 0 <= from < to <= ${
          level.size[j]
        }`,
      );
    }
  });
  const size = [full.x[1] - full.x[0], full.y[1] - full.y[0], full.z[1] - full.z[0]] as Vec3;
  return { region: full, size, geometry: placeRegion(orientation.geometry, level, full) };
}

/** A spacing given along the output's axes (after reorientation), put along the source's. */
function sourceSpacing(
  geometry: ImageGeometry,
  target: AnatomicalAxes | undefined,
  spacing: number | readonly [number, number, number],
): Vec3 {
  if (typeof spacing === "number") return [spacing, spacing, spacing];
  if (!target) return [...spacing] as Vec3;
  const transform = orientationTransform(orientationOfDirection(geometry.direction), target);
  const out = [0, 0, 0] as Vec3;
  transform.sourceAxis.forEach((s, o) => (out[s] = spacing[o]));
  return out;
}

const HALF_VOXEL_RULE =
  "output voxel i has its centre at input index (i + 0.5)·f − 0.5, f = output/input spacing";

function planSteps(
  level: ImageLevel,
  read: PlannedGrid & { region: Required<Region> },
  corrections: ExportStep[],
  resample: ResampleGrid | undefined,
  reorient: ReorientedGrid | undefined,
): ExportStep[] {
  const steps: ExportStep[] = [
    { step: "read", level: level.index, region: read.region, size: read.size, spacing: [...level.spacing] },
    ...corrections,
  ];
  if (resample) {
    steps.push({
      step: "resample",
      method: "area-average",
      from: [...level.spacing],
      to: [...resample.geometry.spacing],
      factors: resample.factors,
      size: resample.size,
      rule: HALF_VOXEL_RULE,
    });
  }
  if (reorient) {
    steps.push({
      step: "reorient",
      from: orientationCode(reorient.from, "nibabel"),
      to: orientationCode(reorient.to, "nibabel"),
      sourceAxis: [...reorient.transform.sourceAxis],
      flip: [...reorient.transform.flip],
      axes: describeTransform(reorient.transform, reorient.to),
    });
  }
  return steps;
}

function spacingLabel(spacing: number | readonly number[]): string {
  const um = (mm: number): string => String(Number((mm * 1000).toPrecision(6)));
  return typeof spacing === "number" || spacing.every((s) => s === spacing[0])
    ? `${um(typeof spacing === "number" ? spacing : spacing[0])}um`
    : `${spacing.map(um).join("x")}um`;
}

/** The keys {@linkcode defaultExportPath} reads, checked at run time. */
const DEFAULT_EXPORT_PATH_OPTION_KEYS: OptionKeys<Pick<ExportPlanOptions, "orientation" | "spacing">> = {
  orientation: true,
  spacing: true,
};

/**
 * The default output path of an export:
 * `data/input/<subject>/<subject>_<channel>_L<level>[_<orientation>][_<spacing>um].nii.gz`.
 *
 * @example
 * ```ts ignore
 * defaultExportPath(source, 3, { orientation: "pir", spacing: 0.025 }); // data/input/652506/652506_Ex_561_Em_593_L3_PIR_25um.nii.gz
 * ```
 * @param source The source (for the subject and channel).
 * @param level The level index.
 * @param options The orientation and spacing, when given.
 * @returns The relative path.
 */
export function defaultExportPath(
  source: Pick<PlanSource, "asset" | "channel">,
  level: number,
  options: Pick<ExportPlanOptions, "orientation" | "spacing">,
): string {
  options = checkOptions(options, DEFAULT_EXPORT_PATH_OPTION_KEYS, "defaultExportPath()");
  const subject = source.asset.subjectId;
  const parts = [`${subject}_${source.channel.name}_L${level}`];
  if (options.orientation !== undefined) {
    parts.push(orientationCode(resolveOrientation(options.orientation), "nibabel").toUpperCase());
  }
  if (options.spacing !== undefined) parts.push(spacingLabel(options.spacing));
  return `data/input/${subject}/${parts.join("_")}.nii.gz`;
}
