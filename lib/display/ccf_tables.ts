/**
 * Notebook tables of a registered asset's CCF space, each cell with its unit, so that a reader of the
 * exported page understands every output without the code: the registration found, the pipeline's LS
 * space (its level-0 grid, the corrections applied and the transform files), points mapped to the CCF, the
 * round trip back with its error in voxels and micrometres, a points CSV, and the brain written in CCF.
 *
 * Each function takes what an earlier notebook cell made and returns a {@linkcode Display} with an HTML
 * table and an aligned text table.
 *
 * @module
 */
import type { CcfPoint, CcfSpace, Registration, WriteBrainInCcfResult } from "../ccf/mod.ts";
import { describeCorrections } from "../ccf/mod.ts";
import { formatBytes } from "../core/bytes.ts";
import { Display, htmlTable } from "./display.ts";
import { formatTable } from "./format.ts";

type Rows = string[][];

/** One display of one or more captioned tables, as HTML and as text. */
function tables(parts: readonly { caption: string; rows: Rows }[]): Display {
  return new Display({
    "text/plain": parts.map((p) => `${p.caption}\n${formatTable(p.rows)}`).join("\n\n"),
    "text/html": parts.map((p) => htmlTable(p.rows, { caption: p.caption })).join("\n"),
  });
}

/** A number with at most `digits` decimals, without trailing zeros. */
function num(value: number, digits: number): string {
  if (!Number.isFinite(value)) return String(value);
  const text = value.toFixed(digits).replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
  return text === "-0" ? "0" : text;
}

/** The LPS letters an ITK direction column points to, e.g. `[1, 0, 0]` → "L". */
function pointsTo(column: readonly number[]): string {
  const letters = [["R", "L"], ["A", "P"], ["I", "S"]];
  const axis = column.reduce((best, v, i) => (Math.abs(v) > Math.abs(column[best]) ? i : best), 0);
  const exact = column.every((v, i) => i === axis || Math.abs(v) < 1e-9);
  return `${letters[axis][column[axis] > 0 ? 1 : 0]}${exact ? "" : " (oblique)"}`;
}

/**
 * The registration AIND's pipeline recorded for an asset, as a table of facts.
 *
 * @example
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { registrationTable } from "@spimfetch/spimfetch/display";
 * const display = registrationTable({
 *   asset: "SmartSPIM_1_2024-01-01_00-00-00_stitched_2024-01-02_00-00-00", bucket: "aind-open-data",
 *   channel: "Ex_639_Em_667", version: "0.0.31", channelFrom: "processing.json", level: 3,
 *   prefix: "SmartSPIM_1_2024-01-01_00-00-00_stitched_2024-01-02_00-00-00/image_atlas_alignment/Ex_639_Em_667/",
 *   schemaVersion: "1.1.3", templateOrientations: undefined,
 * });
 * assertStringIncludes(display.bundle["text/plain"]!, "registration capsule version  0.0.31");
 * ```
 * @param registration What `findRegistration` found.
 * @returns The table.
 */
export function registrationTable(registration: Registration): Display {
  const template = registration.templateOrientations;
  const rows: Rows = [
    ["fact", "value"],
    ["asset", registration.asset],
    ["registered channel", `${registration.channel} (from ${registration.channelFrom})`],
    ["registration capsule version", registration.version],
    ["level registered", registration.level === undefined ? "not recorded" : String(registration.level)],
    ["processing.json schema", registration.schemaVersion ?? "not recorded"],
    [
      "template axes (recorded)",
      template
        ? Object.entries(template).map(([name, index]) => `${index}: ${name}`).join(", ")
        : "not recorded",
    ],
    ["transform folder", `s3://${registration.bucket}/${registration.prefix}`],
  ];
  return tables([{ caption: "Registration to the Allen CCF, as AIND's pipeline recorded it", rows }]);
}

/**
 * The pipeline's LS space of an asset: its level-0 grid (size in voxels, spacing in µm, origin in mm,
 * where each index axis points), the corrections applied to the header with their reasons, any warnings,
 * and the four transform files in the order they act.
 *
 * @example
 * ```ts ignore
 * import { openCcfSpace } from "@spimfetch/spimfetch/ccf";
 * import { ccfSpaceTable, show } from "@spimfetch/spimfetch/display";
 * const space = await openCcfSpace({ subject: "784354" }, { transforms: true });
 * await show(ccfSpaceTable(space));
 * ```
 * @param space What `openCcfSpace` opened.
 * @returns The tables.
 */
