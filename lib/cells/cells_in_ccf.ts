/**
 * One subject's cells in the CCF, every channel: AIND's region counts, and
 * on request our own count from the detections (with the comparison), and
 * the cells themselves.
 *
 * @module
 */
import { type CcfSpace, openCcfSpace } from "../ccf/mod.ts";
import { NotFoundError } from "../core/errors.ts";
import { listPrefixes } from "../list/assets.ts";
import { AIND_BUCKET } from "../s3/client.ts";
import { selectAsset } from "../select/select.ts";
import { QUANTIFICATION_FOLDER, SEGMENTATION_FOLDER } from "./_files.ts";
import { type Atlas, type Ontology, openAtlas, type OpenAtlasOptions, openOntology } from "./atlas.ts";
import { type Detections, type ReadCellsOptions, readDetections } from "./detections.ts";
import {
  assignCells,
  type CellAssignments,
  type CellDistances,
  compareCellPositions,
  countCells,
  mapCellsToCcf,
  structureVolumes,
} from "./recount.ts";
import { type AindRegionCounts, readRegionCounts } from "./region_counts.ts";
import { aindRows, type CountRow, recountRows } from "./table.ts";
import { readTransformedCells, type TransformedCells } from "./transformed.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** Options for {@linkcode readCellsInCcf}. */
export interface CellsInCcfOptions extends ReadCellsOptions, OpenAtlasOptions {
  /** Channels to read. @default {every channel with a segmentation or quantification folder} */
  channels?: readonly string[];
  /** Count the detections ourselves through the CCF space and the annotation. @default {false} */
  recount?: boolean;
  /** Keep each cell's CCF position and structure (implies reading and mapping the detections). @default {false} */
  points?: boolean;
  /** An atlas already opened (reused across subjects). */
  atlas?: Atlas;
  /** An ontology already read (for AIND's counts alone). */
  ontology?: Ontology;
  /** Folder of the template → CCF transforms. */
  templatePrefix?: string;
  /** One line per step. */
  log?: (line: string) => void;
}

/** One channel's cells. */
export interface ChannelCells {
  /** The channel. */
  channel: string;
  /** AIND's counts, then ours. */
  rows: CountRow[];
  /** AIND's region counts, where the quantification folder has them. */
  aind?: AindRegionCounts;
  /** The detections, when recounted or asked for. */
  detections?: Detections;
  /** Our CCF positions `(ap, dv, ml)` µm per detection. */
  ccf?: Float32Array;
  /** Our structure per detection. */
  assignments?: CellAssignments;
  /** AIND's transformed cells, where present (with recount). */
  transformed?: TransformedCells;
  /** Distances between AIND's CCF positions and ours, where they can be paired. */
  distances?: CellDistances;
  /** Per structure (both hemispheres): AIND's count and ours, where both exist. */
  differences?: { structure_id: number; acronym: string; aind: number; recount: number }[];
  /** What was odd: cells outside the brain, unknown structure ids, an ambiguous axis order. */
  warnings: string[];
}

/** A subject's cells. */
export interface SubjectCells {
  /** The subject id. */
  subject: string;
  /** The stitched asset read. */
  asset: string;
  /** One per channel. */
  channels: ChannelCells[];
}

async function channelsOf(asset: string, options: CellsInCcfOptions): Promise<string[]> {
  const found = new Set<string>();
  for (const step of [QUANTIFICATION_FOLDER, SEGMENTATION_FOLDER]) {
    const prefix = `${asset}/${step}/`;
    const { prefixes } = await listPrefixes({ ...options, bucket: options.bucket ?? AIND_BUCKET, prefix });
    for (const p of prefixes) found.add(p.slice(prefix.length).replace(/\/$/, ""));
  }
  if (found.size === 0) {
    throw new NotFoundError("object", `${asset}/${QUANTIFICATION_FOLDER}/`, {
      detail: "the asset has no cell segmentation or quantification (it was not segmented)",
    });
  }
  return [...found].sort();
}

