/**
 * The reference notebook end to end: select an asset and channel, read metadata, orient,
 * stream one level from S3 into a NIfTI file.
 *
 * @module
 */
import { dirname } from "node:path";
import type { Acquisition } from "../metadata/acquisition.ts";
import {
  chooseLevel,
  type LevelChoice,
  regionFromMillimeters,
  type RegionMm,
} from "../select/choose_level.ts";
import { pathExists } from "../write/atomic_file.ts";
import { OutputExistsError } from "../core/errors.ts";
import { checkReadMemory } from "../read/memory.ts";
import { getLevel, type ImageLevel } from "../metadata/image.ts";
import type { Asset } from "../list/assets.ts";
import { computeOrientation, type Orientation } from "../orient/orient.ts";
import type { ProgressEvent } from "../core/progress_event.ts";
import { streamLevel } from "../read/read.ts";
import type { Channel } from "../select/select.ts";
import { bytesPerVoxel, type ImageGeometry, type Region, type VoxelType } from "../core/volume.ts";
import { defaultMaxSlabBytes, THIN_SLAB_CACHE_BYTES } from "../codecs/slab_budget.ts";
import { supportsChunkParts } from "../codecs/partial_chunks.ts";
import { levelArrays } from "../metadata/_level_arrays.ts";
import { writeNifti } from "../write/nifti.ts";
import {
  isOpenedSource,
  type OpenedSource,
  openSource,
  type OpenSourceOptions,
} from "../source/open_source.ts";

/** What to export. */
export interface ExportRequest {
  /** A subject id (the newest stitched asset is used) or an exact stitched asset name. */
  subject: string;
  /** The channel, e.g. `Ex_561_Em_593`. */
  channel: string;
  /**
   * The resolution level: an index (0 is the finest), `{ resolution }` in mm
   * (the coarsest level at least that fine), or `{ maxBytes }` (the finest
   * level whose output fits).
   */
  level: LevelChoice;
}

/** Options for {@linkcode exportNifti}. */
export interface ExportOptions extends OpenSourceOptions {
  /** The level, when exporting an opened source (with names it is part of the request). */
  level?: LevelChoice;
  /** Output path (`.nii` or `.nii.gz`). @default {defaultOutputPath(...)} */
  out?: string;
  /** Output voxel type: the stored one, or `float32` as the reference notebook writes. @default {"native"} */
  dtype?: "native" | VoxelType;
  /** gzip level for `.nii.gz`, 0-9. */
  gzipLevel?: number;
  /** Replace an existing output (only once the new file is complete). @default {false} */
  force?: boolean;
  /** Only this box of the level (voxel ranges). */
  roi?: Region;
  /** Only this box, in mm along the image's axes from voxel 0 (ignored when `roi` is given). */
  roiMm?: RegionMm;
  /**
   * Most bytes in one z-slab; see `maxSlabBytes` of {@linkcode ReadLevelOptions}.
   * @default {24 MiB where a compressed chunk row fits the cache, else one chunk row}
   */
  maxSlabBytes?: number;
  /** Progress of the fetch and write stages. */
  onProgress?: (event: ProgressEvent) => void;
}

/** What {@linkcode exportNifti} did. */
export interface ExportResult {
  /** The file written. */
  path: string;
  /** The stitched asset. */
  asset: Asset;
  /** The channel. */
  channel: Channel;
  /** The level read. */
  level: ImageLevel;
  /** The acquisition metadata trusted for orientation. */
  acquisition: Acquisition & { uri: string };
  /** The orientation of the full level. */
  orientation: Orientation;
  /** The geometry written (the region's, when a region was asked for). */
  geometry: ImageGeometry;
  /** Voxel type written. */
  dtype: VoxelType;
  /** Output file size in bytes. */
  bytes: number;
  /** Compressed bytes fetched from S3. */
  bytesFetched: number;
  /** The deflate that compressed a `.nii.gz`, as `writeNifti` reports it; absent for `.nii`. */
  compression?: string;
  /** Requests repeated after a transient failure (listing, metadata and chunks). */
  retries: number;
  /** Wall time in ms. */
  elapsedMs: number;
}

