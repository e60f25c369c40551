/**
 * The one table of output formats: for each suffix, the streaming writer, who reads it, and where its
 * sidecar goes. The CLI, the library, `ccf`, the cohort summary and the Snakefile (through
 * `spimfetch formats --json`) all look formats up here; adding a format is adding its writer module and
 * one row below.
 *
 * @module
 */
import type { ImageGeometry, VoxelType } from "../core/volume.ts";
import { type VolumeSlabs, writeNifti } from "../write/nifti.ts";
import { type NrrdSpace, writeNrrd } from "../write/nrrd.ts";
import { writeOmeZarr, type WriteOmeZarrOptions } from "../write/ome_zarr.ts";

/** The OME-Zarr writer's own options (see `writeOmeZarr`). */
export type OmeZarrOutputOptions = Pick<
  WriteOmeZarrOptions,
  "version" | "chunkShape" | "shardShape" | "codec"
>;

/** What every format's writer takes besides the path and the voxels. */
export interface FormatWriteOptions {
  /** Where the voxels lie, in ITK's LPS conventions. */
  geometry: ImageGeometry;
  /** Voxel type to write. @default {the input's} */
  outputType?: VoxelType;
  /** gzip level where the format compresses with gzip, 0-9. @default {1} */
  gzipLevel?: number;
  /** Replace an existing output, only once the new one is complete. @default {false} */
  force?: boolean;
  /** One line saying what the image is (the header's description where the format has one). */
  description?: string;
  /** A short label, such as the channel (NIfTI's `aux_file`). */
  label?: string;
  /** NRRD only: the patient space its vectors are written in. @default {"LPS"} */
  nrrdSpace?: NrrdSpace;
  /** OME-Zarr only: NGFF version, chunk and shard shapes, codec. @default {NGFF 0.4, Blosc zstd} */
  omeZarr?: OmeZarrOutputOptions;
  /** Where a writer that keeps temporary files puts them (OME-Zarr: its rows of chunks). @default {beside the output} */
  tmpDir?: string;
  /** Cancels the write; nothing is left behind. */
  signal?: AbortSignal;
  /** Voxel bytes written so far, of all. */
  onProgress?: (event: { bytesWritten: number; totalBytes: number }) => void;
}

/** One row of {@linkcode OUTPUT_FORMATS}. */
export interface OutputFormat {
  /** The file name suffix, lower case, with its dot: `.nii.gz`. */
  suffix: string;
  /** A short name: `nifti`, `nrrd`, `ome-zarr`. */
  name: string;
  /** What it is, in a few words. */
  description: string;
  /** Whether the output is a directory (a Zarr store) rather than one file. */
  directory: boolean;
  /** Tools that read it, for the docs and `spimfetch formats`. */
  readers: readonly string[];
  /** The format's options beyond the common ones, as CLI flags. */
  options: readonly string[];
  /** Writes a volume streamed as z-slabs; the output appears only when complete. */
  write(
    path: string,
    image: VolumeSlabs,
    options: FormatWriteOptions,
  ): Promise<{ bytes: number; compression?: string }>;
}

function nifti(suffix: ".nii" | ".nii.gz"): OutputFormat {
  return {
    suffix,
    name: "nifti",
    description: suffix === ".nii" ? "NIfTI-1, uncompressed" : "NIfTI-1, gzipped (one gzip member)",
    directory: false,
    readers: ["nibabel", "ITK / ANTs / SimpleITK", "FSL", "3D Slicer", "nifti-reader-js"],
    options: suffix === ".nii" ? [] : ["--gzip-level"],
    write: (path, image, options) =>
      writeNifti(path, image, {
        geometry: options.geometry,
        outputType: options.outputType,
        gzipLevel: options.gzipLevel,
        force: options.force,
        signal: options.signal,
        description: options.description,
        auxFile: options.label,
        onProgress: options.onProgress,
      }),
  };
}

