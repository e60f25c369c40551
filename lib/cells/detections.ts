/**
 * (Over 400 lines: every era's detection format (CSV, proposals, cellfinder XML) and their streams in one place.)
 *
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
import { splitCsvLine } from "../core/csv.ts";
import { MetadataError } from "../core/errors.ts";
import { AIND_BUCKET, formatS3Uri, S3_OPTION_KEYS, type S3Options } from "../s3/client.ts";
import { S3Store } from "../s3/store.ts";
import { listCellFolder, SEGMENTATION_FOLDER } from "./_files.ts";
import { Triples } from "./_growable.ts";
import { objectPieces, readLines } from "./_stream.ts";
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

/** The default number of cells per batch when streaming: bounded memory, few calls. */
export const BATCH_CELLS = 65536;

/** A batch of cells streamed from a detections file. */
export interface DetectionBatch {
  /** Level-0 voxel indices, `(z, y, x)` per cell, `3 · count` values. */
  zyx: Float32Array;
  /** The `Cell ID` column, when the file has one (NaN where empty). */
  ids: Float64Array | undefined;
  /** Cells in the batch. */
  count: number;
  /** The row (among the file's cells, from 0) of the batch's first cell. */
  first: number;
}

/** Cells streamed from one file: batches of at most `batchCells`, and the totals once they are done. */
export interface DetectionStream {
  /** The file's `s3://` URI. */
  uri: string;
  /** Which file it is. */
  file: DetectionFile;
  /** The batches, in file order. */
  batches: AsyncGenerator<DetectionBatch>;
  /** Cells read so far (all of them once `batches` is done). */
  count(): number;
  /** Rows or markers read so far that were not cells. */
  notCells(): number;
}

/** Fixed-capacity batch of triples with optional ids: filled, handed out, then replaced. */
class BatchBuilder {
  zyx: Float32Array;
  ids: Float64Array | undefined;
  count = 0;
  first = 0;
  constructor(readonly capacity: number) {
    this.zyx = new Float32Array(3 * capacity);
  }
  /** Appends a cell; true when the batch is full. */
  push(a: number, b: number, c: number, id?: number): boolean {
    const at = 3 * this.count;
    this.zyx[at] = a;
    this.zyx[at + 1] = b;
    this.zyx[at + 2] = c;
    if (id !== undefined) {
      this.ids ??= new Float64Array(this.capacity).fill(NaN);
      this.ids[this.count] = id;
    }
    return ++this.count === this.capacity;
  }
  /** The filled part as a batch, and a fresh buffer for the next (the batch handed out is not reused). */
  take(): DetectionBatch {
    const batch: DetectionBatch = {
      zyx: this.zyx.subarray(0, 3 * this.count),
      ids: this.ids?.subarray(0, this.count),
      count: this.count,
      first: this.first,
    };
    this.first += this.count;
    this.count = 0;
    this.zyx = new Float32Array(3 * this.capacity);
    if (this.ids) this.ids = new Float64Array(this.capacity).fill(NaN);
    return batch;
  }
}

function checkBatchCells(batchCells: number): number {
  if (!Number.isInteger(batchCells) || batchCells < 1) {
    throw new RangeError(`batchCells must be an integer >= 1, got ${batchCells}`);
  }
  return batchCells;
}

/**
 * Streams a detections CSV (`detected_cells.csv` or a `cell_likelihoods.csv`) in batches of cells.
 * @param pieces The file's bytes, in pieces.
 * @param file Which file (decides the class rule).
 * @param source Its URI, for messages.
 * @param options Cells per batch. @default {65536}
 * @returns The stream; errors surface while iterating its batches.
 */
