/**
 * The spimfetch command line: `list`, `info` and `fetch`. Parsing and printing
 * only; every action is a library call.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  AIND_BUCKET,
  checkAindCaveats,
  chooseLevel,
  createProgressReporter,
  describeTarget,
  escapeControl,
  exportNifti,
  type ExportResult,
  formatAssets,
  formatChannels,
  formatLevels,
  formatOrientation,
  type LevelChoice,
  listAssets,
  outputBytes,
  parseOrientation,
  parseRegion,
  prepareForRegistration,
  type Region,
  type RegionMm,
  type S3Options,
  type TargetDescription,
} from "./mod.ts";

const VERSION = "0.1.0";

const COMMON_HELP = `
S3 options (every command):
  --bucket NAME       bucket to read (default: ${AIND_BUCKET})
  --endpoint URL      an S3-compatible endpoint, e.g. http://127.0.0.1:4568 (path-style requests)
  --region NAME       AWS region (default: us-west-2)
  --signed            sign requests with the AWS SDK's credential chain (default: anonymous)
  -h, --help          show help for the command`;

const HELP: Record<string, string> = {
  main: `spimfetch ${VERSION}: SmartSPIM OME-Zarr from S3 to oriented NIfTI

Usage: deno task cli <command> [options]

Commands:
  list    list the assets (datasets) in the bucket
  info    show a subject's stitched assets, channels, levels and orientation
  fetch   export one level of one channel to NIfTI (.nii or .nii.gz)

Run 'deno task cli <command> --help' for a command's options.
  --version           print the version`,
  list: `Usage: deno task cli list [--prefix P] [--json]

List the assets at the top of the bucket whose names follow AIND's convention
(<platform>_<subject>_<date>_<time>[_stitched_<date>_<time>]). Follows S3 pagination.

  --prefix P          only names starting with P, e.g. SmartSPIM_652506
  --json              print JSON instead of a table${COMMON_HELP}`,
  info: `Usage: deno task cli info <subject | asset | s3-uri> [--level N] [--json]

Show what can be fetched: for a subject, its stitched assets (newest first);
for the selected asset, its channels; for the first channel (or the image an
s3:// URI names), its levels with size, spacing in mm, chunking and dtype; and
the orientation read from acquisition.json.

  --level N           the level whose orientation is shown (default: 3, or the coarsest)
  --resolution MM     also show which level 'fetch --resolution MM' would read
  --max-bytes SIZE    also show which level 'fetch --max-bytes SIZE' would read (e.g. 2GB)
  --roi-mm BOX        with --max-bytes: count only this box (x=A:B,y=A:B,z=A:B in mm)
  --dtype T           with --max-bytes: native (default) or float32
  --json              print JSON instead of tables${COMMON_HELP}`,
  fetch: `Usage: deno task cli fetch --subject ID --channel NAME --level N [options]

Export one resolution level of one channel to NIfTI-1, oriented from acquisition.json.

  --subject ID        subject id, e.g. 652506 (the newest stitched asset is used)
  --asset NAME        an exact stitched asset name instead (reproduces a given version)
  --channel NAME      channel, e.g. Ex_561_Em_593
  --level N           resolution level, 0 = finest (default: 3, as in the seed)
  --resolution MM     instead of --level: the coarsest level at least this fine, e.g. 0.025
  --max-bytes SIZE    instead of --level: the finest level whose output fits, e.g. 2GB, 1.5GiB
  --roi x=A:B,y=A:B,z=A:B   only these voxels of the level (half-open ranges; any subset of axes)
  --roi-mm x=A:B,...  only the voxels whose centres lie in this box, mm from voxel 0 along x, y, z
  --out PATH          output .nii, .nii.gz or .nrrd (gzip-encoded NRRD)
                      (default: data/input/<subject>/<subject>_<channel>_L<level>.nii.gz)
  --dtype T           native (as stored, default) or float32 (as the seed writes)
  --gzip-level N      gzip level 0-9 for .nii.gz (default: 1; SmartSPIM noise makes 6 only ~2% smaller)
  --force             replace an existing output, once the new file is complete
  --cache-mb N        memory for compressed chunks, MiB (default: 192, about one compressed chunk
                      row, which thin slabs are cut from; 256 with --max-slab-mb)
  --cache-dir DIR     keep fetched chunks in DIR (verified, written atomically): a re-run after
                      an interruption (Ctrl-C, a crash, a lost network) fetches only what is missing
  --concurrency N     chunks fetched at once (default: 16)
  --max-slab-mb N     hold at most N MiB of voxels per z-slab (default: 24 where a compressed chunk
                      row fits the cache, else one chunk row); each slab decodes only the Blosc
                      blocks it needs
  --quiet             no progress output

Registration-ready output (any of these, or an .nrrd output, also writes <name>.json beside the
output: source, level, region, orientation steps, spacing, trusted acquisition axes, version):
  --orientation CODE  reorient voxels so index axes point this way, nibabel letters ("to"):
                      PIR for the Allen CCF (x posterior, y inferior, z right), RAS, LPS, any of 48
  --spacing MM[,MM,MM]  resample to this spacing in mm (per output x,y,z) by area averaging, from
                      the coarsest level at least as fine (unless --level), e.g. 0.025 for 25 um
  --aind-orientation-fix  apply the corrections of AIND's known metadata caveats (e.g. SmartSPIM
                      2022-2023 Y recorded Posterior_to_anterior); by default the recorded metadata
                      is used and a warning is printed${COMMON_HELP}`,
};

const S3_FLAGS = {
  bucket: { type: "string" },
  endpoint: { type: "string" },
  region: { type: "string" },
  signed: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

class UsageError extends Error {
  override name = "UsageError";
}

/** Ctrl-C: exit 130 (128 + SIGINT), as shells expect of an interrupted command. */
class Interrupted extends Error {
  override name = "Interrupted";
}

