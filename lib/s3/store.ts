/**
 * A zarrita store over S3: `get` and `getRange` of keys below a prefix, with a
 * bound on requests in flight, retries of transient failures, an optional
 * on-disk cache, and counters for what was transferred.
 *
 * Every body is checked before it is returned: its length against
 * `Content-Length` (and the range asked for), and, for whole objects whose
 * ETag is the MD5 of the content, against that MD5 where TLS does not already
 * check every byte (plain HTTP; see `verifyEtag`). A body that fails the
 * check is retried like any transient failure, never handed to a decoder.
 *
 * @module
 */
import { forwardOptions } from "../core/options.ts";
import { GetObjectCommand, type GetObjectCommandOutput } from "@aws-sdk/client-s3";
import { DiskCache } from "./disk_cache.ts";
import { MetadataError, S3RequestError } from "../core/errors.ts";
import { Limiter } from "../core/limiter.ts";
import {
  createS3Client,
  DEFAULT_REGION,
  formatS3Uri,
  parseS3Uri,
  type S3ClientLike,
  type S3Options,
  usesTls,
} from "./client.ts";
import { checkEtag, checkLength, checkRange, etagCheckedByDefault, type RangeQuery } from "./_body_checks.ts";
import { htmlAnswer, type SdkError, toRequestError } from "./errors.ts";
import { checkRetryOptions, withRetries } from "./retry.ts";

export type { RangeQuery } from "./_body_checks.ts";

/** Metadata documents larger than this are refused before they are downloaded. */
export const DEFAULT_MAX_METADATA_BYTES: number = 16 * 2 ** 20;

/** Options for {@linkcode S3Store}. */
export interface S3StoreOptions extends S3Options {
  /** Most requests in flight at once. @default {16} */
  maxConcurrency?: number;
  /**
   * A directory where fetched objects are kept (verified, written
   * atomically), so that a second read of the same key, in this process or a
   * later one, does not go to S3. Objects are assumed not to change: AIND
   * assets are never rewritten in place.
   */
  cacheDir?: string;
  /**
   * Largest metadata document (`.zattrs`, `.zarray`, `.zgroup`, `zarr.json`,
   * `*.json`) accepted, checked against `Content-Length` before the body is read.
   * @default {16777216}
   */
  maxMetadataBytes?: number;
  /**
   * Check whole objects against an ETag that is their MD5: `true` always, `false` never.
   * @default {over plain HTTP only: over HTTPS, AWS's endpoints among them, TLS already authenticates every byte}
   */
  verifyEtag?: boolean;
}

/** Transfer counters of an {@linkcode S3Store}. */
export interface S3StoreStats {
  /** HTTP requests sent, retries included. */
  requests: number;
  /** Requests answered "no such key". */
  missing: number;
  /** Body bytes received. */
  bytes: number;
  /** Requests repeated after a transient failure. */
  retries: number;
  /** Reads answered by the disk cache. */
  cacheHits: number;
}

/**
 * A read-only zarrita store for `s3://bucket/prefix`.
 *
 * A missing key reads as `undefined` (zarrita then uses the fill value). S3
 * answers 403 instead of 404 for a missing key when the caller may not list
 * the bucket, so 403 is read as missing too. Transient failures (5xx,
 * throttling, dropped connections, timeouts, short bodies) are retried with
 * backoff (see {@linkcode withRetries}); other failures, a missing bucket
 * among them, throw {@linkcode S3RequestError} at once.
 *
 * @example Read a Zarr array's metadata
 * ```ts ignore
 * import { S3Store } from "@spimfetch/spimfetch/s3";
 * const store = new S3Store("s3://aind-open-data/SmartSPIM_652506_2023-01-09_10-18-12_stitched_2023-01-13_19-00-54/processed/OMEZarr/Ex_561_Em_593.zarr");
 * const zattrs = await store.get("/.zattrs");
 * console.log(new TextDecoder().decode(zattrs));
 * ```
 */
export class S3Store {
  /** The bucket. */
  readonly bucket: string;
  /** The key prefix, with a trailing slash unless empty. */
  readonly prefix: string;
  /** The client requests go through. */
  readonly client: S3ClientLike;
  /** Transfer counters, updated as requests complete. */
  readonly stats: S3StoreStats = { requests: 0, missing: 0, bytes: 0, retries: 0, cacheHits: 0 };
  /** The disk cache, when `cacheDir` was given. */
  readonly diskCache: DiskCache | undefined;
  #limiter: Limiter;
  #ownsClient: boolean;
  #options: S3StoreOptions;
  #origin: string;
  #verifyEtag: boolean;

