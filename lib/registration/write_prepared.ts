/**
 * Step two of registration-ready output: write a prepared volume as NIfTI
 * (`.nii`, `.nii.gz`) and/or NRRD (`.nrrd`), with a JSON sidecar.
 *
 * ## Sidecar
 *
 * Next to the outputs, `<stem>.json`, where the stem is the output path
 * without `.nii.gz`, `.nii` or `.nrrd` (BIDS' convention: `brain.nii.gz` →
 * `brain.json`). Outputs written together that share a stem share one
 * sidecar, which lists them all. It records the source (URI, bucket, asset,
 * channel, level, region), the acquisition axes as recorded and as trusted,
 * the caveats found and applied, every step with its parameters, the output
 * geometry in LPS and as a RAS affine, and the spimfetch version.
 *
 * @module
 */
import { dirname } from "node:path";
import type { AcquisitionAxis } from "../metadata/acquisition.ts";
import { acquisitionDate } from "../metadata/aind_caveats.ts";
import { pathExists, withAtomicFile } from "../write/atomic_file.ts";
import { OutputExistsError } from "../core/errors.ts";
import { VERSION } from "../core/version.ts";
import { toRasAffine } from "../orient/orient.ts";
import type { PreparedVolume } from "./prepare_volume.ts";
import { writeNifti } from "../write/nifti.ts";
import { type NrrdSpace, writeNrrd } from "../write/nrrd.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

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
  /** Output paths: `.nii`, `.nii.gz` and/or `.nrrd`; each gets the same voxels. */
  out: string | readonly string[];
  /** Replace existing outputs and sidecars, once the new ones are complete. @default {false} */
  force?: boolean;
  /** gzip level for `.nii.gz` and `.nrrd`, 0-9. @default {1} */
  gzipLevel?: number;
  /** The space NRRD vectors are written in. @default {"LPS"} */
  nrrdSpace?: NrrdSpace;
  /** Cancels the writes. */
  signal?: AbortSignal;
  /** One line per file. */
  log?: (line: string) => void;
}

/** One file written. */
export interface PreparedFile {
  /** The path. */
  path: string;
  /** `nifti` or `nrrd`. */
  format: "nifti" | "nrrd";
  /** File size in bytes. */
  bytes: number;
  /** The deflate that compressed it (e.g. `"libdeflate 1.25 level 1 (WebAssembly)"`); absent when not gzipped. */
  compression?: string;
}

/** What {@linkcode writePrepared} wrote. */
export interface WritePreparedResult {
  /** The image files. */
  files: PreparedFile[];
  /** The sidecar files (one per distinct stem). */
  sidecars: string[];
}

const FORMATS: readonly { suffix: string; format: "nifti" | "nrrd" }[] = [
  { suffix: ".nii.gz", format: "nifti" },
  { suffix: ".nii", format: "nifti" },
  { suffix: ".nrrd", format: "nrrd" },
];
function formatOf(path: string): { stem: string; format: "nifti" | "nrrd" } {
  const found = FORMATS.find((f) => path.toLowerCase().endsWith(f.suffix));
  if (!found) {
    throw new TypeError(`Cannot write ${path}: expected the extension .nii, .nii.gz or .nrrd`);
  }
  return { stem: path.slice(0, path.length - found.suffix.length), format: found.format };
}

/**
 * The sidecar path of an output: the path without `.nii.gz`, `.nii` or
 * `.nrrd`, plus `.json` (BIDS' convention).
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
 * @throws {TypeError} For another extension.
 */
