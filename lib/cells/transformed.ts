/**
 * (Over 400 lines: both eras of AIND's cells in CCF and the axis-order decision they share.)
 *
 * AIND's cells in the CCF (`image_cell_quantification/<channel>/transformed_cells.csv|xml`): CCF 25 µm
 * voxel indices whose axis order changed over the years. The order is decided from the quantification's
 * date (in `processing.json`, else the asset's processing date) by the rules below, then checked against
 * the CCF grid's extent (AP 528 × DV 320 × ML 456: only AP can exceed 456); where neither decides, the
 * newest order is used with a warning naming the file.
 *
 * | file | dates | columns |
 * |---|---|---|
 * | `transformed_cells.csv` | 2026 on (v1.7.0) | x = AP, y = DV, z = ML |
 * | `transformed_cells.xml` | 2024-08-02 on | MarkerX = AP, MarkerY = DV, MarkerZ = ML |
 * | `transformed_cells.xml` | before 2024-07 | MarkerX = ML, MarkerZ = AP (inferred from the code's history) |
 *
 * @module
 */
import { splitCsvLine } from "../core/csv.ts";
import { MetadataError } from "../core/errors.ts";
import { AIND_BUCKET, formatS3Uri, S3_OPTION_KEYS } from "../s3/client.ts";
import { S3Store } from "../s3/store.ts";
import { listCellFolder, QUANTIFICATION_FOLDER } from "./_files.ts";
import { Triples } from "./_growable.ts";
import { objectPieces, readLines } from "./_stream.ts";
import {
  BATCH_CELLS,
  columnOf,
  type DetectionBatch,
  type ReadCellsOptions,
  streamCellfinderXml,
} from "./detections.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** The CCF 25 µm grid's extent in voxels (AP, DV, ML). */
export const CCF_25_EXTENT: readonly [number, number, number] = [528, 320, 456];

/** Which file column holds AP, DV and ML. */
export type TransformedOrder = "x=ap,y=dv,z=ml" | "x=ml,y=dv,z=ap";

/** AIND's cells in CCF. */
export interface TransformedCells {
  /** The file's URI. */
  uri: string;
  /** `transformed_cells.csv` or `transformed_cells.xml`. */
  file: string;
  /** Allen CCF µm, `(ap, dv, ml)` per cell (voxel index × 25). */
  ccf: Float32Array;
  /** The `Cell ID` column, when present. */
  ids: Float64Array | undefined;
  /** Cells. */
  count: number;
  /** The axis order used. */
  order: TransformedOrder;
  /** Why: the rule or the check that decided it. */
  orderFrom: string;
  /** Warnings naming the file (an ambiguous order, values outside the grid). */
  warnings: string[];
}

/** The facts `processing.json` gives about the quantification step. */
export interface QuantificationFacts {
  /** Its code version, if recorded. */
  version?: string;
  /** Its start date (ISO), if recorded. */
  date?: string;
}

/**
 * The quantification's version and date from a parsed `processing.json` (schema 1 or 2): the data process
 * whose name mentions quantification.
 * @param json The parsed document.
 * @returns What it records (fields absent when it does not).
 */
export function quantificationFacts(json: unknown): QuantificationFacts {
  const root = json as Record<string, unknown> | null;
  const pipeline = root?.processing_pipeline as Record<string, unknown> | undefined;
  const list = (pipeline?.data_processes ?? root?.data_processes) as Record<string, unknown>[] | undefined;
  for (const p of Array.isArray(list) ? list : []) {
    const name = String(p?.name ?? p?.process_type ?? "");
    if (!/quantif/i.test(name)) continue;
    const code = p.code as Record<string, unknown> | undefined;
    const version = typeof code?.version === "string"
      ? code.version
      : typeof p.code_version === "string"
      ? p.code_version
      : undefined;
    const date = typeof p.start_date_time === "string" ? p.start_date_time : undefined;
    return { version, date };
  }
  return {};
}

/**
 * Decides the axis order of a transformed-cells file.
 * @param file `transformed_cells.csv` or `.xml`.
 * @param maxima The largest value in each file column (x, y, z), in voxels.
 * @param facts The quantification's date (or the asset's processing date) and version.
 * @param source The file, for the warnings.
 * @returns The order, why, and warnings.
 */