  /**
   * Creates the store.
   * @param uri `s3://bucket/prefix` of the Zarr hierarchy's root.
   * @param options How to reach S3, retries, how many requests may run at once, a cache directory.
   * @throws {TypeError} If the URI is not an `s3://` URI.
   * @throws {RangeError} If a retry or size option is out of range.
   */
  constructor(uri: string, options: S3StoreOptions = {}) {
    const { bucket, prefix } = parseS3Uri(uri);
    checkRetryOptions(options);
    const maxMetadata = options.maxMetadataBytes ?? DEFAULT_MAX_METADATA_BYTES;
    if (!(maxMetadata > 0)) {
      throw new RangeError(`Cannot cap metadata at ${maxMetadata} bytes: expected a positive number`);
    }
    this.bucket = bucket;
    this.prefix = prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`;
    // The store's own options (cache, size caps) ride along; the client reads only its own.
    this.client = createS3Client(forwardOptions(options));
    this.#ownsClient = options.client === undefined;
    this.#limiter = new Limiter(options.maxConcurrency ?? 16);
    this.#options = options;
    this.#verifyEtag = options.verifyEtag ?? etagCheckedByDefault(usesTls(this.client));
    // The same bucket name on another endpoint is another bucket: the cache keeps them apart.
    this.#origin = options.endpoint ?? `aws:${options.region ?? DEFAULT_REGION}`;
    this.diskCache = options.cacheDir === undefined ? undefined : new DiskCache(options.cacheDir);
  }

  /** The `s3://` URI of the store's root, without a trailing slash. */
  get uri(): string {
    return formatS3Uri(this.bucket, this.prefix.replace(/\/$/, ""));
  }

  /**
   * Reads a whole object.
   * @param key A key relative to the root, such as `/.zattrs` or `/3/0/0/1/2/3`.
   * @param options Cancellation.
   * @returns The bytes, or `undefined` if there is no such key.
   * @throws {S3RequestError} If S3 fails permanently, or transiently more than `maxAttempts` times.
   * @throws {MetadataError} If a metadata document is larger than `maxMetadataBytes`.
   */
  get(key: string, options: { signal?: AbortSignal } = {}): Promise<Uint8Array | undefined> {
    return this.#fetch(key, undefined, options.signal);
  }

  /**
   * Reads a byte range of an object.
   * @param key A key relative to the root.
   * @param range `{ offset, length }` or `{ suffixLength }`.
   * @param options Cancellation.
   * @returns The bytes, or `undefined` if there is no such key.
   * @throws {S3RequestError} If S3 fails permanently, or transiently more than `maxAttempts` times.
   */
  getRange(
    key: string,
    range: RangeQuery,
    options: { signal?: AbortSignal } = {},
  ): Promise<Uint8Array | undefined> {
    return this.#fetch(key, range, options.signal);
  }

  /** Closes the client's connections (only if the store created the client). */
  close(): void {
    if (this.#ownsClient) this.client.destroy();
  }

  async #fetch(
    key: string,
    range: RangeQuery | undefined,
    signal?: AbortSignal,
  ): Promise<Uint8Array | undefined> {
    const objectKey = this.prefix + key.replace(/^\//, "");
    const header = range === undefined
      ? undefined
      : "suffixLength" in range
      ? `bytes=-${range.suffixLength}`
      : `bytes=${range.offset}-${range.offset + range.length - 1}`;
    const uri = formatS3Uri(this.bucket, objectKey);
    const cacheId = `${this.#origin}\n${this.bucket}\n${objectKey}\n${header ?? ""}`;
    if (this.diskCache) {
      signal?.throwIfAborted();
      const cached = await this.diskCache.get(cacheId);
      if (cached) {
        this.stats.cacheHits++;
        return cached;
      }
    }
    const found = await withRetries(
      (attemptSignal) => this.#attempt(objectKey, uri, range, header, attemptSignal),
      // The store's own options (S3 access too) are passed on whole: the retry reads only its own.
      forwardOptions({
        ...this.#options,
        uri,
        signal,
        gate: (task) => this.#limiter.run(task),
        onRetry: (event) => {
          this.stats.retries++;
          this.#options.onRetry?.(event);
        },
      }),
    );
    if (found && this.diskCache) {
      // A cache that cannot be written (disk full, read-only) costs speed on the next run, not this one.
      await this.diskCache.set(cacheId, found.body, { etag: found.etag }).catch(() => {});
    }
    return found?.body;
  }

  async #attempt(
    objectKey: string,
    uri: string,
    range: RangeQuery | undefined,
    header: string | undefined,
    signal: AbortSignal,
  ): Promise<{ body: Uint8Array; etag: string | undefined } | undefined> {
    this.stats.requests++;
    let response: GetObjectCommandOutput;
    try {
      response = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: objectKey, Range: header }),
        { abortSignal: signal },
      );
    } catch (error) {
      if ((error as SdkError)?.name === "NoSuchBucket") {
        throw new S3RequestError(
          `Bucket "${this.bucket}" does not exist (S3 answered NoSuchBucket for ${uri}); check --bucket and --endpoint`,
          { uri, status: (error as SdkError).$metadata?.httpStatusCode, cause: error },
        );
      }
      if (isMissing(error)) {
        this.stats.missing++;
        return undefined;
      }
      throw error;
    }
    const body = response.Body as StreamingBody | undefined;
    const declared = response.ContentLength;
    const maxMetadata = this.#options.maxMetadataBytes ?? DEFAULT_MAX_METADATA_BYTES;
    if (isMetadataKey(objectKey) && declared !== undefined && declared > maxMetadata) {
      discard(body);
      throw new MetadataError(
        `metadata document is ${declared} bytes, more than the ${maxMetadata} accepted; refusing to read it`,
        { source: uri },
      );
    }
    const bytes = body ? await readBody(body, declared, signal) : new Uint8Array(0);
    this.stats.bytes += bytes.byteLength;
    // A web server answers any path with a page; S3 (and MinIO, s3rver) name each answer with a request id.
    if (/^\s*text\/html\b/i.test(response.ContentType ?? "") && !response.$metadata.requestId) {
      const page = {
        $response: { headers: { "content-type": response.ContentType } },
        $responseBodyText: new TextDecoder().decode(bytes.subarray(0, 4096)),
        $metadata: response.$metadata,
      };
      if (htmlAnswer(page)) throw toRequestError(page, uri);
    }
    checkLength(bytes, declared, uri);
    const checked = range ? checkRange(bytes, range, response.ContentRange, uri) : bytes;
    if (!range && this.#verifyEtag) checkEtag(checked, response, uri);
    return { body: checked, etag: response.ETag };
  }
}

