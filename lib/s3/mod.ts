/**
 * S3 access, the adapter under every step: the client (anonymous by default, us-west-2, any S3-compatible
 * endpoint), `s3://` URIs, the zarrita store with retries, body checks and a bounded number of requests in
 * flight, and the on-disk chunk cache. Public as `@spimfetch/spimfetch/s3`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseS3Uri } from "@spimfetch/spimfetch/s3";
 * assertEquals(parseS3Uri("s3://aind-open-data/SmartSPIM_652506/").bucket, "aind-open-data");
 * ```
 *
 * @module
 */
export {
  AIND_BUCKET,
  createS3Client,
  DEFAULT_REGION,
  formatS3Uri,
  parseS3Uri,
  type S3ClientLike,
  type S3Location,
  type S3Options,
} from "./client.ts";
export {
  DEFAULT_MAX_METADATA_BYTES,
  type RangeQuery,
  S3Store,
  type S3StoreOptions,
  type S3StoreStats,
} from "./store.ts";
export {
  isTransientError,
  type RetryEvent,
  type RetryOptions,
  withRetries,
  type WithRetriesOptions,
} from "./retry.ts";
export { ChunkCache, type ChunkCacheStats } from "./chunk_cache.ts";
export { DiskCache, type DiskCacheSetOptions, type DiskCacheStats } from "./disk_cache.ts";