export function streamDetectionsCsv(
  pieces: AsyncIterable<Uint8Array>,
  file: DetectionFile,
  source: string,
  options: { batchCells?: number } = {},
): DetectionStream {
  const batch = new BatchBuilder(checkBatchCells(options.batchCells ?? BATCH_CELLS));
  let notCells = 0;
  async function* batches(): AsyncGenerator<DetectionBatch> {
    const reader = readLines(pieces);
    let header: string[] | undefined;
    let cols: number[] = [];
    let classAt = -1, idAt = -1, line = 0;
    const cellClass = file === "cell_likelihoods.csv" ? 2 : 1;
    for await (const text of reader.lines) {
      line++;
      if (header === undefined) {
        header = splitCsvLine(text);
        cols = ["x", "y", "z"].map((n) => columnOf(header!, [n], source));
        if (file !== "detected_cells.csv") classAt = columnOf(header, ["Class"], source);
        idAt = header.findIndex((h) => h.trim().toLowerCase() === "cell id");
        continue;
      }
      if (text.trim() === "") continue;
      const row = splitCsvLine(text);
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
      const x = number(row[cols[0]], line, "x", source);
      const y = number(row[cols[1]], line, "y", source);
      const z = number(row[cols[2]], line, "z", source);
      const id = idAt >= 0 && row[idAt].trim() !== "" ? Number(row[idAt]) : undefined;
      if (batch.push(z, y, x, id)) yield batch.take();
    }
    if (header === undefined) {
      throw new MetadataError("the file is empty: expected a header ,x,y,z", { source });
    }
    if (!reader.endedWithNewline()) {
      throw new MetadataError(`the file is truncated: its last line (${line}) does not end`, { source });
    }
    if (batch.count > 0) yield batch.take();
  }
  return {
    uri: source,
    file,
    batches: batches(),
    count: () => batch.first + batch.count,
    notCells: () => notCells,
  };
}

/** Gathers a stream's batches into one {@linkcode Detections}. */
async function gather(stream: DetectionStream): Promise<Detections> {
  const cells = new Triples();
  for await (const b of stream.batches) {
    for (let i = 0; i < b.count; i++) {
      cells.push(
        b.zyx[3 * i],
        b.zyx[3 * i + 1],
        b.zyx[3 * i + 2],
        b.ids && !Number.isNaN(b.ids[i]) ? b.ids[i] : undefined,
      );
    }
  }
  return {
    uri: stream.uri,
    file: stream.file,
    zyx: cells.values(),
    ids: cells.ids(),
    count: cells.count,
    notCells: stream.notCells(),
  };
}

/**
 * Parses a detections CSV (`detected_cells.csv` or a `cell_likelihoods.csv`) from its bytes, every cell
 * held (see {@linkcode streamDetectionsCsv} for bounded memory).
 * @param pieces The file's bytes, in pieces.
 * @param file Which file (decides the class rule).
 * @param source Its URI, for messages.
 * @returns The cells.
 * @throws {MetadataError} If a column is missing, a value is not a number, or the file is truncated.
 */
export function parseDetectionsCsv(
  pieces: AsyncIterable<Uint8Array>,
  file: DetectionFile,
  source: string,
): Promise<Detections> {
  return gather(streamDetectionsCsv(pieces, file, source));
}

/** `<Type>` and `<Marker>` elements of a cellfinder XML, in document order. */
const XML_TOKEN = /<Type>\s*([^<]*?)\s*<\/Type>|<Marker>([\s\S]*?)<\/Marker>/g;
const XML_END = "</CellCounter_Marker_File>";

/**
 * Streams a cellfinder XML (`CellCounter_Marker_File/Marker_Data/Marker_Type`) in batches of markers of
 * one type, as (MarkerX, MarkerY, MarkerZ) in the batches' `zyx` field (swap them for detections), element
 * by element.
 * @param pieces The file's bytes, in pieces.
 * @param source Its URI, for messages.
 * @param options The type that is a cell (cellfinder: 2) or every type, and markers per batch.
 * @returns The batches and the totals; errors surface while iterating the batches.
 */
