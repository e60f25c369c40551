/**
 * Points for the viewer's markers: a CSV of `z,y,x` voxel indices or of `ap,dv,ml` Allen CCF coordinates
 * (the CSV `spimfetch points` reads and writes carries one or both), placed in the world the viewer shows.
 *
 * @module
 */
import { splitCsvLine } from "../core/csv.ts";
import { allenToLps, PointsCsvError, zarrIndexToLps } from "../ccf/mod.ts";
import type { ImageGeometry } from "../core/volume.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** A marker: where it lies (LPS mm) and its name. */
export interface ViewerPoint {
  /** The point's name: its `name`, `id` or `label` column, else its row number. */
  name: string;
  /** Position in LPS mm (ITK's world; the page shows it in RAS as NiiVue does). */
  lps: [number, number, number];
}

/** Options for {@linkcode parsePointsCsv}. */
export interface ParsePointsOptions {
  /**
   * Which columns place the points: `"zyx"` (voxel indices of the image, through `geometry`) or `"ccf"`
   * (Allen CCF µm, for an image in CCF). @default {"zyx" when the CSV has z,y,x columns and a geometry is given, else "ccf"}
   */
  columns?: "zyx" | "ccf";
  /** The geometry that places `z,y,x` indices (of the full-resolution image). */
  geometry?: ImageGeometry;
  /** Where the CSV came from, for messages. @default {"points CSV"} */
  source?: string;
}

/** The keys of {@linkcode ParsePointsOptions}, checked at run time. */
const PARSE_POINTS_OPTION_KEYS: OptionKeys<ParsePointsOptions> = {
  columns: true,
  geometry: true,
  source: true,
};

/**
 * Reads markers from a CSV of points.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parsePointsCsv } from "@spimfetch/spimfetch/view";
 * const points = parsePointsCsv("name,ap,dv,ml\ncell,6000,4000,5000\n");
 * assertEquals(points, [{ name: "cell", lps: [-5, 6, -4] }]);
 * ```
 * @param text The CSV: a header row, then one row per point.
 * @param options Which columns to use and the geometry of `z,y,x`.
 * @returns The markers.
 * @throws {PointsCsvError} If the header names neither system, the system asked for, or a value is not a number.
 */
export function parsePointsCsv(text: string, options: ParsePointsOptions = {}): ViewerPoint[] {
  options = checkOptions(options, PARSE_POINTS_OPTION_KEYS, "parsePointsCsv()");
  const source = options.source ?? "points CSV";
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
  if (lines.length === 0) throw new PointsCsvError(`Cannot read points from ${source}: it is empty`);
  const header = splitCsvLine(lines[0]).map((h) => h.trim().toLowerCase());
  const find = (names: string[]): number[] | undefined => {
    const at = names.map((n) => header.indexOf(n));
    return at.every((i) => i >= 0) ? at : undefined;
  };
  const zyx = find(["z", "y", "x"]);
  const ccf = find(["ap", "dv", "ml"]);
  const columns = options.columns ?? (zyx && options.geometry ? "zyx" : "ccf");
  const use = columns === "zyx" ? zyx : ccf;
  if (!use) {
    throw new PointsCsvError(
      `Cannot read points from ${source}: the header "${lines[0]}" must name ${
        columns === "zyx" ? "z,y,x (voxel indices)" : "ap,dv,ml (Allen CCF µm)"
      }`,
    );
  }
  if (columns === "zyx" && !options.geometry) {
    throw new PointsCsvError(`Cannot place z,y,x points from ${source}: no image geometry was given`);
  }
  const nameAt = ["name", "id", "label"].map((n) => header.indexOf(n)).find((i) => i >= 0);
  return lines.slice(1).map((line, row) => {
    const cells = splitCsvLine(line);
    const values = use.map((c, k) => {
      const value = Number(cells[c]);
      if (cells[c] === undefined || cells[c].trim() === "" || !Number.isFinite(value)) {
        throw new PointsCsvError(
          `Cannot read points from ${source}: row ${row + 2} has "${cells[c] ?? ""}" in column "${
            header[c]
          }" (${(columns === "zyx" ? ["z", "y", "x"] : ["ap", "dv", "ml"])[k]}): expected a number`,
        );
      }
      return value;
    });
    const lps = columns === "zyx"
      ? zarrIndexToLps(options.geometry!, values)
      : allenToLps({ ap: values[0], dv: values[1], ml: values[2] });
    return { name: nameAt === undefined ? `${row + 1}` : cells[nameAt] ?? `${row + 1}`, lps };
  });
}
