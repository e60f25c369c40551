/**
 * `deno task check:notebooks`: type-checks the notebooks, checks that they
 * are committed without outputs, and that no cell ends with a value.
 *
 * `deno check` cannot read `.ipynb`, so each notebook's code cells are joined,
 * in order, into one `.ts` module in a temporary directory and checked with the
 * repository's `deno.json` (which maps `@spimfetch/spimfetch`). A cell's
 * trailing expression is a valid statement, so the module reads as the kernel
 * runs it.
 *
 * A cell's value (its last expression, when that has one) is what the Deno 2.9
 * kernel sends after reporting the cell idle, so headless runs (nbconvert,
 * nbclient) lose it now and then; cells end with `await show(value)` instead.
 * To check that, `deno lint` with `cell_value_lint.ts` finds each cell's last
 * expression, and the module passes it to a function that takes no value: a
 * cell ending with a value is then a type error naming {@linkcode NO_VALUE}.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

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

/**
 * Whether `deno fmt` would leave the notebook as it is: a copy is formatted and compared byte for byte.
 * (`deno fmt --check` on a fresh checkout reports notebooks as unformatted with an empty diff, Deno 2.9.6,
 * while formatting them changes nothing; `deno task ok` therefore checks notebooks here instead.)
 */
async function checkFormatted(path: string, config: string, tmp: string): Promise<NotebookProblem[]> {
  const name = basename(path);
  const copy = join(tmp, `fmt-${name}`);
  const original = await Deno.readFile(path);
  await Deno.writeFile(copy, original);
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", "--config", config, copy],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  if (!result.success) {
    return [{
      notebook: name,
      message: `deno fmt failed:\n${new TextDecoder().decode(result.stderr).trim()}`,
    }];
  }
  const formatted = await Deno.readFile(copy);
  const same = formatted.length === original.length && formatted.every((b, i) => b === original[i]);
  return same ? [] : [{ notebook: name, message: `not formatted: run deno fmt notebooks/${name}` }];
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
  problems.push(...await checkFormatted(path, config, tmp));
  const module = join(tmp, name.replace(/\.ipynb$/, ".ts"));
  const last = await lastExpressions(notebook.cells, join(tmp, name.replace(/\.ipynb$/, "")));
  await Deno.writeTextFile(
    module,
    notebookToModule(guardCellValues(notebook.cells, last)) + NO_VALUE_FUNCTION,
  );
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["check", "--quiet", "--config", config, module],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  if (!result.success) {
    const output = new TextDecoder().decode(result.stderr) + new TextDecoder().decode(result.stdout);
    const hint = output.includes(NO_VALUE)
      ? `\n(${NO_VALUE}: a cell ends with a value, which the kernel sends after reporting the cell idle, so ` +
        "headless runs can lose it; end the cell with await show(value))"
      : "";
    problems.push({ notebook: name, message: `type errors:\n${output.trim()}${hint}` });
  }
  return problems;
}

/** The function each cell's last expression is passed to in the checked module: it takes no value. */
export const NO_VALUE = "cellEndsWithShowOrNoValue";

const NO_VALUE_FUNCTION =
  `\n// A cell ends with await show(value), or with an expression that has no value.\n` +
  `function ${NO_VALUE}(_value: void | undefined): void {}\n`;

/**
 * Wraps each code cell's last expression in a call of {@linkcode NO_VALUE}, so that the type checker
 * refuses a cell that ends with a value.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { guardCellValues } from "./check_notebooks.ts";
 * const cells = guardCellValues([{ cell_type: "code", source: "const a = 1;\na;" }], new Map([[0, [13, 14]]]));
 * assertEquals(cells[0].source, "const a = 1;\ncellEndsWithShowOrNoValue(a);");
 * ```
 * @param cells The notebook's cells.
 * @param last The range (UTF-16 offsets in the cell's source) of each code cell's last expression, by index.
 * @returns The cells, those with a last expression rewritten.
 */
export function guardCellValues(
  cells: readonly NotebookCell[],
  last: ReadonlyMap<number, readonly [number, number]>,
): NotebookCell[] {
  return cells.map((cell, i) => {
    const range = last.get(i);
    if (cell.cell_type !== "code" || !range) return cell;
    const source = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
    const [start, end] = range;
    return {
      ...cell,
      source: `${source.slice(0, start)}${NO_VALUE}(${source.slice(start, end)})${source.slice(end)}`,
    };
  });
}

/**
 * The range of each code cell's last statement when that is an expression, found by `deno lint` with
 * `cell_value_lint.ts` on one file per cell (written under `dir`).
 */
async function lastExpressions(
  cells: readonly NotebookCell[],
  dir: string,
): Promise<Map<number, [number, number]>> {
  await Deno.mkdir(dir, { recursive: true });
  const files = new Map<string, number>();
  for (const [i, cell] of cells.entries()) {
    if (cell.cell_type !== "code") continue;
    const file = join(dir, `cell_${i + 1}.ts`);
    await Deno.writeTextFile(file, Array.isArray(cell.source) ? cell.source.join("") : cell.source);
    files.set(pathToFileURL(file).href, i);
  }
  const config = join(dir, "lint.json");
  await Deno.writeTextFile(
    config,
    JSON.stringify({
      lint: {
        plugins: [new URL("./cell_value_lint.ts", import.meta.url).href],
        rules: { tags: [], include: ["notebook-cell/last-expression"] },
      },
    }),
  );
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["lint", "--json", "--config", config, ...[...files.keys()].map((url) => fileURLToPath(url))],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const report = JSON.parse(new TextDecoder().decode(result.stdout)) as {
    diagnostics: { filename: string; code: string; message: string }[];
    errors: { file_path: string; message: string }[];
  };
  if (report.errors.length > 0) {
    throw new Error(`Cannot parse notebook cells: ${report.errors.map((e) => e.message).join("; ")}`);
  }
  const found = new Map<number, [number, number]>();
  for (const d of report.diagnostics) {
    const cell = files.get(d.filename);
    if (cell !== undefined && d.code === "notebook-cell/last-expression") {
      found.set(cell, JSON.parse(d.message));
    }
  }
  return found;
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
