/**
 * Step 2 of the reference notebook: pick the stitched asset of a subject and its channels.
 *
 * Some subjects were stitched more than once (652506 has two versions whose
 * levels differ in shape): every version is listed, the newest is the
 * default, and an exact asset name picks another. AIND has stored channels
 * under several layouts over the years; they are discovered, not assumed.
 *
 * @module
 */
import { S3_OPTION_KEYS } from "../s3/client.ts";
import { NotFoundError } from "../core/errors.ts";
import { isSafeName } from "../core/names.ts";
import { type Asset, listAssets, type ListOptions, listPrefixes, parseAssetName } from "../list/assets.ts";
import { AIND_BUCKET, createS3Client, formatS3Uri, type S3Options } from "../s3/client.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** Where AIND has put the channels of a stitched asset, newest layouts last. */
export const CHANNEL_LAYOUTS: readonly string[] = [
  "processed/OMEZarr",
  "processed/stitching/OMEZarr",
  "image_tile_fusing/OMEZarr",
];

/** Options for the selection functions. */
export interface SelectOptions extends S3Options {
  /** The bucket. @default {"aind-open-data"} */
  bucket?: string;
  /** The platform part of asset names. @default {"SmartSPIM"} */
  platform?: string;
  /** Cancels the listing. */
  signal?: AbortSignal;
}

/** The keys of {@linkcode SelectOptions}, for run-time checks of the options that extend it. */
export const SELECT_OPTION_KEYS: OptionKeys<SelectOptions> = {
  ...S3_OPTION_KEYS,
  bucket: true,
  platform: true,
  signal: true,
};

function byNewest(a: Asset, b: Asset): number {
  const key = (x: Asset): string => `${x.processedAt ?? ""}|${x.name}`;
  return key(a) < key(b) ? 1 : key(a) > key(b) ? -1 : 0;
}

/**
 * Lists the stitched assets of a subject, newest first.
 *
 * @example
 * ```ts ignore
 * import { findStitchedAssets } from "@spimfetch/spimfetch";
 * const assets = await findStitchedAssets("652506");
 * console.log(assets.map((a) => a.name)); // two stitched versions
 * ```
 * @param subject A subject id such as `652506` or `M2501`.
 * @param options Bucket, platform and how to reach S3.
 * @returns The stitched assets (possibly none), newest first.
 * @throws {NotFoundError} If the bucket has no asset at all for the subject.
 */
export async function findStitchedAssets(subject: string, options: SelectOptions = {}): Promise<Asset[]> {
  options = checkOptions(options, SELECT_OPTION_KEYS, "findStitchedAssets()");
  const platform = options.platform ?? "SmartSPIM";
  const listOptions: ListOptions = { ...options, prefix: `${platform}_${subject}_` };
  const all = (await listAssets(listOptions)).filter((a) => a.subjectId === subject);
  if (all.length === 0) {
    throw new NotFoundError("subject", subject, {
      where: formatS3Uri(options.bucket ?? AIND_BUCKET, `${platform}_*`),
      detail: `no asset is named ${platform}_${subject}_<date>_<time>`,
    });
  }
  return all.filter((a) => a.process === "stitched").sort(byNewest);
}

/**
 * Selects one stitched asset: by exact name, or the newest of a subject.
 *
 * @example Reproduce the reference notebook's choice by naming the asset
 * ```ts ignore
 * import { selectAsset } from "@spimfetch/spimfetch";
 * const asset = await selectAsset("SmartSPIM_652506_2023-01-09_10-18-12_stitched_2023-01-13_19-00-54");
 * ```
 * @param subjectOrAsset A subject id (`652506`) or a full stitched asset name.
 * @param options Bucket, platform and how to reach S3.
 * @returns The asset.
 * @throws {NotFoundError} If the subject is unknown, has no stitched asset, or the named asset does not exist.
 */
export async function selectAsset(subjectOrAsset: string, options: SelectOptions = {}): Promise<Asset> {
  options = checkOptions(options, SELECT_OPTION_KEYS, "selectAsset()");
  const named = parseAssetName(subjectOrAsset);
  const subject = named?.subjectId ?? subjectOrAsset;
  const stitched = await findStitchedAssets(subject, {
    ...options,
    platform: named?.platform ?? options.platform,
  });
  const where = formatS3Uri(options.bucket ?? AIND_BUCKET, "");
  if (named) {
    const found = stitched.find((a) => a.name === named.name);
    if (!found) {
      throw new NotFoundError("asset", named.name, { where, available: stitched.map((a) => a.name) });
    }
    return found;
  }
  if (stitched.length === 0) {
    throw new NotFoundError("asset", `${subject} (stitched)`, {
      where,
      detail: `subject ${subject} has raw data but no stitched asset`,
    });
  }
  return stitched[0];
}

