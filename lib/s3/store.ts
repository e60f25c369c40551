/**
 * A zarrita store over S3: `get` and `getRange` of keys below a prefix, with a
 * bound on requests in flight, retries of transient failures, an optional
 * on-disk cache, and counters for what was transferred.
 *
 * Every body is checked before it is returned: its length against
 * `Content-Length` (and the range asked for), and, for whole objects whose
 * ETag is the MD5 of the content, against that MD5. A body that fails the
 * check is retried like any transient failure, never handed to a decoder.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { GetObjectCommand, type GetObjectCommandOutput } from "@aws-sdk/client-s3";
import { DiskCache } from "./disk_cache.ts";
import { MetadataError, S3RequestError } from "../core/errors.ts";
import { Limiter } from "../core/limiter.ts";
import {
  createS3Client,
  DEFAULT_REGION,
  formatS3Uri,
  parseS3Uri,
  type RetryEvent,
  type RetryOptions,
  type S3ClientLike,
  type S3Options,
} from "./client.ts";

/** The byte range forms zarrita asks for. */
export type RangeQuery = { offset: number; length: number } | { suffixLength: number };

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
  /** Check whole objects against an ETag that is their MD5. @default {true} */
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
 * import { S3Store } from "./store.ts";
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
    this.client = createS3Client(options);
    this.#ownsClient = options.client === undefined;
    this.#limiter = new Limiter(options.maxConcurrency ?? 16);
    this.#options = options;
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
      {
        ...this.#options,
        uri,
        signal,
        gate: (task) => this.#limiter.run(task),
        onRetry: (event) => {
          this.stats.retries++;
          this.#options.onRetry?.(event);
        },
      },
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
      body?.destroy?.();
      throw new MetadataError(
        `metadata document is ${declared} bytes, more than the ${maxMetadata} accepted; refusing to read it`,
        { source: uri },
      );
    }
    const bytes = body ? await readBody(body, signal) : new Uint8Array(0);
    this.stats.bytes += bytes.byteLength;
    if (declared !== undefined && bytes.byteLength !== declared) {
      throw new IncompleteBodyError(
        `S3 sent ${bytes.byteLength} of the ${declared} bytes it announced for ${uri}`,
      );
    }
    const checked = range ? checkRange(bytes, range, response.ContentRange, uri) : bytes;
    if (!range && (this.#options.verifyEtag ?? true)) checkEtag(checked, response, uri);
    return { body: checked, etag: response.ETag };
  }
}

/** The part of a streaming SDK body used here (a Node stream with the SDK's mixin). */
interface StreamingBody {
  transformToByteArray(): Promise<Uint8Array>;
  destroy?(error?: Error): void;
}

/** A body that is shorter than announced or fails its checksum: retried, never decoded. */
class IncompleteBodyError extends Error {
  override name = "IncompleteBodyError";
}

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const METADATA_NAMES = new Set([".zattrs", ".zarray", ".zgroup", ".zmetadata", "zarr.json"]);

function isMetadataKey(key: string): boolean {
  const name = key.slice(key.lastIndexOf("/") + 1);
  return METADATA_NAMES.has(name) || name.endsWith(".json");
}