export function sidecarPath(out: string): string {
  return `${formatOf(out).stem}.json`;
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
): { outputs: { path: string; format: "nifti" | "nrrd" }[]; sidecars: Map<string, string[]> } {
  const paths = typeof out === "string" ? [out] : [...out];
  if (paths.length === 0) throw new TypeError("Cannot write: no output path given");
  if (new Set(paths).size !== paths.length) {
    throw new TypeError(`Cannot write the same path twice: ${paths.join(", ")}`);
  }
  const outputs = paths.map((path) => ({ path, format: formatOf(path).format }));
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

function describeAxes(
  axes: readonly AcquisitionAxis[],
): { name: string; dimension: number; direction: string }[] {
  return [...axes].sort((a, b) => a.dimension - b.dimension).map((a) => ({
    name: a.name,
    dimension: a.dimension,
    direction: a.rawDirection,
  }));
}

function sidecar(prepared: PreparedVolume, files: PreparedFile[]): unknown {
  const [nz, ny, nx] = prepared.volume.shape;
  return {
    spimfetch: { version: SPIMFETCH_VERSION },
    created: new Date().toISOString(),
    files: files.map((f) => ({
      path: f.path,
      format: f.format,
      bytes: f.bytes,
      ...(f.compression ? { compression: f.compression } : {}),
    })),
    source: {
      uri: prepared.channel.uri,
      bucket: prepared.bucket,
      asset: prepared.asset.name,
      subject: prepared.asset.subjectId,
      channel: prepared.channel.name,
      level: {
        index: prepared.level.index,
        path: prepared.level.path,
        size: prepared.level.size,
        spacing: prepared.level.spacing,
        translation: prepared.level.translation,
      },
      region: prepared.region,
    },
    acquisition: {
      uri: prepared.acquisition.uri,
      schemaVersion: prepared.acquisition.schemaVersion ?? null,
      acquiredOn: acquisitionDate(prepared.acquisition, prepared.asset) ?? null,
      axesRecorded: describeAxes(prepared.acquisition.axes),
      axesTrusted: describeAxes(prepared.trustedAxes),
      caveats: prepared.warnings.map((w) => ({
        id: w.id,
        title: w.title,
        corrected: prepared.corrections.includes(w.id),
        sources: w.sources.map((s) => s.url),
      })),
    },
    orientation: prepared.orientation,
    steps: prepared.steps,
    output: {
      size: [nx, ny, nz],
      dtype: prepared.volume.dtype,
      spacing: prepared.geometry.spacing,
      origin: prepared.geometry.origin,
      direction: prepared.geometry.direction,
      space:
        "LPS, mm; direction columns are the index axes; voxel (i, j, k) lies at origin + direction · (spacing ⊙ (i, j, k))",
      rasAffine: toRasAffine(prepared.geometry),
    },
  };
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
 * Writes a prepared volume to each output (NIfTI by `.nii`/`.nii.gz`, NRRD by
 * `.nrrd`) and a sidecar per distinct stem. Every file appears only when
 * complete; existing files are refused (before anything is written) unless
 * `force` is set.
 *
 * @example Write NIfTI and NRRD of the same volume
 * ```ts ignore
 * import { prepareVolume } from "@spimfetch/spimfetch";
 * import { writePrepared } from "@spimfetch/spimfetch/registration";
 * const prepared = await prepareVolume({ subject: "652506", channel: "Ex_561_Em_593" }, { orientation: "PIR", spacing: 0.025 });
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
  for (const { path, format } of outputs) {
    await Deno.mkdir(dirname(path), { recursive: true });
    const common = {
      geometry: prepared.geometry,
      gzipLevel: options.gzipLevel,
      force: options.force,
      signal: options.signal,
    };
    const description =
      `spimfetch ${prepared.asset.subjectId} ${prepared.channel.name} L${prepared.level.index} ${prepared.orientation.output.nibabel}`;
    const written = format === "nrrd"
      ? await writeNrrd(path, prepared.volume, { ...common, space: options.nrrdSpace, content: description })
      : await writeNifti(path, prepared.volume, { ...common, description, auxFile: prepared.channel.name });
    const compression = written.compression;
    files.push({ path, format, bytes: written.bytes, ...(compression ? { compression } : {}) });
    log(`Wrote ${path} (${written.bytes} bytes${compression ? `, gzip: ${compression}` : ""})`);
  }
  for (const [path, members] of sidecars) {
    const text = `${
      JSON.stringify(sidecar(prepared, files.filter((f) => members.includes(f.path))), null, 2)
    }\n`;
    await withAtomicFile(path, (file) => file.write(new TextEncoder().encode(text)), options);
    log(`Wrote ${path}`);
  }
  return { files, sidecars: [...sidecars.keys()] };
}
