/**
 * The name the user runs spimfetch by (`spimfetch` when installed, `deno task cli` in a checkout), so that
 * usage lines and hints show a command the user can paste. The launcher (`spimfetch.ts`) passes it to the
 * CLI in an environment variable.
 *
 * @module
 */

/** The environment variable that carries the name from the launcher to the CLI. */
export const COMMAND_NAME_ENV = "SPIMFETCH_COMMAND";

/** How the help texts name the command; {@linkcode withCommandName} replaces it. */
const WRITTEN_NAME = "deno task cli";

/**
 * The name the user runs spimfetch by: the launcher's, or `deno task cli` when the CLI runs without it
 * (or may not read the environment variable).
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { commandName } from "./command_name.ts";
 * assert(commandName().length > 0);
 * ```
 * @returns The name.
 */
export function commandName(): string {
  try {
    if (Deno.permissions.querySync({ name: "env", variable: COMMAND_NAME_ENV }).state !== "granted") {
      return WRITTEN_NAME;
    }
    return Deno.env.get(COMMAND_NAME_ENV)?.trim() || WRITTEN_NAME;
  } catch {
    return WRITTEN_NAME;
  }
}

/**
 * A help text or hint with `deno task cli` replaced by the name the user runs spimfetch by.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { withCommandName } from "./command_name.ts";
 * assertEquals(withCommandName("Usage: deno task cli list", "spimfetch"), "Usage: spimfetch list");
 * ```
 * @param text The text, as written in `help.ts`.
 * @param name The name. @default {commandName()}
 * @returns The text for this user.
 */
export function withCommandName(text: string, name: string = commandName()): string {
  return text.replaceAll(WRITTEN_NAME, name);
}