export function decideOrder(
  file: string,
  maxima: readonly number[],
  facts: QuantificationFacts,
  source: string,
): { order: TransformedOrder; orderFrom: string; warnings: string[] } {
  const warnings: string[] = [];
  const date = facts.date?.slice(0, 10);
  let rule: TransformedOrder | undefined;
  let ruleFrom = "";
  if (file.endsWith(".csv")) {
    rule = "x=ap,y=dv,z=ml";
    ruleFrom = "transformed_cells.csv (quantification v1.7.0 on) is x = AP, y = DV, z = ML";
  } else if (date && date >= "2024-08-02") {
    rule = "x=ap,y=dv,z=ml";
    ruleFrom = `quantification of ${date}: XML from 2024-08-02 on is MarkerX = AP, MarkerZ = ML`;
  } else if (date && date < "2024-07-01") {
    rule = "x=ml,y=dv,z=ap";
    ruleFrom = `quantification of ${date}: XML before 2024-07 is MarkerX = ML, MarkerZ = AP (inferred)`;
  }
  // Only AP reaches past 456 (ML's extent); the data can prove the order, never disprove it by staying small.
  const [ap, dv, ml] = CCF_25_EXTENT;
  const evidence: TransformedOrder | undefined = maxima[0] > ml && maxima[2] <= ml
    ? "x=ap,y=dv,z=ml"
    : maxima[2] > ml && maxima[0] <= ml
    ? "x=ml,y=dv,z=ap"
    : undefined;
  if (maxima[1] > dv) {
    warnings.push(`${source}: y reaches ${maxima[1]}, beyond the CCF grid's DV extent (${dv} voxels)`);
  }
  if (Math.max(maxima[0], maxima[2]) > ap) {
    warnings.push(
      `${source}: values reach ${Math.max(maxima[0], maxima[2])}, beyond the CCF grid (${ap} voxels)`,
    );
  }
  if (evidence && rule && evidence !== rule) {
    warnings.push(
      `${source}: the date rule (${ruleFrom}) says ${rule}, but the values only fit ${evidence}; using ${evidence}`,
    );
    return {
      order: evidence,
      orderFrom: "the CCF grid's extent (values above 456 can only be AP)",
      warnings,
    };
  }
  if (rule) {
    return {
      order: rule,
      orderFrom: evidence ? `${ruleFrom}; confirmed by the grid's extent` : ruleFrom,
      warnings,
    };
  }
  if (evidence) {
    return {
      order: evidence,
      orderFrom: "the CCF grid's extent (values above 456 can only be AP)",
      warnings,
    };
  }
  warnings.push(
    `${source}: axis order ambiguous (quantification date ${date ?? "unknown"}, no value above 456): ` +
      `read as x = AP, y = DV, z = ML (the order since 2024-08-02)`,
  );
  return { order: "x=ap,y=dv,z=ml", orderFrom: "default (ambiguous)", warnings };
}

/** Batches of a transformed-cells file in the file's own columns (x, y, z voxels). */
function rawBatches(
  pieces: AsyncIterable<Uint8Array>,
  file: string,
  source: string,
  batchCells: number,
): AsyncGenerator<DetectionBatch> {
  if (file.endsWith(".xml")) return streamCellfinderXml(pieces, source, { type: "any", batchCells }).batches;
  // The CSV: read by column name, `Cell ID` kept; a row of the wrong length or not numeric is an error.
  async function* csv(): AsyncGenerator<DetectionBatch> {
    const reader = readLines(pieces);
    let header: string[] | undefined, cols: number[] = [], idAt = -1, line = 0, first = 0;
    let xyz = new Triples();
    for await (const text of reader.lines) {
      line++;
      if (!header) {
        header = splitCsvLine(text);
        cols = ["x", "y", "z"].map((n) => columnOf(header!, [n], source));
        idAt = header.findIndex((h) => h.trim().toLowerCase() === "cell id");
        continue;
      }
      if (text.trim() === "") continue;
      const row = splitCsvLine(text);
      const v = cols.map((c) => Number(row[c]));
      if (row.length < header.length || v.some((n, k) => !Number.isFinite(n) || row[cols[k]].trim() === "")) {
        throw new MetadataError(
          `line ${line} is incomplete or not numeric${
            reader.endedWithNewline() ? "" : " (the file is truncated)"
          }`,
          { source },
        );
      }
      xyz.push(v[0], v[1], v[2], idAt >= 0 && row[idAt].trim() !== "" ? Number(row[idAt]) : undefined);
      if (xyz.count === batchCells) {
        yield { zyx: xyz.values(), ids: xyz.ids(), count: xyz.count, first };
        first += xyz.count;
        xyz = new Triples();
      }
    }
    if (!header) throw new MetadataError("the file is empty: expected a header ,x,y,z", { source });
    if (!reader.endedWithNewline()) {
      throw new MetadataError(`the file is truncated: its last line (${line}) does not end`, { source });
    }
    if (xyz.count > 0) yield { zyx: xyz.values(), ids: xyz.ids(), count: xyz.count, first };
  }
  return csv();
}

