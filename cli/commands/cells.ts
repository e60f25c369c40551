/**
 * `spimfetch cells`: AIND's cell counts per brain region of the Allen CCF,
 * our own recount beside them, a cohort table, or the cells themselves.
 * Parsing and printing only; every action is a library call.
 *
 * @module
 */
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { OutputExistsError } from "../../lib/core/errors.ts";
import {
  type Atlas,
  batchPoints,
  type CellBatch,
  type CountRow,
  filterRows,
  formatCsv,
  type Ontology,
  openAtlas,
  openOntology,
  POINT_COLUMNS,
  readCellsInCcf,
  type SubjectCells,
} from "../../lib/cells/mod.ts";
import { pathExists, withAtomicFile } from "../../lib/write/atomic_file.ts";
import { forwardOptions } from "../../lib/core/options.ts";
import { S3_FLAGS, s3Options, UsageError } from "../args.ts";
import { COMMON_HELP } from "../help.ts";

/** `--help` of `cells`. */
export const CELLS_HELP =
  `Usage: deno task cli cells --subject ID [--subject ID ...] [options] --out counts.csv

AIND's cell counts per Allen CCF structure (image_cell_quantification/<channel>/cell_count_by_region.csv,
every era), as one tidy table: subject, channel, structure_id, acronym, name, parent_id, depth,
hemisphere (left|right|both), count, volume_mm3, density_per_mm3, source (aind|recount).

  --subject ID        a subject id (its newest stitched asset); repeat for a cohort
  --subjects FILE     subject ids, one per line (# comments), for a cohort
  --asset NAME        an exact stitched asset name instead of --subject
  --channel NAME      only this channel (repeatable; default: every segmented channel)
  --recount           also count the detections ourselves: level-0 cells through AIND's registration
                      into the CCF, looked up in the Allen CCF 2020 annotation (25 µm), counted per
                      structure and ancestor; prints the distance to AIND's own CCF cells and the count
                      differences
  --points            write the cells instead (z, y, x level-0 voxels; ap, dv, ml CCF µm; structure;
                      hemisphere)
  --depth N           only structures at most N levels below the root (root = 0)
  --regions A,B       only these acronyms, e.g. VISp,MOp,TH
  --out PATH          .csv or .json (required)
  --force             replace an existing output, once the new file is complete
  --atlas-bucket B    bucket of the Allen CCF annotation and tables (default: allen-brain-cell-atlas)
  --atlas-endpoint U  an S3-compatible endpoint for the atlas bucket (default: AWS us-west-2)
  --template PREFIX   folder of the template → CCF transforms (with --recount / --points)
  --cache-dir DIR     keep fetched files (atlas, transforms, cell files) in DIR
  --quiet             no progress output${COMMON_HELP}`;

