/**
 * Every public function that takes an options object rejects an unknown key at run time (scripts and
 * notebooks run without type checks, so a misspelt option would otherwise be ignored in silence).
 *
 * The functions are not listed by hand: `deno doc --json` of every entry point in `deno.json`'s exports
 * names them, and each is called with a misspelt key. A new public function with options is covered the
 * day it is exported, and fails here until it checks its options.
 */
import { assert, assertEquals } from "@std/assert";
import { fileURLToPath as fromFileUrl } from "node:url";

const ROOT = fromFileUrl(new URL("../../", import.meta.url));

/** A misspelling of `signal`, the option nearly every function has; no function has it. */
const MISSPELT = "sigal";

/**
 * Functions that may keep an unchecked options parameter, each with why. Empty: every one checks. An entry
 * for a function no longer exported fails the test, so the list cannot go stale.
 */
const SKIPPED: Readonly<Record<string, string>> = {};

interface DocParam {
  kind: string;
  name?: string;
  tsType?: unknown;
  left?: DocParam;
}

interface DocDeclaration {
  kind: string;
  location: { filename: string; line: number };
  def: { params?: DocParam[]; hasBody?: boolean };
}

interface DocSymbol {
  name: string;
  declarations: DocDeclaration[];
}

/** A public function with an options parameter, and where to import it from. */
interface Target {
  name: string;
  specifier: string;
  paramIndex: number;
  paramCount: number;
}

/** The names of the types a parameter's type refers to, at any depth (`A & Pick<B, "x">` names A, Pick, B). */
function typeNames(type: unknown, into: string[] = []): string[] {
  if (Array.isArray(type)) { for (const item of type) typeNames(item, into); }
  else if (type !== null && typeof type === "object") {
    for (const [key, value] of Object.entries(type)) {
      if (key === "typeName" && typeof value === "string") into.push(value);
      else typeNames(value, into);
    }
  }
  return into;
}

async function publicFunctionsWithOptions(): Promise<Target[]> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)) as {
    exports: Record<string, string>;
  };
  const entries = Object.values(config.exports);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", ...entries],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(output.success, `deno doc failed: ${new TextDecoder().decode(output.stderr)}`);
  const doc = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    nodes: Record<string, { symbols: DocSymbol[] }>;
  };
  const byLocation = new Map<string, Target>();
  for (const [fileUrl, { symbols }] of Object.entries(doc.nodes)) {
    const relative = "./" + fromFileUrl(fileUrl).slice(ROOT.length);
    const specifier = new URL(relative, `file://${ROOT}`).href;
    for (const symbol of symbols) {
      for (const declaration of symbol.declarations) {
        if (declaration.kind !== "function" || !declaration.def.hasBody) continue;
        const params = declaration.def.params ?? [];
        const paramIndex = params.findIndex((param) =>
          typeNames((param.left ?? param).tsType).some((name) => name.endsWith("Options"))
        );
        if (paramIndex < 0) continue;
        // The same function exported from the root and from its subpath is called once.
        const where = `${declaration.location.filename}:${declaration.location.line}`;
        if (!byLocation.has(where)) {
          byLocation.set(where, { name: symbol.name, specifier, paramIndex, paramCount: params.length });
        }
      }
    }
  }
  return [...byLocation.values()].sort((a, b) => a.name < b.name ? -1 : 1);
}

Deno.test("every public function with options rejects a misspelt key, naming itself and the key", async () => {
  const targets = await publicFunctionsWithOptions();
  // Guards against an enumeration that silently finds nothing (a changed `deno doc` format): there were 92.
  assert(targets.length >= 80, `only ${targets.length} public functions with options found`);
  const names = new Set(targets.map((target) => target.name));
  for (const name of Object.keys(SKIPPED)) {
    assert(names.has(name), `skipped ${name}() is not public any more`);
  }

  const failures: string[] = [];
  for (const target of targets) {
    if (Object.hasOwn(SKIPPED, target.name)) continue;
    const module = await import(target.specifier) as Record<string, (...args: unknown[]) => unknown>;
    const fn = module[target.name];
    // The other arguments are left undefined: the options are checked before anything else is touched.
    const args: unknown[] = new Array(target.paramCount).fill(undefined);
    args[target.paramIndex] = { [MISSPELT]: true };
    let error: unknown;
    try {
      await fn(...args);
    } catch (e) {
      error = e;
    }
    const expected = `${target.name}() has no option "${MISSPELT}"`;
    if (!(error instanceof TypeError) || !error.message.startsWith(expected)) {
      failures.push(
        `${target.name}() from ${target.specifier}: got ${error instanceof Error ? error.message : error}`,
      );
    }
  }
  assertEquals(failures, []);
});
