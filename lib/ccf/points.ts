/**
 * Points both ways between level-0 Zarr indices (z, y, x) and the Allen CCF
 * (LPS mm, and Allen µm AP/DV/ML), and the CSV form of the `points` command.
 *
 * @module
 */
import { splitCsvLine } from "../core/csv.ts";
import type { ImageGeometry } from "../core/volume.ts";
import type { CcfSpace } from "./ccf_space.ts";
import { ccfPointToLs, type CcfTransforms, lsPointToCcf } from "./transforms.ts";
import { invert3 } from "./ants_affine.ts";

/** Allen CCF micrometres: AP toward posterior, DV toward inferior, ML toward right, from the CCF origin. */
export interface AllenPoint {
  /** Anterior–posterior, µm (= 1000 · LPS y). */
  ap: number;
  /** Dorsal–ventral, µm (= −1000 · LPS z). */
  dv: number;
  /** Medial–lateral, µm (= −1000 · LPS x). */
  ml: number;
}

/** A point in CCF: LPS mm and Allen µm. */
export interface CcfPoint {
  /** LPS mm (x, y, z). */
  lps: [number, number, number];
  /** Allen µm. */
  allen: AllenPoint;
}

/**
 * Allen CCF µm of an LPS point (mm).
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { lpsToAllen } from "./points.ts";
 * assertEquals(lpsToAllen([-5, 6, -4]), { ap: 6000, dv: 4000, ml: 5000 });
 * ```
 * @param lps (x, y, z) in mm.
 * @returns AP, DV, ML in µm.
 */
export function lpsToAllen(lps: readonly number[]): AllenPoint {
  return { ap: 1000 * lps[1] + 0, dv: -1000 * lps[2] + 0, ml: -1000 * lps[0] + 0 };
}

/**
 * LPS mm of an Allen CCF point (µm).
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { allenToLps } from "./points.ts";
 * assertEquals(allenToLps({ ap: 6000, dv: 4000, ml: 5000 }), [-5, 6, -4]);
 * ```
 * @param point AP, DV, ML in µm.
 * @returns (x, y, z) in mm.
 */
export function allenToLps(point: AllenPoint): [number, number, number] {
  return [-point.ml / 1000 + 0, point.ap / 1000 + 0, -point.dv / 1000 + 0];
}

/**
 * LPS position of a level-0 Zarr index (z, y, x) under a geometry.
 * @param geometry Level-0 geometry.
 * @param zyx The index; fractions allowed.
 * @returns LPS mm.
 */
export function zarrIndexToLps(geometry: ImageGeometry, zyx: readonly number[]): [number, number, number] {
  const ijk = [zyx[2], zyx[1], zyx[0]];
  const { origin, direction, spacing } = geometry;
  return [0, 1, 2].map((r) =>
    origin[r] + direction[r][0] * spacing[0] * ijk[0] + direction[r][1] * spacing[1] * ijk[1] +
    direction[r][2] * spacing[2] * ijk[2]
  ) as [number, number, number];
}

/**
 * Continuous level-0 Zarr index (z, y, x) of an LPS position under a geometry.
 * @param geometry Level-0 geometry.
 * @param lps The position in mm.
 * @returns (z, y, x).
 */
export function lpsToZarrIndex(geometry: ImageGeometry, lps: readonly number[]): [number, number, number] {
  const { origin, direction, spacing } = geometry;
  const inv = invert3(direction.flat());
  const d = [lps[0] - origin[0], lps[1] - origin[1], lps[2] - origin[2]];
  const ijk = [0, 1, 2].map((r) =>
    (inv[3 * r] * d[0] + inv[3 * r + 1] * d[1] + inv[3 * r + 2] * d[2]) / spacing[r]
  );
  return [ijk[2], ijk[1], ijk[0]];
}

function requireTransforms(space: CcfSpace): CcfTransforms {
  if (!space.transforms) {
    throw new TypeError("Cannot map points: the CCF space was opened with transforms: false");
  }
  return space.transforms;
}

/**
 * Maps level-0 Zarr indices (z, y, x) of the registered asset to the CCF,
 * through the version-corrected LS header and the four transforms.
 *
 * @example
 * ```ts ignore
 * import { openCcfSpace, zarrToCcf } from "./mod.ts";
 * const space = await openCcfSpace({ subject: "784354" });
 * console.log(zarrToCcf(space, [[3000, 5000, 4000]])[0].allen);
 * space.close();
 * ```
 * @param space The asset's CCF space (with transforms).
 * @param points Level-0 indices (z, y, x); fractions allowed.
 * @returns One CCF point per input point, in order.
 */
export function zarrToCcf(space: CcfSpace, points: readonly (readonly number[])[]): CcfPoint[] {
  const transforms = requireTransforms(space);
  return points.map((zyx) => {
    const p = zarrIndexToLps(space.geometry, zyx);
    lsPointToCcf(transforms, p);
    return { lps: p, allen: lpsToAllen(p) };
  });
}

