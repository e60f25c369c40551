/**
 * What a subject had, beside its outputs in a cohort summary: its channels,
 * the stitched asset's dates and AIND's registration, from the subject's
 * `spimfetch info --json` (the cohort workflow keeps one per subject as
 * `<subject>_levels.json`).
 *
 * @module
 */
import { parseAssetName } from "../list/assets.ts";
import { MetadataError } from "../core/errors.ts";

/** One subject as `spimfetch info --json` described it. */
export interface SubjectInfo {
  /** The subject id. */
  subject: string;
  /** The stitched asset described (the one the outputs should come from). */
  asset: string;
  /** Every channel the asset has, in its order. */
  channels: string[];
  /** When it was acquired, `YYYY-MM-DDTHH:MM:SS` (the lab's local time). */
  acquiredAt: string;
  /** When it was stitched (the stitched asset's date: AIND's stitching version). */
  stitchedAt: string | undefined;
  /** AIND's registration to the Allen CCF, when the asset has one. */
  registration?: {
    /** The registered channel. */
    channel: string;
    /** The registration capsule's version, e.g. `0.0.25`. */
    version: string;
  };
}

type Json = Record<string, unknown>;

function object(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Reads a subject's `spimfetch info <subject> --json` output.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { readSubjectInfo } from "@spimfetch/spimfetch/cohort";
 * const path = await Deno.makeTempFile({ suffix: ".json" });
 * await Deno.writeTextFile(path, JSON.stringify({
 *   asset: { name: "SmartSPIM_652506_2023-01-09_10-18-12_stitched_2023-01-13_19-00-54" },
 *   channels: [{ name: "Ex_488_Em_525" }, { name: "Ex_561_Em_593" }],
 *   registration: { registered: false, problem: "no processing.json" },
 * }));
 * const info = await readSubjectInfo(path);
 * assertEquals([info.subject, info.stitchedAt, info.channels.length], ["652506", "2023-01-13T19:00:54", 2]);
 * await Deno.remove(path);
 * ```
 * @param path The JSON file.
 * @param options Cancellation.
 * @returns The subject's channels, dates and registration.
 * @throws {MetadataError} If the file is not a subject's `info --json` (an asset name and its channels).
 */
export async function readSubjectInfo(
  path: string,
  options: { signal?: AbortSignal } = {},
): Promise<SubjectInfo> {
  const text = await Deno.readTextFile(path, { signal: options.signal });
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (cause) {
    throw new MetadataError(`Subject info is not JSON: ${(cause as Error).message}`, { source: path, cause });
  }
  const expected = "expected the output of `spimfetch info <subject> --json`";
  if (!object(document) || !object(document.asset) || typeof document.asset.name !== "string") {
    throw new MetadataError(`Subject info names no asset ("asset.name"): ${expected}`, { source: path });
  }
  const asset = parseAssetName(document.asset.name);
  if (!asset) {
    throw new MetadataError(`Subject info's asset "${document.asset.name}" is not an AIND asset name`, {
      source: path,
    });
  }
  const channels = document.channels;
  if (!Array.isArray(channels) || !channels.every((c) => object(c) && typeof c.name === "string")) {
    throw new MetadataError(`Subject info has no channel list ("channels[].name"): ${expected}`, {
      source: path,
    });
  }
  const registration = object(document.registration) && document.registration.registered === true
    ? { channel: String(document.registration.channel), version: String(document.registration.version) }
    : undefined;
  return {
    subject: asset.subjectId,
    asset: asset.name,
    channels: channels.map((c) => (c as Json).name as string),
    acquiredAt: asset.acquiredAt,
    stitchedAt: asset.processedAt,
    ...(registration ? { registration } : {}),
  };
}
