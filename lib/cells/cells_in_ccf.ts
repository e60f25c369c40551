/**
 * (Over 400 lines: the steps of one subject (channels, batches, recount, pairing, rows) read best together.)
 *
 * One subject's cells in the CCF, every channel: AIND's region counts, and
 * on request our own count from the detections (with the comparison), and
 * the cells themselves.
 *
 * @module
 */
import { forwardOptions } from "../core/options.ts";
import { type CcfSpace, openCcfSpace } from "../ccf/mod.ts";
import { NotFoundError } from "../core/errors.ts";
import { listPrefixes } from "../list/assets.ts";
import { AIND_BUCKET, S3_OPTION_KEYS } from "../s3/client.ts";
import { selectAsset } from "../select/select.ts";
import { QUANTIFICATION_FOLDER, SEGMENTATION_FOLDER } from "./_files.ts";
import { type Atlas, type Ontology, openAtlas, type OpenAtlasOptions, openOntology } from "./atlas.ts";
import { Triples } from "./_growable.ts";
import { StreamPairer } from "./_pairing.ts";
import { countDifferences, pairingFindings, uncountedWarning } from "./_recount_findings.ts";
import {
  BATCH_CELLS,
  type DetectionBatch,
  type Detections,
  type ReadCellsOptions,
  streamDetections,
} from "./detections.ts";
import {
  assignCells,
  type CellAssignments,
  type CellDistances,
  CellTally,
  mapCellsToCcf,
  structureVolumes,
} from "./recount.ts";
import { type AindRegionCounts, readRegionCounts } from "./region_counts.ts";
import { aindRows, type CountRow, recountRows } from "./table.ts";
import { streamTransformed, type TransformedCells, type TransformedStream } from "./transformed.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** Options for {@linkcode readCellsInCcf}. */
export interface CellsInCcfOptions extends ReadCellsOptions, OpenAtlasOptions {
  /** Channels to read. @default {every channel with a segmentation or quantification folder} */
  channels?: readonly string[];
  /** Count the detections ourselves through the CCF space and the annotation. @default {false} */
  recount?: boolean;
  /**
   * Keep each cell's CCF position and structure in the result (`detections.zyx`, `ccf`, `assignments`):
   * memory grows with the number of cells (about 29 bytes each). For millions of cells take them batch by
   * batch with `onCells` instead. @default {false}
   */
  points?: boolean;
  /**
   * Called with each batch of mapped cells, in file order (implies reading and mapping the detections);
   * the batch's arrays are not reused afterwards. Memory stays bounded by `batchCells`.
   */
  onCells?: (batch: CellBatch) => void | Promise<void>;
  /** Cells read, mapped and counted at a time. @default {65536} */
  batchCells?: number;
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
  /**
   * The detections' file and counts, when recounted or asked for; their positions (`zyx`, `ids`) only with
   * `points` (else empty: the cells were streamed).
   */
  detections?: Detections;
  /** Our CCF positions `(ap, dv, ml)` µm per detection, with `points`. */
  ccf?: Float32Array;
  /** Our structure per detection, with `points`. */
  assignments?: CellAssignments;
  /**
   * AIND's transformed cells' file, order and count, where present (with recount); their positions
   * (`ccf`, `ids`) are streamed, not kept (read them with `readTransformedCells`).
   */
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
  ...S3_OPTION_KEYS,
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
  onCells: true,
  batchCells: true,
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
  const ours = options.recount || options.points || options.onCells !== undefined;
  const atlas = ours ? options.atlas ?? await openAtlas(options) : options.atlas;
  const ontology = atlas?.ontology ?? options.ontology ?? await openOntology(options);
  let space: CcfSpace | undefined;
  let volumes: ReturnType<typeof structureVolumes> | undefined;
  try {
    if (ours) {
      // Only the S3 settings matter to the CCF space; the cells options are checked by this function.
      space = await openCcfSpace({ asset }, forwardOptions({ ...options, log }));
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
        await recountChannel(result, {
          subject,
          asset: asset.name,
          space: space!,
          atlas: atlas!,
          volumes: volumes!,
        }, options);
      }
      out.push(result);
    }
    return { subject, asset: asset.name, channels: out };
  } finally {
    space?.close();
  }
}

/** A batch of one channel's cells, mapped and looked up, as {@linkcode CellsInCcfOptions.onCells} gets it. */
export interface CellBatch {
  /** Subject id. */
  subject: string;
  /** Channel. */
  channel: string;
  /** Cells in the batch. */
  count: number;
  /** The row (among the channel's cells, from 0) of the first. */
  first: number;
  /** Level-0 voxel indices `(z, y, x)` per cell. */
  zyx: Float32Array;
  /** Allen CCF µm `(ap, dv, ml)` per cell. */
  ccf: Float32Array;
  /** Structure id per cell; 0 outside the brain, −1 outside the grid, −2 an unknown parcellation index. */
  structure: Int32Array;
  /** 1 where the cell is in the left hemisphere (ML < 5700 µm). */
  left: Uint8Array;
}

/** Growable per-cell arrays for `points`. */
class Kept {
  zyx = new Triples();
  ccf = new Triples();
  structure = new Int32Array(1024);
  left = new Uint8Array(1024);
  add(zyx: Float32Array, ids: Float64Array | undefined, ccf: Float32Array, a: CellAssignments): void {
    const n = a.structure.length, at = this.zyx.count;
    for (let i = 0; i < n; i++) {
      const id = ids && !Number.isNaN(ids[i]) ? ids[i] : undefined;
      this.zyx.push(zyx[3 * i], zyx[3 * i + 1], zyx[3 * i + 2], id);
      this.ccf.push(ccf[3 * i], ccf[3 * i + 1], ccf[3 * i + 2]);
    }
    if (at + n > this.structure.length) {
      const size = Math.max(2 * this.structure.length, at + n);
      const s = new Int32Array(size), l = new Uint8Array(size);
      s.set(this.structure);
      l.set(this.left);
      [this.structure, this.left] = [s, l];
    }
    this.structure.set(a.structure, at);
    this.left.set(a.left, at);
  }
}

