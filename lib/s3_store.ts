/**
 * A zarrita store over S3: `get` and `getRange` of keys below a prefix, with a
 * bound on requests in flight and counters for what was transferred.
 *
 * @module
 */
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { S3RequestError } from "./errors.ts";
import { Limiter } from "./limiter.ts";
import { createS3Client, formatS3Uri, parseS3Uri, type S3Options } from "./s3_client.ts";

/** The byte range forms zarrita asks for. */
export type RangeQuery = { offset: number; length: number } | { suffixLength: number };

/** Options for {@linkcode S3Store}. */
export interface S3StoreOptions extends S3Options {
  /** Most requests in flight at once. @default {16} */
  maxConcurrency?: number;
}

/** Transfer counters of an {@linkcode S3Store}. */
export interface S3StoreStats {
  /** Requests sent. */
  requests: number;
  /** Requests answered "no such key". */
  missing: number;
  /** Body bytes received. */
  bytes: number;
}

/**
 * A read-only zarrita store for `s3://bucket/prefix`.
 *
 * A missing key reads as `undefined` (zarrita then uses the fill value). S3
 * answers 403 instead of 404 for a missing key when the caller may not list
 * the bucket, so 403 is read as missing too; other failures throw
 * {@linkcode S3RequestError}.
 *
 * @example Read a Zarr array's metadata
 * ```ts ignore
 * import { S3Store } from "./s3_store.ts";
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
  readonly client: S3Client;
  /** Transfer counters, updated as requests complete. */
  readonly stats: S3StoreStats = { requests: 0, missing: 0, bytes: 0 };
  #limiter: Limiter;
  #ownsClient: boolean;

  /**
   * Creates the store.
   * @param uri `s3://bucket/prefix` of the Zarr hierarchy's root.
   * @param options How to reach S3 and how many requests may run at once.
   * @throws {TypeError} If the URI is not an `s3://` URI.
   */
  constructor(uri: string, options: S3StoreOptions = {}) {
    const { bucket, prefix } = parseS3Uri(uri);
    this.bucket = bucket;
    this.prefix = prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`;
    this.client = createS3Client(options);
    this.#ownsClient = options.client === undefined;
    this.#limiter = new Limiter(options.maxConcurrency ?? 16);
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
   */
  getRange(
    key: string,
    range: RangeQuery,
    options: { signal?: AbortSignal } = {},
  ): Promise<Uint8Array | undefined> {
    const header = "suffixLength" in range
      ? `bytes=-${range.suffixLength}`
      : `bytes=${range.offset}-${range.offset + range.length - 1}`;
    return this.#fetch(key, header, options.signal);
  }

  /** Closes the client's connections (only if the store created the client). */
  close(): void {
    if (this.#ownsClient) this.client.destroy();
  }

  #fetch(key: string, range: string | undefined, signal?: AbortSignal): Promise<Uint8Array | undefined> {
    const objectKey = this.prefix + key.replace(/^\//, "");
    return this.#limiter.run(async () => {
      signal?.throwIfAborted();
      this.stats.requests++;
      try {
        const response = await this.client.send(
          new GetObjectCommand({ Bucket: this.bucket, Key: objectKey, Range: range }),
          { abortSignal: signal },
        );
        const body = await response.Body!.transformToByteArray();
        this.stats.bytes += body.byteLength;
        return body;
      } catch (error) {
        if (isMissing(error)) {
          this.stats.missing++;
          return undefined;
        }
        throw toRequestError(error, formatS3Uri(this.bucket, objectKey), signal);
      }
    });
  }
}

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

function isMissing(error: unknown): boolean {
  const e = error as SdkError;
  const status = e?.$metadata?.httpStatusCode;
  return e?.name === "NoSuchKey" || e?.name === "NotFound" || status === 404 || status === 403;
}

/**
 * Wraps an SDK or network failure in an {@linkcode S3RequestError} whose
 * message says what was asked of whom; an abort passes through unchanged.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { toRequestError } from "./s3_store.ts";
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
