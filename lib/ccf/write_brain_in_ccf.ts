/**
 * The brain in CCF, written: a channel resampled into the CCF grid ({@linkcode resampleToCcf}), written as
 * NIfTI or NRRD with the CCF geometry, a sidecar naming every transform used, and optionally how well it
 * matches AIND's own `moved_ls_to_ccf.nii.gz`.
 *
 * @module
 */
import { checkOptions, forwardOptions, type OptionKeys } from "../core/options.ts";
import { dirname } from "node:path";
import { VERSION } from "../core/version.ts";
import { pathExists, withAtomicFile } from "../write/atomic_file.ts";
import { OutputExistsError } from "../core/errors.ts";
import { openImage } from "../metadata/image.ts";
import { selectChannel } from "../select/select.ts";
import { formatS3Uri } from "../s3/client.ts";
import { S3Store } from "../s3/store.ts";
import type { VoxelArray } from "../core/volume.ts";
import type { VolumeSlabs } from "../write/nifti.ts";
import { formatOf, sidecarOf } from "../export/formats.ts";
import { orientationCode, orientationOfAcquisition } from "../orient/codes.ts";
import {
  type CcfSpace,
  describeCorrections,
  OPEN_CCF_SPACE_OPTION_KEYS,
  openCcfSpace,
  type OpenCcfSpaceOptions,
} from "./ccf_space.ts";
import { CORRECTION_RULES } from "./versions.ts";
import { openNiftiStream } from "./nifti_stream.ts";
import { resampleToCcf, type ResampleToCcfOptions } from "./resample_to_ccf.ts";

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
export interface WriteBrainInCcfOptions
  extends OpenCcfSpaceOptions, Omit<ResampleToCcfOptions, "image" | "signal"> {
  /** Output path, any format of `OUTPUT_FORMATS` by its suffix (`.nii.gz`, `.nii`, `.nrrd`, `.ome.zarr`). */
  out: string;
  /** Compare with AIND's `moved_ls_to_ccf.nii.gz` of the registered channel, where present. @default {false} */
  compare?: boolean;
  /** Replace existing output and sidecar. @default {false} */
  force?: boolean;
  /** gzip level. @default {1} */
  gzipLevel?: number;
}

