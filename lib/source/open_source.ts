/**
 * Steps 2 and 3 of the seed together: select a subject's stitched asset and
 * channel, then open the image and read the acquisition metadata at once.
 * The exporters start from here.
 *
 * @module
 */
import type { AcquisitionRecord } from "../metadata/read_acquisition.ts";
import { readAcquisition } from "../metadata/read_acquisition.ts";
import { ChunkCache } from "../s3/chunk_cache.ts";
import { type OmeZarrImage, openImage } from "../metadata/image.ts";
import type { Asset } from "../list/assets.ts";
import { type Channel, selectAsset, selectChannel, type SelectOptions } from "../select/select.ts";

/** What to open. */
export interface SourceRequest {
  /** A subject id (the newest stitched asset is used) or an exact stitched asset name. */
  subject: string;
  /** The channel, e.g. `Ex_561_Em_593`. */
  channel: string;
}

/** Options for {@linkcode openSource}. */
export interface OpenSourceOptions extends SelectOptions {
  /** Bytes of compressed chunks kept in memory. @default {268435456} */
  cacheBytes?: number;
  /** Keep fetched chunks in this directory (see `S3StoreOptions.cacheDir`). */
  cacheDir?: string;
  /** Requests in flight at once. @default {16} */
  concurrency?: number;
  /** One line per step. */
  log?: (line: string) => void;
}

/** An opened source: the asset, the channel, its image and the acquisition metadata. */
export interface OpenedSource {
  /** The stitched asset. */
  asset: Asset;
  /** The channel. */
  channel: Channel;
  /** The channel's image; close it when done. */
  image: OmeZarrImage;
  /** The raw asset's acquisition metadata. */
  acquisition: AcquisitionRecord;
}

/**
 * Selects the asset and channel, then opens the image and reads
 * `acquisition.json` in parallel.
 *
 * @example
 * ```ts ignore
 * import { openSource } from "./open_source.ts";
 * const { image, acquisition } = await openSource({ subject: "652506", channel: "Ex_561_Em_593" });
 * image.close();
 * ```
 * @param request Subject (or asset) and channel.
 * @param options S3 access, cache and logging.
 * @returns The opened source.
 * @throws {NotFoundError} For an unknown subject, asset or channel, or a missing acquisition.json.
 * @throws {MetadataError} For malformed metadata.
 */
export async function openSource(
  request: SourceRequest,
  options: OpenSourceOptions = {},
): Promise<OpenedSource> {
  const log = options.log ?? (() => {});
  const asset = await selectAsset(request.subject, options);
  log(`Selected asset: ${asset.name}`);
  const channel = await selectChannel(asset, request.channel, options);
  log(`Selected channel: ${channel.uri}`);
  const opening = openImage(channel.uri, {
    ...options,
    maxConcurrency: options.concurrency,
    cache: new ChunkCache(options.cacheBytes),
    cacheDir: options.cacheDir,
  });
  try {
    const acquisition = await readAcquisition(asset, options);
    return { asset, channel, image: await opening, acquisition };
  } catch (error) {
    // The image may open after the acquisition failed: close it rather than leak its connections.
    opening.then((image) => image.close(), () => {});
    throw error;
  }
}
