/**
 * How many bytes each level of an image occupies in its bucket: the sum of
 * the object sizes below the level's path, from S3 listings (1000 keys per
 * request, so a level is measured only when that is cheap).
 *
 * @module
 */
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import type { OmeZarrImage } from "./image.ts";
import { createS3Client, formatS3Uri, parseS3Uri, S3_OPTION_KEYS, type S3Options } from "../s3/client.ts";
import { toRequestError } from "../s3/errors.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** Options for {@linkcode measureStoredBytes}. */
export interface MeasureStoredBytesOptions extends S3Options {
  /**
   * Ignored: the URI names the bucket. Accepted so that the S3 settings of `settingsFromEnv().s3` can be
   * passed as they are.
   */
  bucket?: string;
  /** Levels with more chunks than this are not measured (each 1000 chunks cost one request). @default {20000} */
  maxChunks?: number;
  /** Cancels the listings. */
  signal?: AbortSignal;
}

/** The keys of {@linkcode MeasureStoredBytesOptions}, checked at run time. */
const MEASURE_STORED_BYTES_OPTION_KEYS: OptionKeys<MeasureStoredBytesOptions> = {
  bucket: true,
  ...S3_OPTION_KEYS,
  maxChunks: true,
  signal: true,
};

/**
 * Measures the stored (compressed) size of each level of an `s3://` image by
 * listing its objects. Levels with more than `maxChunks` chunks, and images
 * not on S3, are not measured.
 *
 * @example
 * ```ts ignore
 * const image = await openImage(uri);
 * const stored = await measureStoredBytes(image); // e.g. [undefined, undefined, 1.2e9, 1.6e8, 2.1e7]
 * ```
 * @param image The opened image.
 * @param options How to reach S3, and the chunk limit.
 * @returns Bytes per level, `undefined` where not measured.
 * @throws {S3RequestError} If a listing fails.
 */
export async function measureStoredBytes(
  image: OmeZarrImage,
  options: MeasureStoredBytesOptions = {},
): Promise<(number | undefined)[]> {
  options = checkOptions(options, MEASURE_STORED_BYTES_OPTION_KEYS, "measureStoredBytes()");
  if (!image.uri.startsWith("s3://")) return image.levels.map(() => undefined);
  const { bucket, prefix } = parseS3Uri(image.uri.replace(/\/$/, ""));
  const maxChunks = options.maxChunks ?? 20000;
  const client = createS3Client(options);
  try {
    return await Promise.all(image.levels.map(async (level) => {
      if (level.chunkCount > maxChunks) return undefined;
      const levelPrefix = `${prefix}/${level.path}/`;
      let total = 0;
      let token: string | undefined;
      try {
        do {
          const page = await client.send(
            new ListObjectsV2Command({ Bucket: bucket, Prefix: levelPrefix, ContinuationToken: token }),
            { abortSignal: options.signal },
          );
          for (const object of page.Contents ?? []) total += object.Size ?? 0;
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
      } catch (error) {
        throw toRequestError(error, formatS3Uri(bucket, levelPrefix), options.signal);
      }
      return total;
    }));
  } finally {
    if (!options.client) client.destroy();
  }
}
