/**
 * The `spimfetch` command: runs the CLI (`cli.ts`) in a child Deno with exactly the permissions its
 * arguments need (see `cli/permissions.ts`), from the user's directory. `deno task cli` and the installed
 * command both start here:
 *
 * ```sh
 * deno install -g -f -n spimfetch --config deno.json --allow-read --allow-env --allow-run spimfetch.ts
 * ```
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { planPermissions } from "./cli/permissions.ts";
import { nativeLibraryPaths } from "./lib/codecs/native.ts";

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
 * @returns The child's exit code (130 after Ctrl-C).
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
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  // Ctrl-C reaches the child through the terminal's process group; the launcher only waits for its code.
  const ignore = (): void => {};
  const forward = (): void => child.kill("SIGTERM");
  Deno.addSignalListener("SIGINT", ignore);
  Deno.addSignalListener("SIGTERM", forward);
  try {
    const status = await child.status;
    return status.signal === "SIGINT" ? 130 : status.code;
  } finally {
    Deno.removeSignalListener("SIGINT", ignore);
    Deno.removeSignalListener("SIGTERM", forward);
  }
}

if (import.meta.main) Deno.exit(await launch(Deno.args));