/** Reads a subjects file: one id per line, `#` starts a comment. */
async function readSubjects(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (cause) {
    throw new Error(`Cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
  return text.split(/\r?\n/).map((l) => l.replace(/#.*/, "").trim()).filter((l) => l !== "");
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
}

/**
 * `spimfetch cells`.
 * @param args The command's arguments.
 * @returns Nothing; prints the output path and a summary.
 */
export async function cellsCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      ...S3_FLAGS,
      subject: { type: "string", multiple: true },
      subjects: { type: "string" },
      asset: { type: "string" },
      channel: { type: "string", multiple: true },
      recount: { type: "boolean" },
      points: { type: "boolean" },
      depth: { type: "string" },
      regions: { type: "string" },
      out: { type: "string" },
      force: { type: "boolean" },
      "atlas-bucket": { type: "string" },
      "atlas-endpoint": { type: "string" },
      template: { type: "string" },
      "cache-dir": { type: "string" },
      quiet: { type: "boolean" },
    },
  });
  if (values.help) return console.log(CELLS_HELP);
  const requests: ({ subject: string } | { asset: string })[] = [
    ...(values.asset ? [{ asset: values.asset }] : []),
    ...(values.subject ?? []).map((subject) => ({ subject })),
    ...(values.subjects ? (await readSubjects(values.subjects)).map((subject) => ({ subject })) : []),
  ];
  if (requests.length === 0) {
    throw new UsageError("cells needs --subject ID, --subjects FILE or --asset NAME");
  }
  if (!values.out) throw new UsageError("cells needs --out FILE.csv (or .json)");
  const format = /\.csv$/i.test(values.out) ? "csv" : /\.json$/i.test(values.out) ? "json" : undefined;
  if (!format) {
    throw new UsageError(
      `--out must end in .csv or .json, got "${values.out}" (Parquet is not written: no npm Parquet writer ` +
        `is both small and well kept enough to depend on; the CSV loads in any dataframe library)`,
    );
  }
  let depth: number | undefined;
  if (values.depth !== undefined) {
    depth = Number(values.depth);
    if (!Number.isInteger(depth) || depth < 0) {
      throw new UsageError(`--depth must be an integer >= 0, got "${values.depth}"`);
    }
  }
  if (depth !== undefined && values.regions) throw new UsageError("give --depth or --regions, not both");
  const regions = values.regions?.split(",").map((r) => r.trim()).filter((r) => r !== "");
  if (values.regions !== undefined && !regions?.length) {
    throw new UsageError(`--regions needs acronyms such as VISp,MOp, got "${values.regions}"`);
  }
  if (!values.force && await pathExists(values.out)) throw new OutputExistsError(values.out);
  const log = values.quiet ? undefined : (line: string) => console.error(line);
  const options = {
    ...s3Options(values),
    atlasBucket: values["atlas-bucket"],
    atlasEndpoint: values["atlas-endpoint"],
    cacheDir: values["cache-dir"],
    templatePrefix: values.template,
    channels: values.channel,
    recount: values.recount,
    points: values.points,
    log,
  };
  // One atlas for the whole cohort: the annotation is read once.
  let atlas: Atlas | undefined;
  let ontology: Ontology | undefined;
  if (values.recount || values.points) {
    log?.("Reading the Allen CCF annotation and ontology");
    atlas = await openAtlas(forwardOptions(options));
  } else ontology = await openOntology(forwardOptions(options));
  const report = (cells: SubjectCells): void => {
    for (const c of cells.channels) {
      for (const warning of c.warnings) console.error(`warning: ${warning}`);
      if (c.distances) {
        console.error(
          `${cells.subject} ${c.channel}: our CCF cells vs AIND's (${c.distances.paired} paired by ` +
            `${c.distances.pairing}): median ${c.distances.median.toFixed(1)} µm, p95 ${
              c.distances.p95.toFixed(1)
            } µm`,
        );
      }
      const differing = (c.differences ?? []).filter((d) => d.aind !== d.recount);
      if (c.differences) {
        console.error(
          `${cells.subject} ${c.channel}: ${differing.length} of ${c.differences.length} structures count ` +
            `differently from AIND${
              differing.length
                ? ` (${
                  differing.slice(0, 5).map((d) => `${d.acronym} ${d.aind} vs ${d.recount}`).join(", ")
                }${differing.length > 5 ? ", ..." : ""})`
                : ""
            }`,
        );
      }
    }
  };
  await Deno.mkdir(dirname(values.out) || ".", { recursive: true });
  const encoder = new TextEncoder();
  if (values.points) {
    // The cells stream from the detections file to the output a batch at a time: a brain's millions of
    // cells are never held, nor one string.
    await withAtomicFile(values.out, async (file) => {
      if (format === "json") await writeAll(file, encoder.encode("["));
      else await writeAll(file, encoder.encode(`${POINT_COLUMNS.join(",")}\n`));
      let first = true;
      const onCells = async (batch: CellBatch): Promise<void> => {
        const lines: string[] = [];
        for (const p of batchPoints(batch, atlas!.ontology)) {
          if (format === "json") {
            lines.push(`${first ? "" : ","}\n${JSON.stringify(p)}`);
            first = false;
          } else lines.push(formatCsv([p], POINT_COLUMNS).split("\n")[1]);
        }
        if (lines.length) {
          await writeAll(file, encoder.encode(format === "json" ? lines.join("") : `${lines.join("\n")}\n`));
        }
      };
      for (const request of requests) {
        report(await readCellsInCcf(request, { ...options, points: false, atlas, ontology, onCells }));
      }
      if (format === "json") await writeAll(file, encoder.encode("\n]\n"));
    }, { force: values.force });
  } else {
    const subjects: SubjectCells[] = [];
    for (const request of requests) {
      const cells = await readCellsInCcf(request, { ...options, atlas, ontology });
      subjects.push(cells);
      report(cells);
    }
    const rows: CountRow[] = filterRows(
      subjects.flatMap((s) => s.channels.flatMap((c) => c.rows)),
      { depth, regions },
    );
    const known = new Set(subjects.flatMap((s) => s.channels.flatMap((c) => c.rows.map((r) => r.acronym))));
    const missing = (regions ?? []).filter((r) => !known.has(r));
    if (missing.length) {
      console.error(`warning: no structure with acronym ${missing.join(", ")} in the counts`);
    }
    const text = format === "json" ? `${JSON.stringify(rows, null, 1)}\n` : formatCsv(rows);
    await withAtomicFile(values.out, (file) => writeAll(file, encoder.encode(text)), { force: values.force });
  }
  console.log(values.out);
}
