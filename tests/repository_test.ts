/**
 * Checks of the repository itself: it carries everything its tests read, and its notebooks type-check.
 *
 * @module
 */
import { assert, assertEquals } from "@std/assert";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { checkNotebooks } from "../tools/check_notebooks.ts";

const REPO = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
const SOURCE_DIRS = ["lib", "cli", "tests", "testing", "bench", "tools", "workflows", "notebooks"];

/** Every TypeScript, notebook and workflow file under the given folders (and the top level). */
async function sources(): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory && entry.name !== "node_modules" && entry.name !== "fixtures") await walk(path);
      else if (/\.(ts|ipynb|py|smk)$|^Snakefile$/.test(entry.name)) found.push(path);
    }
  };
  for (const dir of SOURCE_DIRS) {
    if (await Deno.stat(join(REPO, dir)).then(() => true, () => false)) await walk(join(REPO, dir));
  }
  for await (const entry of Deno.readDir(REPO)) {
    if (entry.isFile && entry.name.endsWith(".ts")) found.push(join(REPO, entry.name));
  }
  return found.sort();
}

/**
 * Paths in a file that leave the repository: a relative path literal used with `import.meta.url` (or
 * imported) that resolves outside it, or any mention of the fixtures folder kept beside the repository.
 */
function pathsLeaving(file: string, text: string): string[] {
  const leaving: string[] = [];
  // Relative paths a module resolves against its own location: URLs made from import.meta.url, imports.
  const located =
    /new URL\(\s*["'`]((?:\.\.?\/)[^"'`]*)["'`]\s*,\s*import\.meta\.url|(?:from|import\()\s*["'`]((?:\.\.?\/)[^"'`]*)["'`]/g;
  for (const match of text.matchAll(located)) {
    const path = match[1] ?? match[2];
    if (relative(REPO, resolve(dirname(file), path)).startsWith("..")) leaving.push(path);
  }
  for (const match of text.matchAll(/[^\s"'`]*shared\/fixtures[^\s"'`]*/g)) leaving.push(match[0]);
  return leaving;
}

Deno.test("pathsLeaving() finds paths that resolve outside the repository", () => {
  const file = join(REPO, "tests", "x_test.ts");
  // Built from parts, so that this file names no such path itself.
  const outside = ["..", "..", "shared", "fixtures", "aind", ""].join("/");
  assertEquals(pathsLeaving(file, `new URL("${outside}", import.meta.url)`), [outside, outside]);
  assertEquals(pathsLeaving(file, 'import { x } from "../../elsewhere/x.ts";'), ["../../elsewhere/x.ts"]);
  assertEquals(
    pathsLeaving(
      file,
      'new URL("./fixtures/aind/a.json", import.meta.url); import { a } from "../lib/x.ts";',
    ),
    [],
  );
  // An S3 key that merely looks like a path is not read from disk.
  assertEquals(pathsLeaving(file, 'store.get("../../x")'), []);
});

Deno.test("no source, test or notebook reads outside the repository", async () => {
  const offenders: string[] = [];
  const files = await sources();
  assert(files.length > 50, `only ${files.length} files found: is the scan looking in the right place?`);
  for (const file of files) {
    if (file === fileURLToPath(import.meta.url)) continue;
    for (const path of pathsLeaving(file, await Deno.readTextFile(file))) {
      offenders.push(`${relative(REPO, file)}: ${path}`);
    }
  }
  assertEquals(offenders, [], "these paths leave the repository; copy what they name into it");
});

Deno.test("the real AIND fixtures the tests read are in the repository, with their sources", async () => {
  const sourcesText = await Deno.readTextFile(join(REPO, "tests/fixtures/aind/SOURCES.md"));
  for await (const entry of Deno.readDir(join(REPO, "tests/fixtures/aind"))) {
    if (entry.name.endsWith(".json")) {
      assert(sourcesText.includes(entry.name), `${entry.name} not in SOURCES.md`);
    }
  }
});

Deno.test("notebooks type-check and are committed without outputs", async () => {
  const { notebooks, problems } = await checkNotebooks(REPO);
  assert(notebooks.length >= 3, `found only ${notebooks.join(", ")}`);
  assertEquals(problems.map((p) => `${p.notebook}: ${p.message}`), []);
});

Deno.test("the notebook check refuses a cell that ends with a value, and only that cell", async () => {
  const root = await Deno.makeTempDir({ prefix: "spimfetch-check-notebooks-" });
  try {
    await Deno.writeTextFile(join(root, "deno.json"), "{}");
    await Deno.mkdir(join(root, "notebooks"));
    const cells = [
      "const a = { x: 1 };",
      "a.x += 1;\na", // the kernel would show `a` as the cell's value
      "await Promise.resolve();",
      "console.log(a);",
      "if (a.x > 1) {\n  a.x = 0;\n}",
    ];
    await Deno.writeTextFile(
      join(root, "notebooks", "values.ipynb"),
      JSON.stringify({
        cells: cells.map((source) => ({
          cell_type: "code",
          metadata: {},
          source,
          outputs: [],
          execution_count: null,
        })),
        metadata: { kernelspec: { name: "deno", display_name: "Deno", language: "typescript" } },
        nbformat: 4,
        nbformat_minor: 5,
      }),
    );
    const { problems } = await checkNotebooks(root);
    assertEquals(problems.length, 1, problems.map((p) => p.message).join("\n"));
    const message = problems[0].message;
    assert(message.includes("cellEndsWithShowOrNoValue(a)"), message);
    assertEquals(message.match(/TS2345/g)?.length, 1, message);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
