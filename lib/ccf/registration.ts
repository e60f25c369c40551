/**
 * Finding an asset's registration: which channel AIND registered, with which
 * capsule version, and where the transform files are.
 *
 * `processing.json` lists data processes:
 * - schema 0.x: top-level `data_processes[]` with `name`, `code_version`,
 *   `input_location`;
 * - schema 1.x: the same under `processing_pipeline.data_processes[]` (AZU
 *   reads only this);
 * - schema 2.x: top-level `data_processes[]` again, the version moved to
 *   `code.version`. We read `name` (or `process_type` if a file has it),
 *   `code.version` (falling back to `code_version`), and `input_location`.
 *
 * The registered channel is the `<channel>.zarr` in the `input_location` of
 * the "Image atlas alignment" process whose notes say "Template based
 * registration: LS -> template -> Allen CCFv3 Atlas" (any such process if no
 * notes match), as AZU's `io/processing.py` does. The capsule version is the
 * `code_version` of the "Image importing" process whose `input_location` is
 * that same image (SmartSPIM_784354 has a second "Image importing", version
 * 0.0.7, for cell segmentation; AZU takes the first in the list, which is the
 * registration's in every file we have seen).
 *
 * @module
 */
import { MetadataError } from "../core/errors.ts";
import { type Asset, listPrefixes } from "../list/assets.ts";
import { AIND_BUCKET, formatS3Uri, S3_OPTION_KEYS, type S3Options } from "../s3/client.ts";
import { S3Store } from "../s3/store.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** What `processing.json` says about the registration. */
export interface ProcessingFacts {
  /** The document's `schema_version`. */
  schemaVersion: string | undefined;
  /** The registered channel, e.g. `Ex_639_Em_667`, when an "Image atlas alignment" names it. */
  channel: string | undefined;
  /** The level registered (the path after `.zarr/`), when given. */
  level: number | undefined;
  /** The capsule version: "Image importing" `code_version`. */
  version: string | undefined;
  /** The alignment process's own version (ANTs capsule), for reference. */
  alignmentVersion: string | undefined;
  /**
   * The template's axes as the capsule recorded them (`parameters.template_orientations`), e.g.
   * `{ right_to_left: 0, anterior_to_posterior: 1, superior_to_inferior: 2 }`.
   */
  templateOrientations: Record<string, number> | undefined;
}

