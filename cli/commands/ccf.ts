/**
 * The CCF commands of the spimfetch command line: `points` (map a CSV of
 * points between level-0 Zarr indices and Allen CCF µm) and `ccf` (resample
 * a channel into the CCF 25 µm grid), plus the registration lines of `info`.
 * Parsing and printing only; every action is a library call.
 *
 * @module
 */
import { parseFlags } from "../flags.ts";
import { withCommandName } from "../command_name.ts";
import { OUTPUT_FORMATS, sidecarOf } from "../../lib/export/mod.ts";
import { pathExists, withAtomicFile } from "../../lib/write/atomic_file.ts";
import { OutputExistsError } from "../../lib/core/errors.ts";
import {
  correctionsFor,
  findRegistration,
  mapPointsCsv,
  openCcfSpace,
  RegistrationError,
  writeBrainInCcf,
} from "../../lib/ccf/mod.ts";
import type { S3Options } from "../../lib/s3/client.ts";
import { S3_FLAGS, s3Options, UsageError } from "../args.ts";
import { untilStopped } from "../stop_signals.ts";
import { createOutputFolder } from "../output_folder.ts";
import { COMMON_HELP } from "../help.ts";

/** `--help` of the CCF commands. */
export const CCF_HELP: Record<"points" | "ccf", string> = {
  points: `Usage: deno task cli points --subject ID [--asset NAME] --in FILE.csv --out FILE.csv

Map points between a registered asset's level-0 Zarr voxel indices and the Allen CCF, through
AIND's own registration (the asset's LS → template transforms and the shared template → CCF ones).

  --subject ID        subject id (its newest stitched asset), e.g. 784354
  --asset NAME        an exact stitched asset name instead
  --in FILE.csv       a header naming z,y,x (level-0 Zarr indices) or ap,dv,ml (CCF µm), in any order
                      and case, among other columns
  --out FILE.csv      the input columns, then ap,dv,ml (or z,y,x): one row per input row, in order
  --force             replace an existing output
  --template PREFIX   folder of the template → CCF transforms (default: SmartSPIM-template_2024-05-16_11-26-14)
  --cache-dir DIR     keep fetched transform files in DIR
  --spl-as-registered read "spl" acquisitions (Superior_to_inferior, Posterior_to_anterior, Left_to_right)
                      as AIND's registration code did, every flip dropped (default: as recorded, with a warning)
  --quiet             no progress output${COMMON_HELP}`,
  ccf: `Usage: deno task cli ccf --subject ID --channel NAME [--asset NAME] --out brain_ccf.nii.gz [options]

Resample a channel of a registered asset into the Allen CCF 25 µm grid (528 × 320 × 456, PIR,
origin 0) by pulling each CCF voxel through AIND's transforms (trilinear), from the coarsest level at
least as fine as 25 µm. Writes any output format (spimfetch formats) and <name>.json naming every
transform used.

  --subject ID        subject id (its newest stitched asset)
  --asset NAME        an exact stitched asset name instead
  --channel NAME      the channel to resample (any channel of the asset), e.g. Ex_639_Em_667
  --out PATH          output .nii.gz, .nii, .nrrd or .ome.zarr (default: data/ccf/<subject>_<channel>_ccf25.nii.gz)
  --dtype T           native (as stored, rounded) or float32 (default: native)
  --compare           report the normalized cross-correlation with AIND's moved_ls_to_ccf.nii.gz
  --level N           the LS level to sample instead of the automatic choice
  --workers N         worker threads (default: all cores)
  --force             replace an existing output, once the new file is complete
  --template PREFIX   folder of the template → CCF transforms
  --cache-dir DIR     keep fetched chunks and transform files in DIR
  --spl-as-registered read "spl" acquisitions as AIND's registration code did (see points --help)
  --quiet             no progress output${COMMON_HELP}`,
};

/** The flags both commands take. */
const CCF_FLAGS = {
  ...S3_FLAGS,
  subject: { type: "string" },
  asset: { type: "string" },
  out: { type: "string" },
  template: { type: "string" },
  "cache-dir": { type: "string" },
  force: { type: "boolean" },
  quiet: { type: "boolean" },
  "spl-as-registered": { type: "boolean" },
} as const;

/**
 * `spimfetch points`.
 * @param args The command's arguments.
 * @returns Nothing; prints the output path.
 */
export async function pointsCommand(args: string[]): Promise<void> {
  const { values } = parseFlags("points", args, { ...CCF_FLAGS, in: { type: "string" } });
  if (values.help) return console.log(withCommandName(CCF_HELP.points));
  const subject = values.asset ?? values.subject;
  if (!subject) throw new UsageError("points needs --subject ID or --asset NAME");
  if (!values.in) throw new UsageError("points needs --in FILE.csv (a header z,y,x or ap,dv,ml)");
  if (!values.out) throw new UsageError("points needs --out FILE.csv");
  if (!values.force && await pathExists(values.out)) throw new OutputExistsError(values.out);
  let text: string;
  try {
    text = await Deno.readTextFile(values.in);
  } catch (cause) {
    throw new Error(`Cannot read ${values.in}: ${(cause as Error).message}`, { cause });
  }
  const log = values.quiet ? undefined : (line: string) => console.error(line);
  const space = await openCcfSpace({ subject }, {
    ...s3Options(values),
    templatePrefix: values.template,
    cacheDir: values["cache-dir"],
    splRule: values["spl-as-registered"] ? "as-registered" : "recorded",
    log,
  });
  try {
    for (const warning of space.warnings) console.error(`warning: ${warning}`);
    const out = mapPointsCsv(space, text, values.in);
    await createOutputFolder(values.out);
    await withAtomicFile(values.out, (file) => file.write(new TextEncoder().encode(out)), {
      force: values.force,
    });
  } finally {
    space.close();
  }
  console.log(values.out);
}

