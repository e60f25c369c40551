/**
 * Everything `info` shows about a subject, an asset or an image, gathered in
 * one call.
 *
 * @module
 */
import { checkOptions } from "../core/options.ts";
import type { AcquisitionRecord } from "../metadata/read_acquisition.ts";
import { readAcquisition } from "../metadata/read_acquisition.ts";
import { type OmeZarrImage, openImage } from "../metadata/image.ts";
import { type Asset, parseAssetName } from "../list/assets.ts";
import { computeOrientation, type Orientation } from "../orient/orient.ts";
import { createS3Client, parseS3Uri } from "../s3/client.ts";
import { NotFoundError } from "../core/errors.ts";
import {
  type Channel,
  findStitchedAssets,
  listChannels,
  SELECT_OPTION_KEYS,
  selectAsset,
  type SelectOptions,
} from "../select/select.ts";

/** What {@linkcode describeTarget} found. */
export interface TargetDescription {
  /** The subject's stitched assets, newest first (when a subject was given). */
  assets?: Asset[];
  /** The asset described. */
  asset?: Asset;
  /** Its channels. */
  channels?: Channel[];
  /** The image described: the named one, the channel asked for, or the asset's first channel. */
  image: OmeZarrImage;
  /** The acquisition metadata, when it could be read. */
  acquisition?: AcquisitionRecord;
  /** The orientation of {@linkcode TargetDescription.orientationLevel}, when known. */
  orientation?: Orientation;
  /** The level the orientation describes. */
  orientationLevel: number;
  /** Why the orientation is unknown, when it is. */
  orientationProblem?: string;
}

/** Options for {@linkcode describeTarget}. */
export interface DescribeOptions extends SelectOptions {
  /** The level whose orientation to compute. @default {3, or the coarsest level if there are fewer} */
  level?: number;
  /** The channel whose image to describe (for a subject or asset). @default {the asset's first channel} */
  channel?: string;
}

/**
 * Describes a subject (`652506`), a stitched asset name, or an image URI
 * (`s3://bucket/asset/.../Ex_561_Em_593.zarr`).
 *
 * @example
 * ```ts ignore
 * import { describeTarget } from "@spimfetch/spimfetch";
 * const { assets, channels, image, orientation } = await describeTarget("652506");
 * ```
 * @param target What to describe.
 * @param options S3 access and the level for the orientation.
 * @returns The description; its image holds connections until `image.close()`.
 * @throws {NotFoundError} If the subject, asset or image does not exist.
 */
export async function describeTarget(
  target: string,
  options: DescribeOptions = {},
): Promise<TargetDescription> {
  options = checkOptions(options, { ...SELECT_OPTION_KEYS, level: true, channel: true }, "describeTarget()");
  const client = createS3Client(options);
  const s3 = { ...options, client };
  try {
    let assets: Asset[] | undefined;
    let asset: Asset | undefined;
    let channels: Channel[] | undefined;
    let uri: string;
    if (/^(s3|https?):\/\//.test(target)) {
      if (options.channel !== undefined) {
        throw new TypeError(
          `A channel cannot be chosen for an image URI (${target}): it names one channel already`,
        );
      }
      uri = target.replace(/\/$/, "");
      if (uri.startsWith("s3://")) {
        const { bucket, prefix } = parseS3Uri(uri);
        asset = parseAssetName(prefix.split("/")[0]);
        s3.bucket = bucket;
      }
    } else {
      if (parseAssetName(target)) {
        asset = await selectAsset(target, s3);
      } else {
        assets = await findStitchedAssets(target, s3);
        asset = assets[0] ?? await selectAsset(target, s3);
      }
      channels = await listChannels(asset, s3);
      if (channels.length === 0) throw new Error(`${asset.name} holds no OME-Zarr channel`);
      const wanted = options.channel;
      const chosen = wanted === undefined ? channels[0] : channels.find((c) => c.name === wanted);
      if (!chosen) {
        throw new NotFoundError("channel", wanted!, {
          where: asset.name,
          available: channels.map((c) => c.name),
        });
      }
      uri = chosen.uri;
    }
    // The image gets its own client: it outlives this call, and the caller closes it.
    const image = await openImage(uri, options);
    const orientationLevel = options.level ?? Math.min(3, image.levels.length - 1);
    const description: TargetDescription = { assets, asset, channels, image, orientationLevel };
    if (!asset) {
      description.orientationProblem =
        "the URI does not name an AIND asset, so there is no acquisition.json to read";
      return description;
    }
    try {
      description.acquisition = await readAcquisition(asset, s3);
      const level = image.levels[orientationLevel];
      if (!level) throw new RangeError(`there is no level ${orientationLevel}`);
      description.orientation = computeOrientation(description.acquisition.axes, {
        size: level.size,
        spacing: level.spacing,
      });
    } catch (error) {
      description.orientationProblem = error instanceof Error ? error.message : String(error);
    }
    return description;
  } finally {
    if (!options.client) client.destroy();
  }
}