function s3Options(
  values: { bucket?: string; endpoint?: string; region?: string; signed?: boolean },
): S3Options & {
  bucket: string;
} {
  return {
    bucket: values.bucket ?? AIND_BUCKET,
    endpoint: values.endpoint,
    region: values.region,
    credentials: values.signed ? "default" : "anonymous",
  };
}

function integer(value: string | undefined, flag: string, fallback: number, min = 0, max = Infinity): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(
      `${flag} must be an integer${max < Infinity ? ` from ${min} to ${max}` : ` >= ${min}`}, got "${value}"`,
    );
  }
  return n;
}

function print(text: string): void {
  console.log(text);
}

async function list(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { ...S3_FLAGS, prefix: { type: "string" }, json: { type: "boolean" } },
  });
  if (values.help) return print(HELP.list);
  const assets = await listAssets({ ...s3Options(values), prefix: values.prefix });
  if (values.json) return print(JSON.stringify(assets, null, 2));
  print(formatAssets(assets));
  print(`${assets.length} assets in s3://${values.bucket ?? AIND_BUCKET}/${values.prefix ?? ""}`);
}

async function info(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...S3_FLAGS,
      level: { type: "string" },
      resolution: { type: "string" },
      "max-bytes": { type: "string" },
      "roi-mm": { type: "string" },
      dtype: { type: "string" },
      json: { type: "boolean" },
    },
  });
  if (values.help) return print(HELP.info);
  if (positionals.length !== 1) throw new UsageError("info takes one subject, asset name or s3:// URI");
  const level = values.level === undefined ? undefined : integer(values.level, "--level", 0);
  const choices: [string, LevelChoice][] = [];
  if (values.resolution !== undefined) {
    choices.push([`--resolution ${values.resolution}`, levelArg({ resolution: values.resolution })]);
  }
  if (values["max-bytes"] !== undefined) {
    choices.push([`--max-bytes ${values["max-bytes"]}`, levelArg({ "max-bytes": values["max-bytes"] })]);
  }
  const roiMm = regionArgs({ "roi-mm": values["roi-mm"] }).mm;
  const dtype = values.dtype === "float32" ? "float32" : undefined;
  const described = await describeTarget(positionals[0], { ...s3Options(values), level });
  try {
    printDescription(described, values.json === true);
    for (const [flag, choice] of choices) {
      const chosen = chooseLevel(described.image, choice, { roiMm, dtype });
      const bytes = outputBytes(chosen, { roiMm, dtype });
      print(
        `${flag} reads level ${chosen.index}: spacing [${chosen.spacing.join(", ")}] mm, ` +
          `output ${(bytes / 2 ** 20).toFixed(1)} MiB${roiMm ? " (the --roi-mm box)" : ""}`,
      );
    }
  } finally {
    described.image.close();
  }
}

