/**
 * Step 3 of the reference notebook, I/O half: open an OME-Zarr image and its levels.
 *
 * @module
 */
import { S3_OPTION_KEYS } from "../s3/client.ts";
import * as zarr from "zarrita";
import { levelArrays } from "./level_arrays.ts";
import { ChunkCache } from "../s3/chunk_cache.ts";
import { useWorkerBlosc } from "../codecs/worker_blosc.ts";
import { MetadataError, NotFoundError, S3RequestError } from "../core/errors.ts";
import { checkArrayLayout, checkArrayMetadata, guardChunkDecoding } from "./_array_checks.ts";
import { guardStoreKeys } from "./_store_keys.ts";
import { type Multiscales, parseMultiscales } from "./multiscales.ts";
import { DEFAULT_MAX_METADATA_BYTES, S3Store, type S3StoreOptions, type S3StoreStats } from "../s3/store.ts";
import { bytesPerVoxel, isVoxelType, type VoxelType } from "../core/volume.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** A store zarrita can read; {@linkcode S3Store} is one. */
export interface ReadableStore {
  /** Reads a whole object; `undefined` when missing. */
  get(key: string, options?: { signal?: AbortSignal }): Promise<Uint8Array | undefined>;
}

/** One resolution level of an {@linkcode OmeZarrImage}. */
export interface ImageLevel {
  /** Position in the multiscales list; 0 is the finest. */
  index: number;
  /** The array's path below the image, e.g. `3`. */
  path: string;
  /** The array's shape, all axes (e.g. t, c, z, y, x). */
  shape: number[];
  /** The array's chunk shape, all axes. */
  chunks: number[];
  /** The voxel type. */
  dtype: VoxelType;
  /** Sizes of the spatial axes in ITK order (x, y, z): the reverse of Zarr's. */
  size: [number, number, number];
  /** Voxel spacing in mm, ITK order (x, y, z). */
  spacing: [number, number, number];
  /** NGFF translation in mm, ITK order (x, y, z): where voxel 0 sits along each array axis. */
  translation: [number, number, number];
  /** Chunks holding the spatial volume at fixed time and channel. */
  chunkCount: number;
  /** Bytes of the spatial volume uncompressed. */
  bytes: number;
}

/** An opened OME-Zarr image (one channel of a stitched asset). */
export interface OmeZarrImage {
  /** Where it was opened from. */
  uri: string;
  /** The Zarr format version. */
  zarrFormat: 2 | 3;
  /** The parsed multiscales metadata. */
  multiscales: Multiscales;
  /** The levels, finest first. */
  levels: ImageLevel[];
  /** The image group's attributes as stored (`.zattrs`, or `zarr.json` attributes). */
  attributes: Record<string, unknown>;
  /** The cache chunk reads go through; shared by every read of this image. */
  cache: ChunkCache;
  /** Transfer counters, when the image is on S3. */
  stats: S3StoreStats | undefined;
  /** Closes network connections held for the image. */
  close(): void;
}

/** Options for {@linkcode openImage}. */
export interface OpenImageOptions extends S3StoreOptions {
  /**
   * Ignored: the URI names the bucket. Accepted so that the S3 settings of `settingsFromEnv().s3` can be
   * passed as they are.
   */
  bucket?: string;
  /** The store to read instead of the URI's (the URI is then only a name). */
  store?: ReadableStore;
  /** A chunk cache to share, e.g. between channels. @default {a new 256 MiB ChunkCache} */
  cache?: ChunkCache;
  /** Unit assumed for spatial axes that declare none; without it they are an error. */
  defaultSpatialUnit?: string;
  /** Cancels the metadata requests. */
  signal?: AbortSignal;
}

