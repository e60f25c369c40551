/**
 * Checks of the shape of `lib/`: no import cycles (data flows cli/notebook →
 * mod → step → adapter, never back up), no step importing a display, and no
 * long file without a reason at its top.
 *
 * The import graph comes from `deno info --json`, which resolves every
 * static, dynamic and type-only import as the type checker does; type-only
 * imports count, since a cycle of types ties the files together just the same.
 *
 * @module
 */
import { assert, assertEquals } from "@std/assert";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { functionLengths } from "../testing/function_lengths.ts";

const REPO = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");

/** An import graph: each file (relative to the repository) and the files it imports. */
type ImportGraph = Map<string, string[]>;

/** Every `.ts` file under `lib/`, relative to the repository. */
async function libFiles(): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) await walk(path);
      // A WebAssembly module is imported like a TypeScript one (codecs/_deflate.wasm).
      else if (/\.(ts|wasm)$/.test(entry.name)) found.push(relative(REPO, path));
    }
  };
  await walk(join(REPO, "lib"));
  return found.sort();
}

interface DenoInfo {
  modules: {
    specifier: string;
    dependencies?: { code?: { specifier?: string }; type?: { specifier?: string } }[];
  }[];
}

/**
 * The imports among `lib/` files reachable from the roots: `mod.ts` first,
 * then any `lib/` file not reached yet (a worker script is loaded by URL, not
 * imported), so that every file of `lib/` is in the graph.
 */
async function libImportGraph(): Promise<ImportGraph> {
  const prefix = pathToFileURL(REPO).href + "/";
  const graph: ImportGraph = new Map();
  const add = async (root: string): Promise<void> => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", root],
      cwd: REPO,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!output.success) {
      throw new Error(`deno info ${root} failed: ${new TextDecoder().decode(output.stderr)}`);
    }
    const info = JSON.parse(new TextDecoder().decode(output.stdout)) as DenoInfo;
    const inLib = (specifier: string | undefined): specifier is string =>
      specifier !== undefined && specifier.startsWith(prefix + "lib/");
    for (const module of info.modules) {
      if (!inLib(module.specifier)) continue;
      const deps = (module.dependencies ?? [])
        .flatMap((d) => [d.code?.specifier, d.type?.specifier])
        .filter(inLib)
        .map((s) => s.slice(prefix.length));
      graph.set(module.specifier.slice(prefix.length), [...new Set(deps)].sort());
    }
  };
  await add("mod.ts");
  for (const file of await libFiles()) {
    if (!graph.has(file)) await add(file);
  }
  return graph;
}

/**
 * The import cycles of a graph: its strongly connected components with more
 * than one file, or one file that imports itself (Tarjan's algorithm). Each
 * cycle's files are sorted; cycles are sorted by their first file.
 */
function findCycles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (file: string): void => {
    index.set(file, next);
    low.set(file, next);
    next++;
    stack.push(file);
    onStack.add(file);
    for (const dep of graph.get(file) ?? []) {
      if (!index.has(dep)) {
        visit(dep);
        low.set(file, Math.min(low.get(file)!, low.get(dep)!));
      } else if (onStack.has(dep)) {
        low.set(file, Math.min(low.get(file)!, index.get(dep)!));
      }
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      if (component.length > 1 || (graph.get(file) ?? []).includes(file)) cycles.push(component.sort());
    }
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return cycles.sort((a, b) => a[0].localeCompare(b[0]));
}

Deno.test("findCycles() finds each cycle of a small graph, a self-import included, and nothing else", () => {
  // a → b → c → a is a cycle; d imports itself; e → a and f → e hang off it without being part of it.
  const graph: ImportGraph = new Map([
    ["a", ["b"]],
    ["b", ["c"]],
    ["c", ["a"]],
    ["d", ["d"]],
    ["e", ["a"]],
    ["f", ["e", "g"]],
    ["g", []],
  ]);
  assertEquals(findCycles(graph), [["a", "b", "c"], ["d"]]);
  assertEquals(findCycles(new Map([["x", ["y"]], ["y", []]])), []);
  // The seven files of the cycle that lib/ had before guards.ts was split, with their imports of the time.
  const before: ImportGraph = new Map([
    ["format", ["image", "select"]],
    ["guards", ["image", "read"]],
    ["image", ["guards", "multiscales"]],
    ["multiscales", ["guards"]],
    ["read", ["image", "guards", "progress"]],
    ["progress", ["format"]],
    ["select", ["guards"]],
  ]);
  assertEquals(findCycles(before), [[
    "format",
    "guards",
    "image",
    "multiscales",
    "progress",
    "read",
    "select",
  ]]);
});