function printDescription(described: TargetDescription, json: boolean): void {
  if (json) {
    return print(
      JSON.stringify(described, (key, value) => (key === "array" || key === "raw" ? undefined : value), 2),
    );
  }
  if (described.assets) {
    print(
      `Stitched assets of subject ${described.assets[0].subjectId} (newest first; the first is the default):`,
    );
    print(formatAssets(described.assets));
    print("");
  }
  if (described.channels) {
    print(`Channels of ${described.asset?.name}:`);
    print(formatChannels(described.channels));
    print("");
  }
  print(`Levels of ${described.image.uri}:`);
  print(formatLevels(described.image));
  if (described.orientation) {
    print("");
    print(`Orientation of level ${described.orientationLevel} (from ${described.acquisition?.uri}):`);
    print(formatOrientation(described.orientation));
  } else if (described.orientationProblem) {
    print("");
    print(`Orientation unknown: ${described.orientationProblem}`);
  }
}

async function fetch(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      ...S3_FLAGS,
      subject: { type: "string" },
      asset: { type: "string" },
      channel: { type: "string" },
      level: { type: "string" },
      out: { type: "string" },
      dtype: { type: "string" },
      "gzip-level": { type: "string" },
      force: { type: "boolean" },
      "cache-mb": { type: "string" },
      "cache-dir": { type: "string" },
      concurrency: { type: "string" },
      quiet: { type: "boolean" },
      orientation: { type: "string" },
      spacing: { type: "string" },
      "aind-orientation-fix": { type: "boolean" },
      roi: { type: "string" },
      "roi-mm": { type: "string" },
      resolution: { type: "string" },
      "max-bytes": { type: "string" },
      "max-slab-mb": { type: "string" },
    },
  });
  if (values.help) return print(HELP.fetch);
  const subject = values.asset ?? values.subject;
  if (!subject) throw new UsageError("fetch needs --subject ID or --asset NAME");
  if (!values.channel) throw new UsageError("fetch needs --channel NAME, e.g. --channel Ex_561_Em_593");
  const dtype = values.dtype ?? "native";
  if (dtype !== "native" && dtype !== "float32") {
    throw new UsageError(`--dtype must be native or float32, got "${dtype}"`);
  }
  if (values.out !== undefined && !/\.(nii(\.gz)?|nrrd)$/.test(values.out)) {
    throw new UsageError(`--out must end in .nii or .nii.gz, or .nrrd, got "${values.out}"`);
  }
  const prepare = values.orientation !== undefined || values.spacing !== undefined ||
    values["aind-orientation-fix"] || values.out?.endsWith(".nrrd");
  // Ctrl-C cancels the requests in flight; the writer then removes its temporary file.
  const interrupt = new AbortController();
  const onInterrupt = (): void => interrupt.abort(new Interrupted("interrupted; no output was written"));
  Deno.addSignalListener("SIGINT", onInterrupt);
  let result: ExportResult;
  try {
    if (prepare) return await prepareFetch(subject, values, interrupt.signal);
    const roi = regionArgs(values);
    result = await exportNifti(
      { subject, channel: values.channel, level: levelArg(values) },
      {
        ...s3Options(values),
        roi: roi.voxels,
        roiMm: roi.mm,
        maxSlabBytes: values["max-slab-mb"] === undefined
          ? undefined
          : integer(values["max-slab-mb"], "--max-slab-mb", 1, 1) * 2 ** 20,
        signal: interrupt.signal,
        cacheDir: values["cache-dir"],
        out: values.out,
        dtype,
        gzipLevel: values["gzip-level"] === undefined
          ? undefined
          : integer(values["gzip-level"], "--gzip-level", 1, 0, 9),
        force: values.force,
        cacheBytes: values["cache-mb"] === undefined
          ? undefined
          : integer(values["cache-mb"], "--cache-mb", 256) * 2 ** 20,
        concurrency: integer(values.concurrency, "--concurrency", 16, 1, 256),
        log: values.quiet ? undefined : (line) => console.error(line),
        onProgress: values.quiet ? undefined : createProgressReporter(),
      },
    );
  } catch (error) {
    // Whatever a cancelled step threw, the cause is the interruption.
    throw interrupt.signal.aborted ? interrupt.signal.reason : error;
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
  }
  if (result.retries > 0) console.error(`${result.retries} ${result.retries === 1 ? "retry" : "retries"}`);
  for (const warning of checkAindCaveats(result.acquisition, { asset: result.asset })) {
    console.error(`warning: ${warning.message}`);
  }
  print(result.path);
}