/**
 * Maps CCF points (Allen µm, or LPS mm) to continuous level-0 Zarr indices (z, y, x).
 *
 * @example
 * ```ts ignore
 * import { ccfToZarr, openCcfSpace } from "./mod.ts";
 * const space = await openCcfSpace({ subject: "784354" });
 * console.log(ccfToZarr(space, [{ ap: 6000, dv: 4000, ml: 5000 }]));
 * space.close();
 * ```
 * @param space The asset's CCF space (with transforms).
 * @param points Allen points, or LPS triples.
 * @returns One (z, y, x) per input point, in order.
 */
export function ccfToZarr(
  space: CcfSpace,
  points: readonly (AllenPoint | readonly number[])[],
): [number, number, number][] {
  const transforms = requireTransforms(space);
  return points.map((point) => {
    const p = "ap" in point ? allenToLps(point as AllenPoint) : [point[0], point[1], point[2]];
    ccfPointToLs(transforms, p);
    return lpsToZarrIndex(space.geometry, p);
  });
}

/** A malformed points CSV. */
export class PointsCsvError extends SyntaxError {
  /** Creates the error. @param message What is wrong, with the line. */
  constructor(message: string) {
    super(message);
    this.name = "PointsCsvError";
  }
}

function formatNumber(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(10)) + 0) : "";
}

/**
 * Maps a CSV of points: a header naming `z,y,x` (level-0 Zarr indices) or
 * `ap,dv,ml` (CCF µm), in any order and case, among other columns. The output
 * repeats every input column and adds the other system's columns, one row per
 * input row, in order. Blank lines are kept as blank rows.
 *
 * @example
 * ```ts ignore
 * import { mapPointsCsv, openCcfSpace } from "./mod.ts";
 * const space = await openCcfSpace({ subject: "784354" });
 * console.log(mapPointsCsv(space, "name,z,y,x\ncell 1,3000,5000,4000\n"));
 * space.close();
 * ```
 * @param space The asset's CCF space (with transforms).
 * @param text The CSV text.
 * @param source The file's name, for messages.
 * @returns The output CSV text.
 * @throws {PointsCsvError} If the header names neither system (or both), or a coordinate is not a number.
 */
export function mapPointsCsv(space: CcfSpace, text: string, source = "the CSV"): string {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === "") lines.pop();
  if (lines.length === 0) throw new PointsCsvError(`Cannot read points from ${source}: the file is empty`);
  const header = splitCsvLine(lines[0]).map((h) => h.trim());
  const lower = header.map((h) => h.toLowerCase());
  const find = (names: string[]): number[] | undefined => {
    const at = names.map((n) => lower.indexOf(n));
    return at.every((i) => i >= 0) ? at : undefined;
  };
  const zyx = find(["z", "y", "x"]);
  const allen = find(["ap", "dv", "ml"]);
  if ((zyx === undefined) === (allen === undefined)) {
    throw new PointsCsvError(
      `Cannot read points from ${source}: the header "${lines[0]}" must name either z,y,x (level-0 Zarr ` +
        `indices) or ap,dv,ml (CCF µm)${zyx && allen ? ", not both" : ""}`,
    );
  }
  const columns = (zyx ?? allen)!;
  const rows: (number[] | undefined)[] = lines.slice(1).map((line, r) => {
    if (line.trim() === "") return undefined;
    const cells = splitCsvLine(line);
    return columns.map((c, k) => {
      const value = Number(cells[c]?.trim());
      if (cells[c] === undefined || cells[c].trim() === "" || !Number.isFinite(value)) {
        throw new PointsCsvError(
          `Cannot read points from ${source}: line ${r + 2} has ${
            JSON.stringify(cells[c] ?? "")
          } in column ` +
            `"${header[c]}": expected a number (${zyx ? ["z", "y", "x"][k] : ["ap", "dv", "ml"][k]})`,
        );
      }
      return value;
    });
  });
  const present = rows.filter((r): r is number[] => r !== undefined);
  const mapped: number[][] = zyx
    ? zarrToCcf(space, present).map((p) => [p.allen.ap, p.allen.dv, p.allen.ml])
    : ccfToZarr(space, present.map(([ap, dv, ml]) => ({ ap, dv, ml })));
  const added = zyx ? ["ap", "dv", "ml"] : ["z", "y", "x"];
  let next = 0;
  const out = [[lines[0], ...added].join(",")];
  for (const [r, row] of rows.entries()) {
    out.push(
      row === undefined ? lines[r + 1] : [lines[r + 1], ...mapped[next++].map(formatNumber)].join(","),
    );
  }
  return `${out.join("\n")}\n`;
}