Deno.test("lib/ has no import cycle", async () => {
  const graph = await libImportGraph();
  // The graph must hold every file of lib/, or a cycle could hide in the files left out.
  assertEquals([...graph.keys()].sort(), await libFiles());
  const cycles = findCycles(graph);
  assertEquals(
    cycles,
    [],
    `import cycles in lib/:\n${
      cycles.map((c) =>
        c.map((f) => `  ${f} → ${graph.get(f)!.filter((d) => c.includes(d)).join(", ")}`).join("\n")
      )
        .join("\n\n")
    }`,
  );
});

Deno.test("the folders of lib/ import each other without a cycle", async () => {
  // A step's folder may use the folders below it (core, s3, codecs) and earlier steps, never a caller.
  const graph = await libImportGraph();
  const folderOf = (file: string): string => file.split("/")[1];
  const folders: ImportGraph = new Map();
  const edges: string[] = [];
  for (const [file, deps] of graph) {
    const from = folderOf(file);
    const to = deps.map(folderOf).filter((f) => f !== from);
    folders.set(from, [...new Set([...(folders.get(from) ?? []), ...to])].sort());
    for (const dep of deps) if (folderOf(dep) !== from) edges.push(`${file} → ${dep}`);
  }
  const cycles = findCycles(folders);
  const inCycle = (edge: string): boolean => {
    const [from, to] = edge.split(" → ").map(folderOf);
    return cycles.some((c) => c.includes(from) && c.includes(to));
  };
  assertEquals(
    cycles,
    [],
    `folder cycles in lib/, by the imports that make them:\n${edges.filter(inCycle).join("\n")}`,
  );
});

/** Folders above the display layer: they make pictures for people (a cohort's thumbnails). */
const ABOVE_DISPLAY = ["lib/display/", "lib/cohort/", "lib/view/"];

Deno.test("no step or adapter of lib/ imports from lib/display", async () => {
  const graph = await libImportGraph();
  const upward = [...graph].flatMap(([file, deps]) =>
    ABOVE_DISPLAY.some((folder) => file.startsWith(folder))
      ? []
      : deps.filter((d) => d.startsWith("lib/display/")).map((d) => `${file} → ${d}`)
  );
  assertEquals(upward, [], `steps and adapters must not import a display:\n${upward.join("\n")}`);
});

Deno.test("every lib/ file over 400 lines says at its top why", async () => {
  const long: string[] = [];
  for (const file of (await libFiles()).filter((f) => f.endsWith(".ts"))) {
    const lines = (await Deno.readTextFile(join(REPO, file))).split("\n");
    // Counted as `wc -l` counts: newlines, so a file ending in one newline has one fewer line than parts.
    const count = lines.length - (lines.at(-1) === "" ? 1 : 0);
    if (count > 400 && !lines.slice(0, 30).some((line) => /\b400 lines\b/.test(line))) {
      long.push(`${file} (${count} lines)`);
    }
  }
  assert(
    long.length === 0,
    `files over 400 lines without a comment at the top saying why: ${long.join(", ")}`,
  );
});

/** The folder of a repository file (`lib/ccf` for `lib/ccf/points.ts`, `.` for `mod.ts`). */
function folderOfFile(file: string): string {
  const slash = file.lastIndexOf("/");
  return slash < 0 ? "." : file.slice(0, slash);
}

/** Whether a file is private to its folder: its name starts with `_`. */
function isPrivateFile(file: string): boolean {
  return file.slice(file.lastIndexOf("/") + 1).startsWith("_");
}

/**
 * The imports of another folder's `_` file in a graph. Tests and benchmarks are left out on purpose: a
 * test or benchmark of a private helper imports it directly, which is what they are for.
 */
function privateImports(graph: ImportGraph): string[] {
  return [...graph].flatMap(([file, deps]) =>
    deps.filter((dep) => isPrivateFile(dep) && folderOfFile(dep) !== folderOfFile(file))
      .map((dep) => `${file} → ${dep}`)
  );
}