/** `--level`, `--resolution` or `--max-bytes`: at most one of them. */
function levelArg(values: { level?: string; resolution?: string; "max-bytes"?: string }): LevelChoice {
  const given = [values.level, values.resolution, values["max-bytes"]].filter((v) => v !== undefined);
  if (given.length > 1) throw new UsageError("give only one of --level, --resolution and --max-bytes");
  if (values.resolution !== undefined) {
    const resolution = Number(values.resolution);
    if (!(resolution > 0)) {
      throw new UsageError(`--resolution must be a positive size in mm, got "${values.resolution}"`);
    }
    return { resolution };
  }
  if (values["max-bytes"] !== undefined) return { maxBytes: byteCount(values["max-bytes"]) };
  return integer(values.level, "--level", 3);
}

/** A byte count with an optional unit: 500000000, 500MB, 2GiB. */
function byteCount(value: string): number {
  const match = /^\s*([\d.]+)\s*(([kmgt])(i?)b?|b)?\s*$/i.exec(value);
  if (!match || !(Number(match[1]) > 0)) {
    throw new UsageError(`--max-bytes must be a size such as 2GB, 1.5GiB or 500000000, got "${value}"`);
  }
  const power = match[3] ? "kmgt".indexOf(match[3].toLowerCase()) + 1 : 0;
  return Math.floor(Number(match[1]) * (match[4] ? 1024 : 1000) ** power);
}

/** `--roi` (voxels of the level) or `--roi-mm` (mm from voxel 0), as `x=A:B,y=A:B,z=A:B`. */
function regionArgs(values: { roi?: string; "roi-mm"?: string }): { voxels?: Region; mm?: RegionMm } {
  if (values.roi !== undefined && values["roi-mm"] !== undefined) {
    throw new UsageError("give --roi (voxels) or --roi-mm (millimetres), not both");
  }
  try {
    if (values["roi-mm"] !== undefined) return { mm: parseRegion(values["roi-mm"]) };
    if (values.roi === undefined) return {};
    const region = parseRegion(values.roi);
    for (const [axis, range] of Object.entries(region)) {
      if (!range.every(Number.isInteger)) throw new SyntaxError(`--roi ${axis} range must be whole voxels`);
    }
    return { voxels: region as Region };
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/^Cannot parse region/, "Cannot parse the region"));
  }
}

