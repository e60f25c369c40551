/**
 * Writes a volume prepared in memory ({@linkcode PreparedVolume}, from `prepareVolume`) to files of any
 * format of the one format table (`OUTPUT_FORMATS`, by suffix), each with the export's provenance sidecar.
 * Files straight from S3 are the streaming road's job (`exportImage`, `prepareForRegistration`); this is for
 * a volume the caller already holds.
 *
 * ## Sidecar
 *
 * Next to the outputs, `<stem>.json` (BIDS' convention: `brain.nii.gz` → `brain.json`), the same document
 * an export writes (see `exportSidecar`). Outputs written together that share a stem share one sidecar,
 * which lists them all.
 *
 * @module
 */
import { dirname } from "node:path";
import { pathExists } from "../write/atomic_file.ts";
import { OutputExistsError } from "../core/errors.ts";
import { VERSION } from "../core/version.ts";
import type { PreparedVolume } from "./prepare_volume.ts";
import type { NrrdSpace } from "../write/nrrd.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";
import type { VoxelArray } from "../core/volume.ts";
import { formatOf, sidecarOf } from "../export/formats.ts";
import { type SidecarFile, type SidecarPlan, writeExportSidecar } from "../export/sidecar.ts";

/**
 * The spimfetch version written into sidecars: {@linkcode VERSION}, under the
 * name this module has always exported.
 *
 * @example
 * ```ts
 * import { assertMatch } from "@std/assert";
 * import { SPIMFETCH_VERSION } from "./write_prepared.ts";
 * assertMatch(SPIMFETCH_VERSION, /^\d+\.\d+\.\d+/);
 * ```
 */
export const SPIMFETCH_VERSION: string = VERSION;

/** Options for {@linkcode writePrepared}. */
export interface WritePreparedOptions {
  /** Output paths, any suffix of `OUTPUT_FORMATS` (`.nii.gz`, `.nii`, `.nrrd`, `.ome.zarr`); each gets the same voxels. */
  out: string | readonly string[];
  /** Replace existing outputs and sidecars, once the new ones are complete. @default {false} */
  force?: boolean;
  /** gzip level where the format uses gzip, 0-9. @default {1} */
  gzipLevel?: number;
  /** The space NRRD vectors are written in. @default {"LPS"} */
  nrrdSpace?: NrrdSpace;
  /** Cancels the writes. */
  signal?: AbortSignal;
  /** One line per file. */
  log?: (line: string) => void;
}

/** One file written, as the sidecar lists it (`format`: the format table's name, `nifti`, `nrrd`, `ome-zarr`). */
export type PreparedFile = SidecarFile;

/** What {@linkcode writePrepared} wrote. */
export interface WritePreparedResult {
  /** The image files. */
  files: PreparedFile[];
  /** The sidecar files (one per distinct stem). */
  sidecars: string[];
}

/**
 * The sidecar path of an output: the path without its format's suffix, plus `.json` (BIDS' convention):
 * the format table's `sidecarOf`, under the name this module has always exported.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { sidecarPath } from "@spimfetch/spimfetch/registration";
 * assertEquals(sidecarPath("out/brain.nii.gz"), "out/brain.json");
 * assertEquals(sidecarPath("out/brain.nrrd"), "out/brain.json");
 * ```
 * @param out An output path.
 * @returns The sidecar's path.
 * @throws {TypeError} For a suffix no format has.
 */
export function sidecarPath(out: string): string {
  return sidecarOf(out);
}

function spacingLabel(spacing: number | readonly number[]): string {
  const um = (mm: number): string => String(Number((mm * 1000).toPrecision(6)));
  return typeof spacing === "number" || spacing.every((s) => s === spacing[0])
    ? `${um(typeof spacing === "number" ? spacing : spacing[0])}um`
    : `${spacing.map(um).join("x")}um`;
}

