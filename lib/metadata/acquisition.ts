/**
 * Step 3 of the reference notebook, the parsing half: what an AIND `acquisition.json` says
 * about the anatomical direction of each spatial Zarr dimension.
 *
 * Every schema version is read:
 *
 * - 0.x and 1.x: a top-level `axes` list of `{ name, dimension, direction }`,
 *   where `dimension` is the index among the three spatial Zarr dimensions in
 *   Zarr order (z = 0, y = 1, x = 2). Some 2.0 files keep this list.
 * - 2.x: `coordinate_system.axes`, a list of `{ name, direction }` without a
 *   dimension; the names X, Y and Z stand for dimensions 2, 1 and 0.
 *
 * When an axis has a `dimension`, it wins over the name: names follow the
 * microscope's stage, not the data (SmartSPIM_805110 calls dimension 0 "Z" and
 * it runs right to left; the schema 0.3 example calls dimension 0 "X").
 *
 * @module
 */
import { MetadataError } from "../core/errors.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** One end of an anatomical line. */
export type AnatomicalTerm = "left" | "right" | "anterior" | "posterior" | "superior" | "inferior";

/**
 * An anatomical direction, normalized from AIND's `From_to_to` spelling:
 * `Left_to_right` is `{ from: "left", to: "right" }`, the way the index grows.
 */
export interface AnatomicalDirection {
  /** Where index 0 lies. */
  from: AnatomicalTerm;
  /** Where the index increases to. */
  to: AnatomicalTerm;
}

/** One spatial axis of an acquisition, tied to its Zarr dimension. */
export interface AcquisitionAxis {
  /** The name as written (`X`, `Y`, `Z`); it need not match the anatomy. */
  name: string;
  /** Index among the spatial Zarr dimensions, in Zarr order (z = 0, y = 1, x = 2). */
  dimension: 0 | 1 | 2;
  /** The normalized direction. */
  direction: AnatomicalDirection;
  /** The direction as written, e.g. `Left_to_right`. */
  rawDirection: string;
}

/** The parts of an `acquisition.json` that spimfetch uses. */
export interface Acquisition {
  /** `schema_version`, when present. */
  schemaVersion: string | undefined;
  /** `subject_id` as a string (some files store a number), when present. */
  subjectId: string | undefined;
  /** The three spatial axes, sorted by dimension (0, 1, 2). */
  axes: AcquisitionAxis[];
  /** The whole parsed document, for anything else a caller needs. */
  raw: unknown;
}

/** Options for {@linkcode parseAcquisition} and {@linkcode parseAcquisitionText}. */
export interface ParseAcquisitionOptions {
  /** Where the document came from (an `s3://` URI or a path), for error messages. */
  source: string;
  /** The subject the document must describe; checked only when the file has a `subject_id`. */
  expectedSubject?: string;
}

/** The spellings AIND's schema allows, for messages. */
const SPELLINGS = [
  "Left_to_right",
  "Right_to_left",
  "Anterior_to_posterior",
  "Posterior_to_anterior",
  "Superior_to_inferior",
  "Inferior_to_superior",
] as const;

const LINE: Readonly<Record<AnatomicalTerm, string>> = {
  left: "left-right",
  right: "left-right",
  anterior: "anterior-posterior",
  posterior: "anterior-posterior",
  superior: "superior-inferior",
  inferior: "superior-inferior",
};

// Schema 2.x drops `dimension`; its X, Y, Z keep the 0.x meaning (X is Zarr's last, fastest dimension).
const DIMENSION_BY_NAME: Readonly<Record<string, 0 | 1 | 2>> = { z: 0, y: 1, x: 2 };

const DIRECTION_PATTERN =
  /^\s*(left|right|anterior|posterior|superior|inferior)[\s_-]+to[\s_-]+(left|right|anterior|posterior|superior|inferior)\s*$/i;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;
}

