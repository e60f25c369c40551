/**
 * Comparing a brain resampled into the CCF with AIND's own `moved_ls_to_ccf.nii.gz`, voxel by voxel while it
 * is written: the reference is streamed beside the slabs, never held whole.
 *
 * @module
 */
import { formatS3Uri } from "../s3/client.ts";
import { S3Store } from "../s3/store.ts";
import type { VoxelArray } from "../core/volume.ts";
import { openNiftiStream } from "./nifti_stream.ts";
import type { CcfSpace, OpenCcfSpaceOptions } from "./ccf_space.ts";

/** AIND's reference, opened as a stream of voxels in the grid's order. */
export type CcfReference = Awaited<ReturnType<typeof openNiftiStream>> & { uri: string };

/**
 * Running sums of two signals, for their normalized cross-correlation: one pass, no copy of either (the
 * slabs are handed on to the writer as they come).
 */
export class NccSums {
  #a = 0;
  #b = 0;
  #aa = 0;
  #bb = 0;
  #ab = 0;
  #n = 0;

  /** Voxels added so far. */
  get voxels(): number {
    return this.#n;
  }

  /**
   * Adds pairs of voxels.
   *
   * @param a Voxels of the result.
   * @param b The reference's voxels at the same places (at least as many).
   */
  add(a: ArrayLike<number>, b: ArrayLike<number>): void {
    for (let v = 0; v < a.length; v++) {
      const x = a[v], y = b[v];
      this.#a += x, this.#b += y, this.#aa += x * x, this.#bb += y * y, this.#ab += x * y;
    }
    this.#n += a.length;
  }

  /**
   * The normalized cross-correlation of everything added: 0 when either signal is constant (no variance to
   * correlate).
   *
   * @returns A number from −1 to 1.
   */
  ncc(): number {
    const n = this.#n;
    const cov = this.#ab - (this.#a * this.#b) / n;
    const va = this.#aa - (this.#a * this.#a) / n, vb = this.#bb - (this.#b * this.#b) / n;
    return va > 0 && vb > 0 ? cov / Math.sqrt(va * vb) : 0;
  }
}

/**
 * Why a reference cannot be compared with a grid, or `undefined` when it can.
 *
 * @param reference The reference, or `undefined` if the registration has none.
 * @param gridSize The grid's sizes (x, y, z).
 * @returns The reason, as the sidecar records it.
 */
export function comparisonSkipReason(
  reference: { uri: string; size: readonly number[] } | undefined,
  gridSize: readonly number[],
): string | undefined {
  if (!reference) return "no moved_ls_to_ccf.nii.gz";
  if (reference.size.some((n, a) => n !== gridSize[a])) {
    return `${reference.uri} is [${reference.size}] voxels, not the grid's [${gridSize}]`;
  }
  return undefined;
}

/**
 * Hands the slabs on unchanged, adding each with the reference's voxels at the same places to `sums`.
 *
 * @param slabs The resampled slabs, in grid order.
 * @param reference The reference, the grid's size.
 * @param sums Where the pairs are added.
 * @returns The same slabs.
 */
export async function* comparedSlabs(
  slabs: AsyncIterable<VoxelArray>,
  reference: CcfReference,
  sums: NccSums,
): AsyncGenerator<VoxelArray> {
  for await (const slab of slabs) {
    sums.add(slab, await reference.read(slab.length));
    yield slab;
  }
}

/**
 * Opens AIND's `moved_ls_to_ccf.nii.gz` of a registration.
 *
 * @param space The registered asset's CCF space.
 * @param options S3 access, as the space was opened with.
 * @returns The reference, or `undefined` if the registration has none.
 */
export async function openReference(
  space: CcfSpace,
  options: OpenCcfSpaceOptions,
): Promise<CcfReference | undefined> {
  const key = `${space.registration.prefix}moved_ls_to_ccf.nii.gz`;
  const store = new S3Store(formatS3Uri(space.registration.bucket, ""), options);
  try {
    const bytes = await store.get(`/${key}`, { signal: options.signal });
    if (!bytes) return undefined;
    const uri = formatS3Uri(space.registration.bucket, key);
    return { ...(await openNiftiStream(bytes, uri)), uri };
  } finally {
    store.close();
  }
}