export function ccfSpaceTable(space: CcfSpace): Display {
  const { spacing, origin, direction } = space.geometry;
  const grid: Rows = [["index axis", "size (voxels)", "spacing (µm)", "origin (LPS mm)", "points to"]];
  for (const [j, name] of ["x (Zarr dim 2)", "y (Zarr dim 1)", "z (Zarr dim 0)"].entries()) {
    grid.push([
      name,
      String(space.size[j]),
      num(spacing[j] * 1000, 3),
      num(origin[j], 4),
      pointsTo(direction.map((row) => row[j])),
    ]);
  }
  const corrections: Rows = [["correction applied", "what and why"]];
  for (const line of describeCorrections(space.corrections)) {
    const colon = line.indexOf(": ");
    corrections.push([line.slice(0, colon), line.slice(colon + 2)]);
  }
  if (corrections.length === 1) corrections.push(["none", "the recorded header is used as it is"]);
  const parts = [
    {
      caption:
        `Level 0 of ${space.registration.channel} in the pipeline's LS space (capsule ${space.registration.version})`,
      rows: grid,
    },
    { caption: "Corrections to the recorded header, chosen by the capsule version", rows: corrections },
  ];
  if (space.warnings.length > 0) {
    parts.push({ caption: "Warnings", rows: [["warning"], ...space.warnings.map((w) => [w])] });
  }
  if (space.files.length > 0) {
    parts.push({
      caption: "Transform files, in the order they act",
      rows: [["step", "role", "file"], ...space.files.map((f, n) => [String(n + 1), f.role, f.uri])],
    });
  }
  return tables(parts);
}

/**
 * Points mapped from level-0 Zarr voxel indices to the CCF: the input index, Allen CCF micrometres (AP, DV,
 * ML) and LPS millimetres, one row per point.
 *
 * @example
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { ccfPointsTable } from "@spimfetch/spimfetch/display";
 * const display = ccfPointsTable([[1, 2, 3]], [{ lps: [-1, 2, -3], allen: { ap: 2000, dv: 3000, ml: 1000 } }]);
 * assertStringIncludes(display.bundle["text/html"]!, "<td>2000</td>");
 * ```
 * @param points The level-0 Zarr indices (z, y, x) that were mapped.
 * @param mapped What `zarrToCcf` returned for them, in the same order.
 * @param names A label per point. @default {"1", "2", ...}
 * @returns The table.
 * @throws {RangeError} If the lists differ in length.
 */
export function ccfPointsTable(
  points: readonly (readonly number[])[],
  mapped: readonly CcfPoint[],
  names: readonly string[] = points.map((_, n) => String(n + 1)),
): Display {
  if (mapped.length !== points.length) {
    throw new RangeError(`Cannot tabulate ${points.length} points with ${mapped.length} mapped ones`);
  }
  const rows: Rows = [[
    "point",
    "z (voxels)",
    "y (voxels)",
    "x (voxels)",
    "AP (µm)",
    "DV (µm)",
    "ML (µm)",
    "LPS x (mm)",
    "LPS y (mm)",
    "LPS z (mm)",
  ]];
  for (const [n, p] of mapped.entries()) {
    rows.push([
      names[n] ?? String(n + 1),
      ...points[n].map((v) => num(v, 1)),
      num(p.allen.ap, 1),
      num(p.allen.dv, 1),
      num(p.allen.ml, 1),
      ...p.lps.map((v) => num(v, 4)),
    ]);
  }
  return tables([{ caption: "Level-0 Zarr voxels → Allen CCF (µm) and LPS (mm)", rows }]);
}

