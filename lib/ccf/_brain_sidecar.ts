/**
 * The sidecar of a brain written in the CCF: where it came from, every transform used and how, the output
 * grid, and the comparison with AIND's result. Built from values alone, so that what it records can be
 * checked without writing anything.
 *
 * @module
 */
import { VERSION } from "../core/version.ts";
import { orientationCode, orientationOfAcquisition } from "../orient/codes.ts";
import type { VoxelType } from "../core/volume.ts";
import { type CcfSpace, describeCorrections } from "./ccf_space.ts";
import { CORRECTION_RULES } from "./versions.ts";
import type { CcfGrid } from "./resample_to_ccf.ts";

/** What {@linkcode brainSidecar} records. */
export interface BrainSidecarInput {
  /** The registered asset's space. */
  space: CcfSpace;
  /** The channel written (without `.zarr`). */
  channel: string;
  /** The URI of that channel's image. */
  image: string;
  /** The LS level sampled. */
  level: number;
  /** The grid written. */
  grid: CcfGrid;
  /** The output's voxel type. */
  dtype: VoxelType;
  /** The output file, its format's name and size. */
  file: { path: string; format: string; bytes: number };
  /** The comparison with AIND's result, if made (a `CcfComparison`). */
  comparison: { uri: string; ncc: number; voxels: number } | undefined;
  /** Why no comparison was made, when one was asked for. */
  comparisonSkipped: string | undefined;
  /** When the output was written. @default {now} */
  created?: Date;
}

/** The transforms of the pull, in the order a CCF voxel goes through them (the sidecar's `transforms.used`). */
const PULL_ORDER = ["templateWarp", "templateAffine", "lsWarp", "lsAffine"] as const;

/**
 * The sidecar record of a brain written in the CCF, as JSON-ready data.
 *
 * @param input The space, the channel, the output and the comparison.
 * @returns The record `writeBrainInCcf` writes beside the output.
 */
export function brainSidecar(input: BrainSidecarInput): Record<string, unknown> {
  const { space, grid, file } = input;
  const files = [{ path: file.path, format: file.format, bytes: file.bytes }];
  return {
    spimfetch: { version: VERSION },
    created: (input.created ?? new Date()).toISOString(),
    file: { ...files[0], dtype: input.dtype },
    files,
    source: {
      bucket: space.registration.bucket,
      asset: space.asset.name,
      subject: space.asset.subjectId,
      channel: input.channel,
      image: input.image,
      level: input.level,
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
    registration: registrationRecord(space),
    transforms: {
      order:
        "for each CCF voxel c: q = A_ls(W_ls(A_t(W_t(c)))), W(x) = x + U(x); the LS level is sampled at q (trilinear)",
      used: PULL_ORDER.map((name) => space.files.find((f) => f.transform === name)!),
      all: space.files,
    },
    output: {
      size: grid.size,
      dtype: input.dtype,
      spacing: grid.geometry.spacing,
      origin: grid.geometry.origin,
      direction: grid.geometry.direction,
      space: "LPS, mm; Allen CCF 25 µm grid (PIR: i → posterior, j → inferior, k → right)",
    },
    comparison: input.comparison ?? (input.comparisonSkipped ? { skipped: input.comparisonSkipped } : null),
  };
}

/** The registration's part of the sidecar: its capsule, the corrections made and why. */
function registrationRecord(space: CcfSpace): Record<string, unknown> {
  return {
    channel: space.registration.channel,
    channelFrom: space.registration.channelFrom,
    capsuleVersion: space.registration.version,
    corrections: describeCorrections(space.corrections),
    correctionSources: CORRECTION_RULES.filter((r) => space.corrections.includes(r.id)).map((r) => r.source),
    warnings: space.warnings,
    pipelineLevel0: { size: space.size, ...space.geometry },
    levelConvention: "level L: spacing 2^L × level 0, same origin and direction (index0 = 2^L · indexL)",
  };
}