/** The keys of {@linkcode WriteBrainInCcfOptions}, checked at run time. */
const WRITE_BRAIN_IN_CCF_OPTION_KEYS: OptionKeys<WriteBrainInCcfOptions> = {
  ...OPEN_CCF_SPACE_OPTION_KEYS,
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
 * import { writeBrainInCcf } from "./mod.ts";
 * const result = await writeBrainInCcf({ subject: "784354", channel: "Ex_639_Em_667" }, { out: "brain_ccf.nii.gz", compare: true });
 * console.log(result.comparison?.ncc);
 * ```
 * @param request Subject (or asset) and channel; or a space {@linkcode openCcfSpace} opened (left open; the
 * registered channel unless `channel` names another).
 * @param options Output, comparison, S3 access and resampling options.
 * @returns What was written.
 * @throws {OutputExistsError} If the output or sidecar exists and `force` is not set.
 */
export async function writeBrainInCcf(
  request: { subject: string; channel: string } | { space: CcfSpace; channel?: string },
  options: WriteBrainInCcfOptions,
): Promise<WriteBrainInCcfResult> {
  options = checkOptions(options, WRITE_BRAIN_IN_CCF_OPTION_KEYS, "writeBrainInCcf()");
  // The one format table: any output format, its sidecar beside it (BIDS' <stem>.json).
  const format = formatOf(options.out);
  const sidecar = sidecarOf(options.out);
  if (!options.force) {
    for (const path of [options.out, sidecar]) if (await pathExists(path)) throw new OutputExistsError(path);
  }
  // A space an earlier step opened is used as it is and left open; one opened here is closed here.
  const given = "space" in request ? request.space : undefined;
  const space = given ??
    await openCcfSpace(
      request as { subject: string },
      forwardOptions<OpenCcfSpaceOptions>({ transforms: "pull", ...options }),
    );
  const channelName = (request.channel ?? space.channel.name).replace(/\.zarr$/, "");
  let image = space.image;
  try {
    if (channelName !== space.channel.name) {
      const channel = await selectChannel(space.asset, channelName, options);
      image = await openImage(channel.uri, { ...options });
    }
    const resampling = resampleToCcf(space, { ...options, image });
    const grid = resampling.grid;
    const reference = options.compare ? await openReference(space, options) : undefined;
    let slabs: AsyncIterable<VoxelArray> = resampling.slabs;
    const sums = { a: 0, b: 0, aa: 0, bb: 0, ab: 0, n: 0 };
    let skipped: string | undefined = options.compare && !reference ? "no moved_ls_to_ccf.nii.gz" : undefined;
    if (reference) {
      if (reference.size.some((n, a) => n !== grid.size[a])) {
        skipped = `${reference.uri} is [${reference.size}] voxels, not the grid's [${grid.size}]`;
      } else {
        slabs = (async function* (): AsyncGenerator<VoxelArray> {
          for await (const slab of resampling.slabs) {
            const ref = await reference.read(slab.length);
            for (let v = 0; v < slab.length; v++) {
              const a = slab[v], b = ref[v];
              sums.a += a, sums.b += b, sums.aa += a * a, sums.bb += b * b, sums.ab += a * b;
            }
            sums.n += slab.length;
            yield slab;
          }
        })();
      }
    }
    await Deno.mkdir(dirname(options.out) || ".", { recursive: true });
    const volume: VolumeSlabs = { shape: resampling.shape, dtype: resampling.dtype, slabs };
    const description = `spimfetch CCF ${space.asset.subjectId} ${channelName} L${resampling.level}`;
    const written = await format.write(options.out, volume, {
      geometry: grid.geometry,
      gzipLevel: options.gzipLevel,
      force: options.force,
      description,
      label: channelName,
    });
    let comparison: CcfComparison | undefined;
    if (reference && !skipped) {
      const n = sums.n;
      const cov = sums.ab - (sums.a * sums.b) / n;
      const va = sums.aa - (sums.a * sums.a) / n, vb = sums.bb - (sums.b * sums.b) / n;
      comparison = { uri: reference.uri, ncc: va > 0 && vb > 0 ? cov / Math.sqrt(va * vb) : 0, voxels: n };
    }
    const text = JSON.stringify(
      {
        spimfetch: { version: VERSION },
        created: new Date().toISOString(),
        file: { path: options.out, format: format.name, bytes: written.bytes, dtype: resampling.dtype },
        files: [{ path: options.out, format: format.name, bytes: written.bytes }],
        source: {
          bucket: space.registration.bucket,
          asset: space.asset.name,
          subject: space.asset.subjectId,
          channel: channelName,
          image: image.uri,
          level: resampling.level,
          acquisition: space.acquisition.uri,
        },
        // What every spimfetch sidecar has (spimfetch summary reads it): caveats found and corrected.
        acquisition: {
          uri: space.acquisition.uri,
          caveats: [
            ...space.corrections.map((id) => ({ id, corrected: true })),
            ...space.warnings.map((warning) => ({ id: warning, corrected: false })),
          ],
        },
        orientation: {
          source: { nibabel: orientationCode(orientationOfAcquisition(space.acquisition.axes), "nibabel") },
          output: { nibabel: "PIR" },
        },
        registration: {
          channel: space.registration.channel,
          channelFrom: space.registration.channelFrom,
          capsuleVersion: space.registration.version,
          corrections: describeCorrections(space.corrections),
          correctionSources: CORRECTION_RULES.filter((r) => space.corrections.includes(r.id)).map((r) =>
            r.source
          ),
          warnings: space.warnings,
          pipelineLevel0: { size: space.size, ...space.geometry },
          levelConvention:
            "level L: spacing 2^L × level 0, same origin and direction (index0 = 2^L · indexL)",
        },
        transforms: {
          order:
            "for each CCF voxel c: q = A_ls(W_ls(A_t(W_t(c)))), W(x) = x + U(x); the LS level is sampled at q (trilinear)",
          used: (["templateWarp", "templateAffine", "lsWarp", "lsAffine"] as const).map((name) =>
            space.files.find((f) => f.transform === name)!
          ),
          all: space.files,
        },
        output: {
          size: grid.size,
          dtype: resampling.dtype,
          spacing: grid.geometry.spacing,
          origin: grid.geometry.origin,
          direction: grid.geometry.direction,
          space: "LPS, mm; Allen CCF 25 µm grid (PIR: i → posterior, j → inferior, k → right)",
        },
        comparison: comparison ?? (skipped ? { skipped } : null),
      },
      null,
      2,
    );
    await withAtomicFile(sidecar, (file) => file.write(new TextEncoder().encode(`${text}\n`)), options);
    return {
      path: options.out,
      sidecar,
      bytes: written.bytes,
      level: resampling.level,
      comparison,
      comparisonSkipped: skipped,
      space,
    };
  } finally {
    if (image !== space.image) image.close();
    if (!given) space.close();
  }
}

async function openReference(
  space: CcfSpace,
  options: OpenCcfSpaceOptions,
): Promise<(Awaited<ReturnType<typeof openNiftiStream>> & { uri: string }) | undefined> {
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