/**
 * The reference notebook's output path: `data/input/<subject>/<subject>_<channel>_L<level>.nii.gz`.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { defaultOutputPath } from "@spimfetch/spimfetch";
 * assert(defaultOutputPath("652506", "Ex_561_Em_593", 3) === "data/input/652506/652506_Ex_561_Em_593_L3.nii.gz");
 * ```
 * @param subject The subject id.
 * @param channel The channel name.
 * @param level The level.
 * @returns The relative path.
 */
export function defaultOutputPath(subject: string, channel: string, level: number): string {
  return `data/input/${subject}/${subject}_${channel}_L${level}.nii.gz`;
}

function outputType(dtype: ExportOptions["dtype"]): VoxelType | undefined {
  return dtype === undefined || dtype === "native" ? undefined : dtype;
}

/**
 * Exports one level of one channel of a subject's stitched asset to NIfTI,
 * oriented from the acquisition metadata. Voxels stream from S3 to the file
 * one chunk row at a time; the file appears only when complete.
 *
 * Give names (the source is opened and closed here) or a source that
 * {@linkcode openSource} opened (it is used as it is and left open).
 *
 * @example The reference notebook's job
 * ```ts ignore
 * import { exportNifti } from "@spimfetch/spimfetch";
 * const result = await exportNifti({ subject: "652506", channel: "Ex_561_Em_593", level: 3 });
 * console.log(result.path, result.orientation.itkCode); // data/input/652506/652506_Ex_561_Em_593_L3.nii.gz 525570
 * ```
 * @example From a source an earlier step opened
 * ```ts ignore
 * import { exportNifti, openSource } from "@spimfetch/spimfetch";
 * using source = await openSource({ subject: "652506", channel: "Ex_561_Em_593" });
 * await exportNifti(source, { level: 3, out: "brain_L3.nii.gz" });
 * ```
 * @param request Subject (or asset), channel and level; or an opened source (the level then in `options`).
 * @param options Output, voxel type, S3 access, progress.
 * @returns What was written.
 * @throws {OutputExistsError} If the output exists and `force` is not set (checked before any request).
 * @throws {NotFoundError} For an unknown subject, asset, channel or level.
 * @throws {MetadataError} For malformed or inconsistent metadata.
 */
export function exportNifti(request: ExportRequest, options?: ExportOptions): Promise<ExportResult>;
/**
 * Exports one level of a source that {@linkcode openSource} opened (left open), the level in `options`.
 *
 * @param source The opened source.
 * @param options The level, output, voxel type, progress.
 * @returns What was written.
 */
export function exportNifti(
  source: OpenedSource,
  options: ExportOptions & { level: LevelChoice },
): Promise<ExportResult>;
export async function exportNifti(
  request: ExportRequest | OpenedSource,
  options: ExportOptions = {},
): Promise<ExportResult> {
  const started = performance.now();
  if (options.out !== undefined && !options.force && await pathExists(options.out)) {
    throw new OutputExistsError(options.out);
  }
  if (isOpenedSource(request)) {
    if (options.level === undefined) {
      throw new TypeError("exportNifti() of an opened source needs options.level");
    }
    return await exportSource(request, options.level, options, started, request.retries);
  }
  // Thin slabs read each chunk of a row once per slab: the cache must hold a compressed chunk row. By
  // default slabs are thin wherever a row fits THIN_SLAB_CACHE_BYTES (see codecs/slab_budget.ts).
  const cacheBytes = options.cacheBytes ??
    (options.maxSlabBytes === undefined ? THIN_SLAB_CACHE_BYTES : 256 * 2 ** 20);
  const source = await openSource(request, { ...options, cacheBytes });
  try {
    // Opened here: its retries (listing and metadata included) are this export's.
    return await exportSource(source, request.level, options, started, 0);
  } finally {
    source.close();
  }
}

