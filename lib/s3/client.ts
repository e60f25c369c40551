/**
 * The S3 client spimfetch talks through, and `s3://` URIs.
 *
 * Public AIND data is read anonymously: requests go out unsigned, so no AWS
 * account or credentials file is needed. The SDK's credential chain is used
 * only when asked for (`credentials: "default"`), e.g. for a private bucket.
 *
 * @module
 */
import { S3Client } from "@aws-sdk/client-s3";
import { FetchHttpHandler } from "@smithy/fetch-http-handler";
import type { RetryOptions } from "./retry.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/**
 * The AWS SDK v3 `S3Client` (`@aws-sdk/client-s3`) as spimfetch uses it: any
 * `S3Client` is one. Declared here so that the SDK's types are not part of
 * spimfetch's API.
 */
export interface S3ClientLike {
  /**
   * Sends a command (`GetObjectCommand`, `ListObjectsV2Command`, ...).
   * @param command The command.
   * @param options Cancellation.
   * @returns The command's output.
   */
  // deno-lint-ignore no-explicit-any
  send(command: any, options?: { abortSignal?: AbortSignal }): Promise<any>;
  /** Closes the client's connections. */
  destroy(): void;
}

/** The public bucket of the Allen Institute for Neural Dynamics. */
export const AIND_BUCKET = "aind-open-data";
/** The region of {@linkcode AIND_BUCKET}. */
export const DEFAULT_REGION = "us-west-2";

/** How to reach S3. Every field is optional; the defaults reach `aind-open-data` on AWS. */
export interface S3Options extends RetryOptions {
  /** AWS region. @default {"us-west-2"} */
  region?: string;
  /**
   * An S3-compatible endpoint such as `http://127.0.0.1:4568`. Requests then
   * use path-style addressing (`endpoint/bucket/key`).
   */
  endpoint?: string;
  /**
   * `"anonymous"` sends unsigned requests (public buckets); `"default"` uses
   * the AWS SDK's credential chain (environment, profile, instance role).
   * @default {"anonymous"}
   */
  credentials?: "anonymous" | "default";
  /**
   * An existing client to use instead of creating one; the fields above are then ignored. Give it
   * `maxAttempts: 1`, or the SDK's retries multiply with spimfetch's.
   */
  client?: S3ClientLike;
}

/** The keys of {@linkcode S3Options}, for run-time checks of the options that extend it. */
export const S3_OPTION_KEYS: OptionKeys<S3Options> = {
  region: true,
  endpoint: true,
  credentials: true,
  client: true,
  maxAttempts: true,
  retryBaseMs: true,
  retryMaxMs: true,
  requestTimeoutMs: true,
  onRetry: true,
};

/**
 * Creates an S3 client for public or private buckets.
 *
 * @example Anonymous client for the AIND bucket
 * ```ts
 * import { assert } from "@std/assert";
 * import { createS3Client } from "@spimfetch/spimfetch/s3";
 * const client = createS3Client();
 * assert(typeof client.send === "function");
 * client.destroy();
 * ```
 * @param options Region, endpoint and credentials.
 * @returns The client (`options.client` itself when given).
 * @throws {TypeError} If `endpoint` is not an http(s) URL.
 */
export function createS3Client(options: S3Options = {}): S3ClientLike {
  options = checkOptions(options, S3_OPTION_KEYS, "createS3Client()");
  if (options.client) return options.client;
  if (options.endpoint !== undefined && !/^https?:\/\/[^/]+/.test(options.endpoint)) {
    throw new TypeError(
      `Cannot use endpoint "${options.endpoint}": expected an http(s) URL such as http://127.0.0.1:4568`,
    );
  }
  const anonymous = (options.credentials ?? "anonymous") === "anonymous";
  const client = new S3Client({
    region: options.region ?? DEFAULT_REGION,
    endpoint: options.endpoint,
    forcePathStyle: options.endpoint !== undefined,
    // Checksums on plain GETs add CPU per chunk and are not supported by every S3-compatible server.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    // Retries happen in withRetries (retry.ts), where they are counted and share one deadline per attempt;
    // the SDK's own would multiply with them.
    maxAttempts: 1,
    // Given, not looked up: the SDK would otherwise start reading ~/.aws/config the moment the client is made.
    defaultsMode: "standard",
    useFipsEndpoint: false,
    useDualstackEndpoint: false,
    // Deno's own HTTP client (fetch) instead of node:http, whose parser copies every body byte through
    // WebAssembly: 16 % less CPU for GETs of SmartSPIM chunks (docs/performance.md).
    requestHandler: new FetchHttpHandler(),
    // Unsigned requests never look credentials up; the placeholder only satisfies the SDK's resolver.
    ...(anonymous ? { credentials: { accessKeyId: "anonymous", secretAccessKey: "anonymous" } } : {}),
  });
  // A no-op signer alone still makes the SDK resolve credentials; removing the
  // signing step is what makes requests truly anonymous.
  if (anonymous) client.middlewareStack.remove("httpSigningMiddleware");
  madeHere.set(client, options.endpoint === undefined || /^https:/i.test(options.endpoint));
  return client;
}

/** Whether each client made by {@linkcode createS3Client} talks HTTPS (AWS's endpoints do). */
const madeHere = new WeakMap<S3ClientLike, boolean>();

/**
 * Whether `client` talks HTTPS: `true` or `false` for a client {@linkcode createS3Client} made, `undefined`
 * for a caller's own (its transport is not known here).
 * @param client The client.
 * @returns Whether its endpoint is HTTPS, if known.
 */
export function usesTls(client: S3ClientLike): boolean | undefined {
  return madeHere.get(client);
}

/** A bucket and a key prefix, parsed from `s3://bucket/prefix`. */
export interface S3Location {
  /** The bucket name. */
  bucket: string;
  /** The key prefix, without a leading slash; empty for the whole bucket. */
  prefix: string;
}

/**
 * Parses an `s3://bucket/prefix` URI.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { parseS3Uri } from "@spimfetch/spimfetch/s3";
 * const { bucket, prefix } = parseS3Uri("s3://aind-open-data/SmartSPIM_652506/");
 * assert(bucket === "aind-open-data" && prefix === "SmartSPIM_652506/");
 * ```
 * @param uri The URI.
 * @returns Bucket and prefix.
 * @throws {TypeError} If the URI does not start with `s3://` or has no bucket.
 */
export function parseS3Uri(uri: string): S3Location {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(match[1])) {
    throw new TypeError(`Cannot parse S3 URI "${uri}": expected s3://bucket/prefix`);
  }
  return { bucket: match[1], prefix: match[2] };
}

/**
 * Formats a bucket and key as an `s3://` URI.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { formatS3Uri } from "@spimfetch/spimfetch/s3";
 * assert(formatS3Uri("b", "a/k") === "s3://b/a/k");
 * ```
 * @param bucket The bucket.
 * @param key The key or prefix.
 * @returns The URI.
 */
export function formatS3Uri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}