/**
 * Normalizes one direction spelling: AIND's `Left_to_right` and friends, in
 * any case, with spaces or hyphens in place of the underscores.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseAnatomicalDirection } from "@spimfetch/spimfetch/metadata";
 * assertEquals(parseAnatomicalDirection("posterior to anterior"), { from: "posterior", to: "anterior" });
 * assertEquals(parseAnatomicalDirection("Left_to_anterior"), undefined);
 * ```
 * @param value The direction as written.
 * @returns The direction, or `undefined` if the text names no anatomical direction.
 */
export function parseAnatomicalDirection(value: string): AnatomicalDirection | undefined {
  const match = DIRECTION_PATTERN.exec(value);
  if (!match) return undefined;
  const from = match[1].toLowerCase() as AnatomicalTerm;
  const to = match[2].toLowerCase() as AnatomicalTerm;
  return from !== to && LINE[from] === LINE[to] ? { from, to } : undefined;
}

function findAxes(json: Record<string, unknown>): { path: string; entries: unknown[] } | undefined {
  if (Array.isArray(json.axes) && json.axes.length > 0) return { path: "axes", entries: json.axes };
  const system = json.coordinate_system;
  if (isRecord(system) && Array.isArray(system.axes) && system.axes.length > 0) {
    return { path: "coordinate_system.axes", entries: system.axes };
  }
  return undefined;
}

function parseAxis(
  entry: unknown,
  where: string,
  problem: (message: string) => MetadataError,
): AcquisitionAxis {
  if (!isRecord(entry)) throw problem(`Cannot parse ${where}: expected an object, got ${describe(entry)}`);
  const name = typeof entry.name === "string" ? entry.name : where;
  const label = `Axis "${name}" (${where})`;
  if (typeof entry.direction !== "string") {
    throw problem(`${label} has no direction: expected a string such as "Left_to_right"`);
  }
  const direction = parseAnatomicalDirection(entry.direction);
  if (!direction) {
    throw problem(
      `${label} has direction "${entry.direction}": expected one of ${
        SPELLINGS.join(", ")
      } (any case; spaces or hyphens may replace the underscores)`,
    );
  }
  let dimension: 0 | 1 | 2;
  if (entry.dimension === undefined || entry.dimension === null) {
    const byName = Object.hasOwn(DIMENSION_BY_NAME, name.toLowerCase())
      ? DIMENSION_BY_NAME[name.toLowerCase()]
      : undefined;
    if (byName === undefined) {
      throw problem(`${label} has no dimension, and only axes named X, Y or Z can be matched to one by name`);
    }
    dimension = byName;
  } else if (entry.dimension === 0 || entry.dimension === 1 || entry.dimension === 2) {
    dimension = entry.dimension;
  } else {
    throw problem(
      `${label} has dimension ${
        JSON.stringify(entry.dimension)
      }: expected 0, 1 or 2, its index among the spatial Zarr dimensions (z, y, x)`,
    );
  }
  return { name, dimension, direction, rawDirection: entry.direction };
}

/**
 * Reads the subject and the spatial axes of a parsed AIND `acquisition.json`,
 * of any schema version, and checks that the axes describe a usable
 * orientation: one axis per Zarr dimension, one per anatomical line.
 *
 * @example The reference notebook's acquisition
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseAcquisition } from "@spimfetch/spimfetch/metadata";
 * const acquisition = parseAcquisition({
 *   schema_version: "0.4.3",
 *   subject_id: "652506",
 *   axes: [
 *     { name: "X", dimension: 2, direction: "Left_to_right" },
 *     { name: "Y", dimension: 1, direction: "Posterior_to_anterior" },
 *     { name: "Z", dimension: 0, direction: "Superior_to_inferior" },
 *   ],
 * }, { source: "acquisition.json", expectedSubject: "652506" });
 * assertEquals(acquisition.axes.map((a) => a.direction.to), ["inferior", "anterior", "right"]);
 * ```
 * @param json The parsed JSON document.
 * @param options Where the document came from, and the subject it must describe.
 * @returns The subject, schema version and axes sorted by dimension, with the document itself.
 * @throws {MetadataError} If the document is not an object, has no axes, has other than three, an axis
 * has an unknown direction or a dimension outside 0-2, two axes share a dimension or an anatomical line,
 * or its `subject_id` differs from `expectedSubject`.
 */