async function exportSource(
  source: OpenedSource,
  choice: LevelChoice,
  options: ExportOptions,
  started: number,
  retriesBefore: number,
): Promise<ExportResult> {
  const log = options.log ?? (() => {});
  const { asset, channel, image, acquisition } = source;
  // Requests still in flight when the export ends (a sibling of one that failed) are cancelled, not left running.
  const finished = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, finished.signal]) : finished.signal;
  try {
    const level = typeof choice === "number" ? getLevel(image, choice) : image
      .levels[
        chooseLevel(image, choice, { roiMm: options.roiMm, dtype: outputType(options.dtype) })
          .index
      ];
    const out = options.out ?? defaultOutputPath(asset.subjectId, channel.name, level.index);
    if (!options.force && await pathExists(out)) throw new OutputExistsError(out);
    log(
      `Level ${level.index}: size ${level.size.join(" x ")} (x, y, z), spacing ${
        level.spacing.join(", ")
      } mm`,
    );
    const orientation = computeOrientation(acquisition.axes, { size: level.size, spacing: level.spacing });
    log(
      `Orientation: ${orientation.itkCodeName} (ITK code ${orientation.itkCode}, nibabel ${orientation.nibabelCode})`,
    );
    const region = options.roi ?? (options.roiMm ? regionFromMillimeters(level, options.roiMm) : undefined);
    const [sz, sy, sx] = image.multiscales.spatialAxes;
    const rowBytes = level.chunks[sz] * (region?.y ? region.y[1] - region.y[0] : level.shape[sy]) *
      (region?.x ? region.x[1] - region.x[0] : level.shape[sx]) * bytesPerVoxel(level.dtype);
    // Thin slabs only where each slab can decode just its part of a chunk (else every slab would decode
    // whole chunks again), and where the source's cache can hold a compressed chunk row (slab_budget.ts).
    const partial = await supportsChunkParts(levelArrays.get(level)!, signal);
    const maxSlabBytes = options.maxSlabBytes ??
      (partial ? defaultMaxSlabBytes(rowBytes, image.cache.maxBytes) : undefined);
    const stream = streamLevel(image, level.index, {
      dtype: options.dtype,
      region,
      concurrency: options.concurrency,
      maxSlabBytes,
      onProgress: options.onProgress,
      signal,
    });
    // Nothing is fetched or allocated until the slabs are read: refuse now, with figures, rather than be
    // killed for lack of memory halfway through.
    checkReadMemory(image, level.index, {
      region: stream.region,
      dtype: options.dtype,
      maxSlabBytes,
      concurrency: options.concurrency,
    });
    const geometry = placeRegion(orientation.geometry, level, stream.region);
    await Deno.mkdir(dirname(out), { recursive: true }).catch((cause) => {
      throw new Error(`Cannot create output directory ${dirname(out)}: ${cause.message}`, { cause });
    });
    const written = await writeNifti(out, stream, {
      geometry,
      gzipLevel: options.gzipLevel,
      force: options.force,
      signal: options.signal,
      description: `spimfetch ${asset.subjectId} ${channel.name} L${level.index}`,
      auxFile: channel.name,
      onProgress: options.onProgress &&
        ((e) =>
          options.onProgress!({
            stage: "write",
            done: e.bytesWritten,
            total: e.totalBytes,
            bytes: e.bytesWritten,
          })),
    });
    log(
      `Wrote ${written.path} (${written.bytes} bytes${
        written.compression ? `, gzip: ${written.compression}` : ""
      })`,
    );
    return {
      path: written.path,
      asset,
      channel,
      level,
      acquisition,
      orientation,
      geometry,
      dtype: stream.dtype,
      bytes: written.bytes,
      bytesFetched: image.stats?.bytes ?? 0,
      ...(written.compression ? { compression: written.compression } : {}),
      retries: source.retries - retriesBefore,
      elapsedMs: performance.now() - started,
    };
  } finally {
    finished.abort();
  }
}

/**
 * The geometry of a region of a level: the level's, with the origin moved to
 * the region's first voxel and the NGFF translation applied.
 *
 * @example
 * ```ts ignore
 * const geometry = placeRegion(orientation.geometry, level, { x: [10, 20], y: [0, 5], z: [3, 4] });
 * ```
 * @param geometry The full level's geometry (origin at voxel 0, no translation).
 * @param level The level, for its NGFF translation.
 * @param region The region's voxel ranges.
 * @returns The region's geometry.
 */
export function placeRegion(
  geometry: ImageGeometry,
  level: Pick<ImageLevel, "translation">,
  region: Required<Region>,
): ImageGeometry {
  const start = [region.x[0], region.y[0], region.z[0]];
  const shift = start.map((s, j) => s * geometry.spacing[j] + level.translation[j]);
  const origin = geometry.origin.map((o, row) =>
    o + geometry.direction[row].reduce((sum, d, j) => sum + d * shift[j], 0)
  ) as [number, number, number];
  return { ...geometry, origin };
}
