/**
 * `deno task check:notebooks`: type-checks the notebooks and checks that they
 * are committed without outputs.
 *
 * `deno check` cannot read `.ipynb`, so each notebook's code cells are joined,
 * in order, into one `.ts` module in a temporary directory and checked with the
 * repository's `deno.json` (which maps `@spimfetch/spimfetch`). A cell's
 * trailing expression is a valid statement, so the module reads as the kernel
 * runs it.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** A cell as nbformat 4 stores it. */
export interface NotebookCell {
  /** `code`, `markdown` or `raw`. */
  cell_type: string;
  /** The source, as one string or as lines. */
  source: string | string[];
  /** Outputs of a code cell. */
  outputs?: unknown[];
  /** Execution count of a code cell. */
  execution_count?: number | null;
}

/** A problem found in a notebook. */
export interface NotebookProblem {
  /** The notebook's file name. */
  notebook: string;
  /** What is wrong. */
  message: string;
}

/**
 * Joins a notebook's code cells into one TypeScript module, each cell headed by a comment naming it.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { notebookToModule } from "./check_notebooks.ts";
 * const module = notebookToModule([{ cell_type: "markdown", source: "# hi" }, { cell_type: "code", source: ["const a = 1;\n", "a"] }]);
 * assertEquals(module, "// cell 2\nconst a = 1;\na\n");
 * ```
 * @param cells The notebook's cells.
 * @returns The module's source.
 */
export function notebookToModule(cells: readonly NotebookCell[]): string {
  return cells.flatMap((cell, i) => {
    if (cell.cell_type !== "code") return [];
    const source = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
    return [`// cell ${i + 1}\n${source}\n`];
  }).join("");
}

/**
 * Lists code cells that carry outputs or execution counts: committed notebooks must be clean.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { findOutputs } from "./check_notebooks.ts";
 * const cells = [{ cell_type: "code", source: "1", outputs: [{}], execution_count: 3 }];
 * assertEquals(findOutputs("a.ipynb", cells).length, 1);
 * ```
 * @param notebook The notebook's name, for messages.
 * @param cells Its cells.
 * @returns One problem per offending cell.
 */
export function findOutputs(notebook: string, cells: readonly NotebookCell[]): NotebookProblem[] {
  return cells.flatMap((cell, i) =>
    cell.cell_type === "code" && ((cell.outputs?.length ?? 0) > 0 || (cell.execution_count ?? null) !== null)
      ? [{
        notebook,
        message: `cell ${i + 1} has outputs or an execution count; clear them before committing`,
      }]
      : []
  );
}

async function checkNotebook(path: string, config: string, tmp: string): Promise<NotebookProblem[]> {
  const name = basename(path);
  const notebook = JSON.parse(await Deno.readTextFile(path));
  const problems = findOutputs(name, notebook.cells);
  if (notebook.metadata?.kernelspec?.name !== "deno") {
    problems.push({
      notebook: name,
      message: `kernelspec is ${notebook.metadata?.kernelspec?.name}, not deno`,
    });
  }
  const module = join(tmp, name.replace(/\.ipynb$/, ".ts"));
  await Deno.writeTextFile(module, notebookToModule(notebook.cells));
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["check", "--quiet", "--config", config, module],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  if (!result.success) {
    const output = new TextDecoder().decode(result.stderr) + new TextDecoder().decode(result.stdout);
    problems.push({ notebook: name, message: `type errors:\n${output.trim()}` });
  }
  return problems;
}

/** What {@linkcode checkNotebooks} found. */
export interface NotebookCheck {
  /** The notebooks checked. */
  notebooks: string[];
  /** Every problem found. */
  problems: NotebookProblem[];
}

/**
 * Type-checks every notebook in `<root>/notebooks` and checks that none carries outputs.
 * @param root The repository's root directory.
 * @returns The notebooks checked and the problems found.
 */
export async function checkNotebooks(root: string): Promise<NotebookCheck> {
  const folder = join(root, "notebooks");
  const paths = [];
  for await (const entry of Deno.readDir(folder)) {
    if (entry.isFile && entry.name.endsWith(".ipynb")) paths.push(join(folder, entry.name));
  }
  paths.sort();
  const tmp = await Deno.makeTempDir({ prefix: "spimfetch-notebooks-" });
  try {
    const problems = (await Promise.all(paths.map((p) => checkNotebook(p, join(root, "deno.json"), tmp))))
      .flat();
    return { notebooks: paths.map((p) => basename(p)), problems };
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

if (import.meta.main) {
  const { notebooks, problems } = await checkNotebooks(dirname(dirname(fileURLToPath(import.meta.url))));
  for (const p of problems) console.error(`${p.notebook}: ${p.message}`);
  console.log(`${notebooks.length} notebooks checked, ${problems.length} problems`);
  if (problems.length > 0 || notebooks.length === 0) Deno.exit(1);
}
