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

/** Whether a `deno` the shell would find is on `PATH`. */
function denoOnPath(): boolean {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!dir) continue;
    try {
      const info = Deno.statSync(`${dir}/deno`);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return true;
    } catch {
      // Not there (or not readable): look further.
    }
  }
  return false;
}

/**
 * How the user can run one of this checkout's tasks from their shell: `npx -y deno@2 task <task>` when the
 * user came through npx, `deno task <task>` when a `deno` is on `PATH`, else the running Deno's absolute path.
 *
 * @example
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { taskCommand } from "./command_name.ts";
 * assertStringIncludes(taskCommand("cli"), "task cli");
 * ```
 * @param task The task's name, e.g. `cli`.
 * @returns A command line to paste.
 */
export function taskCommand(task: string): string {
  try {
    // npx puts the Deno it fetched on the PATH of what it runs, not of the user's shell: ask npx's own
    // variable first, or the hint would name a `deno` the user does not have.
    if (Deno.env.get("npm_command") === "exec") return `npx -y deno@2 task ${task}`;
    if (denoOnPath()) return `deno task ${task}`;
  } catch {
    // No permission to look: the plain form.
    return `deno task ${task}`;
  }
  return `${Deno.execPath()} task ${task}`;
}