Deno.test("privateImports() finds an import of another folder's _ file and allows one's own", () => {
  const graph: ImportGraph = new Map([
    ["lib/read/read.ts", ["lib/metadata/_level_arrays.ts", "lib/read/_helper.ts", "lib/core/volume.ts"]],
    ["lib/metadata/image.ts", ["lib/metadata/_level_arrays.ts"]],
    ["cli.ts", ["lib/_x.ts"]],
  ]);
  assertEquals(privateImports(graph), [
    "lib/read/read.ts → lib/metadata/_level_arrays.ts",
    "cli.ts → lib/_x.ts",
  ]);
});

/** The imports among the repository's own files reachable from the entry points and every `lib/` file. */
async function appImportGraph(): Promise<ImportGraph> {
  const prefix = pathToFileURL(REPO).href + "/";
  const graph: ImportGraph = new Map();
  const own = (specifier: string | undefined): specifier is string =>
    specifier !== undefined && specifier.startsWith(prefix) && !specifier.includes("/node_modules/");
  const roots = ["mod.ts", "cli.ts", "spimfetch.ts", "demo.ts", ...await libFiles()];
  for (const root of roots) {
    if (graph.has(root)) continue;
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", root],
      cwd: REPO,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!output.success) {
      throw new Error(`deno info ${root} failed: ${new TextDecoder().decode(output.stderr)}`);
    }
    const info = JSON.parse(new TextDecoder().decode(output.stdout)) as DenoInfo;
    for (const module of info.modules) {
      if (!own(module.specifier)) continue;
      const deps = (module.dependencies ?? []).flatMap((d) => [d.code?.specifier, d.type?.specifier])
        .filter(own).map((s) => s.slice(prefix.length));
      graph.set(module.specifier.slice(prefix.length), [...new Set(deps)].sort());
    }
  }
  return graph;
}

Deno.test("no file imports another folder's _ file (lib/, cli/ and the entry points)", async () => {
  const wrong = privateImports(await appImportGraph());
  assertEquals(wrong, [], `_ files are private to their folder:\n${wrong.join("\n")}`);
});

/** The `export ... from "..."` specifiers of a module's text. */
function reExports(text: string): string[] {
  return [...text.matchAll(/^export\s[^;]*?\sfrom\s+"([^"]+)"/gms)].map((m) => m[1]);
}

Deno.test("reExports() reads single- and multi-line re-exports", () => {
  assertEquals(
    reExports(
      'export { a } from "./a.ts";\nexport {\n  b,\n  type C,\n} from "./_b.ts";\nimport { d } from "./d.ts";',
    ),
    ["./a.ts", "./_b.ts"],
  );
});

Deno.test("public names come from files without _: no mod.ts re-exports a _ file", async () => {
  const mods = ["mod.ts", ...(await libFiles()).filter((f) => f.endsWith("/mod.ts"))];
  const wrong: string[] = [];
  for (const mod of mods) {
    for (const from of reExports(await Deno.readTextFile(join(REPO, mod)))) {
      if (isPrivateFile(from)) wrong.push(`${mod} re-exports ${from}`);
    }
  }
  assertEquals(wrong, [], `a public name lives in a file whose name has no _:\n${wrong.join("\n")}`);
});

/** Subpaths kept under an earlier name, each with the subpath it stands for. */
const SUBPATH_ALIASES: Record<string, string> = { "./orientation": "./orient" };

Deno.test("each subpath of deno.json is named after its lib/ folder (aliases listed)", async () => {
  const { exports } = JSON.parse(await Deno.readTextFile(join(REPO, "deno.json"))) as {
    exports: Record<string, string>;
  };
  const wrong: string[] = [];
  for (const [subpath, target] of Object.entries(exports)) {
    if (subpath === ".") continue;
    const canonical = SUBPATH_ALIASES[subpath] ?? subpath;
    const expected = `./lib/${canonical.slice(2)}/mod.ts`;
    if (target !== expected) wrong.push(`${subpath} → ${target} (expected ${expected})`);
    if (subpath in SUBPATH_ALIASES && exports[canonical] !== target) {
      wrong.push(`alias ${subpath} → ${target} but ${canonical} → ${exports[canonical]}`);
    }
  }
  assertEquals(wrong, [], `subpath names equal folder names:\n${wrong.join("\n")}`);
});

