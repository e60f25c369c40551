/**
 * Step 1 of the reference notebook, **list**: the assets at the top of a bucket (S3 pagination followed),
 * with AIND's names parsed into platform, subject and dates.
 *
 * @module
 */
export {
  type Asset,
  listAssets,
  type ListOptions,
  listPrefixes,
  parseAssetName,
  type PrefixListing,
} from "./assets.ts";
