/**
 * AIND's region counts, `image_cell_quantification/<channel>/cell_count_by_region.csv`, in its column sets
 * (read by name, never position; the pandas index column first):
 *
 * - 2023: `,Id,Structure,Struct_Info,Left,Right,Total`
 * - 2024-02: adds `Struct_area_um3` (briefly `Struct_area_um2`) and `Left_Density,Right_Density,Total_Density`
 * - 2024-08 on: `,ID,Acronym,Name,Parent Region,Layer,Ancestors,Graph Order,Id,Struct_Info,Struct_area_um3,Left,Right,Total,Left_Density,Right_Density,Total_Density`
 * - 2026 (v1.7.0): the same plus `{Left,Right,Total}_Median_{Foreground,Background}`
 *
 * Counts are hierarchical (a cell counts for its structure and every ancestor that has a mesh);
 * `Struct_area_um3` is the mesh volume in µm³, of one hemisphere where `Struct_Info` is `hemi`.
 *
 * @module
 */
import { splitCsvLine } from "../core/csv.ts";
import { MetadataError } from "../core/errors.ts";
import { AIND_BUCKET, formatS3Uri, S3_OPTION_KEYS } from "../s3/client.ts";
import { S3Store } from "../s3/store.ts";
import { listCellFolder, QUANTIFICATION_FOLDER } from "./_files.ts";
import { objectPieces, readLines } from "./_stream.ts";
import { columnOf, type ReadCellsOptions } from "./detections.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** The column set of a `cell_count_by_region.csv`. */
export type RegionCountsLayout = "2023" | "2024-02" | "2024-08" | "2026";

/** One structure's counts as AIND wrote them. */
export interface AindRegionCount {
  /** Allen structure id. */
  id: number;
  /** Acronym (`Acronym`, or `Structure` in 2023). */
  acronym: string;
  /** Full name, where the file has one. */
  name: string | undefined;
  /** `hemi` (one mesh per hemisphere) or `mid` (one mesh across the midline), where given. */
  structInfo: string | undefined;
  /** Mesh volume in µm³ (one hemisphere for `hemi`), where given. */
  volumeUm3: number | undefined;
  /** Cells in the left hemisphere (ML < 5700 µm). */
  left: number;
  /** Cells in the right hemisphere. */
  right: number;
  /** All cells. */
  total: number;
}

/** A parsed `cell_count_by_region.csv`. */
export interface AindRegionCounts {
  /** The file's URI. */
  uri: string;
  /** Its column set. */
  layout: RegionCountsLayout;
  /** One per structure, in file order. */
  rows: AindRegionCount[];
}

/**
 * Parses a `cell_count_by_region.csv`.
 * @param pieces The bytes.
 * @param source Its URI.
 * @returns The rows and the layout.
 * @throws {MetadataError} If a needed column is missing (the message lists the columns found), a count is
 * not a number, or the file is truncated.
 */
