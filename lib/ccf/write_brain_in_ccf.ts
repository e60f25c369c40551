/**
 * The brain in CCF, written: a channel resampled into the CCF grid ({@linkcode resampleToCcf}), written as
 * NIfTI or NRRD with the CCF geometry, a sidecar naming every transform used, and optionally how well it
 * matches AIND's own `moved_ls_to_ccf.nii.gz`.
 *
 * @module
 */
import { checkOptions, type OptionKeys } from "../core/options.ts";
import { dirname } from "node:path";
import { pathExists, withAtomicFile } from "../write/atomic_file.ts";
import { OutputExistsError } from "../core/errors.ts";
import { openImage } from "../metadata/image.ts";
import { selectChannel } from "../select/select.ts";
import type { VoxelArray } from "../core/volume.ts";
import { formatOf, sidecarOf } from "../export/formats.ts";
import { type CcfSpace, OPEN_CCF_SPACE_OPTION_KEYS, type OpenCcfSpaceOptions } from "./ccf_space.ts";
import { type CcfResampling, resampleToCcf, type ResampleToCcfOptions } from "./resample_to_ccf.ts";
import { brainSidecar } from "./_brain_sidecar.ts";
import { comparedSlabs, comparisonSkipReason, NccSums, openReference } from "./_reference_comparison.ts";

/** How well the result matches AIND's own `moved_ls_to_ccf.nii.gz`. */
export interface CcfComparison {
  /** The reference's URI. */
  uri: string;
  /** Normalized cross-correlation over every voxel of the grid (−1 to 1). */
  ncc: number;
  /** Voxels compared. */
  voxels: number;
}

/** Options for {@linkcode writeBrainInCcf}. */
export interface WriteBrainInCcfOptions extends
  // S3 access opens another channel than the registered one, and AIND's reference; the space's own choices
  // (template, transforms, SPL rule) were made when it was opened.
  Omit<OpenCcfSpaceOptions, "templatePrefix" | "transforms" | "splRule">,
  Omit<ResampleToCcfOptions, "image" | "signal"> {
  /** Output path, any format of `OUTPUT_FORMATS` by its suffix (`.nii.gz`, `.nii`, `.nrrd`, `.ome.zarr`). */
  out: string;
  /** Compare with AIND's `moved_ls_to_ccf.nii.gz` of the registered channel, where present. @default {false} */
  compare?: boolean;
  /** Replace existing output and sidecar. @default {false} */
  force?: boolean;
  /** gzip level. @default {1} */
  gzipLevel?: number;
  /** The channel to resample, e.g. `Ex_639_Em_667`. @default {the space's registered channel} */
  channel?: string;
}

/** The keys of {@linkcode WriteBrainInCcfOptions}, checked at run time. */
const { templatePrefix: _t, transforms: _f, splRule: _s, ...OPENED_SPACE_KEYS } = OPEN_CCF_SPACE_OPTION_KEYS;
const WRITE_BRAIN_IN_CCF_OPTION_KEYS: OptionKeys<WriteBrainInCcfOptions> = {
  ...OPENED_SPACE_KEYS,
  level: true,
  dtype: true,
  grid: true,
  slabPlanes: true,
  workers: true,
  concurrency: true,
  onSlab: true,
  out: true,
  compare: true,
  force: true,
  gzipLevel: true,
  channel: true,
};

/** What {@linkcode writeBrainInCcf} wrote. */
export interface WriteBrainInCcfResult {
  /** The image file. */
  path: string;
  /** Its sidecar JSON. */
  sidecar: string;
  /** File size. */
  bytes: number;
  /** The LS level sampled. */
  level: number;
  /** The comparison, when asked for and the reference exists. */
  comparison: CcfComparison | undefined;
  /** Why no comparison was made, when asked for. */
  comparisonSkipped: string | undefined;
  /** The CCF space used (closed). */
  space: CcfSpace;
}

/**
 * Resamples a channel of a registered asset into the CCF 25 µm grid and
 * writes it (NIfTI or NRRD, CCF geometry) with a sidecar `<stem>.json` naming
 * every transform used; optionally compares with AIND's own result.
 *
 * @example
 * ```ts ignore
 * import { openCcfSpace, writeBrainInCcf } from "@spimfetch/spimfetch/ccf";
 * const space = await openCcfSpace({ subject: "784354" }, { transforms: "pull" });
 * try {
 *   const result = await writeBrainInCcf(space, { channel: "Ex_639_Em_667", out: "brain_ccf.nii.gz", compare: true });
 *   console.log(result.comparison?.ncc);
 * } finally {
 *   space.close();
 * }
 * ```
 * @param space A space {@linkcode openCcfSpace} opened (left open).
 * @param options Output, channel (the registered one by default), comparison, S3 access (for another channel
 * and AIND's reference) and resampling options.
 * @returns What was written.
 * @throws {TypeError} For a request object (the earlier form) instead of an opened space.
 * @throws {OutputExistsError} If the output or sidecar exists and `force` is not set.
 */
