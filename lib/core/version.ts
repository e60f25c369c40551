/**
 * The spimfetch version, read once from `deno.json` so that the CLI's
 * `--version`, its help text and the sidecars of registration-ready outputs
 * all say the same thing as the package.
 *
 * @module
 */
import denoConfig from "../../deno.json" with { type: "json" };

/**
 * The spimfetch version (the `version` field of `deno.json`).
 *
 * @example
 * ```ts
 * import { assertMatch } from "@std/assert";
 * import { VERSION } from "./version.ts";
 * assertMatch(VERSION, /^\d+\.\d+\.\d+/);
 * ```
 */
export const VERSION: string = denoConfig.version;