/** The keys of {@linkcode CellsInCcfOptions}, checked at run time. */
const CELLS_IN_CCF_OPTION_KEYS: OptionKeys<CellsInCcfOptions> = {
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
  atlasBucket: true,
  atlasEndpoint: true,
  resolution: true,
  channels: true,
  recount: true,
  points: true,
  atlas: true,
  ontology: true,
  templatePrefix: true,
  log: true,
};

/**
 * Reads a subject's cells in the CCF: AIND's counts per channel, and with `recount` our own from the
 * detections, beside theirs.
 *
 * @example AIND's counts and ours
 * ```ts ignore
 * import { readCellsInCcf } from "@spimfetch/spimfetch/cells";
 * const cells = await readCellsInCcf({ subject: "714778" }, { recount: true });
 * for (const c of cells.channels) console.log(c.channel, c.distances, c.warnings);
 * ```
 * @param request A subject id (its newest stitched asset) or an exact stitched asset name.
 * @param options Channels, recount, S3 access, the atlas bucket.
 * @returns The subject's cells.
 * @throws {NotFoundError} If the subject, asset or channel does not exist, or the asset was not segmented.
 * @throws {MetadataError} If a file is malformed, truncated or of an unknown layout.
 * @throws {RegistrationError} With `recount`, if the asset is not registered.
 */
export async function readCellsInCcf(
  request: { subject: string } | { asset: string },
  options: CellsInCcfOptions = {},
): Promise<SubjectCells> {
  options = checkOptions(options, CELLS_IN_CCF_OPTION_KEYS, "readCellsInCcf()");
  const log = options.log ?? (() => {});
  const asset = await selectAsset("asset" in request ? request.asset : request.subject, options);
  const subject = asset.subjectId;
  const channels = options.channels?.length ? [...options.channels] : await channelsOf(asset.name, options);
  const ours = options.recount || options.points;
  const atlas = ours ? options.atlas ?? await openAtlas(options) : options.atlas;
  const ontology = atlas?.ontology ?? options.ontology ?? await openOntology(options);
  let space: CcfSpace | undefined;
  let volumes: ReturnType<typeof structureVolumes> | undefined;
  try {
    if (ours) {
      space = await openCcfSpace({ asset }, { ...options, log });
      for (const w of space.warnings) log(`warning: ${w}`);
      volumes = structureVolumes(atlas!);
    }
    const out: ChannelCells[] = [];
    for (const channel of channels) {
      const result: ChannelCells = { channel, rows: [], warnings: [] };
      try {
        result.aind = await readRegionCounts(asset.name, channel, options);
        const { rows, unknownIds } = aindRows(subject, channel, result.aind, ontology);
        result.rows.push(...rows);
        if (unknownIds.length > 0) {
          result.warnings.push(
            `${result.aind.uri}: ${unknownIds.length} structure id(s) not in the CCF ontology (${
              unknownIds.slice(0, 5).join(", ")
            }${unknownIds.length > 5 ? ", ..." : ""}): kept with their counts, without parent or depth`,
          );
        }
        log(`${channel}: AIND counts (${result.aind.layout} layout, ${result.aind.rows.length} structures)`);
      } catch (error) {
        // Without a quantification our own count can still stand, and a channel found by listing (segmented,
        // never quantified) is only noted; a channel asked for by name with nothing to show is an error.
        if (!(error instanceof NotFoundError && (ours || !options.channels?.length))) throw error;
        result.warnings.push(`${channel}: no AIND counts (${(error as Error).message})`);
      }
      if (ours) {
        result.detections = await readDetections(asset.name, channel, options);
        log(`${channel}: ${result.detections.count} cells from ${result.detections.file}`);
        result.ccf = mapCellsToCcf(space!, result.detections.zyx);
        result.assignments = assignCells(atlas!, result.ccf);
        const a = result.assignments;
        const left = a.outsideGrid + a.outsideBrain + a.unknownIndex;
        if (left > 0) {
          result.warnings.push(
            `${channel}: ${left} of ${result.detections.count} cells not counted: ${a.outsideBrain} outside the ` +
              `brain, ${a.outsideGrid} outside the CCF grid, ${a.unknownIndex} on an unknown parcellation index`,
          );
        }
        if (options.recount) {
          const counts = countCells(atlas!.ontology, a);
          const rows = recountRows(subject, channel, counts, volumes!, atlas!.ontology);
          result.rows.push(...rows);
          if (result.aind) {
            result.differences = result.aind.rows.map((r) => ({
              structure_id: r.id,
              acronym: r.acronym,
              aind: r.total,
              recount: (counts.get(r.id)?.[0] ?? 0) + (counts.get(r.id)?.[1] ?? 0),
            }));
          }
          try {
            result.transformed = await readTransformedCells(asset.name, channel, options);
          } catch (error) {
            if (!(error instanceof NotFoundError)) throw error;
          }
          if (result.transformed) {
            result.warnings.push(...result.transformed.warnings);
            result.distances = compareCellPositions(result.ccf, result.transformed.ccf, {
              ours: result.detections.ids,
              theirs: result.transformed.ids,
            });
            if (!result.distances) {
              result.warnings.push(
                `${result.transformed.uri}: ${result.transformed.count} cells against our ${result.detections.count}, ` +
                  `without Cell IDs: cannot pair them for distances`,
              );
            }
          }
        }
      }
      out.push(result);
    }
    return { subject, asset: asset.name, channels: out };
  } finally {
    space?.close();
  }
}

