/**
 * The `spimfetch` command: runs the CLI (`cli.ts`) in a child Deno with exactly the permissions its
 * arguments need (see `cli/permissions.ts`), from the user's directory. `deno task cli` and the installed
 * command both start here. `deno task install` (`tools/install.ts`) installs the command as a script that
 * runs this file with the absolute path of the Deno that installed it, so no `deno` need be on PATH:
 *
 * ```sh
 * deno task install            # or: npx -y deno@2 task install
 * ```
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { planPermissions } from "./cli/permissions.ts";
import { nativeLibraryPaths } from "./lib/codecs/native.ts";
import { COMMAND_NAME_ENV, taskCommand } from "./cli/command_name.ts";
import { STOP_SIGNALS } from "./cli/stop_signals.ts";

const packageDir = fileURLToPath(new URL(".", import.meta.url)).replace(/\/$/, "");

/**
 * The directory the user ran the command from. `deno task` runs in the config's directory and keeps the
 * user's in `INIT_CWD`; the installed command runs where the user is.
 */
function userDirectory(): string {
  const cwd = Deno.cwd();
  const init = Deno.env.get("INIT_CWD");
  return init && cwd === packageDir ? init : cwd;
}

/**
 * Runs the CLI with the permissions its arguments need and returns its exit code.
 * @param args The command-line arguments.
 * @returns The child's exit code (128 + the signal's number after a stop signal: 130 after Ctrl-C).
 */
export async function launch(args: string[]): Promise<number> {
  const cwd = userDirectory();
  // The native codecs (c-blosc, ISA-L) where the system has them: FFI for exactly those files.
  const flags = planPermissions({
    args,
    cwd,
    packageDir,
    home: Deno.env.get("HOME"),
    ffi: nativeLibraryPaths(),
  });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--no-prompt",
      "--config",
      `${packageDir}/deno.json`,
      ...flags,
      `${packageDir}/cli.ts`,
      ...args,
    ],
    cwd,
    // The name the user runs spimfetch by, for the usage lines and hints the CLI prints.
    env: { [COMMAND_NAME_ENV]: invokedName() },
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  // A stop signal sent to the launcher alone (`kill`, SLURM, `timeout`) is passed on, so that the CLI cleans
  // up as after Ctrl-C. Ctrl-C in a terminal reaches both processes; the CLI then sees it twice, which is
  // harmless (cancelling twice is cancelling).
  const listeners = (Object.keys(STOP_SIGNALS) as (keyof typeof STOP_SIGNALS)[]).map((name) => {
    const forward = (): void => {
      try {
        child.kill(name);
      } catch {
        // The child has just ended: its exit code says the rest.
      }
    };
    Deno.addSignalListener(name, forward);
    return [name, forward] as const;
  });
  try {
    const status = await child.status;
    const signal = status.signal as keyof typeof STOP_SIGNALS | null;
    return signal && signal in STOP_SIGNALS ? 128 + STOP_SIGNALS[signal] : status.code;
  } finally {
    for (const [name, forward] of listeners) Deno.removeSignalListener(name, forward);
  }
}

/**
 * The name the user runs spimfetch by: the installed command's script sets it (`spimfetch`); otherwise
 * this task as the user can run it (`deno task cli`, or through npx when no `deno` is on PATH).
 */
function invokedName(): string {
  return Deno.env.get(COMMAND_NAME_ENV) || taskCommand("cli");
}

if (import.meta.main) Deno.exit(await launch(Deno.args));