/** The part of a streaming SDK body used here (a Node stream with the SDK's mixin). */
interface StreamingBody {
  transformToByteArray(): Promise<Uint8Array>;
  /** A web stream's reader (its fetch handler): a byte stream reads into a buffer of ours. */
  getReader?(options: { mode: "byob" }): ReadableStreamBYOBReader;
  /** A Node stream (the SDK's node:http handler). */
  destroy?(error?: Error): void;
  /** A web stream (its fetch handler). */
  cancel?(): Promise<void>;
}

/** Lets go of a body that will not be read, freeing its connection. */
function discard(body: StreamingBody | undefined): void {
  if (body?.destroy) body.destroy();
  else body?.cancel?.().catch(() => {});
}

const METADATA_NAMES = new Set([".zattrs", ".zarray", ".zgroup", ".zmetadata", "zarr.json"]);

function isMetadataKey(key: string): boolean {
  const name = key.slice(key.lastIndexOf("/") + 1);
  return METADATA_NAMES.has(name) || name.endsWith(".json");
}

async function readBody(
  body: StreamingBody,
  declared: number | undefined,
  signal: AbortSignal,
): Promise<Uint8Array> {
  signal.throwIfAborted();
  const reading = readWhole(body, declared);
  // Once the race is lost the read still settles (as an error): keep that from being unhandled.
  reading.catch(() => {});
  let onAbort = (): void => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      // Headers were in; the body may hang. Destroying the stream frees the socket.
      discard(body);
      reject(signal.reason);
    };
  });
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    return await Promise.race([reading, aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/**
 * The whole body. A web byte stream (the fetch handler's) with a known length is read straight into one
 * buffer of that length: the SDK's collector instead gathers the network's pieces and copies them into a
 * fresh buffer at the end, which for a level's chunks was about a quarter of the main thread's time.
 */
async function readWhole(body: StreamingBody, declared: number | undefined): Promise<Uint8Array> {
  let reader: ReadableStreamBYOBReader | undefined;
  if (declared !== undefined && declared > 0 && body.getReader) {
    try {
      reader = body.getReader({ mode: "byob" });
    } catch {
      // Not a byte stream: the SDK's collector reads it.
    }
  }
  if (!reader) return await body.transformToByteArray();
  const length = declared!;
  let buffer = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const { value, done } = await reader.read(new Uint8Array(buffer.buffer, filled));
    // A BYOB read hands back the same memory, moved to a new ArrayBuffer (the old one is detached), at the
    // end too (a body shorter than announced).
    if (value) buffer = new Uint8Array(value.buffer);
    if (done) break;
    filled += value!.byteLength;
  }
  // Once the announced length is in, a further read sees the end, or a body longer than announced: that is
  // kept whole, for the length check to name both figures.
  const parts = [buffer.subarray(0, filled)];
  for (let more = filled === length; more;) {
    const { value, done } = await reader.read(new Uint8Array(64 * 1024));
    if (!done) parts.push(value);
    more = !done;
  }
  reader.releaseLock();
  if (parts.length === 1) return parts[0];
  const whole = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  parts.reduce((at, part) => (whole.set(part, at), at + part.byteLength), 0);
  return whole;
}

function isMissing(error: unknown): boolean {
  const e = error as SdkError;
  const status = e?.$metadata?.httpStatusCode;
  return e?.name === "NoSuchKey" || e?.name === "NotFound" || status === 404 || status === 403;
}