export function streamCellfinderXml(
  pieces: AsyncIterable<Uint8Array>,
  source: string,
  options: { type?: number | "any"; batchCells?: number } = {},
): { batches: AsyncGenerator<DetectionBatch>; count(): number; other(): number } {
  const keep = options.type ?? 2;
  const batch = new BatchBuilder(checkBatchCells(options.batchCells ?? BATCH_CELLS));
  let other = 0;
  async function* batches(): AsyncGenerator<DetectionBatch> {
    const decoder = new TextDecoder();
    // Markers of one piece beyond a full batch wait here (a piece holds a bounded number of markers).
    const ready: DetectionBatch[] = [];
    let buffer = "", type: number | undefined, seenRoot = false, ended = false;
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
            if (batch.push(field(m[2], "MarkerX"), field(m[2], "MarkerY"), field(m[2], "MarkerZ"))) {
              ready.push(batch.take());
            }
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
      yield* ready.splice(0);
    }
    buffer += decoder.decode();
    consume(true);
    yield* ready.splice(0);
    if (!ended) {
      throw new MetadataError(
        `the file is truncated: it ends before ${XML_END}${
          buffer.includes("<Marker>") ? " (inside a <Marker>)" : ""
        }`,
        { source },
      );
    }
    if (batch.count > 0) yield batch.take();
  }
  return { batches: batches(), count: () => batch.first + batch.count, other: () => other };
}

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
  const stream = streamCellfinderXml(pieces, source, options);
  const out = new Triples();
  for await (const b of stream.batches) {
    for (let i = 0; i < 3 * b.count; i += 3) out.push(b.zyx[i], b.zyx[i + 1], b.zyx[i + 2]);
  }
  return { xyz: out.values(), count: out.count, other: stream.other() };
}

/**
 * Streams one channel's detections from a stitched asset in batches (the most trusted file present, see
 * {@linkcode DETECTION_FILES}): memory holds one batch, whatever the number of cells.
 *
 * @example
 * ```ts ignore
 * import { streamDetections } from "@spimfetch/spimfetch/cells";
 * const cells = await streamDetections("SmartSPIM_714778_2024-04-04_10-49-03_stitched_2024-04-11_00-47-51", "Ex_639_Em_667");
 * for await (const batch of cells.batches) console.log(batch.first, batch.count);
 * console.log(cells.file, cells.count());
 * ```
 * @param asset The stitched asset's name.
 * @param channel The channel.
 * @param options S3 access, the bucket, a cache directory, cells per batch.
 * @returns The stream (the file is fetched piece by piece as the batches are read).
 * @throws {NotFoundError} If the channel has no segmentation folder (the message lists those that do).
 * @throws {MetadataError} If the folder holds no detections file; a malformed or truncated file throws
 * while its batches are read.
 */
export async function streamDetections(
  asset: string,
  channel: string,
  options: ReadCellsOptions & { batchCells?: number } = {},
): Promise<DetectionStream> {
  options = checkOptions(options, { ...READ_CELLS_OPTION_KEYS, batchCells: true }, "streamDetections()");
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
  async function* pieces(): AsyncGenerator<Uint8Array> {
    const store = new S3Store(formatS3Uri(bucket, ""), options);
    try {
      yield* objectPieces(store, key, { signal: options.signal });
    } finally {
      store.close();
    }
  }
  if (found.file.endsWith(".csv")) {
    return streamDetectionsCsv(pieces(), found.file, uri, options);
  }
  const xml = streamCellfinderXml(pieces(), uri, options);
  async function* swapped(): AsyncGenerator<DetectionBatch> {
    for await (const b of xml.batches) {
      // (x, y, z) → (z, y, x) in place.
      for (let i = 0; i < 3 * b.count; i += 3) {
        const x = b.zyx[i];
        b.zyx[i] = b.zyx[i + 2];
        b.zyx[i + 2] = x;
      }
      yield b;
    }
  }
  return { uri, file: found.file, batches: swapped(), count: xml.count, notCells: xml.other };
}

/** The keys of {@linkcode ReadCellsOptions}, checked at run time. */
const READ_CELLS_OPTION_KEYS: OptionKeys<ReadCellsOptions> = {
  ...S3_OPTION_KEYS,
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
  return await gather(await streamDetections(asset, channel, options));
}
