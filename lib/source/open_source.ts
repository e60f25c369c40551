/**
 * The opened source: steps 2 and 3 of the reference notebook at once. Select a subject's stitched asset and
 * channel, open the image and read the acquisition metadata, with one S3 client, one chunk cache and one
 * retry count that every later step (read, orient, export, prepare) reuses instead of opening its own.
 *
 * @module
 */
import { checkOptions, type OptionKeys } from "../core/options.ts";
import type { AcquisitionRecord } from "../metadata/read_acquisition.ts";
import { readAcquisition } from "../metadata/read_acquisition.ts";
import { ChunkCache } from "../s3/chunk_cache.ts";
import { type OmeZarrImage, openImage } from "../metadata/image.ts";
import type { Asset } from "../list/assets.ts";
import {
  type Channel,
  SELECT_OPTION_KEYS,
  selectAsset,
  selectChannel,
  type SelectOptions,
} from "../select/select.ts";
import { createS3Client, type S3ClientLike } from "../s3/client.ts";
import type { RetryEvent } from "../s3/retry.ts";

/** What to open: names, as a script or the CLI has them, or the objects earlier notebook cells hold. */
export type SourceRequest =
  | {
    /** A subject id (the newest stitched asset is used) or an exact stitched asset name. */
    subject: string;
    /** The channel, e.g. `Ex_561_Em_593`. */
    channel: string;
  }
  | {
    /** An asset from {@linkcode selectAsset} (not looked up again). */
    asset: Asset;
    /** A channel from {@linkcode selectChannel}, or its name. */
    channel: Channel | string;
  };

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
  /**
   * Check whole objects against an ETag that is their MD5: `true` always, `false` never (see
   * `S3StoreOptions.verifyEtag`). @default {over plain HTTP only: over HTTPS, TLS already checks every byte}
   */
  verifyEtag?: boolean;
}

/** The keys of {@linkcode OpenSourceOptions}, checked at run time. */
export const OPEN_SOURCE_OPTION_KEYS: OptionKeys<OpenSourceOptions> = {
  ...SELECT_OPTION_KEYS,
  cacheBytes: true,
  cacheDir: true,
  concurrency: true,
  log: true,
  verifyEtag: true,
};

/**
 * An opened source: the asset, the channel, its image and the acquisition metadata, and the S3 access they
 * were opened with. Pass it to `readLevel`, `streamLevel`, `exportImage` and `prepareVolume`; close it when done
 * (or hold it with `using`).
 */
export interface OpenedSource {
  /** The stitched asset. */
  asset: Asset;
  /** The channel. */
  channel: Channel;
  /** The channel's image. */
  image: OmeZarrImage;
  /** The raw asset's acquisition metadata. */
  acquisition: AcquisitionRecord;
  /** The options every later step shares: the one client, the bucket, retry reporting. */
  s3: OpenSourceOptions & { client: S3ClientLike };
  /** Requests repeated after a transient failure since the source was opened. */
  readonly retries: number;
  /** Closes the image's connections, and the client if the source made it. */
  close(): void;
  /** Calls {@linkcode OpenedSource.close}, for `using`. */
  [Symbol.dispose](): void;
}

/**
 * Tells an opened source from a request by names.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { isOpenedSource } from "./open_source.ts";
 * assert(!isOpenedSource({ subject: "652506", channel: "Ex_561_Em_593" }));
 * ```
 * @param value A source or a request.
 * @returns Whether it is an opened source.
 */
export function isOpenedSource(value: unknown): value is OpenedSource {
  return typeof value === "object" && value !== null && "image" in value && "acquisition" in value &&
    "close" in value;
}

/**
 * Selects the asset and channel (unless given as objects), then opens the image and reads
 * `acquisition.json` in parallel, all through one S3 client.
 *
 * @example Open once, then read and export from the same source
 * ```ts ignore
 * import { exportImage, openSource, readLevel } from "@spimfetch/spimfetch";
 * using source = await openSource({ subject: "652506", channel: "Ex_561_Em_593" });
 * const volume = await readLevel(source, 4);
 * await exportImage(source, { level: 3, out: "brain.nii.gz" });
 * ```
 * @param request Subject (or asset) and channel, by name or as objects.
 * @param options S3 access, cache and logging.
 * @returns The opened source; close it when done.
 * @throws {NotFoundError} For an unknown subject, asset or channel, or a missing acquisition.json.
 * @throws {MetadataError} For malformed metadata.
 */
export async function openSource(
  request: SourceRequest,
  options: OpenSourceOptions = {},
): Promise<OpenedSource> {
  options = checkOptions(options, OPEN_SOURCE_OPTION_KEYS, "openSource()");
  const log = options.log ?? (() => {});
  const ownClient = options.client === undefined;
  const client = createS3Client(options);
  let retries = 0;
  const onRetry = (event: RetryEvent): void => {
    retries++;
    options.onRetry?.(event);
  };
  // Cancels what is still in flight (the image opening beside a failed acquisition read) when opening fails.
  const failed = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, failed.signal]) : failed.signal;
  const s3 = { ...options, client, onRetry };
  try {
    const asset = "asset" in request ? request.asset : await selectAsset(request.subject, s3);
    if (!("asset" in request)) log(`Selected asset: ${asset.name}`);
    const channel = typeof request.channel === "string"
      ? await selectChannel(asset, request.channel, s3)
      : request.channel;
    log(`Selected channel: ${channel.uri}`);
    const opening = openImage(channel.uri, {
      ...s3,
      signal,
      maxConcurrency: options.concurrency,
      cache: new ChunkCache(options.cacheBytes),
      cacheDir: options.cacheDir,
    });
    let acquisition: AcquisitionRecord;
    try {
      acquisition = await readAcquisition(asset, s3);
    } catch (error) {
      // The image may open after the acquisition failed: close it rather than leak its connections.
      opening.then((image) => image.close(), () => {});
      throw error;
    }
    const image = await opening;
    const close = (): void => {
      image.close();
      if (ownClient) client.destroy();
    };
    return {
      asset,
      channel,
      image,
      acquisition,
      s3,
      get retries(): number {
        return retries;
      },
      close,
      [Symbol.dispose]: close,
    };
  } catch (error) {
    failed.abort();
    if (ownClient) client.destroy();
    throw error;
  }
}