function storeFor(uri: string, options: OpenImageOptions): { store: ReadableStore; s3?: S3Store } {
  if (options.store) return { store: options.store };
  if (uri.startsWith("s3://")) {
    const s3 = new S3Store(uri, options);
    return { store: s3, s3 };
  }
  if (/^https?:\/\//.test(uri)) return { store: new zarr.FetchStore(uri) as ReadableStore };
  throw new TypeError(`Cannot open "${uri}": expected an s3:// or http(s):// URI`);
}

function parseJson(bytes: Uint8Array, source: string): Record<string, unknown> {
  // S3Store refuses these by Content-Length before download; other stores hand over what they hold.
  if (bytes.byteLength > DEFAULT_MAX_METADATA_BYTES) {
    throw new MetadataError(
      `metadata document is ${bytes.byteLength} bytes, more than the ${DEFAULT_MAX_METADATA_BYTES} accepted`,
      { source },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch (cause) {
    throw new MetadataError(`not valid JSON: ${(cause as Error).message}`, { source, cause });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new MetadataError("expected a JSON object", { source });
  }
  return value as Record<string, unknown>;
}

/** The keys of {@linkcode OpenImageOptions}, checked at run time. */
const OPEN_IMAGE_OPTION_KEYS: OptionKeys<OpenImageOptions> = {
  bucket: true,
  ...S3_OPTION_KEYS,
  maxConcurrency: true,
  cacheDir: true,
  maxMetadataBytes: true,
  verifyEtag: true,
  store: true,
  cache: true,
  defaultSpatialUnit: true,
  signal: true,
};

/**
 * Opens an OME-Zarr image: reads its multiscales metadata (NGFF 0.4 on Zarr
 * v2, NGFF 0.5 on Zarr v3) and the array metadata of every level.
 *
 * @example Open the reference notebook's channel
 * ```ts ignore
 * import { openImage } from "@spimfetch/spimfetch";
 * const image = await openImage("s3://aind-open-data/SmartSPIM_652506_2023-01-09_10-18-12_stitched_2023-01-13_19-00-54/processed/OMEZarr/Ex_561_Em_593.zarr");
 * console.log(image.levels[3].size, image.levels[3].spacing); // [925, 1280, 464] [0.0144, 0.0144, 0.016]
 * image.close();
 * ```
 * @param uri `s3://bucket/prefix/image.zarr` or an `https://` URL.
 * @param options How to reach the store, the cache, and a unit fallback.
 * @returns The image.
 * @throws {NotFoundError} If there is no image at the URI.
 * @throws {MetadataError} If its metadata is malformed or unsupported.
 */
export async function openImage(uri: string, options: OpenImageOptions = {}): Promise<OmeZarrImage> {
  options = checkOptions(options, OPEN_IMAGE_OPTION_KEYS, "openImage()");
  useWorkerBlosc();
  const { store: base, s3 } = storeFor(uri, options);
  const cache = options.cache ?? new ChunkCache();
  // Keys come from metadata (dataset paths, dimension separators): none may reach outside the image.
  const store = zarr.withByteCaching(guardStoreKeys(base, uri) as zarr.AsyncReadable, {
    cache,
  }) as ReadableStore;
  const signal = options.signal;
  try {
    const [zattrs, zarrJson] = await Promise.all([
      store.get("/.zattrs", { signal }),
      store.get("/zarr.json", { signal }),
    ]);
    let attributes: Record<string, unknown>;
    let zarrFormat: 2 | 3;
    if (zarrJson) {
      const meta = parseJson(zarrJson, `${uri}/zarr.json`);
      attributes = (meta.attributes ?? {}) as Record<string, unknown>;
      zarrFormat = 3;
    } else if (zattrs) {
      attributes = parseJson(zattrs, `${uri}/.zattrs`);
      zarrFormat = 2;
    } else {
      throw new NotFoundError("object", `${uri}/.zattrs`, {
        detail: "no OME-Zarr image here (neither .zattrs nor zarr.json exists)",
      });
    }
    const source = `${uri}/${zarrFormat === 3 ? "zarr.json" : ".zattrs"}`;
    const multiscales = parseMultiscales(attributes, {
      source,
      defaultSpatialUnit: options.defaultSpatialUnit,
    });
    const levels = await Promise.all(
      multiscales.datasets.map((_, index) => openLevel(store, uri, zarrFormat, multiscales, index, signal)),
    );
    return {
      uri,
      zarrFormat,
      multiscales,
      levels,
      attributes,
      cache,
      stats: s3?.stats,
      close: () => s3?.close(),
    };
  } catch (error) {
    s3?.close();
    throw error;
  }
}

/** Drops float noise from unit conversion (14.4 µm is 0.0144 mm, not 0.014400000000000001). */
function tidy(value: number): number {
  return Number(value.toPrecision(12));
}

async function openLevel(
  store: ReadableStore,
  uri: string,
  zarrFormat: 2 | 3,
  multiscales: Multiscales,
  index: number,
  signal: AbortSignal | undefined,
): Promise<ImageLevel> {
  const path = multiscales.datasets[index].path;
  const source = `${uri}/${path}/${zarrFormat === 3 ? "zarr.json" : ".zarray"}`;
  const array = await openLevelArray(store, { path, index, zarrFormat, source, signal });
  const level = describeLevel(array, multiscales, index, source);
  guardChunkDecoding(array, { source: `${uri}/${path}`, what: `level ${index}` });
  levelArrays.set(level, array as zarr.Array<zarr.DataType, zarr.AsyncReadable>);
  return level;
}

/** Opens a level's array with zarrita, its metadata checked first; zarrita's refusals as `MetadataError`s. */
async function openLevelArray(
  store: ReadableStore,
  at: { path: string; index: number; zarrFormat: 2 | 3; source: string; signal: AbortSignal | undefined },
): Promise<zarr.Array<zarr.DataType, ReadableStore>> {
  const { path, index, zarrFormat, source, signal } = at;
  // zarrita takes the document's structure, codecs and chunk key settings on trust (and loads codecs only
  // at the first decode, where an unknown one can escape as an unhandled rejection): check them first. The
  // document lands in the byte cache, so zarrita does not fetch it again.
  const document = await store.get(`/${path}/${zarrFormat === 3 ? "zarr.json" : ".zarray"}`, { signal });
  if (document) {
    checkArrayMetadata(parseJson(document, source), zarrFormat, { source, what: `level ${index}` });
  }
  const location = zarr.root(store as zarr.AsyncReadable).resolve(path);
  try {
    return (zarrFormat === 3
      ? await zarr.open.v3(location, { kind: "array", signal })
      : await zarr.open.v2(location, { kind: "array", attrs: false, signal })) as zarr.Array<
        zarr.DataType,
        ReadableStore
      >;
  } catch (cause) {
    if (cause instanceof zarr.NotFoundError) {
      throw new MetadataError(`level ${index} (path "${path}") has no array metadata`, { source, cause });
    }
    if (signal?.aborted || cause instanceof S3RequestError || cause instanceof MetadataError) throw cause;
    // Its own refusals (an unknown dtype or key encoding); the cause says if it was a crash instead.
    throw new MetadataError(
      `level ${index} array metadata is invalid: ${(cause as Error)?.message ?? cause}`,
      {
        source,
        cause,
      },
    );
  }
}

/**
 * A level's geometry from its array's shape, chunks and type and the multiscales metadata: sizes, spacing
 * and translation in ITK order (x, y, z) and millimetres, after checking the array against the axes.
 *
 * @param array The level's array: shape and chunk shape over every axis, and data type.
 * @param multiscales The image's multiscales metadata.
 * @param index The level's index in it.
 * @param source The array metadata's URI, for messages.
 * @returns The level.
 * @throws {MetadataError} If the shape or chunks are unusable, the rank differs from the axes', or the data
 * type is not supported.
 */
export function describeLevel(
  array: { shape: number[]; chunks: number[]; dtype: string },
  multiscales: Multiscales,
  index: number,
  source: string,
): ImageLevel {
  // Before anything is sized from them: a chunk shape of 0 would never end a loop, a huge one exhaust memory.
  checkArrayLayout(array.shape, array.chunks, isVoxelType(array.dtype) ? bytesPerVoxel(array.dtype) : 1, {
    source,
    what: `level ${index}`,
  });
  const rank = multiscales.axes.length;
  if (array.shape.length !== rank) {
    throw new MetadataError(
      `level ${index} has ${array.shape.length} dimensions but the multiscales axes name ${rank}`,
      { source },
    );
  }
  if (!array.shape.every((n) => Number.isSafeInteger(n) && n > 0)) {
    throw new MetadataError(`level ${index} shape ${JSON.stringify(array.shape)} must be positive integers`, {
      source,
    });
  }
  const dtype = array.dtype;
  if (!isVoxelType(dtype)) {
    throw new MetadataError(
      `level ${index} has data type ${dtype}; supported: int8, uint8, int16, uint16, int32, uint32, float32, float64`,
      { source },
    );
  }
  const dataset = multiscales.datasets[index];
  const [z, y, x] = multiscales.spatialAxes;
  const mm = multiscales.millimetersPerUnit;
  const itk = [x, y, z];
  const itkMm = [mm[2], mm[1], mm[0]];
  const size = itk.map((a) => array.shape[a]) as [number, number, number];
  return {
    index,
    path: dataset.path,
    shape: array.shape,
    chunks: array.chunks,
    dtype,
    size,
    spacing: itk.map((a, i) => tidy(dataset.scale[a] * itkMm[i])) as [number, number, number],
    translation: itk.map((a, i) => tidy(dataset.translation[a] * itkMm[i])) as [number, number, number],
    chunkCount: multiscales.spatialAxes.reduce((n, a) => n * Math.ceil(array.shape[a] / array.chunks[a]), 1),
    bytes: size[0] * size[1] * size[2] * bytesPerVoxel(dtype),
  };
}

/**
 * Finds a level by index, with a message listing the levels that exist.
 *
 * @example
 * ```ts ignore
 * import { getLevel, openImage } from "@spimfetch/spimfetch";
 * const level = getLevel(await openImage(uri), 3);
 * ```
 * @param image The image.
 * @param level The level index, 0 being the finest.
 * @returns The level.
 * @throws {NotFoundError} If there is no such level.
 */
export function getLevel(image: OmeZarrImage, level: number): ImageLevel {
  const found = Number.isInteger(level) ? image.levels[level] : undefined;
  if (!found) {
    throw new NotFoundError("level", String(level), {
      where: image.uri,
      available: image.levels.map((l) => String(l.index)),
    });
  }
  return found;
}
