/**
 * Internal: the OME-NGFF documents of an OME-Zarr store (multiscales,
 * omero, `.zarray`/`zarr.json`) and the mapping of an ITK geometry onto NGFF
 * axes.
 *
 * @module
 */
import type { ChunkCodec } from "../codecs/chunk_encoder.ts";
import type { ImageGeometry, VoxelType } from "../core/volume.ts";
import { orientationCode } from "../orient/codes.ts";
import { orientationOfDirection } from "../orient/transform.ts";
import type { AnatomicalAxes } from "../orient/codes.ts";

/** Micrometres per millimetre: AIND's stores (and so spimfetch's) give NGFF units in micrometres. */
const UM_PER_MM = 1000;

/** One level as the metadata describes it. */
export interface LevelLayout {
  /** The array's path in the store ("0", "1", ...). */
  path: string;
  /** (z, y, x). */
  shape: [number, number, number];
  /** NGFF scale (µm per voxel), (z, y, x). */
  scale: [number, number, number];
  /** NGFF translation (µm) of the centre of voxel (0, 0, 0), (z, y, x). */
  translation: [number, number, number];
}

/** The NGFF frame of an ITK geometry: per NGFF axis (z, y, x), spacing and offset in µm. */
export interface NgffFrame {
  /** The anatomical direction each ITK index axis (i, j, k) points to. */
  anatomicalAxes: AnatomicalAxes;
  /** µm per voxel, (z, y, x). */
  scale: [number, number, number];
  /** µm, (z, y, x). */
  translation: [number, number, number];
}

/** Rounds away float noise from unit conversion (0.0144 mm × 1000 = 14.399999999999999). */
function clean(value: number): number {
  return value === 0 ? 0 : Number(value.toPrecision(12));
}

/**
 * Maps an axis-aligned ITK geometry onto NGFF's scale and translation. NGFF
 * has no direction matrix, so each NGFF axis measures physical position along
 * the anatomical direction its index increases to (RFC-4's "to" term): the
 * coordinate along ITK index axis `j` is `column_j · p` for an LPS point `p`,
 * which makes scale = spacing and translation = `column_j · origin`.
 */
export function ngffFrame(geometry: ImageGeometry): NgffFrame {
  const { spacing, origin, direction } = geometry;
  if (!spacing.every((s) => Number.isFinite(s) && s > 0)) {
    throw new RangeError(
      `Cannot write OME-Zarr with spacing [${spacing}]: expected three positive numbers (mm)`,
    );
  }
  if (!origin.every(Number.isFinite)) {
    throw new RangeError(`Cannot write OME-Zarr with origin [${origin}]: expected three finite numbers (mm)`);
  }
  let anatomicalAxes: AnatomicalAxes;
  try {
    anatomicalAxes = orientationOfDirection(direction);
  } catch (cause) {
    throw new RangeError(
      `Cannot write OME-Zarr with direction ${JSON.stringify(direction)}: NGFF has no direction matrix, ` +
        `so each axis must run along one anatomical axis (a signed permutation); reorient or resample first`,
      { cause },
    );
  }
  const ijk = [0, 1, 2].map((j) => {
    const along = direction[0][j] * origin[0] + direction[1][j] * origin[1] + direction[2][j] * origin[2];
    return { scale: clean(spacing[j] * UM_PER_MM), translation: clean(along * UM_PER_MM) };
  });
  return {
    anatomicalAxes,
    scale: [ijk[2].scale, ijk[1].scale, ijk[0].scale],
    translation: [ijk[2].translation, ijk[1].translation, ijk[0].translation],
  };
}

/**
 * Scale and translation of every level: each halving doubles the scale along
 * that axis and moves the first voxel's centre by half of the new voxel
 * minus half of the old (the centre of the 2 voxels it averages).
 */
export function levelLayouts(shapes: [number, number, number][], frame: NgffFrame): LevelLayout[] {
  return shapes.map((shape, level) => {
    const factor = [0, 1, 2].map((a) => {
      let f = 1;
      for (let l = 0; l < level; l++) if (shapes[l][a] > 1) f *= 2;
      return f;
    });
    return {
      path: String(level),
      shape,
      scale: [0, 1, 2].map((a) => clean(frame.scale[a] * factor[a])) as [number, number, number],
      translation: [0, 1, 2].map((a) =>
        clean(frame.translation[a] + frame.scale[a] * (factor[a] - 1) / 2)
      ) as [
        number,
        number,
        number,
      ],
    };
  });
}

/** The display window of `omero`. */
export interface OmeroWindow {
  /** Lowest voxel value. */
  min: number;
  /** Highest voxel value. */
  max: number;
  /** Low end of the contrast window. */
  start: number;
  /** High end of the contrast window. */
  end: number;
}

