/**
 * Small tables for results that are plain objects (an asset, a channel, a write result, the steps of a
 * preparation, a voxel-to-world matrix), so that a notebook shows a table with units instead of an object
 * literal: a reader of the exported page understands the output without the code.
 *
 * @module
 */
import { Display, htmlTable } from "./display.ts";
import { formatTable } from "./format.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** Options for {@linkcode factsTable} and {@linkcode recordsTable}. */
export interface FactsTableOptions {
  /** A caption above the table. */
  caption?: string;
  /** The unit of a field, by its key, shown beside its name, e.g. `{ bytes: "bytes" }`. */
  units?: Readonly<Record<string, string>>;
}

/** A field's value as table text: arrays joined, numbers as written, nothing as "—". */
export function cellText(value: unknown): string {
  if (value === undefined || value === null) return "—";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "number") {
    return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  }
  if (Array.isArray(value)) return value.map(cellText).join(", ");
  if (typeof value === "object") {
    return Object.entries(value).map(([k, v]) =>
      `${k}: ${Array.isArray(v) ? `[${cellText(v)}]` : cellText(v)}`
    )
      .join("; ");
  }
  return String(value);
}

/** "word (unit)", or the word. */
function label(key: string, units: Readonly<Record<string, string>> | undefined): string {
  const unit = units?.[key];
  return unit ? `${key} (${unit})` : key;
}

function display(rows: string[][], caption: string | undefined): Display {
  return new Display({
    "text/plain": (caption ? `${caption}\n` : "") + formatTable(rows),
    "text/html": htmlTable(rows, { caption }),
  });
}

/**
 * One object as a two-column table: each field's name (with its unit) and value.
 *
 * @example
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { factsTable } from "@spimfetch/spimfetch/display";
 * const table = factsTable({ path: "b.nii.gz", bytes: 1024, gzip: true }, { units: { bytes: "bytes" } });
 * assertStringIncludes(table.bundle["text/html"]!, "<td>bytes (bytes)</td><td>1024</td>");
 * ```
 * @param facts The object.
 * @param options Caption and units.
 * @returns The table.
 */
export function factsTable(facts: object, options: FactsTableOptions = {}): Display {
  options = checkOptions(options, FACTS_TABLE_OPTION_KEYS, "factsTable()");
  const rows = [["field", "value"]];
  for (const [key, value] of Object.entries(facts)) rows.push([label(key, options.units), cellText(value)]);
  return display(rows, options.caption);
}

/** The keys of {@linkcode FactsTableOptions}, checked at run time. */
const FACTS_TABLE_OPTION_KEYS: OptionKeys<FactsTableOptions> = {
  caption: true,
  units: true,
};

/**
 * Objects as a table: one row each, one column per field any of them has (with its unit).
 *
 * @example
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { recordsTable } from "@spimfetch/spimfetch/display";
 * const table = recordsTable([{ step: "read", level: 3 }, { step: "reorient", to: "PIR" }]);
 * assertStringIncludes(table.bundle["text/html"]!, "<tr><td>reorient</td><td>—</td><td>PIR</td></tr>");
 * ```
 * @param records The objects.
 * @param options Caption and units.
 * @returns The table.
 */
export function recordsTable(records: readonly object[], options: FactsTableOptions = {}): Display {
  options = checkOptions(options, FACTS_TABLE_OPTION_KEYS, "recordsTable()");
  const keys = [...new Set(records.flatMap((r) => Object.keys(r)))];
  const rows = [keys.map((k) => label(k, options.units))];
  for (const record of records) {
    rows.push(keys.map((k) => cellText((record as Record<string, unknown>)[k])));
  }
  return display(rows, options.caption);
}

/**
 * A 4 × 4 voxel-to-world matrix (such as `toRasAffine`'s) as a table: each world axis (mm) as a row, the
 * millimetres per voxel step along i, j, k and the translation (the world position of voxel 0) as columns.
 *
 * @example
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { affineTable } from "@spimfetch/spimfetch/display";
 * const table = affineTable([[0.0144, 0, 0, -13.3], [0, 0.0144, 0, -18.4], [0, 0, -0.016, 7.4], [0, 0, 0, 1]]);
 * assertStringIncludes(table.bundle["text/html"]!, "<tr><td>S (mm)</td><td>0</td><td>0</td><td>-0.016</td><td>7.4</td></tr>");
 * ```
 * @param affine Rows of the matrix; the last is `[0, 0, 0, 1]`.
 * @param options The caption and the world axes' names.
 * @returns The table.
 * @throws {RangeError} If the matrix is not 4 × 4 (or 3 × 4).
 */
export function affineTable(
  affine: readonly (readonly number[])[],
  options: { caption?: string; axes?: readonly [string, string, string] } = {},
): Display {
  if (affine.length < 3 || affine.some((row) => row.length !== 4)) {
    throw new RangeError(`Cannot show a ${affine.length} × ${affine[0]?.length ?? 0} matrix: expected 4 × 4`);
  }
  const axes = options.axes ?? ["R", "A", "S"];
  const rows = [["world axis", "per voxel along i (mm)", "along j (mm)", "along k (mm)", "voxel 0 at (mm)"]];
  for (let r = 0; r < 3; r++) rows.push([`${axes[r]} (mm)`, ...affine[r].map(cellText)]);
  return display(rows, options.caption ?? "Voxel (i, j, k) to world (mm): the NIfTI sform, RAS");
}
