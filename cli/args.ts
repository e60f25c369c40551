/**
 * Argument parsing for the spimfetch command line: the flags every command takes, the errors that end a
 * command with a usage message, the parsers for levels, sizes, regions and spacings, and the one mapping
 * from `fetch`'s flags to library options ({@linkcode fetchPlan}) that both fetch paths use. Over 400
 * lines, half of it JSDoc: the parsers stay beside the one mapping so that no command maps a flag itself.
 *
 * @module
 */
import {
  AIND_BUCKET,
  type ExportOptions,
  type LevelChoice,
  parseOrientation,
  type Region,
  type S3Options,
} from "../mod.ts";
import { createProgressReporter } from "../lib/display/mod.ts";
import { formatOf, type OmeZarrOutputOptions, OUTPUT_FORMATS } from "../lib/export/mod.ts";
import { THIN_SLAB_CACHE_BYTES } from "../lib/codecs/slab_budget.ts";
import { parseRegion, type RegionMm } from "../lib/select/mod.ts";

/** A mistake in the command line: `main` prints it with a pointer to `--help` and exits with 2. */
export class UsageError extends Error {
  /** The class name, which `main` also accepts from a command's own `UsageError`. */
  override name = "UsageError";
}

export { Interrupted } from "./stop_signals.ts";

/** The flags every command takes, as `parseArgs` options (documented by `COMMON_HELP` in `help.ts`). */
export const S3_FLAGS = {
  bucket: { type: "string" },
  endpoint: { type: "string" },
  region: { type: "string" },
  signed: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** The values of {@linkcode S3_FLAGS}. */
export interface S3FlagValues {
  /** `--bucket`. */
  bucket?: string;
  /** `--endpoint`. */
  endpoint?: string;
  /** `--region`. */
  region?: string;
  /** `--signed`. */
  signed?: boolean;
}

/**
 * The library's S3 options from `--bucket`, `--endpoint`, `--region` and `--signed`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { s3Options } from "./args.ts";
 * assertEquals(s3Options({ signed: true }).credentials, "default");
 * ```
 * @param values The parsed flags.
 * @returns The options, with the bucket filled in (AIND's by default).
 */
export function s3Options(values: S3FlagValues): S3Options & { bucket: string } {
  return {
    bucket: values.bucket ?? AIND_BUCKET,
    endpoint: values.endpoint,
    region: values.region,
    credentials: values.signed ? "default" : "anonymous",
  };
}

/**
 * An integer flag, within bounds.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { integer } from "./args.ts";
 * assertEquals(integer(undefined, "--level", 3), 3);
 * assertEquals(integer("5", "--level", 3), 5);
 * ```
 * @param value The flag's value, if given.
 * @param flag The flag, for the message.
 * @param fallback The value when the flag is not given.
 * @param min The smallest value allowed. @default {0}
 * @param max The largest value allowed. @default {Infinity}
 * @returns The integer.
 * @throws {UsageError} If the value is not an integer within bounds.
 */
export function integer(
  value: string | undefined,
  flag: string,
  fallback: number,
  min = 0,
  max = Infinity,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(
      `${flag} must be an integer${max < Infinity ? ` from ${min} to ${max}` : ` >= ${min}`}, got "${value}"`,
    );
  }
  return n;
}

/** The flags that choose a level. */
export interface LevelFlagValues {
  /** `--level`. */
  level?: string;
  /** `--resolution`. */
  resolution?: string;
  /** `--max-bytes`. */
  "max-bytes"?: string;
}

/**
 * `--level`, `--resolution` or `--max-bytes`: at most one of them.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { levelArg } from "./args.ts";
 * assertEquals(levelArg({}), 3);
 * assertEquals(levelArg({ "max-bytes": "2KiB" }), { maxBytes: 2048 });
 * ```
 * @param values The parsed flags.
 * @returns The level choice (level 3 when none is given, as in the reference notebook).
 * @throws {UsageError} If more than one is given, or a value is malformed.
 */
