/**
 * The spimfetch command line: the table of commands, dispatch, error printing and exit codes. Parsing
 * lives in `args.ts`, help texts in `help.ts`, each command in `commands/`; every action is a library call.
 *
 * @module
 */
import { escapeControl } from "../lib/core/text.ts";
import { closestName } from "../lib/core/did_you_mean.ts";
import { commandName, withCommandName } from "./command_name.ts";
import { VERSION } from "../lib/core/version.ts";
import { Interrupted, UsageError } from "./args.ts";
import { ccfCommand, pointsCommand } from "./commands/ccf.ts";
import { formats } from "./commands/formats.ts";
import { cellsCommand } from "./commands/cells.ts";
import { fetch } from "./commands/fetch.ts";
import { info } from "./commands/info.ts";
import { list } from "./commands/list.ts";
import { summaryCommand } from "./commands/summary.ts";
import { viewCommand } from "./commands/view.ts";
import { neuroglancerCommand } from "./commands/neuroglancer.ts";
import { mainHelp } from "./help.ts";
import { explainPermissionError } from "./permissions.ts";

/** One command of the CLI. */
export interface Command {
  /** One line for the main help. */
  summary: string;
  /**
   * Runs the command with the arguments after its name. It prints its own `--help`, throws
   * {@linkcode UsageError} for a mistake in its arguments (exit 2), {@linkcode Interrupted} after Ctrl-C
   * (exit 130) and anything else for a failure (exit 1).
   */
  run: (args: string[]) => Promise<void>;
}

/**
 * Every command, in the order the main help lists them. To add one, write its
 * `(args: string[]) => Promise<void>` (in `commands/`, or beside this file) and add a line here; if it
 * reads or writes files its flags name, tell the launcher in `permissions.ts`.
 */
export const COMMANDS: Readonly<Record<string, Command>> = {
  list: { summary: "list the assets (datasets) in the bucket", run: list },
  info: { summary: "show a subject's stitched assets, channels, levels and orientation", run: info },
  fetch: {
    summary: "export one level of one channel (.nii.gz, .nii, .nrrd, ...: see formats), with a sidecar",
    run: fetch,
  },
  formats: { summary: "the output formats (suffix, sidecar, readers); --json for programs", run: formats },
  points: {
    summary: "map a CSV of points between level-0 Zarr indices and Allen CCF (AIND's registration)",
    run: pointsCommand,
  },
  ccf: { summary: "resample a channel into the Allen CCF 25 um grid (AIND's registration)", run: ccfCommand },
  cells: {
    summary: "cell counts per Allen CCF region (AIND's, and --recount ours), for a subject or a cohort",
    run: cellsCommand,
  },
  summary: {
    summary: "one table (CSV, HTML with thumbnails) of many outputs, e.g. a cohort's",
    run: (args) => summaryCommand(args, { usageError: (message) => new UsageError(message) }),
  },
  view: {
    summary: "one self-contained HTML page with an interactive viewer of output files (NiiVue)",
    run: (args) => viewCommand(args, { usageError: (message) => new UsageError(message) }),
  },
  neuroglancer: {
    summary: "a Neuroglancer link (and state) for a stitched asset: channels, CCF and cell layers",
    run: (args) => neuroglancerCommand(args, { usageError: (message) => new UsageError(message) }),
  },
};

/** "a, b or c". */
function oneOf(names: string[]): string {
  return names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names.at(-1)}` : names.join("");
}

/** One clear line for a permission the launcher did not grant, found anywhere in the error's causes. */
function permissionLine(error: unknown): string | undefined {
  for (let e = error; e instanceof Error; e = e.cause) {
    if (e instanceof Deno.errors.NotCapable) return explainPermissionError(e.message);
  }
  // Wrapped without a cause (e.g. by the AWS SDK): Deno's wording is still in the message.
  return error instanceof Error && error.message.includes("(NotCapable)")
    ? explainPermissionError(error.message.slice(error.message.indexOf("Requires ")))
    : undefined;
}

/** A mistake in the command line: ours, one of the same name thrown by a command, or `parseArgs`'s. */
function isUsageError(error: unknown): boolean {
  return error instanceof UsageError || (error instanceof Error && error.name === "UsageError") ||
    ((error as { code?: string })?.code?.startsWith("ERR_PARSE_ARGS") ?? false);
}

/**
 * Runs the CLI.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { main } from "./main.ts";
 * assertEquals(await main(["help"]), 0);
 * ```
 * @param args Command-line arguments.
 * @returns The exit code: 0, 1 for a failure, 2 for a usage mistake, 128 + the signal's number after a stop
 * signal (130 after Ctrl-C, 143 after SIGTERM).
 */
export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  const known = command !== undefined && Object.hasOwn(COMMANDS, command);
  try {
    if (command === "--version") {
      console.log(VERSION);
      return 0;
    }
    if (!command || command === "help" || command === "--help" || command === "-h") {
      console.log(withCommandName(
        mainHelp(Object.fromEntries(Object.entries(COMMANDS).map(([name, c]) => [name, c.summary]))),
      ));
      return command ? 0 : 2;
    }
    if (!known) {
      const meant = closestName(command, Object.keys(COMMANDS));
      throw new UsageError(
        `unknown command "${command}": ${meant ? `did you mean "${meant}"? ` : ""}` +
          `expected ${oneOf(Object.keys(COMMANDS))}`,
      );
    }
    await COMMANDS[command].run(rest);
    return 0;
  } catch (error) {
    // Messages quote names and documents from the bucket: print them, never let them drive the terminal.
    const raw = error instanceof Error ? error.message : String(error);
    console.error(`error: ${escapeControl(permissionLine(error) ?? raw)}`);
    if (error instanceof Interrupted) return error.exitCode;
    if (isUsageError(error)) {
      console.error(`Run '${commandName()} ${known ? `${command} ` : ""}--help' for usage.`);
      return 2;
    }
    return 1;
  }
}