export async function parseRegionCounts(
  pieces: AsyncIterable<Uint8Array>,
  source: string,
): Promise<AindRegionCounts> {
  const reader = readLines(pieces);
  let header: string[] | undefined;
  let at: Record<string, number> = {};
  let layout: RegionCountsLayout = "2023";
  const rows: AindRegionCount[] = [];
  let line = 0;
  const optional = (names: string[]): number => {
    const lower = names.map((n) => n.toLowerCase());
    return header!.findIndex((h) => lower.includes(h.trim().toLowerCase()));
  };
  for await (const text of reader.lines) {
    line++;
    if (!header) {
      header = splitCsvLine(text);
      // `ID` (the ontology's) before `Id` (the mesh table's): the 2024-08 layout has both, with the same value.
      const idAt = header.findIndex((h) => h.trim() === "ID");
      at = {
        id: idAt >= 0 ? idAt : columnOf(header, ["Id", "ID"], source),
        acronym: columnOf(header, ["Acronym", "Structure"], source),
        left: columnOf(header, ["Left"], source),
        right: columnOf(header, ["Right"], source),
        total: columnOf(header, ["Total"], source),
        name: optional(["Name"]),
        info: optional(["Struct_Info"]),
        volume: optional(["Struct_area_um3", "Struct_area_um2"]),
      };
      layout = optional(["Left_Median_Foreground"]) >= 0
        ? "2026"
        : optional(["Acronym"]) >= 0
        ? "2024-08"
        : at.volume >= 0
        ? "2024-02"
        : "2023";
      continue;
    }
    if (text.trim() === "") continue;
    const row = splitCsvLine(text);
    const num = (key: string, column: string): number => {
      const cell = row[at[key]];
      const value = cell === undefined || cell.trim() === "" ? NaN : Number(cell);
      if (!Number.isFinite(value)) {
        throw new MetadataError(
          `line ${line} has ${JSON.stringify(cell ?? "")} in column "${column}": expected a number${
            row.length < header!.length ? ` (${row.length} of ${header!.length} columns: truncated?)` : ""
          }`,
          { source },
        );
      }
      return value;
    };
    const volume = at.volume >= 0 && row[at.volume]?.trim() ? Number(row[at.volume]) : undefined;
    rows.push({
      id: num("id", header[at.id]),
      acronym: row[at.acronym]?.trim() ?? "",
      name: at.name >= 0 ? row[at.name]?.trim() || undefined : undefined,
      structInfo: at.info >= 0 ? row[at.info]?.trim() || undefined : undefined,
      volumeUm3: Number.isFinite(volume) ? volume : undefined,
      left: num("left", "Left"),
      right: num("right", "Right"),
      total: num("total", "Total"),
    });
  }
  if (!header) throw new MetadataError("the file is empty: expected a header", { source });
  if (!reader.endedWithNewline()) {
    throw new MetadataError(`the file is truncated: its last line (${line}) does not end`, { source });
  }
  return { uri: source, layout, rows };
}

/** The keys of {@linkcode ReadCellsOptions}, checked at run time. */
const READ_CELLS_OPTION_KEYS: OptionKeys<ReadCellsOptions> = {
  ...S3_OPTION_KEYS,
  bucket: true,
  cacheDir: true,
  signal: true,
};

/**
 * Reads AIND's region counts of one channel.
 *
 * @example
 * ```ts ignore
 * import { readRegionCounts } from "@spimfetch/spimfetch/cells";
 * const counts = await readRegionCounts("SmartSPIM_714778_2024-04-04_10-49-03_stitched_2024-04-11_00-47-51", "Ex_639_Em_667");
 * console.log(counts.layout, counts.rows.find((r) => r.acronym === "root"));
 * ```
 * @param asset The stitched asset's name.
 * @param channel The channel.
 * @param options S3 access, the bucket, a cache directory.
 * @returns The counts.
 * @throws {NotFoundError} If the channel has no quantification folder.
 * @throws {MetadataError} If the folder has no `cell_count_by_region.csv` or it is malformed.
 */
export async function readRegionCounts(
  asset: string,
  channel: string,
  options: ReadCellsOptions = {},
): Promise<AindRegionCounts> {
  options = checkOptions(options, READ_CELLS_OPTION_KEYS, "readRegionCounts()");
  const bucket = options.bucket ?? AIND_BUCKET;
  const folder = await listCellFolder(asset, QUANTIFICATION_FOLDER, channel, options);
  const key = `${folder.prefix}cell_count_by_region.csv`;
  if (!folder.files.has("cell_count_by_region.csv")) {
    throw new MetadataError(
      `no cell_count_by_region.csv; found ${[...folder.files].join(", ")}`,
      { source: formatS3Uri(bucket, folder.prefix) },
    );
  }
  const store = new S3Store(formatS3Uri(bucket, ""), options);
  try {
    return await parseRegionCounts(
      objectPieces(store, key, { signal: options.signal }),
      formatS3Uri(bucket, key),
    );
  } finally {
    store.close();
  }
}