/**
 * The longest a function of `lib/` may be, in lines from its signature to its closing brace. An
 * orchestration function over this mixes its plan with its I/O (slab boundaries and chunk lists beside the
 * fetches, a sidecar's fields beside the writes); split into a pure planning function and the steps that
 * act on the plan, each step stays well under it.
 */
const MAX_FUNCTION_LINES = 100;

/**
 * Functions of `lib/` allowed over {@linkcode MAX_FUNCTION_LINES}, as `file:name`, each with why. Remove an
 * entry when its function is split: the test fails on an entry that no longer needs to be here.
 */
const LONG_FUNCTIONS: Record<string, string> = {};

Deno.test("functionLengths() counts a function's lines, nested and arrow functions included", () => {
  const source = [
    "export function outer(a: number): number {", // 1
    "  const inner = (b: number): number => {", // 2
    "    return b + 1;", // 3
    "  };", // 4
    "  return inner(a);", // 5
    "}", // 6
    "class A {", // 7
    "  method(): void {}", // 8
    "}", // 9
    "const o = { f: function (): void {} };", // 10
    "",
  ].join("\n");
  assertEquals(functionLengths("a.ts", source), [
    { name: "outer", line: 1, lines: 6 },
    { name: "inner", line: 2, lines: 3 },
    { name: "method", line: 8, lines: 1 },
    { name: "f", line: 10, lines: 1 },
  ]);
});

Deno.test(`no function of lib/ is over ${MAX_FUNCTION_LINES} lines (exceptions listed with why)`, async () => {
  const long: string[] = [];
  const seen = new Set<string>();
  for (const file of (await libFiles()).filter((f) => f.endsWith(".ts"))) {
    const source = await Deno.readTextFile(join(REPO, file));
    for (const { name, line, lines } of functionLengths(file, source)) {
      if (lines <= MAX_FUNCTION_LINES) continue;
      const key = `${file}:${name}`;
      seen.add(key);
      if (!(key in LONG_FUNCTIONS)) long.push(`${key} (line ${line}): ${lines} lines`);
    }
  }
  const stale = Object.keys(LONG_FUNCTIONS).filter((key) => !seen.has(key));
  assertEquals(
    long,
    [],
    `split these into a pure planning function and the I/O that follows it:\n${long.join("\n")}`,
  );
  assertEquals(stale, [], `no longer over ${MAX_FUNCTION_LINES} lines: remove from LONG_FUNCTIONS`);
});

/**
 * Whether a file spells out NIfTI-1's datatype codes: the number literals 256 (int8), 512 (uint16) and 768
 * (uint32) together, outside comments. Any copy of the table holds all three; little else does.
 */
function spellsNiftiDatatypeCodes(text: string): boolean {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  return [256, 512, 768].every((n) => new RegExp(`(?<![\\w.])${n}(?![\\w.])`).test(code));
}

Deno.test("spellsNiftiDatatypeCodes() finds a copy of the table, in any shape, and not a doc comment", () => {
  const copies = [
    "const T = { 2: 'uint8', 256: 'int8', 512: 'uint16', 768: 'uint32' };",
    "if (type === 512 || type === 256) x(); else if (type === 768) y();",
    "const widths: Record<number, number> = {\n  256: 1,\n  512: 2,\n  768: 4,\n};",
  ];
  for (const text of copies) assert(spellsNiftiDatatypeCodes(text), text);
  const others = [
    "/** codes 256, 512 and 768 */\nconst table = NIFTI_DATATYPES;",
    "// 256 512 768\nconst n = 2560 + 5120 + 7680;",
    "const sizes = [256, 512, 1024];",
  ];
  for (const text of others) assert(!spellsNiftiDatatypeCodes(text), text);
});

Deno.test("NIfTI datatype codes are spelled out in one lib file, the table every reader and writer uses", async () => {
  const found: string[] = [];
  for (const file of (await libFiles()).filter((f) => f.endsWith(".ts"))) {
    if (spellsNiftiDatatypeCodes(await Deno.readTextFile(join(REPO, file)))) found.push(file);
  }
  assertEquals(
    found,
    ["lib/core/nifti_datatypes.ts"],
    "look the codes up in lib/core/nifti_datatypes.ts instead",
  );
});