/** What the root attributes describe. */
export interface MultiscalesSpec {
  /** NGFF version. */
  version: "0.4" | "0.5";
  /** The image's name. */
  name: string;
  /** The levels. */
  levels: LevelLayout[];
  /** The orientation. */
  frame: NgffFrame;
  /** The contrast window. */
  window: OmeroWindow;
  /** The geometry given, kept for a lossless round trip to ITK's LPS. */
  geometry: ImageGeometry;
  /** Percentiles the window comes from. */
  percentiles: [number, number];
  /** One voxel of level 0 in this many was counted for the window (1: all). */
  windowCountedEvery: number;
}

/**
 * The OME attributes: `multiscales` and `omero`, plus the exact ITK geometry
 * under `spimfetch` (NGFF readers ignore keys they do not know).
 */
export function omeAttributes(spec: MultiscalesSpec): Record<string, unknown> {
  const ngff = orientationCode(spec.frame.anatomicalAxes, "ngff");
  const axes = ["z", "y", "x"].map((name, a) => ({
    name,
    type: "space",
    unit: "micrometer",
    // RFC-4: the anatomical direction from the lowest to the highest coordinate along the axis.
    orientation: { type: "anatomical", value: ngff[a] },
  }));
  const multiscale: Record<string, unknown> = {
    ...(spec.version === "0.4" ? { version: "0.4" } : {}),
    name: spec.name,
    axes,
    datasets: spec.levels.map((level) => ({
      path: level.path,
      coordinateTransformations: [
        { type: "scale", scale: level.scale },
        { type: "translation", translation: level.translation },
      ],
    })),
    type: "mean",
    metadata: {
      description: "2x2x2 mean of the level above; at an odd edge, the mean of the voxels present",
      method: "spimfetch writeOmeZarr",
    },
  };
  const { window } = spec;
  const omero = {
    ...(spec.version === "0.4" ? { version: "0.4" } : {}),
    name: spec.name,
    channels: [{
      label: spec.name,
      color: "FFFFFF",
      active: true,
      coefficient: 1,
      family: "linear",
      inverted: false,
      window,
    }],
    rdefs: { model: "greyscale", defaultT: 0, defaultZ: Math.floor(spec.levels[0].shape[0] / 2) },
  };
  const spimfetch = {
    geometry: spec.geometry,
    geometryConvention: "ITK LPS, millimetre; index axes (x, y, z) = NGFF axes reversed",
    windowPercentiles: spec.percentiles,
    windowCountedEvery: spec.windowCountedEvery,
  };
  return spec.version === "0.4"
    ? { multiscales: [multiscale], omero, spimfetch }
    : { ome: { version: "0.5", multiscales: [multiscale], omero }, spimfetch };
}

const V2_DTYPES: Record<VoxelType, string> = {
  int8: "|i1",
  uint8: "|u1",
  int16: "<i2",
  uint16: "<u2",
  int32: "<i4",
  uint32: "<u4",
  float32: "<f4",
  float64: "<f8",
};

/** A level's `.zarray` (Zarr v2). */
export function zarrayV2(
  shape: number[],
  chunks: number[],
  dtype: VoxelType,
  codec: ChunkCodec,
): Record<string, unknown> {
  const compressor = codec.id === "raw" ? null : codec.id === "gzip" ? { id: "gzip", level: codec.level } : {
    id: "blosc",
    cname: codec.cname,
    clevel: codec.clevel,
    shuffle: codec.shuffle,
    blocksize: codec.blocksize ?? 0,
  };
  return {
    zarr_format: 2,
    shape,
    chunks,
    dtype: V2_DTYPES[dtype],
    compressor,
    fill_value: 0,
    order: "C",
    filters: null,
    // AIND's stores nest chunk keys (`0/1/2`), as zarr-python's NestedDirectoryStore did.
    dimension_separator: "/",
  };
}

/** The v3 codec pipeline of one chunk: little-endian bytes, then the compressor. */
export function codecsV3(codec: ChunkCodec): Record<string, unknown>[] {
  const bytes = { name: "bytes", configuration: { endian: "little" } };
  if (codec.id === "raw") return [bytes];
  if (codec.id === "gzip") return [bytes, { name: "gzip", configuration: { level: codec.level } }];
  const shuffle = ["noshuffle", "shuffle", "bitshuffle"][codec.shuffle];
  return [bytes, {
    name: "blosc",
    configuration: {
      cname: codec.cname,
      clevel: codec.clevel,
      shuffle,
      typesize: codec.typesize,
      blocksize: codec.blocksize ?? 0,
    },
  }];
}

/** The v3 `sharding_indexed` codec: inner chunks, index at the end with a CRC-32C. */
export function shardingCodecV3(inner: number[], codec: ChunkCodec): Record<string, unknown> {
  return {
    name: "sharding_indexed",
    configuration: {
      chunk_shape: inner,
      codecs: codecsV3(codec),
      index_codecs: [{ name: "bytes", configuration: { endian: "little" } }, { name: "crc32c" }],
      index_location: "end",
    },
  };
}
