/**
 * Step 1 of the reference notebook: list the datasets (assets) in a bucket.
 *
 * AIND names every asset `<platform>_<subject>_<yyyy-mm-dd>_<hh-mm-ss>`, and a
 * processed asset appends `_<process>_<yyyy-mm-dd>_<hh-mm-ss>` (for SmartSPIM,
 * `_stitched_...`). The bucket holds many thousands of such prefixes, so
 * listing follows S3's continuation tokens (at most 1000 per page) and takes
 * a prefix (`SmartSPIM_652506`) to avoid scanning the whole bucket.
 *
 * @module
 */
import { ListObjectsV2Command, type ListObjectsV2CommandOutput } from "@aws-sdk/client-s3";
import { toRequestError } from "../s3/errors.ts";
import { withRetries } from "../s3/retry.ts";
import { AIND_BUCKET, createS3Client, formatS3Uri, S3_OPTION_KEYS, type S3Options } from "../s3/client.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** One asset (a top-level prefix of the bucket), parsed from its name. */
export interface Asset {
  /** The full name, e.g. `SmartSPIM_652506_2023-01-09_10-18-12_stitched_2023-01-13_19-00-54`. */
  name: string;
  /** The acquisition platform, e.g. `SmartSPIM`. */
  platform: string;
  /** The subject id; a string because not every id is numeric (`M2501`). */
  subjectId: string;
  /** When the data was acquired, `YYYY-MM-DDTHH:MM:SS` in the lab's local time (AIND names carry no zone). */
  acquiredAt: string;
  /** The processing step of a derived asset (`stitched`, `processed`, ...), or `undefined` for raw data. */
  process: string | undefined;
  /** When the derived asset was made, like {@linkcode Asset.acquiredAt}, or `undefined` for raw data. */
  processedAt: string | undefined;
  /** The name of the raw asset this one derives from (the name itself for raw data). */
  rawName: string;
}

const ASSET_NAME =
  /^(?<platform>[A-Za-z0-9-]+(?:_[A-Za-z][A-Za-z0-9-]*)*?)_(?<subject>[A-Za-z0-9-]+)_(?<date>\d{4}-\d{2}-\d{2})_(?<time>\d{2}-\d{2}-\d{2})(?:_(?<process>[A-Za-z][A-Za-z0-9-]*)_(?<pdate>\d{4}-\d{2}-\d{2})_(?<ptime>\d{2}-\d{2}-\d{2}))?$/;

function isoDateTime(date: string, time: string): string {
  return `${date}T${time.replaceAll("-", ":")}`;
}

/**
 * Parses an AIND asset name.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { parseAssetName } from "@spimfetch/spimfetch";
 * const asset = parseAssetName("SmartSPIM_652506_2023-01-09_10-18-12_stitched_2023-01-13_19-00-54");
 * assert(asset?.subjectId === "652506" && asset.process === "stitched");
 * assert(asset?.processedAt === "2023-01-13T19:00:54");
 * assert(parseAssetName("README.txt") === undefined);
 * ```
 * @param name A top-level prefix of the bucket, with or without the trailing slash.
 * @returns The parsed asset, or `undefined` if the name does not follow AIND's convention.
 */
export function parseAssetName(name: string): Asset | undefined {
  const clean = name.replace(/\/$/, "");
  const groups = ASSET_NAME.exec(clean)?.groups;
  if (!groups) return undefined;
  const process = groups.process;
  return {
    name: clean,
    platform: groups.platform,
    subjectId: groups.subject,
    acquiredAt: isoDateTime(groups.date, groups.time),
    process,
    processedAt: process ? isoDateTime(groups.pdate, groups.ptime) : undefined,
    rawName: `${groups.platform}_${groups.subject}_${groups.date}_${groups.time}`,
  };
}

/** Options for listing. */
export interface ListOptions extends S3Options {
  /** The bucket. @default {"aind-open-data"} */
  bucket?: string;
  /** Only names starting with this, e.g. `SmartSPIM_652506`. @default {""} */
  prefix?: string;
  /** Keys per page asked of S3 (S3 returns at most 1000). @default {1000} */
  pageSize?: number;
  /** Cancels the listing. */
  signal?: AbortSignal;
}

/** What one `/`-delimited level of a bucket holds. */
export interface PrefixListing {
  /** Sub-prefixes ("folders"), each ending with `/`, in S3's order. */
  prefixes: string[];
  /** Object keys directly at this level. */
  keys: string[];
  /** Pages requested. */
  pages: number;
}

/**
 * Lists one `/`-delimited level below a prefix, following every continuation token.
 *
 * @example
 * ```ts ignore
 * import { listPrefixes } from "./assets.ts";
 * const { prefixes } = await listPrefixes({ prefix: "SmartSPIM_652506" });
 * ```
 * @param options Bucket, prefix and how to reach S3.
 * @returns The sub-prefixes and keys.
 * @throws {S3RequestError} If S3 cannot be reached or refuses the listing.
 */
export async function listPrefixes(options: ListOptions = {}): Promise<PrefixListing> {
  options = checkOptions(options, LIST_OPTION_KEYS, "listPrefixes()");
  const client = createS3Client(options);
  const bucket = options.bucket ?? AIND_BUCKET;
  const prefix = options.prefix ?? "";
  const result: PrefixListing = { prefixes: [], keys: [], pages: 0 };
  let token: string | undefined;
  try {
    do {
      options.signal?.throwIfAborted();
      const command = new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        Delimiter: "/",
        MaxKeys: options.pageSize ?? 1000,
        ContinuationToken: token,
      });
      const page: ListObjectsV2CommandOutput = await withRetries(
        (signal) => client.send(command, { abortSignal: signal }),
        {
          ...options,
          uri: formatS3Uri(bucket, prefix),
        },
      );
      result.pages++;
      for (const p of page.CommonPrefixes ?? []) if (p.Prefix) result.prefixes.push(p.Prefix);
      for (const o of page.Contents ?? []) if (o.Key) result.keys.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  } catch (error) {
    throw toRequestError(error, formatS3Uri(bucket, prefix), options.signal);
  } finally {
    if (!options.client) client.destroy();
  }
  return result;
}

/** The keys of {@linkcode ListOptions}, checked at run time. */
const LIST_OPTION_KEYS: OptionKeys<ListOptions> = {
  ...S3_OPTION_KEYS,
  bucket: true,
  prefix: true,
  pageSize: true,
  signal: true,
};

/**
 * Lists the assets at the top of a bucket whose names follow AIND's
 * convention, sorted by name. Other prefixes are left out.
 *
 * @example List every SmartSPIM asset of one subject
 * ```ts ignore
 * import { listAssets } from "@spimfetch/spimfetch";
 * const assets = await listAssets({ prefix: "SmartSPIM_652506" });
 * console.log(assets.map((a) => a.name));
 * ```
 * @param options Bucket, name prefix and how to reach S3.
 * @returns The assets.
 * @throws {S3RequestError} If S3 cannot be reached or refuses the listing.
 */
export async function listAssets(options: ListOptions = {}): Promise<Asset[]> {
  options = checkOptions(options, LIST_OPTION_KEYS, "listAssets()");
  const { prefixes } = await listPrefixes(options);
  return prefixes
    .map(parseAssetName)
    .filter((asset): asset is Asset => asset !== undefined)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