/** An asset's registration to the Allen CCF. */
export interface Registration {
  /** The stitched asset. */
  asset: string;
  /** The bucket. */
  bucket: string;
  /** The registered channel. */
  channel: string;
  /** The registration capsule's version ("Image importing" `code_version`). */
  version: string;
  /** How the channel was found: `processing.json` or the folder under `image_atlas_alignment/`. */
  channelFrom: "processing.json" | "image_atlas_alignment folder";
  /** The level the pipeline registered, when `processing.json` says. */
  level: number | undefined;
  /** Key prefix of the transform folder, `<asset>/image_atlas_alignment/<channel>/`. */
  prefix: string;
  /** `processing.json` schema version. */
  schemaVersion: string | undefined;
  /** The template's axes as recorded by the capsule, when `processing.json` has them. */
  templateOrientations: Record<string, number> | undefined;
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const ALIGNMENT = "Image atlas alignment";
const ALIGNMENT_NOTES = "Template based registration: LS -> template -> Allen CCFv3 Atlas";
const IMPORTING = "Image importing";

function processes(json: Json): Json[] {
  const pipeline = isRecord(json.processing_pipeline) ? json.processing_pipeline : undefined;
  const list = Array.isArray(pipeline?.data_processes)
    ? pipeline.data_processes
    : Array.isArray(json.data_processes)
    ? json.data_processes
    : [];
  return list.filter(isRecord);
}

function nameOf(p: Json): string | undefined {
  if (typeof p.name === "string") return p.name;
  return typeof p.process_type === "string" ? p.process_type : undefined;
}

function versionOf(p: Json): string | undefined {
  if (isRecord(p.code) && typeof p.code.version === "string") return p.code.version;
  if (typeof p.code_version === "string") return p.code_version;
  return typeof p.software_version === "string" ? p.software_version : undefined;
}

/**
 * The channel and level a Zarr location names: `/tmp/x/fused/Ex_639_Em_667.zarr/3` gives
 * `Ex_639_Em_667` and 3.
 * @param location A path or URI.
 * @returns The channel and level, or `undefined` if no segment ends in `.zarr`.
 */
export function channelOfLocation(
  location: string,
): { channel: string; level: number | undefined } | undefined {
  const parts = location.split("/");
  const at = parts.findLastIndex((p) => /\.zarr$/i.test(p));
  if (at < 0) return undefined;
  const channel = parts[at].replace(/(\.ome)?\.zarr$/i, "");
  const next = parts[at + 1];
  return { channel, level: next !== undefined && /^\d+$/.test(next) ? Number(next) : undefined };
}

function orientationsOf(process: Json | undefined): Record<string, number> | undefined {
  const parameters = process && isRecord(process.parameters) ? process.parameters : undefined;
  const found = parameters && isRecord(parameters.template_orientations)
    ? parameters.template_orientations
    : undefined;
  if (!found) return undefined;
  const entries = Object.entries(found).filter(([, v]) => v === 0 || v === 1 || v === 2);
  return entries.length === 3 ? Object.fromEntries(entries) as Record<string, number> : undefined;
}

/**
 * Reads the registration facts from a parsed `processing.json` (schema 0.x, 1.x or 2.x).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseProcessing } from "./registration.ts";
 * const facts = parseProcessing({
 *   schema_version: "1.1.4",
 *   processing_pipeline: { data_processes: [
 *     { name: "Image importing", code_version: "0.0.31", input_location: "/d/Ex_639_Em_667.zarr/3" },
 *     { name: "Image atlas alignment", code_version: "0.4.2", input_location: "/d/Ex_639_Em_667.zarr/3",
 *       notes: "Template based registration: LS -> template -> Allen CCFv3 Atlas" },
 *   ] },
 * });
 * assertEquals([facts.channel, facts.level, facts.version], ["Ex_639_Em_667", 3, "0.0.31"]);
 * ```
 * @param json The parsed document.
 * @returns What it says; fields are `undefined` where it is silent.
 */
export function parseProcessing(json: unknown): ProcessingFacts {
  if (!isRecord(json)) {
    return {
      schemaVersion: undefined,
      channel: undefined,
      level: undefined,
      version: undefined,
      alignmentVersion: undefined,
      templateOrientations: undefined,
    };
  }
  const list = processes(json);
  const alignments = list.filter((p) => nameOf(p) === ALIGNMENT);
  const alignment = alignments.find((p) => p.notes === ALIGNMENT_NOTES) ?? alignments[0];
  const input = typeof alignment?.input_location === "string" ? alignment.input_location : undefined;
  const located = input ? channelOfLocation(input) : undefined;
  const imports = list.filter((p) => nameOf(p) === IMPORTING && versionOf(p) !== undefined);
  const matching = input ? imports.find((p) => p.input_location === input) : undefined;
  const importing = matching ?? imports[0];
  return {
    schemaVersion: typeof json.schema_version === "string" ? json.schema_version : undefined,
    channel: located?.channel,
    level: located?.level,
    version: importing ? versionOf(importing) : undefined,
    alignmentVersion: alignment ? versionOf(alignment) : undefined,
    templateOrientations: orientationsOf(alignment),
  };
}

/** Options for {@linkcode findRegistration}. */
export interface FindRegistrationOptions extends S3Options {
  /** The bucket. @default {"aind-open-data"} */
  bucket?: string;
  /** Cancels the requests. */
  signal?: AbortSignal;
}

/** An asset that was not registered, or whose registration cannot be used. */
export class RegistrationError extends Error {
  /** The asset. */
  readonly asset: string;
  /**
   * Creates the error.
   * @param message What was looked for and not found.
   * @param options The asset and the cause.
   */
  constructor(message: string, options: { asset: string; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = "RegistrationError";
    this.asset = options.asset;
  }
}

function wavelength(channel: string): number {
  const m = /^Ex_(\d+)_Em_(\d+)$/.exec(channel);
  return m ? Number(m[1]) * 10000 + Number(m[2]) : -1;
}

/** The keys of {@linkcode FindRegistrationOptions}, checked at run time. */
const FIND_REGISTRATION_OPTION_KEYS: OptionKeys<FindRegistrationOptions> = {
  ...S3_OPTION_KEYS,
  bucket: true,
  signal: true,
};

/**
 * Finds an asset's registration: reads `processing.json` for the registered
 * channel and the capsule version, falls back to the folder under
 * `image_atlas_alignment/` for the channel, and checks that the folder exists.
 *
 * @example
 * ```ts ignore
 * import { findRegistration } from "./registration.ts";
 * const registration = await findRegistration("SmartSPIM_784354_2025-04-16_21-39-58_stitched_2025-05-21_16-45-59");
 * console.log(registration.channel, registration.version); // Ex_639_Em_667 0.0.31
 * ```
 * @param asset The stitched asset or its name.
 * @param options Bucket and how to reach S3.
 * @returns The registration.
 * @throws {RegistrationError} If `processing.json` is missing or names no capsule version, or no transform
 * folder exists; the message says what was looked for.
 * @throws {MetadataError} If `processing.json` is not valid JSON.
 */
export async function findRegistration(
  asset: Asset | string,
  options: FindRegistrationOptions = {},
): Promise<Registration> {
  options = checkOptions(options, FIND_REGISTRATION_OPTION_KEYS, "findRegistration()");
  const name = typeof asset === "string" ? asset : asset.name;
  const bucket = options.bucket ?? AIND_BUCKET;
  const store = new S3Store(formatS3Uri(bucket, ""), options);
  try {
    const processingKey = `${name}/processing.json`;
    const processingUri = formatS3Uri(bucket, processingKey);
    const bytes = await store.get(`/${processingKey}`, { signal: options.signal });
    let facts: ProcessingFacts | undefined;
    if (bytes) {
      let json: unknown;
      try {
        json = JSON.parse(new TextDecoder().decode(bytes));
      } catch (cause) {
        throw new MetadataError(`processing.json is not valid JSON: ${(cause as Error).message}`, {
          source: processingUri,
          cause,
        });
      }
      facts = parseProcessing(json);
    }
    const folder = `${name}/image_atlas_alignment/`;
    const { prefixes } = await listPrefixes({ ...options, client: store.client, bucket, prefix: folder });
    const folders = prefixes.map((p) => p.slice(folder.length).replace(/\/$/, "")).filter((p) => p !== "");
    let channel = facts?.channel;
    let channelFrom: Registration["channelFrom"] = "processing.json";
    if (!channel) {
      if (folders.length === 0) {
        throw new RegistrationError(
          `${name} is not registered to the Allen CCF: ${
            bytes
              ? `${processingUri} has no "${ALIGNMENT}" process naming a <channel>.zarr input`
              : `there is no ${processingUri}`
          }, and ${formatS3Uri(bucket, folder)} holds no channel folder`,
          { asset: name },
        );
      }
      // The pipeline registers the highest-wavelength channel.
      channel = [...folders].sort((a, b) => wavelength(b) - wavelength(a))[0];
      channelFrom = "image_atlas_alignment folder";
    } else if (folders.length > 0 && !folders.includes(channel)) {
      throw new RegistrationError(
        `${processingUri} says channel ${channel} was registered, but ${formatS3Uri(bucket, folder)} holds ` +
          `${folders.join(", ")}`,
        { asset: name },
      );
    }
    if (!facts?.version) {
      throw new RegistrationError(
        `Cannot tell which corrections apply to ${name}: ${
          bytes
            ? `${processingUri} has no "${IMPORTING}" process with a code version`
            : `there is no ${processingUri}`
        } (the registration capsule's version decides the pipeline's LS spacing and origin)`,
        { asset: name },
      );
    }
    return {
      asset: name,
      bucket,
      channel,
      version: facts.version,
      channelFrom,
      level: facts.level,
      prefix: `${folder}${channel}/`,
      schemaVersion: facts.schemaVersion,
      templateOrientations: facts.templateOrientations,
    };
  } finally {
    store.close();
  }
}
