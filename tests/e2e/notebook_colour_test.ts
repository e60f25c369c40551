/**
 * Text outputs in the Deno Jupyter kernel carry no ANSI colour codes once spimfetch is loaded, with or
 * without `NO_COLOR` (the kernel is not a terminal). Runs a notebook headless with nbconvert, from a folder
 * that imports spimfetch as docs/library.md says (`deno task init-project`).
 *
 * Needs `jupyter-nbconvert` (`.ci/run` installs it): without it the test is skipped locally, saying so in its
 * name and on stderr, and fails in CI.
 *
 * @module
 */
import { assert, assertEquals } from "@std/assert";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");
const ESC = "\x1b[";

async function nbconvertMissing(): Promise<string | undefined> {
  try {
    const out = await new Deno.Command("jupyter-nbconvert", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .output();
    return out.success ? undefined : "jupyter-nbconvert does not run";
  } catch {
    return "jupyter-nbconvert not installed";
  }
}

const missing = await nbconvertMissing();
const inCi = Deno.env.get("CI") === "true";
if (missing && !inCi) {
  console.warn(`WARNING: kernel colour test SKIPPED: ${missing}; .ci/run installs Jupyter.`);
}

/** A notebook of code cells. */
function notebook(cells: string[]): string {
  return JSON.stringify({
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
  });
}

Deno.test({
  name: missing && !inCi
    ? `the kernel's text outputs have no colour codes (SKIPPED: ${missing})`
    : "the kernel's text outputs have no colour codes once spimfetch is loaded",
  ignore: missing !== undefined && !inCi,
  async fn(): Promise<void> {
    if (missing) throw new Error(`Cannot run the kernel in CI: ${missing}; .ci/run should have installed it`);
    const dir = await Deno.makeTempDir({ prefix: "spimfetch-kernel-" });
    try {
      // A kernelspec for the Deno running the tests, without NO_COLOR.
      await Deno.mkdir(join(dir, "jupyter", "kernels", "deno"), { recursive: true });
      await Deno.writeTextFile(
        join(dir, "jupyter", "kernels", "deno", "kernel.json"),
        JSON.stringify({
          argv: [Deno.execPath(), "jupyter", "--kernel", "--conn", "{connection_file}"],
          display_name: "Deno",
          language: "typescript",
        }),
      );
      const work = join(dir, "work");
      const init = await new Deno.Command(Deno.execPath(), {
        args: ["task", "--quiet", "--config", `${REPO}/deno.json`, "init-project", work],
        cwd: REPO,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert(init.success, new TextDecoder().decode(init.stderr));
      await Deno.writeTextFile(
        join(work, "colour.ipynb"),
        // Each value three times, with pauses: under load the Deno kernel sometimes reports a cell idle before
        // its value arrives, and nbconvert then records no output for that cell.
        notebook([
          `({ before: 1, text: "x" })`,
          `await new Promise((resolve) => setTimeout(resolve, 50));`,
          `({ before: 1, text: "x" })`,
          `await new Promise((resolve) => setTimeout(resolve, 50));`,
          `({ before: 1, text: "x" })`,
          `import { settle } from "@spimfetch/spimfetch/display";`,
          `({ after: 1, text: "x" })`,
          `await settle(50);`,
          `({ after: 1, text: "x" })`,
          `await settle(50);`,
          `({ after: 1, text: "x" })`,
          `await settle(50);`,
        ]),
      );
      const env: Record<string, string> = { ...Deno.env.toObject(), JUPYTER_PATH: join(dir, "jupyter") };
      delete env.NO_COLOR;
      const run = await new Deno.Command("jupyter-nbconvert", {
        args: ["--to", "notebook", "--execute", "colour.ipynb", "--output", "out.ipynb"],
        cwd: work,
        env,
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert(run.success, new TextDecoder().decode(run.stderr));
      const out = JSON.parse(await Deno.readTextFile(join(work, "out.ipynb"))) as {
        cells: { outputs: { data?: Record<string, string | string[]> }[] }[];
      };
      const text = (cell: number): string =>
        out.cells[cell].outputs.map((o) => [o.data?.["text/plain"] ?? ""].flat().join("")).join("");
      const arrived = (cells: number[]): string[] => cells.map(text).filter((t) => t !== "");
      const before = arrived([0, 2, 4]);
      const after = arrived([6, 8, 10]);
      assert(before.length > 0 && after.length > 0, `no value arrived: ${JSON.stringify([before, after])}`);
      // Without spimfetch the kernel colours values (so this test can see colour codes when they are there).
      for (const t of before) {
        assert(t.includes(ESC), `the kernel no longer colours values: ${JSON.stringify(t)}`);
      }
      for (const t of after) assertEquals(t, '{ after: 1, text: "x" }');
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
