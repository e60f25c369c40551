/**
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
import { MetadataError } from "../core/errors.ts";
import { AIND_BUCKET, formatS3Uri } from "../s3/client.ts";
import { S3Store } from "../s3/store.ts";
import { listCellFolder, QUANTIFICATION_FOLDER } from "./_files.ts";
import { Triples } from "./_growable.ts";
import { objectPieces, readLines, splitCsv } from "./_stream.ts";
import { columnOf, parseCellfinderXml, type ReadCellsOptions } from "./detections.ts";
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

/**
 * Parses a transformed-cells file into Allen µm.
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
  let values: Float32Array, count: number, ids: Float64Array | undefined;
  if (file.endsWith(".xml")) {
    ({ xyz: values, count } = await parseCellfinderXml(pieces, source, { type: "any" }));
  } else {
    const xyz = new Triples();
    const reader = readLines(pieces);
    let header: string[] | undefined, cols: number[] = [], idAt = -1, line = 0;
    for await (const text of reader.lines) {
      line++;
      if (!header) {
        header = splitCsv(text);
        cols = ["x", "y", "z"].map((n) => columnOf(header!, [n], source));
        idAt = header.findIndex((h) => h.trim().toLowerCase() === "cell id");
        continue;
      }
      if (text.trim() === "") continue;
      const row = splitCsv(text);
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
    }
    if (!header) throw new MetadataError("the file is empty: expected a header ,x,y,z", { source });
    if (!reader.endedWithNewline()) {
      throw new MetadataError(`the file is truncated: its last line (${line}) does not end`, { source });
    }
    [values, count, ids] = [xyz.values(), xyz.count, xyz.ids()];
  }
  const maxima = [0, 0, 0];
  for (let i = 0; i < values.length; i++) if (values[i] > maxima[i % 3]) maxima[i % 3] = values[i];
  const decided = decideOrder(file, maxima, facts, source);
  const apAt = decided.order === "x=ap,y=dv,z=ml" ? 0 : 2;
  for (let i = 0; i < values.length; i += 3) {
    const a = values[i + apAt], d = values[i + 1], m = values[i + 2 - apAt];
    values[i] = 25 * a;
    values[i + 1] = 25 * d;
    values[i + 2] = 25 * m;
  }
  return { uri: source, file, ccf: values, ids, count, ...decided };
}

/** The keys of `readTransformedCells()`'s options, checked at run time. */
const READ_TRANSFORMED_CELLS_OPTION_KEYS: OptionKeys<
  NonNullable<Parameters<typeof readTransformedCells>[2]>
> = {
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
  const bucket = options.bucket ?? AIND_BUCKET;
  const folder = await listCellFolder(asset, QUANTIFICATION_FOLDER, channel, options);
  const file = ["transformed_cells.csv", "transformed_cells.xml"].find((f) => folder.files.has(f));
  if (!file) return undefined;
  const store = new S3Store(formatS3Uri(bucket, ""), options);
  try {
    let facts = options.facts;
    if (!facts) {
      const bytes = await store.get(`/${asset}/processing.json`, { signal: options.signal });
      facts = bytes ? quantificationFacts(JSON.parse(new TextDecoder().decode(bytes))) : {};
      // The asset's processing date stands in for the quantification's: it ran after stitching.
      const stitched = /_stitched_(\d{4}-\d{2}-\d{2})/.exec(asset)?.[1];
      if (!facts.date && stitched) facts = { ...facts, date: stitched };
    }
    const key = `${folder.prefix}${file}`;
    return await parseTransformedCells(
      objectPieces(store, key, { signal: options.signal }),
      file,
      formatS3Uri(bucket, key),
      facts,
    );
  } finally {
    store.close();
  }
}