/**
 * The default output path of a preparation:
 * `data/input/<subject>/<subject>_<channel>_L<level>[_<orientation>][_<spacing>um].nii.gz`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { defaultPreparedPath } from "@spimfetch/spimfetch/registration";
 * assertEquals(
 *   defaultPreparedPath("652506", "Ex_561_Em_593", { level: 3, orientation: "PIR", spacing: 0.025 }),
 *   "data/input/652506/652506_Ex_561_Em_593_L3_PIR_25um.nii.gz",
 * );
 * ```
 * @param subject The subject id.
 * @param channel The channel name.
 * @param options The level, and the orientation and spacing when given.
 * @returns The relative path.
 */
export function defaultPreparedPath(
  subject: string,
  channel: string,
  options: { level: number; orientation?: string; spacing?: number | readonly number[] },
): string {
  const parts = [`${subject}_${channel}_L${options.level}`];
  if (options.orientation) parts.push(options.orientation.toUpperCase());
  if (options.spacing !== undefined) parts.push(spacingLabel(options.spacing));
  return `data/input/${subject}/${parts.join("_")}.nii.gz`;
}

function plan(
  out: string | readonly string[],
): { outputs: { path: string }[]; sidecars: Map<string, string[]> } {
  const paths = typeof out === "string" ? [out] : [...out];
  if (paths.length === 0) throw new TypeError("Cannot write: no output path given");
  if (new Set(paths).size !== paths.length) {
    throw new TypeError(`Cannot write the same path twice: ${paths.join(", ")}`);
  }
  for (const path of paths) formatOf(path);
  const outputs = paths.map((path) => ({ path }));
  const sidecars = new Map<string, string[]>();
  for (const { path } of outputs) {
    sidecars.set(sidecarPath(path), [...(sidecars.get(sidecarPath(path)) ?? []), path]);
  }
  return { outputs, sidecars };
}

/**
 * Checks, before any work, that outputs can be written: known extensions, no
 * repeated path, and (without `force`) no existing output or sidecar.
 *
 * @example
 * ```ts
 * import { assertRejects } from "@std/assert";
 * import { checkPreparedOutputs } from "@spimfetch/spimfetch/registration";
 * await assertRejects(() => checkPreparedOutputs(["a.nrrd", "a.nrrd"]), TypeError, "twice");
 * ```
 * @param out Output paths.
 * @param options Whether existing files may be replaced (`force`).
 * @returns When the outputs are writable.
 * @throws {TypeError} For an unknown extension or a repeated path.
 * @throws {OutputExistsError} If an output or sidecar exists and `force` is not set.
 */
export async function checkPreparedOutputs(
  out: string | readonly string[],
  options: { force?: boolean } = {},
): Promise<void> {
  const { outputs, sidecars } = plan(out);
  if (options.force) return;
  for (const path of [...outputs.map((o) => o.path), ...sidecars.keys()]) {
    if (await pathExists(path)) throw new OutputExistsError(path);
  }
}

/** What the sidecar says of a prepared volume's work, from its provenance. */
function sidecarPlanOf(prepared: PreparedVolume, sidecar: string): SidecarPlan {
  const [nz, ny, nx] = prepared.volume.shape;
  return {
    level: prepared.level as SidecarPlan["level"],
    region: prepared.region,
    trustedAxes: prepared.trustedAxes,
    warnings: prepared.warnings,
    corrections: prepared.corrections,
    orientations: prepared.orientation,
    steps: prepared.steps,
    output: { size: [nx, ny, nz], dtype: prepared.volume.dtype, geometry: prepared.geometry, sidecar },
  };
}

// Writers take z-slabs; an in-memory volume is handed on in slabs of whole planes, without copies.
const SLAB_BYTES = 64 * 2 ** 20;

