/**
 * `deno task init-project <dir> [--force]`: lets scripts and notebooks in the user's own folder import
 * spimfetch by its name. It writes (or extends) `<dir>/deno.json` with an import map naming this checkout's
 * entry points (`@spimfetch/spimfetch` and every subpath) and the npm packages they import, at the versions
 * this checkout pins, and copies the checkout's `deno.lock` there when the folder has none, so the same
 * versions of everything are used. `deno run` and the Jupyter kernel find that `deno.json` by walking up
 * from the script or notebook.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const PACKAGE_DIR = dirname(dirname(fileURLToPath(import.meta.url)));

const HELP = `Usage: deno task init-project <dir> [--force]

Writes <dir>/deno.json (or adds to it) so that scripts and notebooks in <dir> (and below) can
import "@spimfetch/spimfetch" and its subpaths from this checkout (${PACKAGE_DIR}).

  --force   replace imports of the same names that point elsewhere`;

/** Imports of the checkout that only its own tests and tools use. */
const CHECKOUT_ONLY = new Set(["@std/assert", "s3rver"]);

interface Config {
  name: string;
  exports: Record<string, string>;
  imports: Record<string, string>;
}

/**
 * The import map a user's folder needs: spimfetch's entry points by name, and the packages they import.
 * @param packageDir The checkout.
 * @param config Its `deno.json`.
 * @returns Specifier → target.
 */
export function projectImports(packageDir: string, config: Config): Record<string, string> {
  const imports: Record<string, string> = {};
  for (const [subpath, target] of Object.entries(config.exports)) {
    const name = subpath === "." ? config.name : `${config.name}/${subpath.slice(2)}`;
    imports[name] = pathToFileURL(join(packageDir, target)).href;
  }
  for (const [name, target] of Object.entries(config.imports)) {
    if (!CHECKOUT_ONLY.has(name) && target.startsWith("npm:")) imports[name] = target;
  }
  return imports;
}

/**
 * Runs the task.
 * @param args The task's arguments.
 * @returns The exit code.
 */
export async function initProject(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { force: { type: "boolean" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    console.error(`error: init-project takes one folder, e.g. deno task init-project ~/analysis\n\n${HELP}`);
    return 2;
  }
  // `deno task` runs in the checkout; the user's directory is in INIT_CWD.
  const cwd = Deno.env.get("INIT_CWD") ?? Deno.cwd();
  const dir = isAbsolute(positionals[0]) ? positionals[0] : resolve(cwd, positionals[0]);
  const config = JSON.parse(await Deno.readTextFile(join(PACKAGE_DIR, "deno.json"))) as Config;
  const wanted = projectImports(PACKAGE_DIR, config);

  const path = join(dir, "deno.json");
  let existing: Record<string, unknown> = {};
  try {
    existing = JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      console.error(`error: cannot read ${path} as JSON (${(error as Error).message}); fix or move it first`);
      return 1;
    }
  }
  const imports = { ...(existing.imports as Record<string, string> | undefined ?? {}) };
  const clashes = Object.keys(wanted).filter((k) => k in imports && imports[k] !== wanted[k]);
  if (clashes.length > 0 && !values.force) {
    console.error(
      `error: ${path} already maps ${
        clashes.join(", ")
      } elsewhere; add --force to point them at ${PACKAGE_DIR}`,
    );
    return 1;
  }
  const created = Object.keys(existing).length === 0;
  await Deno.mkdir(dir, { recursive: true });
  const text = JSON.stringify({ ...existing, imports: { ...imports, ...wanted } }, null, 2) + "\n";
  // Written beside it and renamed: a half-written deno.json would break every script in the folder.
  const temp = `${path}.${Deno.pid}.partial`;
  try {
    await Deno.writeTextFile(temp, text);
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
  // The checkout's lock pins every package the npm imports pull in; a folder's own lock is the user's.
  const lock = join(dir, "deno.lock");
  const hasLock = await Deno.lstat(lock).then(() => true, () => false);
  if (!hasLock) await Deno.copyFile(join(PACKAGE_DIR, "deno.lock"), lock);
  const lockCopied = !hasLock;
  console.log(path);
  console.error(
    `${created ? "Wrote" : "Added spimfetch's imports to"} ${path}` +
      `${lockCopied ? ` and copied the checkout's deno.lock` : ""}. In ${dir}:\n` +
      `  import { openSource, readLevel } from "@spimfetch/spimfetch";`,
  );
  return 0;
}

if (import.meta.main) Deno.exit(await initProject(Deno.args));
