/**
 * AIND's cell detections (`image_cell_segmentation/<channel>/`), every era,
 * read streaming: the CSVs line by line, the cellfinder XML element by
 * element, never the whole file as one string.
 *
 * | era | file | "is a cell" |
 * |---|---|---|
 * | 2025-02 on | `detected_cells.csv` (`,x,y,z`) | every row |
 * | 2025-02 on, fallback | `proposals/cell_likelihoods.csv` | `Class` 1 |
 * | 2024-05 .. 2024-12 | `classified_cells.xml` | `Type` 2 |
 * | 2024-08 .. 2024-12, fallback | `cell_likelihoods.csv` | `Class` 2 |
 * | up to 2024 | `detected_cells.xml` | `Type` 2 |
 *
 * Coordinates are level-0 voxel indices of the stitched image: x is the last
 * array axis, z the first spatial one.
 *
 * @module
 */
import { MetadataError } from "../core/errors.ts";
import { AIND_BUCKET, formatS3Uri, type S3Options } from "../s3/client.ts";
import { S3Store } from "../s3/store.ts";
import { listCellFolder, SEGMENTATION_FOLDER } from "./_files.ts";
import { Triples } from "./_growable.ts";
import { objectPieces, readLines, splitCsv } from "./_stream.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** A detections file AIND wrote, in the order they are preferred. */
export type DetectionFile =
  | "detected_cells.csv"
  | "classified_cells.xml"
  | "proposals/cell_likelihoods.csv"
  | "cell_likelihoods.csv"
  | "detected_cells.xml";

/** The detection files, most trusted first, with the rule that says which rows are cells. */
export const DETECTION_FILES: readonly { file: DetectionFile; era: string; cells: string }[] = [
  { file: "detected_cells.csv", era: "2025-02 on", cells: "every row" },
  { file: "classified_cells.xml", era: "2024-05 to 2024-12", cells: "Marker_Type Type 2" },
  { file: "proposals/cell_likelihoods.csv", era: "2025-02 on", cells: "Class 1" },
  { file: "cell_likelihoods.csv", era: "2024-08 to 2024-12", cells: "Class 2" },
  { file: "detected_cells.xml", era: "up to 2024", cells: "Marker_Type Type 2" },
];

/** Cells read from one file. */
export interface Detections {
  /** The file's `s3://` URI. */
  uri: string;
  /** Which file it is. */
  file: DetectionFile;
  /** Level-0 voxel indices, `(z, y, x)` per cell, `3 · count` values. */
  zyx: Float32Array;
  /** The `Cell ID` column, when the file has one (NaN where empty). */
  ids: Float64Array | undefined;
  /** Cells. */
  count: number;
  /** Rows or markers that were not cells (other class or type). */
  notCells: number;
}

/** Options for reading cells. */
export interface ReadCellsOptions extends S3Options {
  /** The bucket. @default {"aind-open-data"} */
  bucket?: string;
  /** Keep fetched pieces in this directory. */
  cacheDir?: string;
  /** Cancels the requests. */
  signal?: AbortSignal;
}

/** Finds a column by one of its names (case and spaces ignored), or throws naming the file and the columns. */
export function columnOf(header: readonly string[], names: readonly string[], source: string): number {
  const norm = (s: string): string => s.trim().toLowerCase().replace(/[\s_]+/g, "_");
  const wanted = names.map(norm);
  const at = header.findIndex((h) => wanted.includes(norm(h)));
  if (at < 0) {
    throw new MetadataError(
      `Unknown layout: no column ${names.map((n) => `"${n}"`).join(" or ")} among the columns found ` +
        `(${header.map((h) => JSON.stringify(h)).join(", ")})`,
      { source },
    );
  }
  return at;
}

function number(cell: string | undefined, line: number, column: string, source: string): number {
  const value = cell === undefined || cell.trim() === "" ? NaN : Number(cell);
  if (!Number.isFinite(value)) {
    throw new MetadataError(
      `line ${line} has ${JSON.stringify(cell ?? "")} in column "${column}": expected a number`,
      { source },
    );
  }
  return value;
}

