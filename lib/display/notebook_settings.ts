/**
 * Settings notebooks read from the environment, so that the same notebook
 * runs against AWS (the default) or an S3-compatible server such as the
 * demo's (`deno task demo --serve`) or CI's.
 *
 * | variable | meaning | default |
 * |---|---|---|
 * | `SPIMFETCH_S3_ENDPOINT` | S3-compatible endpoint, e.g. `http://127.0.0.1:4568` | AWS |
 * | `SPIMFETCH_BUCKET` | the bucket | `aind-open-data` |
 * | `SPIMFETCH_OUTPUT_DIR` | where outputs are written | `data` |
 * | `SPIMFETCH_IMAGE_URI` | the image the explorer opens | the reference notebook's channel |
 *
 * @module
 */
import { AIND_BUCKET } from "../s3/client.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** The variables {@linkcode settingsFromEnv} reads. */
export const ENV_VARIABLES = {
  endpoint: "SPIMFETCH_S3_ENDPOINT",
  bucket: "SPIMFETCH_BUCKET",
  outputDir: "SPIMFETCH_OUTPUT_DIR",
  imageUri: "SPIMFETCH_IMAGE_URI",
} as const;

/** What {@linkcode settingsFromEnv} found. */
export interface NotebookSettings {
  /** S3 options to spread into spimfetch calls: the bucket, and the endpoint when one is set. */
  s3: { bucket: string; endpoint?: string };
  /** The output directory, without a trailing slash. */
  outputDir: string;
  /** An image URI to open instead of a notebook's default, when set. */
  imageUri: string | undefined;
}

/** Options for {@linkcode settingsFromEnv}. */
export interface SettingsFromEnvOptions {
  /** Looks a variable up. @default {Deno.env.get} */
  get?: (name: string) => string | undefined;
}

/** The keys of {@linkcode SettingsFromEnvOptions}, checked at run time. */
const SETTINGS_FROM_ENV_OPTION_KEYS: OptionKeys<SettingsFromEnvOptions> = {
  get: true,
};

/**
 * Reads the notebook settings from the environment; empty variables count as unset.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { settingsFromEnv } from "@spimfetch/spimfetch";
 * const env: Record<string, string> = { SPIMFETCH_S3_ENDPOINT: "http://127.0.0.1:4568", SPIMFETCH_OUTPUT_DIR: "/tmp/out/" };
 * const settings = settingsFromEnv({ get: (name) => env[name] });
 * assertEquals(settings.s3, { bucket: "aind-open-data", endpoint: "http://127.0.0.1:4568" });
 * assertEquals(settings.outputDir, "/tmp/out");
 * assertEquals(settingsFromEnv({ get: () => undefined }).s3, { bucket: "aind-open-data" });
 * ```
 * @param options How to look variables up.
 * @returns The settings.
 * @throws {TypeError} If the endpoint is not an http(s) URL.
 */
export function settingsFromEnv(options: SettingsFromEnvOptions = {}): NotebookSettings {
  options = checkOptions(options, SETTINGS_FROM_ENV_OPTION_KEYS, "settingsFromEnv()");
  const get = (name: string): string | undefined => {
    const value = (options.get ?? ((n: string) => Deno.env.get(n)))(name)?.trim();
    return value === "" ? undefined : value;
  };
  const endpoint = get(ENV_VARIABLES.endpoint);
  if (endpoint !== undefined && !/^https?:\/\/[^/]+/.test(endpoint)) {
    throw new TypeError(
      `Cannot use ${ENV_VARIABLES.endpoint}="${endpoint}": expected an http(s) URL such as http://127.0.0.1:4568`,
    );
  }
  const bucket = get(ENV_VARIABLES.bucket) ?? AIND_BUCKET;
  return {
    s3: endpoint === undefined ? { bucket } : { bucket, endpoint },
    outputDir: (get(ENV_VARIABLES.outputDir) ?? "data").replace(/(.)\/+$/, "$1"),
    imageUri: get(ENV_VARIABLES.imageUri),
  };
}