/** One cell of the `--points` table. */
export interface CellPoint {
  /** Subject id. */
  subject: string;
  /** Channel. */
  channel: string;
  /** Level-0 voxel index (first spatial axis). */
  z: number;
  /** Level-0 voxel index. */
  y: number;
  /** Level-0 voxel index (last axis). */
  x: number;
  /** Allen CCF µm. */
  ap: number;
  /** Allen CCF µm. */
  dv: number;
  /** Allen CCF µm. */
  ml: number;
  /** Structure id (empty outside the brain). */
  structure_id: number | null;
  /** Its acronym. */
  acronym: string;
  /** `left` (ML < 5700 µm) or `right`. */
  hemisphere: "left" | "right";
}

/** The columns of {@linkcode CellPoint}, in order. */
export const POINT_COLUMNS: readonly (keyof CellPoint)[] = [
  "subject",
  "channel",
  "z",
  "y",
  "x",
  "ap",
  "dv",
  "ml",
  "structure_id",
  "acronym",
  "hemisphere",
];

/**
 * The cells of a channel read with `points` (or `recount`), one record at a time.
 * @param subject The subject.
 * @param cells The channel's cells.
 * @param ontology The tree, for acronyms.
 * @returns The points, lazily.
 */
export function* cellPoints(subject: string, cells: ChannelCells, ontology: Ontology): Generator<CellPoint> {
  const d = cells.detections, ccf = cells.ccf, a = cells.assignments;
  if (!d || !ccf || !a) return;
  const round = (v: number): number => Math.round(v * 100) / 100;
  for (let i = 0; i < d.count; i++) {
    const id = a.structure[i];
    yield {
      subject,
      channel: cells.channel,
      z: d.zyx[3 * i],
      y: d.zyx[3 * i + 1],
      x: d.zyx[3 * i + 2],
      ap: round(ccf[3 * i]),
      dv: round(ccf[3 * i + 1]),
      ml: round(ccf[3 * i + 2]),
      structure_id: id > 0 ? id : null,
      acronym: id > 0 ? ontology.structures.get(id)?.acronym ?? "" : "",
      hemisphere: a.left[i] ? "left" : "right",
    };
  }
}
