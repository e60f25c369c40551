/**
 * Saying so when an output's folder does not exist yet: the command creates it (a typo in `--out` would
 * otherwise leave a brain in a folder nobody looks in). The command line says it for `--out`, the export
 * through its `log` for the default path (known only once the level is chosen).
 *
 * @module
 */
import { dirname, resolve } from "node:path";

/**
 * Creates an output's folder if missing, and says so on stderr.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { createOutputFolder } from "./output_folder.ts";
 * const dir = await Deno.makeTempDir();
 * const lines: string[] = [];
 * await createOutputFolder(`${dir}/new/brain.nii.gz`, (line) => lines.push(line));
 * assert((await Deno.stat(`${dir}/new`)).isDirectory && lines[0].startsWith("Creating folder"));
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @param out The output path.
 * @param say Where the line goes. @default {console.error}
 * @returns Whether the folder was created.
 */
export async function createOutputFolder(
  out: string,
  say: (line: string) => void = (line) => console.error(line),
): Promise<boolean> {
  const folder = dirname(out);
  try {
    await Deno.stat(folder);
    return false;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) return false;
  }
  // Against Deno.cwd(): node's process.cwd() (behind resolve() alone) did not follow a Deno.chdir() in a
  // process with npm packages loaded (tests/cli/fetch_test.ts printed the old folder).
  say(`Creating folder ${resolve(Deno.cwd(), folder)} for ${out} (it did not exist)`);
  await Deno.mkdir(folder, { recursive: true });
  return true;
}
