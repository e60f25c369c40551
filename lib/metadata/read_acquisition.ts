/**
 * Step 3 of the reference notebook, second half: fetch the raw asset's `acquisition.json`,
 * which says where each image axis points anatomically.
 *
 * @module
 */
import { type Acquisition, parseAcquisitionText } from "./acquisition.ts";
import { NotFoundError } from "../core/errors.ts";
import { type Asset, parseAssetName } from "../list/assets.ts";
import { AIND_BUCKET, formatS3Uri, S3_OPTION_KEYS } from "../s3/client.ts";
import { S3Store, type S3StoreOptions } from "../s3/store.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** Options for {@linkcode readAcquisition}. */
export interface ReadAcquisitionOptions extends S3StoreOptions {
  /** The bucket. @default {"aind-open-data"} */
  bucket?: string;
  /** Cancels the requests. */
  signal?: AbortSignal;
}

/** An acquisition record and where it was read from. */
export interface AcquisitionRecord extends Acquisition {
  /** The `s3://` URI of the file that was read. */
  uri: string;
}

/** The keys of {@linkcode ReadAcquisitionOptions}, checked at run time. */
const READ_ACQUISITION_OPTION_KEYS: OptionKeys<ReadAcquisitionOptions> = {
  ...S3_OPTION_KEYS,
  maxConcurrency: true,
  cacheDir: true,
  maxMetadataBytes: true,
  verifyEtag: true,
  bucket: true,
  signal: true,
};

/**
 * Reads and parses the `acquisition.json` of an asset: the raw asset's (the
 * name before `_stitched`), or the stitched asset's own copy when the raw one
 * is missing. The subject in the file must match the asset's.
 *
 * @example
 * ```ts ignore
 * import { readAcquisition } from "@spimfetch/spimfetch";
 * const acquisition = await readAcquisition("SmartSPIM_652506_2023-01-09_10-18-12_stitched_2023-01-13_19-00-54");
 * console.log(acquisition.axes.map((a) => a.rawDirection));
 * ```
 * @param asset The asset or its name.
 * @param options Bucket and how to reach S3.
 * @returns The parsed acquisition.
 * @throws {NotFoundError} If neither file exists.
 * @throws {MetadataError} If the file is not valid JSON, its axes are unusable, or its subject differs.
 */
export async function readAcquisition(
  asset: Asset | string,
  options: ReadAcquisitionOptions = {},
): Promise<AcquisitionRecord> {
  options = checkOptions(options, READ_ACQUISITION_OPTION_KEYS, "readAcquisition()");
  const parsed = typeof asset === "string" ? parseAssetName(asset) : asset;
  const name = typeof asset === "string" ? asset : asset.name;
  const bucket = options.bucket ?? AIND_BUCKET;
  const candidates = [...new Set([parsed?.rawName ?? name, name])].map((prefix) =>
    `${prefix}/acquisition.json`
  );
  const store = new S3Store(formatS3Uri(bucket, ""), options);
  try {
    for (const key of candidates) {
      const bytes = await store.get(`/${key}`, { signal: options.signal });
      if (!bytes) continue;
      const uri = formatS3Uri(bucket, key);
      const acquisition = parseAcquisitionText(new TextDecoder().decode(bytes), {
        source: uri,
        expectedSubject: parsed?.subjectId,
      });
      return { ...acquisition, uri };
    }
  } finally {
    store.close();
  }
  throw new NotFoundError("object", formatS3Uri(bucket, candidates[0]), {
    detail: `no acquisition.json for ${name}${candidates.length > 1 ? ` (nor ${candidates[1]})` : ""}`,
  });
}