/** AIND's cells in CCF, streamed: the order decided by a first pass, the cells in batches by a second. */
export interface TransformedStream {
  /** The file's URI. */
  uri: string;
  /** `transformed_cells.csv` or `transformed_cells.xml`. */
  file: string;
  /** Cells. */
  count: number;
  /** Whether the file has a `Cell ID` column. */
  hasIds: boolean;
  /** The axis order used. */
  order: TransformedOrder;
  /** Why: the rule or the check that decided it. */
  orderFrom: string;
  /** Warnings naming the file (an ambiguous order, values outside the grid). */
  warnings: string[];
  /** The cells in Allen µm, `(ap, dv, ml)` per cell in the batches' `zyx` field, with their `Cell ID`s. */
  batches(): AsyncGenerator<DetectionBatch>;
}

function toMicrons(values: Float32Array, order: TransformedOrder): void {
  const apAt = order === "x=ap,y=dv,z=ml" ? 0 : 2;
  for (let i = 0; i < values.length; i += 3) {
    const a = values[i + apAt], d = values[i + 1], m = values[i + 2 - apAt];
    values[i] = 25 * a;
    values[i + 1] = 25 * d;
    values[i + 2] = 25 * m;
  }
}

/**
 * Streams a transformed-cells file in bounded memory: a first pass over its bytes finds each column's
 * largest value (the axis order needs the whole file's extent), a second yields the cells in Allen µm.
 * @param open Opens the file's bytes (called once per pass).
 * @param file `transformed_cells.csv` or `transformed_cells.xml`.
 * @param source Its URI.
 * @param options The quantification's date and version, cells per batch.
 * @returns The order, the count, and the second pass.
 * @throws {MetadataError} If the layout is unknown or the file is truncated.
 */
export async function streamTransformedCells(
  open: () => AsyncIterable<Uint8Array>,
  file: string,
  source: string,
  options: { facts?: QuantificationFacts; batchCells?: number } = {},
): Promise<TransformedStream> {
  const batchCells = options.batchCells ?? BATCH_CELLS;
  const maxima = [0, 0, 0];
  let count = 0, hasIds = false;
  for await (const b of rawBatches(open(), file, source, batchCells)) {
    for (let i = 0; i < 3 * b.count; i++) if (b.zyx[i] > maxima[i % 3]) maxima[i % 3] = b.zyx[i];
    count += b.count;
    hasIds ||= b.ids !== undefined;
  }
  const decided = decideOrder(file, maxima, options.facts ?? {}, source);
  async function* batches(): AsyncGenerator<DetectionBatch> {
    for await (const b of rawBatches(open(), file, source, batchCells)) {
      toMicrons(b.zyx, decided.order);
      yield b;
    }
  }
  return { uri: source, file, count, hasIds, ...decided, batches };
}

/**
 * Parses a transformed-cells file into Allen µm, every cell held (see {@linkcode streamTransformedCells}
 * for bounded memory).
 * @param pieces The bytes.
 * @param file `transformed_cells.csv` or `transformed_cells.xml`.
 * @param source Its URI.
 * @param facts The quantification's date and version.
 * @returns The cells.
 * @throws {MetadataError} If the layout is unknown or the file is truncated.
 */
export async function parseTransformedCells(
  pieces: AsyncIterable<Uint8Array>,
  file: string,
  source: string,
  facts: QuantificationFacts = {},
): Promise<TransformedCells> {
  const all = new Triples();
  for await (const b of rawBatches(pieces, file, source, BATCH_CELLS)) {
    for (let i = 0; i < b.count; i++) {
      const id = b.ids && !Number.isNaN(b.ids[i]) ? b.ids[i] : undefined;
      all.push(b.zyx[3 * i], b.zyx[3 * i + 1], b.zyx[3 * i + 2], id);
    }
  }
  const values = all.values();
  const maxima = [0, 0, 0];
  for (let i = 0; i < values.length; i++) if (values[i] > maxima[i % 3]) maxima[i % 3] = values[i];
  const decided = decideOrder(file, maxima, facts, source);
  toMicrons(values, decided.order);
  return { uri: source, file, ccf: values, ids: all.ids(), count: all.count, ...decided };
}

/** The keys of `readTransformedCells()`'s options, checked at run time. */
const READ_TRANSFORMED_CELLS_OPTION_KEYS: OptionKeys<
  NonNullable<Parameters<typeof readTransformedCells>[2]>
> = {
  ...S3_OPTION_KEYS,
  bucket: true,
  cacheDir: true,
  signal: true,
  facts: true,
};