async function readBody(body: StreamingBody, signal: AbortSignal): Promise<Uint8Array> {
  signal.throwIfAborted();
  const reading = body.transformToByteArray();
  // Once the race is lost the read still settles (as an error): keep that from being unhandled.
  reading.catch(() => {});
  let onAbort = (): void => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      // Headers were in; the body may hang. Destroying the stream frees the socket.
      body.destroy?.();
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

function checkRange(
  bytes: Uint8Array,
  range: RangeQuery,
  contentRange: string | undefined,
  uri: string,
): Uint8Array {
  const match = contentRange ? /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(contentRange) : null;
  if (!match) {
    // A server that ignores Range sends the whole object: cut the range out of it ourselves.
    return "suffixLength" in range
      ? bytes.slice(Math.max(0, bytes.length - range.suffixLength))
      : bytes.slice(range.offset, range.offset + range.length);
  }
  const [first, last] = [Number(match[1]), Number(match[2])];
  const total = match[3] === "*" ? undefined : Number(match[3]);
  const expectedFirst = "suffixLength" in range
    ? (total === undefined ? first : Math.max(0, total - range.suffixLength))
    : range.offset;
  const expectedLength = "suffixLength" in range
    ? (total === undefined ? last - first + 1 : Math.min(range.suffixLength, total))
    : (total === undefined ? range.length : Math.min(range.length, total - range.offset));
  if (first !== expectedFirst || last - first + 1 !== expectedLength || bytes.length !== expectedLength) {
    throw new IncompleteBodyError(
      `S3 answered range ${contentRange} with ${bytes.length} bytes for ${uri}: expected ${expectedLength} bytes from ${expectedFirst}`,
    );
  }
  return bytes;
}

function checkEtag(bytes: Uint8Array, response: GetObjectCommandOutput, uri: string): void {
  // Only single-part uploads stored unencrypted or with SSE-S3 have the MD5 of the content as their ETag;
  // multipart ETags end in "-<parts>", and SSE-KMS / SSE-C ETags are opaque.
  const etag = /^"?([0-9a-f]{32})"?$/i.exec(response.ETag ?? "")?.[1]?.toLowerCase();
  if (
    !etag || response.ServerSideEncryption === "aws:kms" || response.ServerSideEncryption === "aws:kms:dsse"
  ) return;
  if (response.SSECustomerAlgorithm) return;
  const md5 = createHash("md5").update(bytes).digest("hex");
  if (md5 !== etag) {
    throw new IncompleteBodyError(`The body of ${uri} does not match its ETag (MD5 ${md5}, ETag ${etag})`);
  }
}

function isMissing(error: unknown): boolean {
  const e = error as SdkError;
  const status = e?.$metadata?.httpStatusCode;
  return e?.name === "NoSuchKey" || e?.name === "NotFound" || status === 404 || status === 403;
}

/** S3 error codes that mean "try again later", whatever the status. */
const TRANSIENT_NAMES = new Set([
  "SlowDown",
  "RequestTimeout",
  "RequestTimeoutException",
  "InternalError",
  "ServiceUnavailable",
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "RequestThrottled",
  "RequestLimitExceeded",
  "TooManyRequestsException",
  "TimeoutError",
  "IncompleteBodyError",
]);

/** Socket errors worth another try: the network or the server may come back. */
const TRANSIENT_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "ENETDOWN",
  "EHOSTDOWN",
]);

/**
 * Whether a failed request is worth repeating: HTTP 5xx, 429 and 408, S3's
 * throttling and timeout codes, dropped or refused connections, timeouts,
 * and bodies that arrived short or damaged. A missing key, access denied, a
 * bad request, a bucket that does not exist and a host name that does not
 * resolve are not.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { isTransientError } from "./store.ts";
 * assert(isTransientError({ name: "SlowDown", $metadata: { httpStatusCode: 503 } }));
 * assert(isTransientError(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })));
 * assert(!isTransientError({ name: "InvalidArgument", $metadata: { httpStatusCode: 400 } }));
 * assert(!isTransientError(Object.assign(new Error("getaddrinfo ENOTFOUND x"), { code: "ENOTFOUND" })));
 * ```
 * @param error What a request threw.
 * @returns True if the request should be tried again.
 */
export function isTransientError(error: unknown): boolean {
  const e = error as SdkError;
  if (e === null || typeof e !== "object") return false;
  const status = e.$metadata?.httpStatusCode;
  if (e.name && TRANSIENT_NAMES.has(e.name)) return true;
  if (status !== undefined) {
    // A failure with a 2xx status happened while reading or parsing a success: the body was damaged.
    return status >= 500 || status === 429 || status === 408 || (status >= 200 && status < 300);
  }
  if (e.code && TRANSIENT_CODES.has(e.code)) return true;
  return /socket hang up|\baborted\b|premature close|connection reset|broken pipe/i.test(e.message ?? "");
}

/** Options for {@linkcode withRetries}. */
export interface WithRetriesOptions extends RetryOptions {
  /** What is being fetched, for messages. */
  uri: string;
  /** Cancels the request and any wait between attempts. */
  signal?: AbortSignal;
  /**
   * Runs each attempt, e.g. through a {@linkcode Limiter}; an attempt's
   * deadline starts when the gate lets it through, not while it queues.
   */
  gate?: <T>(attempt: () => Promise<T>) => Promise<T>;
}