/**
 * Parses a detections CSV (`detected_cells.csv` or a `cell_likelihoods.csv`) from its bytes.
 * @param pieces The file's bytes, in pieces.
 * @param file Which file (decides the class rule).
 * @param source Its URI, for messages.
 * @returns The cells.
 * @throws {MetadataError} If a column is missing, a value is not a number, or the file is truncated.
 */
export async function parseDetectionsCsv(
  pieces: AsyncIterable<Uint8Array>,
  file: DetectionFile,
  source: string,
): Promise<Detections> {
  const reader = readLines(pieces);
  const cells = new Triples();
  let header: string[] | undefined;
  let cols: number[] = [];
  let classAt = -1, idAt = -1, line = 0, notCells = 0;
  const cellClass = file === "cell_likelihoods.csv" ? 2 : 1;
  for await (const text of reader.lines) {
    line++;
    if (header === undefined) {
      header = splitCsv(text);
      cols = ["x", "y", "z"].map((n) => columnOf(header!, [n], source));
      if (file !== "detected_cells.csv") classAt = columnOf(header, ["Class"], source);
      idAt = header.findIndex((h) => h.trim().toLowerCase() === "cell id");
      continue;
    }
    if (text.trim() === "") continue;
    const row = splitCsv(text);
    if (row.length < header.length) {
      throw new MetadataError(
        `line ${line} has ${row.length} of the header's ${header.length} columns${
          reader.endedWithNewline() ? "" : " (the file is truncated)"
        }`,
        { source },
      );
    }
    if (classAt >= 0 && number(row[classAt], line, "Class", source) !== cellClass) {
      notCells++;
      continue;
    }
    const [x, y, z] = cols.map((c, k) => number(row[c], line, "xyz"[k], source));
    const id = idAt >= 0 && row[idAt].trim() !== "" ? Number(row[idAt]) : undefined;
    cells.push(z, y, x, id);
  }
  if (header === undefined) {
    throw new MetadataError("the file is empty: expected a header ,x,y,z", { source });
  }
  if (!reader.endedWithNewline()) {
    throw new MetadataError(`the file is truncated: its last line (${line}) does not end`, { source });
  }
  return { uri: source, file, zyx: cells.values(), ids: cells.ids(), count: cells.count, notCells };
}

/** `<Type>` and `<Marker>` elements of a cellfinder XML, in document order. */
const XML_TOKEN = /<Type>\s*([^<]*?)\s*<\/Type>|<Marker>([\s\S]*?)<\/Marker>/g;
const XML_END = "</CellCounter_Marker_File>";

/**
 * Parses a cellfinder XML (`CellCounter_Marker_File/Marker_Data/Marker_Type`) from its bytes, keeping the
 * markers of one type, as (MarkerZ, MarkerY, MarkerX).
 * @param pieces The file's bytes, in pieces.
 * @param source Its URI, for messages.
 * @param options The type that is a cell (cellfinder: 2), or every type.
 * @returns The markers' (x, y, z), `3 · count` values, and how many had another type.
 * @throws {MetadataError} If it is not a cellfinder XML, a marker lacks a coordinate, or the file is truncated.
 */