/** Where a channel's cells are mapped and looked up. */
interface RecountContext {
  subject: string;
  asset: string;
  space: CcfSpace;
  atlas: Atlas;
  volumes: ReturnType<typeof structureVolumes>;
}

/**
 * Reads, maps, looks up and counts one channel's detections a batch at a time (and pairs them with AIND's
 * transformed cells as both stream): memory holds a batch, the per-structure counters and the distance
 * summary, whatever the number of cells.
 */
async function recountChannel(
  result: ChannelCells,
  at: RecountContext,
  options: CellsInCcfOptions,
): Promise<void> {
  const { channel } = result;
  const batchCells = options.batchCells ?? BATCH_CELLS;
  const stream = await streamDetections(at.asset, channel, { ...options, batchCells });
  const theirs = options.recount
    ? await openTransformed(at.asset, channel, { ...options, batchCells })
    : undefined;
  const pairer = theirs ? new StreamPairer(theirs.batches(), theirs.hasIds) : undefined;
  const tally = new CellTally();
  const kept = options.points ? new Kept() : undefined;
  await mapBatches(stream, { ...at, channel, tally, pairer, kept }, options);
  const count = stream.count();
  result.detections = {
    uri: stream.uri,
    file: stream.file,
    zyx: kept ? kept.zyx.values() : new Float32Array(0),
    ids: kept?.zyx.ids(),
    count,
    notCells: stream.notCells(),
  };
  (options.log ?? (() => {}))(`${channel}: ${count} cells from ${stream.file}`);
  if (kept) {
    result.ccf = kept.ccf.values();
    result.assignments = {
      structure: kept.structure.subarray(0, count),
      left: kept.left.subarray(0, count),
      outsideGrid: tally.outsideGrid,
      outsideBrain: tally.outsideBrain,
      unknownIndex: tally.unknownIndex,
    };
  }
  const uncounted = uncountedWarning(channel, count, tally);
  if (uncounted) result.warnings.push(uncounted);
  if (!options.recount) return;
  const counts = tally.counts(at.atlas.ontology);
  result.rows.push(...recountRows(at.subject, channel, counts, at.volumes, at.atlas.ontology));
  if (result.aind) result.differences = countDifferences(result.aind.rows, counts);
  if (!theirs || !pairer) return;
  await pairer.finish();
  const { batches: _, hasIds: __, ...facts } = theirs;
  result.transformed = { ...facts, ccf: new Float32Array(0), ids: undefined };
  result.warnings.push(...theirs.warnings);
  const findings = pairingFindings(channel, count, theirs, pairer);
  if (findings.distances) result.distances = findings.distances;
  result.warnings.push(...findings.warnings);
}

/** AIND's transformed cells of a channel, streamed; `undefined` where the registration has none. */
async function openTransformed(
  asset: string,
  channel: string,
  options: CellsInCcfOptions,
): Promise<TransformedStream | undefined> {
  try {
    return await streamTransformed(asset, channel, options);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    return undefined;
  }
}

/** Maps each batch of detections into the CCF, looks it up, counts it, pairs it, keeps it and hands it on. */
async function mapBatches(
  stream: { batches: AsyncIterable<DetectionBatch> },
  at: RecountContext & { channel: string; tally: CellTally; pairer?: StreamPairer; kept?: Kept },
  options: CellsInCcfOptions,
): Promise<void> {
  for await (const b of stream.batches) {
    options.signal?.throwIfAborted();
    const ccf = mapCellsToCcf(at.space, b.zyx);
    const a = assignCells(at.atlas, ccf);
    at.tally.add(a);
    if (at.pairer) await at.pairer.add(ccf, b);
    at.kept?.add(b.zyx, b.ids, ccf, a);
    await options.onCells?.({
      subject: at.subject,
      channel: at.channel,
      count: b.count,
      first: b.first,
      zyx: b.zyx,
      ccf,
      structure: a.structure,
      left: a.left,
    });
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
  yield* batchPoints({
    subject,
    channel: cells.channel,
    count: d.count,
    first: 0,
    zyx: d.zyx,
    ccf,
    structure: a.structure,
    left: a.left,
  }, ontology);
}

/**
 * The cells of one batch (from {@linkcode CellsInCcfOptions.onCells}), one record at a time.
 * @param batch The batch.
 * @param ontology The tree, for acronyms.
 * @returns The points, lazily.
 */
export function* batchPoints(batch: CellBatch, ontology: Ontology): Generator<CellPoint> {
  const { zyx, ccf, structure, left } = batch;
  const round = (v: number): number => Math.round(v * 100) / 100;
  for (let i = 0; i < batch.count; i++) {
    const id = structure[i];
    yield {
      subject: batch.subject,
      channel: batch.channel,
      z: zyx[3 * i],
      y: zyx[3 * i + 1],
      x: zyx[3 * i + 2],
      ap: round(ccf[3 * i]),
      dv: round(ccf[3 * i + 1]),
      ml: round(ccf[3 * i + 2]),
      structure_id: id > 0 ? id : null,
      acronym: id > 0 ? ontology.structures.get(id)?.acronym ?? "" : "",
      hemisphere: left[i] ? "left" : "right",
    };
  }
}