/** One channel of a stitched asset: an OME-Zarr image. */
export interface Channel {
  /** The channel name, e.g. `Ex_561_Em_593`. */
  name: string;
  /** The image's `s3://` URI, without a trailing slash. */
  uri: string;
  /** The layout it was found under, e.g. `processed/OMEZarr`. */
  layout: string;
  /** Excitation wavelength in nm, when the name says it. */
  excitationNm: number | undefined;
  /** Emission wavelength in nm, when the name says it. */
  emissionNm: number | undefined;
}

function toChannel(bucket: string, prefix: string, layout: string): Channel {
  const name = prefix.replace(/\/$/, "").split("/").pop()!.replace(/\.zarr$/, "");
  const wavelengths = /^Ex_(\d+)_Em_(\d+)$/.exec(name);
  return {
    name,
    uri: formatS3Uri(bucket, prefix.replace(/\/$/, "")),
    layout,
    excitationNm: wavelengths ? Number(wavelengths[1]) : undefined,
    emissionNm: wavelengths ? Number(wavelengths[2]) : undefined,
  };
}

/**
 * Lists the channels (`*.zarr` images) of an asset, sorted by name, looking
 * under each of {@linkcode CHANNEL_LAYOUTS} and then, if none holds any, one
 * folder deeper than the asset for any `OMEZarr` folder.
 *
 * @example
 * ```ts ignore
 * import { listChannels } from "@spimfetch/spimfetch";
 * const channels = await listChannels("SmartSPIM_652506_2023-01-09_10-18-12_stitched_2023-01-13_19-00-54");
 * console.log(channels.map((c) => c.name)); // ["Ex_445_Em_469", "Ex_488_Em_525", "Ex_561_Em_593"]
 * ```
 * @param asset The asset or its name.
 * @param options Bucket and how to reach S3.
 * @returns The channels; empty if the asset holds no OME-Zarr image.
 */
export async function listChannels(asset: Asset | string, options: SelectOptions = {}): Promise<Channel[]> {
  options = checkOptions(options, SELECT_OPTION_KEYS, "listChannels()");
  const name = typeof asset === "string" ? asset : asset.name;
  const bucket = options.bucket ?? AIND_BUCKET;
  const client = createS3Client(options);
  const shared = { ...options, client, bucket };
  try {
    const zarrsUnder = async (layout: string): Promise<Channel[]> => {
      const { prefixes } = await listPrefixes({ ...shared, prefix: `${name}/${layout}/` });
      // A name that could climb out of the asset or drive the terminal is not offered as a channel.
      return prefixes.filter((p) => p.endsWith(".zarr/")).map((p) => toChannel(bucket, p, layout))
        .filter((channel) => isSafeName(channel.name));
    };
    const known = (await Promise.all(CHANNEL_LAYOUTS.map(zarrsUnder))).flat();
    if (known.length > 0) return known.sort((a, b) => a.name.localeCompare(b.name));
    // An unknown layout: look for an OMEZarr folder one or two levels down.
    const top = await listPrefixes({ ...shared, prefix: `${name}/` });
    const candidates: string[] = [];
    for (const folder of top.prefixes) {
      if (folder.endsWith("/OMEZarr/")) candidates.push(folder);
      else {
        const sub = await listPrefixes({ ...shared, prefix: folder });
        candidates.push(...sub.prefixes.filter((p) => p.endsWith("/OMEZarr/")));
      }
    }
    const found = await Promise.all(candidates.map((c) => zarrsUnder(c.slice(name.length + 1, -1))));
    return found.flat().sort((a, b) => a.name.localeCompare(b.name));
  } finally {
    if (!options.client) client.destroy();
  }
}

/**
 * Finds one channel of an asset by name (`Ex_561_Em_593`, with or without `.zarr`).
 *
 * @example
 * ```ts ignore
 * import { selectChannel } from "@spimfetch/spimfetch";
 * const channel = await selectChannel("SmartSPIM_652506_2023-01-09_10-18-12_stitched_2023-01-13_19-00-54", "Ex_561_Em_593");
 * console.log(channel.uri);
 * ```
 * @param asset The asset or its name.
 * @param channel The channel's name.
 * @param options Bucket and how to reach S3.
 * @returns The channel.
 * @throws {NotFoundError} If the asset has no such channel; the message lists those it has.
 */
export async function selectChannel(
  asset: Asset | string,
  channel: string,
  options: SelectOptions = {},
): Promise<Channel> {
  options = checkOptions(options, SELECT_OPTION_KEYS, "selectChannel()");
  const channels = await listChannels(asset, options);
  const wanted = channel.replace(/\.zarr$/, "");
  const found = channels.find((c) => c.name === wanted);
  if (!found) {
    throw new NotFoundError("channel", wanted, {
      where: typeof asset === "string" ? asset : asset.name,
      available: channels.map((c) => c.name),
    });
  }
  return found;
}