export function parseAcquisition(json: unknown, options: ParseAcquisitionOptions): Acquisition {
  options = checkOptions(options, PARSE_ACQUISITION_OPTION_KEYS, "parseAcquisition()");
  const problem = (message: string): MetadataError => new MetadataError(message, { source: options.source });
  if (!isRecord(json)) {
    throw problem(`Cannot parse acquisition metadata: expected a JSON object, got ${describe(json)}`);
  }
  const schemaVersion = typeof json.schema_version === "string" ? json.schema_version : undefined;
  const subjectId = typeof json.subject_id === "string" || typeof json.subject_id === "number"
    ? String(json.subject_id)
    : undefined;
  if (
    options.expectedSubject !== undefined && subjectId !== undefined && subjectId !== options.expectedSubject
  ) {
    throw problem(
      `Acquisition metadata is for subject "${subjectId}", not the expected subject "${options.expectedSubject}"`,
    );
  }
  const found = findAxes(json);
  if (!found) {
    throw problem(
      `Acquisition metadata has no axes: expected a top-level "axes" list (schema 0.x-1.x) or "coordinate_system.axes" (schema 2.x)`,
    );
  }
  if (found.entries.length !== 3) {
    const names = found.entries.map((entry) => isRecord(entry) ? String(entry.name) : describe(entry));
    throw problem(
      `Expected exactly 3 spatial axes in "${found.path}", found ${found.entries.length} (${
        names.join(", ")
      })`,
    );
  }
  const axes = found.entries.map((entry, i) => parseAxis(entry, `${found.path}[${i}]`, problem));
  for (const [i, a] of axes.entries()) {
    for (const b of axes.slice(i + 1)) {
      if (a.dimension === b.dimension) {
        throw problem(
          `Axes "${a.name}" and "${b.name}" both have dimension ${a.dimension}: each of the Zarr dimensions 0, 1, 2 needs exactly one axis`,
        );
      }
      if (LINE[a.direction.to] === LINE[b.direction.to]) {
        throw problem(
          `Axes "${a.name}" (${a.rawDirection}) and "${b.name}" (${b.rawDirection}) both run along the ${
            LINE[a.direction.to]
          } line: each anatomical line needs exactly one axis`,
        );
      }
    }
  }
  axes.sort((a, b) => a.dimension - b.dimension);
  return { schemaVersion, subjectId, axes, raw: json };
}

/** The keys of {@linkcode ParseAcquisitionOptions}, checked at run time. */
const PARSE_ACQUISITION_OPTION_KEYS: OptionKeys<ParseAcquisitionOptions> = {
  source: true,
  expectedSubject: true,
};

/**
 * Parses the text of an AIND `acquisition.json`: {@linkcode parseAcquisition}
 * after `JSON.parse`, with invalid JSON (files with trailing commas exist in
 * the wild) reported as a metadata problem of that file.
 *
 * @example
 * ```ts
 * import { assertThrows } from "@std/assert";
 * import { parseAcquisitionText } from "@spimfetch/spimfetch/metadata";
 * import { MetadataError } from "@spimfetch/spimfetch";
 * assertThrows(
 *   () => parseAcquisitionText('{ "axes": [], }', { source: "orientation_metadata.json" }),
 *   MetadataError,
 *   "not valid JSON",
 * );
 * ```
 * @param text The file's text.
 * @param options Where the file came from, and the subject it must describe.
 * @returns The parsed acquisition.
 * @throws {MetadataError} If the text is not valid JSON, or for any reason {@linkcode parseAcquisition} gives.
 */
export function parseAcquisitionText(text: string, options: ParseAcquisitionOptions): Acquisition {
  options = checkOptions(options, PARSE_ACQUISITION_OPTION_KEYS, "parseAcquisitionText()");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    if (!(cause instanceof SyntaxError)) throw cause;
    throw new MetadataError(
      `Cannot parse acquisition metadata: the file is not valid JSON (${cause.message})`,
      {
        source: options.source,
        cause,
      },
    );
  }
  return parseAcquisition(json, options);
}