export async function writeBrainInCcf(
  space: CcfSpace,
  options: WriteBrainInCcfOptions,
): Promise<WriteBrainInCcfResult> {
  options = checkOptions(options, WRITE_BRAIN_IN_CCF_OPTION_KEYS, "writeBrainInCcf()");
  checkIsSpace(space);
  // The one format table: any output format, its sidecar beside it (BIDS' <stem>.json).
  const format = formatOf(options.out);
  const sidecar = sidecarOf(options.out);
  if (!options.force) {
    for (const path of [options.out, sidecar]) if (await pathExists(path)) throw new OutputExistsError(path);
  }
  const channel = (options.channel ?? space.channel.name).replace(/\.zarr$/, "");
  let image = space.image;
  try {
    if (channel !== space.channel.name) {
      image = await openImage((await selectChannel(space.asset, channel, options)).uri, { ...options });
    }
    const resampling = resampleToCcf(space, { ...options, image });
    const compared = await compareWithReference(space, resampling, options);
    await Deno.mkdir(dirname(options.out) || ".", { recursive: true });
    const written = await format.write(options.out, {
      shape: resampling.shape,
      dtype: resampling.dtype,
      slabs: compared.slabs,
    }, {
      geometry: resampling.grid.geometry,
      gzipLevel: options.gzipLevel,
      force: options.force,
      description: `spimfetch CCF ${space.asset.subjectId} ${channel} L${resampling.level}`,
      label: channel,
    });
    const comparison = compared.result();
    const record = brainSidecar({
      space,
      level: resampling.level,
      grid: resampling.grid,
      dtype: resampling.dtype,
      channel,
      image: image.uri,
      file: { path: options.out, format: format.name, bytes: written.bytes },
      comparison,
      comparisonSkipped: compared.skipped,
    });
    const text = `${JSON.stringify(record, null, 2)}\n`;
    await withAtomicFile(sidecar, (file) => file.write(new TextEncoder().encode(text)), options);
    return {
      path: options.out,
      sidecar,
      bytes: written.bytes,
      level: resampling.level,
      comparison,
      comparisonSkipped: compared.skipped,
      space,
    };
  } finally {
    if (image !== space.image) image.close();
  }
}

/** Refuses the earlier request objects with the call that replaces them (scripts run without type checks). */
function checkIsSpace(space: unknown): asserts space is CcfSpace {
  const value = space as Record<string, unknown> | null;
  if (
    typeof value === "object" && value !== null && "registration" in value &&
    typeof value.close === "function"
  ) {
    return;
  }
  const request = value as { subject?: unknown; channel?: unknown; space?: unknown } | null;
  if (request?.space !== undefined) {
    throw new TypeError(
      "writeBrainInCcf() takes the opened space itself: writeBrainInCcf(space, { channel, out }), " +
        "not writeBrainInCcf({ space }, ...)",
    );
  }
  const subject = typeof request?.subject === "string" ? JSON.stringify(request.subject) : "…";
  throw new TypeError(
    `writeBrainInCcf() takes a space openCcfSpace() opened: const space = await openCcfSpace({ subject: ${subject} }, ` +
      '{ transforms: "pull", ...s3 }); await writeBrainInCcf(space, { channel, out }); space.close()',
  );
}

/** The slabs to write, and how they compared with AIND's result once written. */
interface ComparedSlabs {
  /** The resampled slabs, passed through the comparison when one is made. */
  slabs: AsyncIterable<VoxelArray>;
  /** Why no comparison is made, when `compare` asked for one. */
  skipped: string | undefined;
  /** The comparison, once the slabs have been consumed; `undefined` when none is made. */
  result(): CcfComparison | undefined;
}

/** Streams AIND's `moved_ls_to_ccf.nii.gz` beside the slabs when `compare` asks for it and it fits the grid. */
async function compareWithReference(
  space: CcfSpace,
  resampling: CcfResampling,
  options: WriteBrainInCcfOptions,
): Promise<ComparedSlabs> {
  const none = { slabs: resampling.slabs, result: (): undefined => undefined };
  if (!options.compare) return { ...none, skipped: undefined };
  const reference = await openReference(space, options);
  const skipped = comparisonSkipReason(reference, resampling.grid.size);
  if (!reference || skipped) return { ...none, skipped };
  const sums = new NccSums();
  return {
    slabs: comparedSlabs(resampling.slabs, reference, sums),
    skipped,
    result: () => ({ uri: reference.uri, ncc: sums.ncc(), voxels: sums.voxels }),
  };
}