export async function parseCellfinderXml(
  pieces: AsyncIterable<Uint8Array>,
  source: string,
  options: { type?: number | "any" } = {},
): Promise<{ xyz: Float32Array; count: number; other: number }> {
  const keep = options.type ?? 2;
  const decoder = new TextDecoder();
  const out = new Triples();
  let buffer = "", type: number | undefined, other = 0, seenRoot = false, ended = false;
  const field = (body: string, name: string): number => {
    const m = new RegExp(`<${name}>\\s*([^<]*?)\\s*</${name}>`).exec(body);
    const value = m && m[1] !== "" ? Number(m[1]) : NaN;
    if (!Number.isFinite(value)) {
      throw new MetadataError(
        `a <Marker> has ${m ? JSON.stringify(m[1]) : "no"} <${name}>: expected a number`,
        { source },
      );
    }
    return value;
  };
  const consume = (final: boolean): void => {
    if (!seenRoot) {
      if (buffer.includes("<CellCounter_Marker_File")) seenRoot = true;
      else if (buffer.length > 4096 || final) {
        throw new MetadataError(
          "not a cellfinder XML: expected a <CellCounter_Marker_File> document",
          { source },
        );
      }
    }
    XML_TOKEN.lastIndex = 0;
    let last = 0;
    for (let m = XML_TOKEN.exec(buffer); m; m = XML_TOKEN.exec(buffer)) {
      if (m[1] !== undefined) type = Number(m[1]);
      else {
        if (type === undefined) {
          throw new MetadataError("a <Marker> comes before any <Type>", { source });
        }
        if (keep === "any" || type === keep) {
          out.push(field(m[2], "MarkerX"), field(m[2], "MarkerY"), field(m[2], "MarkerZ"));
        } else other++;
      }
      last = XML_TOKEN.lastIndex;
    }
    // What follows the last complete element may start the next one: keep it (it is short, closing tags).
    buffer = buffer.slice(last);
    if (final && buffer.includes(XML_END)) ended = true;
  };
  for await (const piece of pieces) {
    buffer += decoder.decode(piece, { stream: true });
    consume(false);
  }
  buffer += decoder.decode();
  consume(true);
  if (!ended) {
    throw new MetadataError(
      `the file is truncated: it ends before ${XML_END}${
        buffer.includes("<Marker>") ? " (inside a <Marker>)" : ""
      }`,
      { source },
    );
  }
  return { xyz: out.values(), count: out.count, other };
}

/** The keys of {@linkcode ReadCellsOptions}, checked at run time. */
const READ_CELLS_OPTION_KEYS: OptionKeys<ReadCellsOptions> = {
  maxAttempts: true,
  retryBaseMs: true,
  retryMaxMs: true,
  requestTimeoutMs: true,
  onRetry: true,
  region: true,
  endpoint: true,
  credentials: true,
  client: true,
  bucket: true,
  cacheDir: true,
  signal: true,
};

/**
 * Reads one channel's detections from a stitched asset: the most trusted file present (see
 * {@linkcode DETECTION_FILES}).
 *
 * @example
 * ```ts ignore
 * import { readDetections } from "@spimfetch/spimfetch/cells";
 * const cells = await readDetections("SmartSPIM_714778_2024-04-04_10-49-03_stitched_2024-04-11_00-47-51", "Ex_639_Em_667");
 * console.log(cells.file, cells.count);
 * ```
 * @param asset The stitched asset's name.
 * @param channel The channel.
 * @param options S3 access, the bucket, a cache directory.
 * @returns The cells.
 * @throws {NotFoundError} If the channel has no segmentation folder (the message lists those that do).
 * @throws {MetadataError} If the folder holds no detections file, or the file is malformed or truncated.
 */
export async function readDetections(
  asset: string,
  channel: string,
  options: ReadCellsOptions = {},
): Promise<Detections> {
  options = checkOptions(options, READ_CELLS_OPTION_KEYS, "readDetections()");
  const bucket = options.bucket ?? AIND_BUCKET;
  const folder = await listCellFolder(asset, SEGMENTATION_FOLDER, channel, options);
  const found = DETECTION_FILES.find((d) => folder.files.has(d.file));
  if (!found) {
    throw new MetadataError(
      `no detections file: expected one of ${DETECTION_FILES.map((d) => d.file).join(", ")}; found ${
        [...folder.files].join(", ")
      }`,
      { source: formatS3Uri(bucket, folder.prefix) },
    );
  }
  const key = `${folder.prefix}${found.file}`;
  const uri = formatS3Uri(bucket, key);
  const store = new S3Store(formatS3Uri(bucket, ""), options);
  try {
    const pieces = objectPieces(store, key, { signal: options.signal });
    if (found.file.endsWith(".csv")) return await parseDetectionsCsv(pieces, found.file, uri);
    const { xyz: values, count, other } = await parseCellfinderXml(pieces, uri);
    // (x, y, z) → (z, y, x) in place.
    for (let i = 0; i < values.length; i += 3) {
      const x = values[i];
      values[i] = values[i + 2];
      values[i + 2] = x;
    }
    return { uri, file: found.file, zyx: values, ids: undefined, count, notCells: other };
  } finally {
    store.close();
  }
}