/**
 * Reads AIND's transformed cells of one channel, or `undefined` when the quantification folder has none.
 *
 * @example
 * ```ts ignore
 * import { readTransformedCells } from "@spimfetch/spimfetch/cells";
 * const theirs = await readTransformedCells("SmartSPIM_714778_2024-04-04_10-49-03_stitched_2024-04-11_00-47-51", "Ex_639_Em_667");
 * console.log(theirs?.order, theirs?.warnings);
 * ```
 * @param asset The stitched asset's name.
 * @param channel The channel.
 * @param options S3 access, and the quantification's facts (else `processing.json` is read).
 * @returns The cells, or `undefined`.
 * @throws {NotFoundError} If the channel has no quantification folder.
 * @throws {MetadataError} If the file is malformed or truncated.
 */
export async function readTransformedCells(
  asset: string,
  channel: string,
  options: ReadCellsOptions & { facts?: QuantificationFacts } = {},
): Promise<TransformedCells | undefined> {
  options = checkOptions(options, READ_TRANSFORMED_CELLS_OPTION_KEYS, "readTransformedCells()");
  const found = await locateTransformed(asset, channel, options);
  if (!found) return undefined;
  const store = new S3Store(formatS3Uri(found.bucket, ""), options);
  try {
    return await parseTransformedCells(
      objectPieces(store, found.key, { signal: options.signal }),
      found.file,
      formatS3Uri(found.bucket, found.key),
      found.facts,
    );
  } finally {
    store.close();
  }
}

/** The transformed-cells file of a channel and the facts that decide its order, or `undefined`. */
async function locateTransformed(
  asset: string,
  channel: string,
  options: ReadCellsOptions & { facts?: QuantificationFacts },
): Promise<{ bucket: string; key: string; file: string; facts: QuantificationFacts } | undefined> {
  const bucket = options.bucket ?? AIND_BUCKET;
  const folder = await listCellFolder(asset, QUANTIFICATION_FOLDER, channel, options);
  const file = ["transformed_cells.csv", "transformed_cells.xml"].find((f) => folder.files.has(f));
  if (!file) return undefined;
  let facts = options.facts;
  if (!facts) {
    const store = new S3Store(formatS3Uri(bucket, ""), options);
    try {
      const bytes = await store.get(`/${asset}/processing.json`, { signal: options.signal });
      facts = bytes ? quantificationFacts(JSON.parse(new TextDecoder().decode(bytes))) : {};
    } finally {
      store.close();
    }
    // The asset's processing date stands in for the quantification's: it ran after stitching.
    const stitched = /_stitched_(\d{4}-\d{2}-\d{2})/.exec(asset)?.[1];
    if (!facts.date && stitched) facts = { ...facts, date: stitched };
  }
  return { bucket, key: `${folder.prefix}${file}`, file, facts };
}

/**
 * Streams AIND's transformed cells of one channel in bounded memory (two passes over the file: the
 * order, then the cells), or `undefined` when the quantification folder has none.
 *
 * @example
 * ```ts ignore
 * import { streamTransformed } from "@spimfetch/spimfetch/cells";
 * const theirs = await streamTransformed("SmartSPIM_714778_2024-04-04_10-49-03_stitched_2024-04-11_00-47-51", "Ex_639_Em_667");
 * if (theirs) for await (const b of theirs.batches()) console.log(b.first, b.count);
 * ```
 * @param asset The stitched asset's name.
 * @param channel The channel.
 * @param options S3 access, the quantification's facts (else `processing.json` is read), cells per batch.
 * @returns The stream, or `undefined`.
 * @throws {NotFoundError} If the channel has no quantification folder.
 * @throws {MetadataError} If the file is malformed or truncated.
 */
export async function streamTransformed(
  asset: string,
  channel: string,
  options: ReadCellsOptions & { facts?: QuantificationFacts; batchCells?: number } = {},
): Promise<TransformedStream | undefined> {
  options = checkOptions(
    options,
    { ...READ_TRANSFORMED_CELLS_OPTION_KEYS, batchCells: true },
    "streamTransformed()",
  );
  const found = await locateTransformed(asset, channel, options);
  if (!found) return undefined;
  async function* open(): AsyncGenerator<Uint8Array> {
    const store = new S3Store(formatS3Uri(found!.bucket, ""), options);
    try {
      yield* objectPieces(store, found!.key, { signal: options.signal });
    } finally {
      store.close();
    }
  }
  return await streamTransformedCells(open, found.file, formatS3Uri(found.bucket, found.key), {
    facts: found.facts,
    batchCells: options.batchCells,
  });
}