/**
 * A round trip LS → CCF → LS: where each point started and came back (level-0 Zarr voxels), and the distance
 * between the two in voxels and in micrometres (through the level-0 spacing). The inverse warps are numerical
 * inverses, so the error is small but not zero.
 *
 * @example
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { roundTripTable } from "@spimfetch/spimfetch/display";
 * // One voxel of 2 µm off along x: 1 voxel, 2 µm.
 * const display = roundTripTable([[0, 0, 0]], [[0, 0, 1]], [0.002, 0.002, 0.002]);
 * assertStringIncludes(display.bundle["text/html"]!, "<td>1</td><td>2</td>");
 * ```
 * @param from The level-0 Zarr indices (z, y, x) mapped to the CCF.
 * @param back What `ccfToZarr` returned for their CCF points.
 * @param spacing Level-0 spacing in mm along ITK axes (x, y, z), e.g. `space.geometry.spacing`.
 * @returns The table.
 * @throws {RangeError} If the lists differ in length.
 */
export function roundTripTable(
  from: readonly (readonly number[])[],
  back: readonly (readonly number[])[],
  spacing: readonly [number, number, number],
): Display {
  if (back.length !== from.length) {
    throw new RangeError(`Cannot compare ${from.length} points with ${back.length} mapped back`);
  }
  const rows: Rows = [[
    "point",
    "start z, y, x (voxels)",
    "back z, y, x (voxels)",
    "error (voxels)",
    "error (µm)",
  ]];
  let worst = 0;
  for (const [n, start] of from.entries()) {
    const d = [0, 1, 2].map((i) => back[n][i] - start[i]);
    const voxels = Math.hypot(...d);
    // Zarr (z, y, x) is ITK (x, y, z) reversed: the spacing of Zarr dimension i is spacing[2 - i].
    const um = 1000 * Math.hypot(...d.map((v, i) => v * spacing[2 - i]));
    worst = Math.max(worst, um);
    rows.push([
      String(n + 1),
      start.map((v) => num(v, 2)).join(", "),
      back[n].map((v) => num(v, 2)).join(", "),
      num(voxels, 3),
      num(um, 2),
    ]);
  }
  return tables([{
    caption: `Round trip LS → CCF → LS: largest error ${num(worst, 2)} µm`,
    rows,
  }]);
}

/**
 * A CSV text (such as `mapPointsCsv`'s output) as a table; columns keep their names, which carry their units
 * (`z,y,x` are level-0 voxels, `ap,dv,ml` Allen µm).
 *
 * @example
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { csvTable } from "@spimfetch/spimfetch/display";
 * assertStringIncludes(csvTable("name,ap\na,1.5\n").bundle["text/html"]!, "<td>1.5</td>");
 * ```
 * @param csv The CSV text: a header line, then rows (no quoted commas).
 * @param caption A caption above the table.
 * @returns The table.
 */
export function csvTable(csv: string, caption = "CSV"): Display {
  const rows = csv.replace(/\n+$/, "").split("\n").map((line) => line.split(","));
  return tables([{ caption, rows }]);
}

/**
 * The brain written in CCF: the file and its size, its sidecar, the LS level sampled and the comparison with
 * AIND's own resampled brain (normalized cross-correlation, 1 is identical), or why none was made.
 *
 * @example
 * ```ts ignore
 * import { openCcfSpace, writeBrainInCcf } from "@spimfetch/spimfetch/ccf";
 * import { brainInCcfTable, show } from "@spimfetch/spimfetch/display";
 * const space = await openCcfSpace({ subject: "784354" }, { transforms: "pull" });
 * await show(brainInCcfTable(await writeBrainInCcf(space, { channel: "Ex_639_Em_667", out: "b.nii.gz" })));
 * ```
 * @param result What `writeBrainInCcf` returned.
 * @returns The table.
 */
export function brainInCcfTable(result: WriteBrainInCcfResult): Display {
  const comparison = result.comparison
    ? `NCC ${num(result.comparison.ncc, 4)} over ${
      result.comparison.voxels.toLocaleString("en-US")
    } voxels ` +
      `with ${result.comparison.uri}`
    : result.comparisonSkipped ?? "not asked for";
  const rows: Rows = [
    ["", "value"],
    ["file", `${result.path} (${formatBytes(result.bytes)})`],
    ["sidecar", result.sidecar],
    ["grid", "Allen CCF 25 µm: 528 × 320 × 456 voxels, PIR"],
    ["LS level sampled", `${result.level} (2^${result.level} × the level-0 spacing)`],
    ["comparison with AIND's own", comparison],
  ];
  return tables([{
    caption: `${result.space.registration.channel} of ${result.space.asset.name} in CCF`,
    rows,
  }]);
}
