/**
 * The provenance sidecar every export writes beside its output (`<stem>.json`, BIDS' convention): where the
 * data came from (the endpoint really used, the bucket, asset, channel, level, region), the acquisition axes
 * as recorded and as trusted, the caveats, every step with its parameters, and the output's geometry in LPS
 * and as a RAS affine. `spimfetch summary` and the cohort workflow read it.
 *
 * @module
 */
import type { AcquisitionAxis } from "../metadata/acquisition.ts";
import { acquisitionDate } from "../metadata/aind_caveats.ts";
import { toRasAffine } from "../orient/orient.ts";
import { VERSION } from "../core/version.ts";
import { AIND_BUCKET } from "../s3/client.ts";
import type { OpenedSource } from "../source/open_source.ts";
import { withAtomicFile } from "../write/atomic_file.ts";
import type { ExportPlan } from "./plan.ts";

/** The output file as the sidecar lists it. */
export interface SidecarFile {
  /** The output path. */
  path: string;
  /** The format's name (`nifti`, `nrrd`, `ome-zarr`). */
  format: string;
  /** Bytes written. */
  bytes: number;
  /** The deflate that compressed it (gzipped formats), e.g. `libdeflate (WebAssembly)`. */
  compression?: string;
}

function describeAxes(
  axes: readonly AcquisitionAxis[],
): { name: string; dimension: number; direction: string }[] {
  return [...axes].sort((a, b) => a.dimension - b.dimension).map((a) => ({
    name: a.name,
    dimension: a.dimension,
    direction: a.rawDirection,
  }));
}

/** What a sidecar says of the source: its names and where it was read from. */
export type SidecarSource = Pick<OpenedSource, "asset" | "channel" | "acquisition"> & {
  /** The S3 endpoint and bucket read (absent: AWS and AIND's bucket). */
  s3: Pick<OpenedSource["s3"], "endpoint" | "bucket">;
};

/** What a sidecar says of the work: the plan's choices, grids and steps. */
export type SidecarPlan =
  & Pick<
    ExportPlan,
    "level" | "region" | "trustedAxes" | "warnings" | "corrections" | "orientations" | "steps"
  >
  & { output: Pick<ExportPlan["output"], "size" | "dtype" | "geometry" | "sidecar"> };

/**
 * The sidecar's content for an export: one sidecar lists every output written from the same voxels whose
 * path has its stem (`brain.nii.gz` and `brain.nrrd` share `brain.json`).
 *
 * @example
 * ```ts ignore
 * const json = exportSidecar(source, plan, [{ path: "b.nii.gz", format: "nifti", bytes: 1234 }]);
 * console.log(json.output.dtype);
 * ```
 * @param source The opened source (names, S3 endpoint and bucket).
 * @param plan The plan that was carried out.
 * @param files The outputs written (one or more).
 * @returns The JSON value.
 * @throws {TypeError} If `files` is not a non-empty list.
 */
export function exportSidecar(
  source: SidecarSource,
  plan: SidecarPlan,
  files: readonly SidecarFile[],
): Record<string, unknown> {
  // Scripts run without type checks: a single file object would otherwise make a sidecar without files.
  if (!Array.isArray(files) || files.length === 0) {
    throw new TypeError(
      "exportSidecar() takes a non-empty list of the files written, e.g. [{ path, format, bytes }]",
    );
  }
  const { asset, channel, acquisition } = source;
  return {
    spimfetch: { version: VERSION },
    created: new Date().toISOString(),
    files: [...files],
    source: {
      uri: channel.uri,
      endpoint: source.s3.endpoint ?? null,
      bucket: source.s3.bucket ?? AIND_BUCKET,
      asset: asset.name,
      subject: asset.subjectId,
      channel: channel.name,
      level: {
        index: plan.level.index,
        path: plan.level.path,
        size: plan.level.size,
        spacing: plan.level.spacing,
        translation: plan.level.translation,
      },
      region: plan.region,
    },
    acquisition: {
      uri: acquisition.uri,
      schemaVersion: acquisition.schemaVersion ?? null,
      acquiredOn: acquisitionDate(acquisition, asset) ?? null,
      axesRecorded: describeAxes(acquisition.axes),
      axesTrusted: describeAxes(plan.trustedAxes),
      caveats: plan.warnings.map((w) => ({
        id: w.id,
        title: w.title,
        corrected: plan.corrections.includes(w.id),
        sources: w.sources.map((s) => s.url),
      })),
    },
    orientation: plan.orientations,
    steps: plan.steps,
    output: {
      size: plan.output.size,
      dtype: plan.output.dtype,
      spacing: plan.output.geometry.spacing,
      origin: plan.output.geometry.origin,
      direction: plan.output.geometry.direction,
      space:
        "LPS, mm; direction columns are the index axes; voxel (i, j, k) lies at origin + direction · (spacing ⊙ (i, j, k))",
      rasAffine: toRasAffine(plan.output.geometry),
    },
  };
}

/**
 * Writes an export's sidecar atomically at `plan.output.sidecar`.
 *
 * @example
 * ```ts ignore
 * await writeExportSidecar(source, plan, [{ path: plan.output.path, format: "nifti", bytes }], { force: true });
 * ```
 * @param source The opened source.
 * @param plan The plan carried out.
 * @param files The outputs written (those sharing the sidecar's stem).
 * @param options Overwriting and cancellation.
 * @returns The sidecar's path.
 * @throws {OutputExistsError} If the sidecar exists and `force` is not set.
 * @throws {TypeError} If `files` is not a non-empty list.
 */
export async function writeExportSidecar(
  source: SidecarSource,
  plan: SidecarPlan,
  files: readonly SidecarFile[],
  options: { force?: boolean; signal?: AbortSignal } = {},
): Promise<string> {
  const text = `${JSON.stringify(exportSidecar(source, plan, files), null, 2)}\n`;
  await withAtomicFile(plan.output.sidecar, (out) => out.write(new TextEncoder().encode(text)), options);
  return plan.output.sidecar;
}