function checkRetryOptions(options: RetryOptions): void {
  const { maxAttempts = 5, retryBaseMs = 200, retryMaxMs = 20_000, requestTimeoutMs = 30_000 } = options;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new RangeError(`Cannot make ${maxAttempts} attempts per request: expected a positive integer`);
  }
  for (const [name, value] of [["retryBaseMs", retryBaseMs], ["retryMaxMs", retryMaxMs]] as const) {
    if (!(value >= 0) || !Number.isFinite(value)) {
      throw new RangeError(`Cannot use ${name} ${value}: expected a finite number >= 0`);
    }
  }
  if (!(requestTimeoutMs > 0)) {
    throw new RangeError(`Cannot use requestTimeoutMs ${requestTimeoutMs}: expected a number > 0`);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(id);
      reject(signal!.reason);
    };
    const id = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Runs one S3 request with retries: each attempt gets its own deadline
 * (`requestTimeoutMs`, joined with the caller's signal through
 * `AbortSignal.any`), and a transient failure (see
 * {@linkcode isTransientError}) is retried after a random wait of up to
 * `retryBaseMs · 2^(attempt-1)` ("full jitter", which spreads retries of
 * many clients apart), at most `maxAttempts` attempts in all.
 *
 * @example Retry a flaky call
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { withRetries } from "./store.ts";
 * let calls = 0;
 * const result = await withRetries(async () => {
 *   if (++calls < 3) throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
 *   return "ok";
 * }, { uri: "s3://bucket/key", retryBaseMs: 1 });
 * assertEquals([result, calls], ["ok", 3]);
 * ```
 * @param task One attempt; it must honour the signal it is given.
 * @param options What is fetched, retry settings, cancellation and a gate.
 * @returns What the first successful attempt returned.
 * @throws {S3RequestError} For a permanent failure, or the last transient one; the message says how many attempts were made.
 * @throws {MetadataError} Passed through from the task unchanged (the answer was read, and is wrong).
 * @throws {DOMException} The caller's signal's reason, when it aborts.
 */
export async function withRetries<T>(
  task: (signal: AbortSignal) => Promise<T>,
  options: WithRetriesOptions,
): Promise<T> {
  checkRetryOptions(options);
  const maxAttempts = options.maxAttempts ?? 5;
  const base = options.retryBaseMs ?? 200;
  const cap = options.retryMaxMs ?? 20_000;
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const gate = options.gate ?? (<U>(attempt: () => Promise<U>) => attempt());
  for (let attempt = 1;; attempt++) {
    options.signal?.throwIfAborted();
    let error: Error;
    try {
      return await gate(() => attemptWithDeadline(task, timeoutMs, options));
    } catch (thrown) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (thrown instanceof MetadataError || !isTransientError(thrown) || attempt >= maxAttempts) {
        throw finalError(thrown, options.uri, attempt);
      }
      error = thrown as Error;
    }
    const delayMs = Math.random() * Math.min(cap, base * 2 ** (attempt - 1));
    options.onRetry?.({ uri: options.uri, attempt, delayMs, error } satisfies RetryEvent);
    await sleep(delayMs, options.signal);
  }
}

async function attemptWithDeadline<T>(
  task: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  options: WithRetriesOptions,
): Promise<T> {
  options.signal?.throwIfAborted();
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new DOMException(`no answer within ${timeoutMs} ms`, "TimeoutError")),
    timeoutMs,
  );
  const signal = options.signal ? AbortSignal.any([options.signal, deadline.signal]) : deadline.signal;
  try {
    return await task(signal);
  } catch (error) {
    if (deadline.signal.aborted && !options.signal?.aborted) {
      throw Object.assign(new Error(`S3 did not answer within ${timeoutMs} ms`, { cause: error }), {
        name: "TimeoutError",
      });
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

function finalError(error: unknown, uri: string, attempts: number): Error {
  if (error instanceof MetadataError) return error;
  const wrapped = toRequestError(error, uri);
  if (attempts <= 1 || !(wrapped instanceof S3RequestError)) return wrapped;
  return new S3RequestError(`${wrapped.message} (gave up after ${attempts} attempts)`, {
    uri: wrapped.uri,
    status: wrapped.status,
    cause: error,
  });
}

/**
 * Wraps an SDK or network failure in an {@linkcode S3RequestError} whose
 * message says what was asked of whom; an abort passes through unchanged.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { toRequestError } from "./store.ts";
 * const error = toRequestError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), "s3://b/k");
 * assert(error.message.includes("s3://b/k"));
 * ```
 * @param error What the SDK threw.
 * @param uri The object or prefix requested.
 * @param signal The request's signal: when it is aborted, its reason is returned instead.
 * @returns The error to throw.
 */
export function toRequestError(error: unknown, uri: string, signal?: AbortSignal): Error {
  if (signal?.aborted) {
    return signal.reason instanceof Error ? signal.reason : new DOMException("Aborted", "AbortError");
  }
  if (error instanceof S3RequestError) return error;
  const e = error as SdkError;
  const status = e?.$metadata?.httpStatusCode;
  const code = e?.code ?? e?.name ?? "Error";
  if (e?.name === "CredentialsProviderError") {
    // The message says where the SDK looked; it never holds a key.
    return new S3RequestError(
      `Cannot sign the request for ${uri}: ${e.message} (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY ` +
        `or AWS_PROFILE, or read public data anonymously)`,
      { uri, cause: error },
    );
  }
  if (status === undefined) {
    return new S3RequestError(
      `Cannot reach S3 for ${uri}: ${
        e?.message ?? String(error)
      } (${code}); check the endpoint and the network`,
      { uri, cause: error },
    );
  }
  return new S3RequestError(`S3 answered HTTP ${status} (${code}) for ${uri}: ${e?.message ?? ""}`.trim(), {
    uri,
    status,
    cause: error,
  });
}