export function levelArg(values: LevelFlagValues): LevelChoice {
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

/**
 * A byte count with an optional unit: 500000000, 500MB, 2GiB.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { byteCount } from "./args.ts";
 * assertEquals(byteCount("1.5GiB"), 1.5 * 2 ** 30);
 * ```
 * @param value The flag's value.
 * @returns The bytes.
 * @throws {UsageError} If the value is not a positive size.
 */
export function byteCount(value: string): number {
  const match = /^\s*([\d.]+)\s*(([kmgt])(i?)b?|b)?\s*$/i.exec(value);
  if (!match || !(Number(match[1]) > 0)) {
    throw new UsageError(`--max-bytes must be a size such as 2GB, 1.5GiB or 500000000, got "${value}"`);
  }
  const power = match[3] ? "kmgt".indexOf(match[3].toLowerCase()) + 1 : 0;
  return Math.floor(Number(match[1]) * (match[4] ? 1024 : 1000) ** power);
}

/**
 * `--roi` (voxels of the level) or `--roi-mm` (mm from voxel 0), as `x=A:B,y=A:B,z=A:B`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { regionArgs } from "./args.ts";
 * assertEquals(regionArgs({ roi: "x=0:4" }), { voxels: { x: [0, 4] } });
 * ```
 * @param values The parsed flags.
 * @returns The region in voxels or in mm, or neither.
 * @throws {UsageError} If both are given, or one is malformed.
 */
export function regionArgs(values: { roi?: string; "roi-mm"?: string }): { voxels?: Region; mm?: RegionMm } {
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

/**
 * `--spacing MM` or `--spacing MM,MM,MM`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { spacingArg } from "./args.ts";
 * assertEquals(spacingArg("0.025"), 0.025);
 * assertEquals(spacingArg("0.01,0.02,0.03"), [0.01, 0.02, 0.03]);
 * ```
 * @param value The flag's value.
 * @returns One spacing for every axis, or one per output x, y, z.
 * @throws {UsageError} If the value is not one or three positive numbers, or looks like µm (1 or more),
 * asking whether the value in mm was meant.
 */
export function spacingArg(value: string): number | [number, number, number] {
  const parts = value.split(",").map((part) => Number(part.trim()));
  if ((parts.length !== 1 && parts.length !== 3) || parts.some((v) => !Number.isFinite(v) || v <= 0)) {
    throw new UsageError(
      `--spacing must be one or three positive numbers in mm (e.g. 0.025), got "${value}"`,
    );
  }
  // A whole mouse brain is about 10 mm across: a spacing of 1 mm or more is a size in µm typed as mm.
  if (parts.some((v) => v >= MAX_SPACING_MM)) {
    const mm = parts.map((v) => Number((v / 1000).toPrecision(6)));
    throw new UsageError(
      `--spacing is in mm and ${value} mm would leave a brain a few voxels wide: did you mean ` +
        `--spacing ${mm.join(",")} (${parts.map((v) => `${v} µm`).join(", ")})?`,
    );
  }
  return parts.length === 1 ? parts[0] : [parts[0], parts[1], parts[2]];
}

/** The smallest `--spacing` refused as a size in µm typed as mm. */
const MAX_SPACING_MM = 1;

/** `fetch`'s flags, as `parseArgs` options (documented by `FETCH_HELP` in `help.ts`). */
export const FETCH_FLAGS = {
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
  "tmp-dir": { type: "string" },
  "ngff-version": { type: "string" },
  chunk: { type: "string" },
  shard: { type: "string" },
  codec: { type: "string" },
} as const;

/** The values of {@linkcode FETCH_FLAGS}. */
export interface FetchFlagValues extends S3FlagValues, LevelFlagValues {
  /** `--subject`. */
  subject?: string;
  /** `--asset`. */
  asset?: string;
  /** `--channel`. */
  channel?: string;
  /** `--out`. */
  out?: string;
  /** `--dtype`. */
  dtype?: string;
  /** `--gzip-level`. */
  "gzip-level"?: string;
  /** `--force`. */
  force?: boolean;
  /** `--cache-mb`. */
  "cache-mb"?: string;
  /** `--cache-dir`. */
  "cache-dir"?: string;
  /** `--concurrency`. */
  concurrency?: string;
  /** `--quiet`. */
  quiet?: boolean;
  /** `--orientation`. */
  orientation?: string;
  /** `--spacing`. */
  spacing?: string;
  /** `--aind-orientation-fix`. */
  "aind-orientation-fix"?: boolean;
  /** `--roi`. */
  roi?: string;
  /** `--roi-mm`. */
  "roi-mm"?: string;
  /** `--max-slab-mb`. */
  "max-slab-mb"?: string;
  /** `--tmp-dir`. */
  "tmp-dir"?: string;
  /** `--ngff-version`. */
  "ngff-version"?: string;
  /** `--chunk`. */
  chunk?: string;
  /** `--shard`. */
  shard?: string;
  /** `--codec`. */
  codec?: string;
}

/** The options `fetch` passes to the export pipeline (besides {@linkcode FetchPlan.registration}'s). */
export type FetchOptions = Omit<ExportOptions, "dtype" | "signal" | "level"> & {
  bucket: string;
  dtype: "native" | "float32";
  force: boolean;
  cacheBytes: number;
  concurrency: number;
};

/** What `fetch` was asked to do: {@linkcode fetchPlan}'s result. */
export interface FetchPlan {
  /** `--asset`, or else `--subject`. */
  subject: string;
  /** `--channel`. */
  channel: string;
  /**
   * `--level`, `--resolution` or `--max-bytes` (level 3 when none is given); `undefined` only with
   * `--spacing` and no `--level`, where the level is the coarsest at least as fine as the spacing.
   */
  level: LevelChoice | undefined;
  /** The options passed to the export pipeline. */
  options: FetchOptions;
  /**
   * The optional steps (`--orientation`, `--spacing`, `--aind-orientation-fix`), set when any is given (or
   * the output is `.nrrd`, the registration tools' format); they combine with every other flag.
   */
  registration?: {
    /** `--orientation`, checked. */
    orientation?: string;
    /** `--spacing`: one for every axis, or one per output x, y, z. */
    spacing?: number | [number, number, number];
    /** `--aind-orientation-fix`. */
    aindOrientationFix: boolean;
  };
}

/**
 * The memory for compressed chunks when `--cache-mb` is not given, in MiB, the same for both fetch paths:
 * 128 (`THIN_SLAB_CACHE_BYTES`): the export's default thin slabs are cut from a compressed chunk row held in
 * it where the row fits, else kept on disk, so that each chunk is fetched once; 256 (the `LRUStoreCache` of
 * the reference notebook) with `--max-slab-mb`.
 */
function defaultCacheMb(maxSlabBytes: number | undefined): number {
  return maxSlabBytes === undefined ? THIN_SLAB_CACHE_BYTES / 2 ** 20 : 256;
}

/**
 * Maps `fetch`'s flags to the export pipeline's options (`exportNifti`: any format by suffix, every flag
 * combining with every other). The level defaults to 3, or with `--spacing` to the coarsest level at
 * least as fine (see {@linkcode FetchPlan.level}).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { fetchPlan } from "./args.ts";
 * const plan = fetchPlan({ subject: "652506", channel: "Ex_561_Em_593", quiet: true });
 * assertEquals([plan.level, plan.options.cacheBytes, plan.registration], [3, 128 * 2 ** 20, undefined]);
 * ```
 * @param values The parsed flags.
 * @returns The request and the options.
 * @throws {UsageError} If a flag is missing, malformed, or does not combine with the others.
 */
export function fetchPlan(values: FetchFlagValues): FetchPlan {
  const subject = values.asset ?? values.subject;
  if (!subject) throw new UsageError("fetch needs --subject ID or --asset NAME");
  if (!values.channel) throw new UsageError("fetch needs --channel NAME, e.g. --channel Ex_561_Em_593");
  const dtype = values.dtype ?? "native";
  if (dtype !== "native" && dtype !== "float32") {
    throw new UsageError(`--dtype must be native or float32, got "${dtype}"`);
  }
  if (values.out !== undefined) {
    try {
      formatOf(values.out);
    } catch {
      throw new UsageError(
        `--out must end in one of ${OUTPUT_FORMATS.map((f) => f.suffix).join(", ")}, got "${values.out}"`,
      );
    }
  }
  const registration = values.orientation !== undefined || values.spacing !== undefined ||
      values["aind-orientation-fix"] || values.out?.endsWith(".nrrd")
    ? registrationArgs(values)
    : undefined;
  const roi = regionArgs(values);
  const level = registration?.spacing !== undefined && values.level === undefined
    ? undefined
    : levelArg(values);
  const maxSlabBytes = values["max-slab-mb"] === undefined
    ? undefined
    : integer(values["max-slab-mb"], "--max-slab-mb", 1, 1) * 2 ** 20;
  const gzipLevel = values["gzip-level"] === undefined
    ? undefined
    : integer(values["gzip-level"], "--gzip-level", 1, 0, 9);
  const cacheMb = integer(values["cache-mb"], "--cache-mb", defaultCacheMb(maxSlabBytes));
  const concurrency = integer(values.concurrency, "--concurrency", 16, 1, 256);
  return {
    subject,
    channel: values.channel,
    level,
    registration,
    options: {
      ...s3Options(values),
      roi: roi.voxels,
      roiMm: roi.mm,
      maxSlabBytes,
      cacheDir: values["cache-dir"],
      tmpDir: values["tmp-dir"],
      omeZarr: omeZarrArgs(values),
      out: values.out,
      dtype,
      gzipLevel,
      force: values.force === true,
      cacheBytes: cacheMb * 2 ** 20,
      concurrency,
      log: values.quiet ? undefined : (line) => console.error(line),
      onProgress: values.quiet ? undefined : createProgressReporter(),
    },
  };
}

/** The flags of the pipeline's optional steps (resample, reorient, caveat correction), checked. */
function registrationArgs(values: FetchFlagValues): NonNullable<FetchPlan["registration"]> {
  const orientation = values.orientation;
  if (orientation !== undefined) {
    try {
      parseOrientation(orientation, "nibabel");
    } catch (error) {
      throw new UsageError(`--orientation: ${(error as Error).message}`);
    }
  }
  const spacing = values.spacing === undefined ? undefined : spacingArg(values.spacing);
  return { orientation, spacing, aindOrientationFix: values["aind-orientation-fix"] === true };
}

function shapeArg(value: string | undefined, flag: string): [number, number, number] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(",").map((part) => Number(part.trim()));
  if (parts.length !== 3 || !parts.every((n) => Number.isInteger(n) && n > 0)) {
    throw new UsageError(`${flag} must be three positive integers Z,Y,X, e.g. 128,128,128, got "${value}"`);
  }
  return parts as [number, number, number];
}

/** The OME-Zarr flags, checked. */
function omeZarrArgs(values: FetchFlagValues): OmeZarrOutputOptions | undefined {
  const version = values["ngff-version"];
  if (version !== undefined && version !== "0.4" && version !== "0.5") {
    throw new UsageError(`--ngff-version must be 0.4 or 0.5, got "${version}"`);
  }
  const codecs = ["blosc-zstd", "blosc-lz4", "gzip", "none"];
  if (values.codec !== undefined && !codecs.includes(values.codec)) {
    throw new UsageError(`--codec must be one of ${codecs.join(", ")}, got "${values.codec}"`);
  }
  const given = [version, values.chunk, values.shard, values.codec].some((v) => v !== undefined);
  if (given && !values.out?.toLowerCase().replace(/\/+$/, "").endsWith(".ome.zarr")) {
    throw new UsageError("--ngff-version, --chunk, --shard and --codec apply only to an .ome.zarr --out");
  }
  if (!given) return undefined;
  return {
    version,
    chunkShape: shapeArg(values.chunk, "--chunk"),
    shardShape: shapeArg(values.shard, "--shard"),
    codec: values.codec as OmeZarrOutputOptions["codec"],
  };
}