function spacingArg(value: string): number | [number, number, number] {
  const parts = value.split(",").map((part) => Number(part.trim()));
  if ((parts.length !== 1 && parts.length !== 3) || parts.some((v) => !Number.isFinite(v) || v <= 0)) {
    throw new UsageError(
      `--spacing must be one or three positive numbers in mm (e.g. 0.025), got "${value}"`,
    );
  }
  return parts.length === 1 ? parts[0] : [parts[0], parts[1], parts[2]];
}

/** `fetch` with --orientation, --spacing, --aind-orientation-fix or an .nrrd output: the registration pipeline. */
async function prepareFetch(
  subject: string,
  values: Record<string, string | boolean | undefined>,
  signal: AbortSignal,
): Promise<void> {
  const text = (name: string): string | undefined => values[name] as string | undefined;
  const orientation = text("orientation");
  if (orientation !== undefined) {
    try {
      parseOrientation(orientation, "nibabel");
    } catch (error) {
      throw new UsageError(`--orientation: ${(error as Error).message}`);
    }
  }
  const spacing = text("spacing") === undefined ? undefined : spacingArg(text("spacing")!);
  for (const flag of ["resolution", "max-bytes", "roi-mm", "max-slab-mb"]) {
    if (values[flag] !== undefined) {
      throw new UsageError(
        `--${flag} does not combine with --orientation, --spacing, --aind-orientation-fix or .nrrd output yet; ` +
          `use --level and --roi`,
      );
    }
  }
  const roi = regionArgs({ roi: text("roi") }).voxels;
  const quiet = values.quiet === true;
  const result = await prepareForRegistration(
    {
      subject,
      channel: text("channel")!,
      level: text("level") === undefined && spacing !== undefined
        ? undefined
        : integer(text("level"), "--level", 3),
    },
    {
      ...s3Options(values as Parameters<typeof s3Options>[0]),
      signal,
      roi,
      cacheDir: text("cache-dir"),
      out: text("out"),
      orientation,
      spacing,
      aindOrientationFix: values["aind-orientation-fix"] === true,
      dtype: text("dtype") as "native" | "float32" | undefined,
      gzipLevel: text("gzip-level") === undefined
        ? undefined
        : integer(text("gzip-level"), "--gzip-level", 1, 0, 9),
      force: values.force === true,
      cacheBytes: integer(text("cache-mb"), "--cache-mb", 256) * 2 ** 20,
      concurrency: integer(text("concurrency"), "--concurrency", 16, 1, 256),
      // Caveats are printed even with --quiet: they change what the output means.
      onWarning: (warning) => console.error(`warning: ${warning.message}`),
      log: quiet ? undefined : (line) => console.error(line),
      onProgress: quiet ? undefined : createProgressReporter(),
    },
  );
  for (const file of result.files) print(file.path);
  for (const sidecar of result.sidecars) print(sidecar);
}

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = { list, info, fetch };

/**
 * Runs the CLI.
 * @param args Command-line arguments.
 * @returns The exit code.
 */
export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  try {
    if (command === "--version") {
      print(VERSION);
      return 0;
    }
    if (!command || command === "help" || command === "--help" || command === "-h") {
      print(HELP.main);
      return command ? 0 : 2;
    }
    const run = COMMANDS[command];
    if (!run) throw new UsageError(`unknown command "${command}": expected list, info or fetch`);
    await run(rest);
    return 0;
  } catch (error) {
    // Messages quote names and documents from the bucket: print them, never let them drive the terminal.
    const message = escapeControl(error instanceof Error ? error.message : String(error));
    console.error(`error: ${message}`);
    if (error instanceof Interrupted) return 130;
    if (error instanceof UsageError || (error as { code?: string })?.code?.startsWith("ERR_PARSE_ARGS")) {
      console.error(`Run 'deno task cli ${COMMANDS[command] ? `${command} ` : ""}--help' for usage.`);
      return 2;
    }
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