/**
 * The output formats, longest suffix first (`.nii.gz` before `.nii`).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { OUTPUT_FORMATS } from "@spimfetch/spimfetch/export";
 * assertEquals(OUTPUT_FORMATS.map((f) => f.suffix), [".nii.gz", ".nii", ".nrrd", ".ome.zarr"]);
 * ```
 */
export const OUTPUT_FORMATS: readonly OutputFormat[] = [
  nifti(".nii.gz"),
  nifti(".nii"),
  {
    suffix: ".nrrd",
    name: "nrrd",
    description: "NRRD with an attached header, gzip-encoded voxels",
    directory: false,
    readers: ["3D Slicer", "ITK / SimpleITK", "pynrrd", "teem"],
    options: ["--gzip-level"],
    write: (path, image, options) =>
      writeNrrd(path, image, {
        geometry: options.geometry,
        outputType: options.outputType,
        gzipLevel: options.gzipLevel,
        force: options.force,
        signal: options.signal,
        content: options.description,
        space: options.nrrdSpace,
      }),
  },
  {
    suffix: ".ome.zarr",
    name: "ome-zarr",
    description: "OME-Zarr (NGFF 0.4 on Zarr v2 by default, or 0.5 on Zarr v3), with a 2x mean pyramid",
    directory: true,
    readers: ["napari (napari-ome-zarr)", "Neuroglancer", "Fiji / MoBIE", "ome-zarr-py", "zarr-python"],
    options: ["--ngff-version", "--chunk", "--shard", "--codec"],
    write: (path, image, options) =>
      writeOmeZarr(path, image, {
        ...options.omeZarr,
        geometry: options.geometry,
        outputType: options.outputType,
        tmpDir: options.tmpDir,
        force: options.force,
        signal: options.signal,
        onProgress: options.onProgress,
      }),
  },
];

/**
 * The format of an output path, by its suffix (case-insensitive).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { formatOf } from "@spimfetch/spimfetch/export";
 * assertEquals(formatOf("out/brain.NII.GZ").suffix, ".nii.gz");
 * ```
 * @param path An output path.
 * @returns Its row of {@linkcode OUTPUT_FORMATS}.
 * @throws {TypeError} If no format has the path's suffix; the message lists the suffixes.
 */
export function formatOf(path: string): OutputFormat {
  const lower = path.toLowerCase().replace(/\/+$/, "");
  const found = OUTPUT_FORMATS.find((f) => lower.endsWith(f.suffix));
  if (!found) {
    throw new TypeError(
      `Cannot write ${path}: expected one of the suffixes ${OUTPUT_FORMATS.map((f) => f.suffix).join(", ")}`,
    );
  }
  return found;
}

/**
 * The sidecar of an output: the path without its format's suffix, plus `.json` (BIDS' convention:
 * `brain.nii.gz` → `brain.json`, `brain.ome.zarr` → `brain.json`).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { sidecarOf } from "@spimfetch/spimfetch/export";
 * assertEquals(sidecarOf("out/brain.nrrd"), "out/brain.json");
 * ```
 * @param path An output path.
 * @returns The sidecar's path.
 * @throws {TypeError} If no format has the path's suffix.
 */
export function sidecarOf(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  return `${trimmed.slice(0, trimmed.length - formatOf(trimmed).suffix.length)}.json`;
}

/** A row of {@linkcode OUTPUT_FORMATS} without its writer, as `spimfetch formats --json` prints it. */
export type FormatDescription = Omit<OutputFormat, "write"> & { sidecar: string };

/**
 * The format table as data (no functions), for other programs: the Snakefile asks for it with
 * `spimfetch formats --json`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { describeFormats } from "@spimfetch/spimfetch/export";
 * assertEquals(describeFormats()[0].sidecar, "<stem>.json");
 * ```
 * @returns One description per format, in table order.
 */
export function describeFormats(): FormatDescription[] {
  return OUTPUT_FORMATS.map(({ write: _write, ...row }) => ({ ...row, sidecar: "<stem>.json" }));
}