async function* slabsOf(prepared: PreparedVolume): AsyncGenerator<VoxelArray> {
  const { data, shape } = prepared.volume;
  const plane = shape[1] * shape[2];
  const planes = Math.max(1, Math.floor(SLAB_BYTES / (plane * data.BYTES_PER_ELEMENT)));
  for (let z = 0; z < shape[0]; z += planes) {
    yield data.subarray(z * plane, Math.min(shape[0], z + planes) * plane) as VoxelArray;
  }
}

/** The keys of {@linkcode WritePreparedOptions}, checked at run time. */
const WRITE_PREPARED_OPTION_KEYS: OptionKeys<WritePreparedOptions> = {
  out: true,
  force: true,
  gzipLevel: true,
  nrrdSpace: true,
  signal: true,
  log: true,
};

/**
 * Writes a prepared volume to each output (any format of `OUTPUT_FORMATS`, by
 * suffix) and a sidecar per distinct stem. Every file appears only when
 * complete; existing files are refused (before anything is written) unless
 * `force` is set.
 *
 * @example Write NIfTI and NRRD of the same volume
 * ```ts ignore
 * import { openSource, prepareVolume } from "@spimfetch/spimfetch";
 * import { writePrepared } from "@spimfetch/spimfetch/registration";
 * using source = await openSource({ subject: "652506", channel: "Ex_561_Em_593" });
 * const prepared = await prepareVolume(source, { orientation: "PIR", spacing: 0.025 });
 * const { files, sidecars } = await writePrepared(prepared, { out: ["brain.nii.gz", "brain.nrrd"] });
 * console.log(files.map((f) => f.path), sidecars); // ["brain.nii.gz", "brain.nrrd"] ["brain.json"]
 * ```
 * @param prepared The volume from {@linkcode prepareVolume}.
 * @param options Output paths, overwriting, compression, NRRD space.
 * @returns The files and sidecars written.
 * @throws {TypeError} For an unknown extension or a repeated path.
 * @throws {OutputExistsError} If an output or sidecar exists and `force` is not set.
 * @throws {RangeError} For an axis over NIfTI-1's 32767 voxels or a bad gzip level.
 */
export async function writePrepared(
  prepared: PreparedVolume,
  options: WritePreparedOptions,
): Promise<WritePreparedResult> {
  options = checkOptions(options, WRITE_PREPARED_OPTION_KEYS, "writePrepared()");
  const log = options.log ?? (() => {});
  const { outputs, sidecars } = plan(options.out);
  await checkPreparedOutputs(options.out, options);
  const files: PreparedFile[] = [];
  const description =
    `spimfetch ${prepared.asset.subjectId} ${prepared.channel.name} L${prepared.level.index} ${prepared.orientation.output.nibabel}`;
  for (const { path } of outputs) {
    await Deno.mkdir(dirname(path), { recursive: true });
    const format = formatOf(path);
    const { shape, dtype } = prepared.volume;
    const written = await format.write(path, { shape, dtype, slabs: slabsOf(prepared) }, {
      geometry: prepared.geometry,
      gzipLevel: options.gzipLevel,
      force: options.force,
      signal: options.signal,
      description,
      label: prepared.channel.name,
      nrrdSpace: options.nrrdSpace,
    });
    const compression = written.compression;
    files.push({ path, format: format.name, bytes: written.bytes, ...(compression ? { compression } : {}) });
    log(`Wrote ${path} (${written.bytes} bytes${compression ? `, gzip: ${compression}` : ""})`);
  }
  const source = {
    asset: prepared.asset,
    channel: prepared.channel,
    acquisition: prepared.acquisition,
    s3: { bucket: prepared.bucket, ...(prepared.endpoint ? { endpoint: prepared.endpoint } : {}) },
  };
  for (const [path, members] of sidecars) {
    await writeExportSidecar(
      source,
      sidecarPlanOf(prepared, path),
      files.filter((f) => members.includes(f.path)),
      {
        force: options.force,
        signal: options.signal,
      },
    );
    log(`Wrote ${path}`);
  }
  return { files, sidecars: [...sidecars.keys()] };
}
