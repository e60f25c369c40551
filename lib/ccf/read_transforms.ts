/**
 * Reading transform files from S3, once per process.
 *
 * @module
 */
import { MetadataError, NotFoundError } from "../core/errors.ts";
import { formatS3Uri } from "../s3/client.ts";
import type { S3Store } from "../s3/store.ts";
import { parseAntsAffine } from "./ants_affine.ts";
import { type AffineMap, affineMap } from "./transforms.ts";
import { type DisplacementField, parseDisplacementField } from "./displacement_field.ts";

const memory = new Map<string, Promise<AffineMap | DisplacementField>>();

/**
 * Reads one transform file through a store, once per process: later calls
 * for the same object (endpoint, bucket, key) share the first read.
 *
 * @param store An S3 store rooted at the bucket.
 * @param key The object's key.
 * @param options The store's origin (endpoint or region) and cancellation.
 * @returns The affine (for `.mat`) or the displacement field (for `.nii.gz`/`.nii`).
 * @throws {NotFoundError} If the object does not exist.
 * @throws {MetadataError} If it is malformed.
 */
export function readTransform(
  store: S3Store,
  key: string,
  options: { origin: string; signal?: AbortSignal },
): Promise<AffineMap | DisplacementField> {
  const uri = formatS3Uri(store.bucket, key);
  const id = `${options.origin}\n${uri}`;
  let found = memory.get(id);
  if (!found) {
    found = (async () => {
      const bytes = await store.get(`/${key}`, { signal: options.signal });
      if (!bytes) {
        throw new NotFoundError("object", uri, { detail: "the registration transform file is missing" });
      }
      if (key.endsWith(".mat")) return affineMap(parseAntsAffine(bytes, uri), uri);
      if (/\.nii(\.gz)?$/.test(key)) return await parseDisplacementField(bytes, uri);
      throw new MetadataError("Cannot read a transform: expected a .mat or .nii.gz file", { source: uri });
    })();
    memory.set(id, found);
    // A failed read is not remembered: the next call tries again.
    found.catch(() => memory.delete(id));
  }
  return found;
}

/** Forgets every transform read (for tests and long-running notebooks). */
export function clearTransformCache(): void {
  memory.clear();
}
