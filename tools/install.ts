/**
 * `deno task install [--root DIR] [--name NAME] [--force]`: installs the `spimfetch` command for the user, as
 * a small shell script in `<root>/bin` (default root: `$DENO_INSTALL_ROOT`, else `~/.deno`) that runs this
 * checkout's launcher with the absolute path of the Deno running this task. The command therefore starts
 * without any `deno` on `PATH`: after `npx -y deno@2 task install` it runs the Deno npx fetched (`deno
 * install` writes `exec deno ...`, which fails with "deno: not found" there). Moving the checkout, or
 * cleaning npx's cache, means running the install again.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const HELP = `Usage: deno task install [--root DIR] [--name NAME] [--force]

Installs the spimfetch command into DIR/bin (default: $DENO_INSTALL_ROOT/bin, else ~/.deno/bin).
The command runs this checkout with the Deno running this install (${Deno.execPath()}),
so it needs no deno on PATH. Add DIR/bin to PATH to run it by name.

  --root DIR   install into DIR/bin
  --name NAME  the command's name (default: spimfetch)
  --force      replace a file at that path that this install did not write`;

/** The first line after the shebang of every script this install writes: how a re-install recognises one. */
const MARK = "# spimfetch command, written by `deno task install`";

/** A word for `sh`, in single quotes. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * The script: exports the name the user runs (for usage lines), then replaces itself by the launcher.
 * @param deno The absolute path of the Deno to run.
 * @param packageDir The checkout.
 * @param name The command's name.
 * @returns The script's text.
 */
export function commandScript(deno: string, packageDir: string, name: string): string {
  return [
    "#!/bin/sh",
    MARK,
    `# from ${packageDir}; runs ${deno} (no deno on PATH needed). Re-run the install after moving either.`,
    `SPIMFETCH_COMMAND="\${SPIMFETCH_COMMAND:-${name.replaceAll('"', "")}}"`,
    "export SPIMFETCH_COMMAND",
    [
      "exec",
      shellQuote(deno),
      "run --quiet --no-prompt --allow-read --allow-env --allow-run --config",
      shellQuote(join(packageDir, "deno.json")),
      shellQuote(join(packageDir, "spimfetch.ts")),
      '"$@"',
    ].join(" "),
    "",
  ].join("\n");
}

/**
 * Installs the command.
 * @param args The task's arguments.
 * @returns The exit code.
 */
export async function install(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      root: { type: "string" },
      name: { type: "string" },
      force: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const name = values.name ?? "spimfetch";
  if (!/^[A-Za-z0-9._-]+$/.test(name)) {
    console.error(`error: --name must be a plain file name, got "${name}"`);
    return 2;
  }
  // `deno task` runs in the checkout; the user's directory is in INIT_CWD.
  const cwd = Deno.env.get("INIT_CWD") ?? Deno.cwd();
  const home = Deno.env.get("HOME") ?? "";
  const root = values.root ?? Deno.env.get("DENO_INSTALL_ROOT") ?? join(home, ".deno");
  const bin = join(isAbsolute(root) ? root : resolve(cwd, root), "bin");
  const path = join(bin, name);
  const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
  const existing = await Deno.readTextFile(path).catch(() => undefined);
  // A script this install wrote, or the one `deno install` wrote for spimfetch.ts, is the user's own command.
  const ours = existing !== undefined && (existing.includes(MARK) || existing.includes("spimfetch.ts"));
  if (existing !== undefined && !ours && !values.force) {
    console.error(`error: ${path} exists and is not a spimfetch command; add --force to replace it`);
    return 1;
  }
  await Deno.mkdir(bin, { recursive: true });
  // Written beside the path and renamed: a half-written script is never on PATH.
  const temp = `${path}.${Deno.pid}.partial`;
  try {
    await Deno.writeTextFile(temp, commandScript(Deno.execPath(), packageDir, name), { mode: 0o755 });
    await Deno.chmod(temp, 0o755);
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
  console.log(path);
  const onPath = (Deno.env.get("PATH") ?? "").split(":").includes(bin);
  console.error(
    `Installed ${name} (runs ${Deno.execPath()}).${onPath ? "" : ` Add ${bin} to PATH to run it by name.`}`,
  );
  return 0;
}

if (import.meta.main) Deno.exit(await install(Deno.args));