/**
 * `spimfetch ccf`.
 * @param args The command's arguments.
 * @returns Nothing; prints the output and sidecar paths (and the comparison).
 */
export async function ccfCommand(args: string[]): Promise<void> {
  const { values } = parseFlags("ccf", args, {
    ...CCF_FLAGS,
    channel: { type: "string" },
    dtype: { type: "string" },
    compare: { type: "boolean" },
    level: { type: "string" },
    workers: { type: "string" },
  });
  if (values.help) return console.log(withCommandName(CCF_HELP.ccf));
  const subject = values.asset ?? values.subject;
  if (!subject) throw new UsageError("ccf needs --subject ID or --asset NAME");
  const channel = values.channel;
  if (!channel) throw new UsageError("ccf needs --channel NAME, e.g. --channel Ex_639_Em_667");
  const dtype = values.dtype ?? "native";
  if (dtype !== "native" && dtype !== "float32") {
    throw new UsageError(`--dtype must be native or float32, got "${dtype}"`);
  }
  const out = values.out ?? `data/ccf/${subject}_${values.channel}_ccf25.nii.gz`;
  if (!OUTPUT_FORMATS.some((f) => out.toLowerCase().replace(/\/+$/, "").endsWith(f.suffix))) {
    throw new UsageError(
      `--out must end in one of ${OUTPUT_FORMATS.map((f) => f.suffix).join(", ")}, got "${out}"`,
    );
  }
  const count = (flag: string, value: string | undefined, min: number): number | undefined => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) {
      throw new UsageError(`${flag} must be an integer >= ${min}, got "${value}"`);
    }
    return n;
  };
  const level = count("--level", values.level, 0);
  const workers = count("--workers", values.workers, 0);
  const quiet = values.quiet === true;
  // Refused before the space is opened, so that an existing output costs no request.
  if (!values.force) {
    for (const path of [out, sidecarOf(out)]) if (await pathExists(path)) throw new OutputExistsError(path);
  }
  if (values.out !== undefined) await createOutputFolder(out);
  const s3 = s3Options(values);
  const log = quiet ? undefined : (line: string) => console.error(line);
  const result = await untilStopped(async (signal) => {
    const space = await openCcfSpace({ subject }, {
      signal,
      ...s3,
      transforms: "pull",
      templatePrefix: values.template,
      cacheDir: values["cache-dir"],
      splRule: values["spl-as-registered"] ? "as-registered" : "recorded",
      log,
    });
    try {
      return await writeBrainInCcf(space, {
        signal,
        ...s3,
        channel,
        out,
        dtype,
        compare: values.compare,
        force: values.force,
        level,
        workers,
        cacheDir: values["cache-dir"],
        log,
        onSlab: quiet ? undefined : ({ done, total }) => {
          if (done === total || done % 4 === 0) console.error(`CCF slabs: ${done}/${total}`);
        },
      });
    } finally {
      space.close();
    }
  });
  for (const warning of result.space.warnings) console.error(`warning: ${warning}`);
  console.log(result.path);
  console.log(result.sidecar);
  if (result.comparison) {
    console.log(
      `NCC with ${result.comparison.uri}: ${
        result.comparison.ncc.toFixed(4)
      } over ${result.comparison.voxels} voxels`,
    );
  } else if (values.compare) {
    console.log(`No comparison: ${result.comparisonSkipped}`);
  }
}

/** The registration facts `info` shows. */
export interface RegistrationSummary {
  /** Whether the asset has a usable registration record. */
  registered: boolean;
  /** The registered channel. */
  channel?: string;
  /** The capsule version. */
  version?: string;
  /** Where the channel came from. */
  channelFrom?: string;
  /** Ids of the version corrections that apply. */
  corrections?: string[];
  /** Why it is not registered (or not usable). */
  problem?: string;
}

/**
 * The registration facts of an asset, for `info`: never throws for an
 * unregistered asset, says why instead.
 * @param asset The stitched asset's name.
 * @param options S3 access.
 * @returns The summary.
 */
export async function describeRegistration(
  asset: string,
  options: S3Options & { bucket?: string },
): Promise<RegistrationSummary> {
  try {
    const r = await findRegistration(asset, options);
    return {
      registered: true,
      channel: r.channel,
      version: r.version,
      channelFrom: r.channelFrom,
      corrections: correctionsFor(r.version).map((rule) => rule.id),
    };
  } catch (error) {
    if (error instanceof RegistrationError) return { registered: false, problem: error.message };
    throw error;
  }
}

/**
 * The lines `info` prints for a registration summary.
 * @param summary The summary.
 * @returns Text lines.
 */
export function formatRegistration(summary: RegistrationSummary): string[] {
  if (!summary.registered) return [`Registration to the Allen CCF: none (${summary.problem})`];
  return [
    `Registration to the Allen CCF: channel ${summary.channel} (from ${summary.channelFrom}), capsule version ${summary.version}`,
    `  version corrections: ${summary.corrections!.length > 0 ? summary.corrections!.join(", ") : "none"}`,
  ];
}
