/**
 * Where AIND's cell outputs live in a stitched asset, and listing one channel's folder with a clear error
 * when the channel (or the step) is missing.
 *
 * @module
 */
import { NotFoundError } from "../core/errors.ts";
import { listPrefixes } from "../list/assets.ts";
import { AIND_BUCKET, formatS3Uri, type S3Options } from "../s3/client.ts";

/** The segmentation step's folder below a stitched asset. */
export const SEGMENTATION_FOLDER = "image_cell_segmentation";
/** The quantification step's folder below a stitched asset. */
export const QUANTIFICATION_FOLDER = "image_cell_quantification";

/** What one channel folder of a cell step holds. */
export interface CellFolder {
  /** Key prefix `<asset>/<step>/<channel>/`. */
  prefix: string;
  /** File names relative to the prefix, including `proposals/…` one level down. */
  files: Set<string>;
}

/**
 * Lists `<asset>/<step>/<channel>/` (and its `proposals/` folder).
 * @param asset The stitched asset's name.
 * @param step The step's folder.
 * @param channel The channel, e.g. `Ex_639_Em_667`.
 * @param options S3 access and the bucket.
 * @returns The files found.
 * @throws {NotFoundError} If the folder is empty or absent; the message names the channels that do exist.
 */
export async function listCellFolder(
  asset: string,
  step: string,
  channel: string,
  options: S3Options & { bucket?: string; signal?: AbortSignal } = {},
): Promise<CellFolder> {
  const bucket = options.bucket ?? AIND_BUCKET;
  const prefix = `${asset}/${step}/${channel}/`;
  const top = await listPrefixes({ ...options, bucket, prefix });
  const files = new Set(top.keys.map((k) => k.slice(prefix.length)));
  if (top.prefixes.includes(`${prefix}proposals/`) || files.size > 0) {
    const proposals = await listPrefixes({ ...options, bucket, prefix: `${prefix}proposals/` });
    for (const key of proposals.keys) files.add(key.slice(prefix.length));
  }
  if (files.size === 0) {
    const parent = await listPrefixes({ ...options, bucket, prefix: `${asset}/${step}/` });
    const available = parent.prefixes.map((p) => p.slice(`${asset}/${step}/`.length).replace(/\/$/, ""));
    throw new NotFoundError("channel", channel, {
      where: formatS3Uri(bucket, `${asset}/${step}/`),
      available,
      detail: available.length === 0 ? `the asset has no ${step} folder` : undefined,
    });
  }
  return { prefix, files };
}
