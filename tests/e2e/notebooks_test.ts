/**
 * Executes every notebook on the Deno Jupyter kernel, headless, against a
 * local S3 server holding a synthetic SmartSPIM dataset, as CI does; then
 * renders one to HTML and looks for its tables and pictures.
 *
 * Needs `jupyter-nbconvert` (`.ci/run` installs it): without it the test is skipped locally, saying so in
 * its name and on stderr, and fails in CI. The kernel is the Deno that runs the tests, through a kernelspec
 * of its own (no `deno jupyter --install` needed). `SPIMFETCH_TEST_NOTEBOOKS=view_a_brain,prepare_for_ccf`
 * runs only those notebooks (and their checks).
 *
 * Outputs that come late are lost, so the run refuses what would make them late. The Deno 2.9 kernel sends a
 * cell's value (`execute_result`) after it reports the cell idle, 0.2 s later for the viewer's 3 MB page
 * (measured with jupyter_client on view_a_brain), and nbclient stops reading a cell's outputs at idle: a
 * cell ending with a bare value loses it now and then, more often under load. Cells therefore end with
 * `await show(value)`, whose display is sent before the cell ends; a value that still arrives here as an
 * `execute_result` fails the test (`deno task check:notebooks` refuses such cells before any run). And
 * nbclient waits only 4 s (its `iopub_timeout`) after a cell's reply for the rest of its outputs, then drops
 * them with a warning: on a loaded machine, parsing a multi-megabyte viewer output can take longer, so the
 * run waits up to 120 s and fails, rather than drops, when even that is not enough.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { serveDataset } from "../../testing/fixture.ts";
import { buildCcfDataset, DEFAULT_REGISTERED_ASSETS } from "../../testing/ccf_dataset.ts";
import { addCellFiles, atlasObjects, SEGMENTED_ASSETS } from "../../testing/cells_dataset.ts";

const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const NOTEBOOKS = join(ROOT, "notebooks");

/** Like the demo's dataset (both stitched versions and layouts), but small enough to build in a second. */
const NOTEBOOK_DATASET = {
  subject: "652506",
  acquiredAt: "2023-01-09_10-18-12",
  stitched: [
    { stitchedAt: "2023-01-13_19-00-54", layout: "processed/OMEZarr" },
    { stitchedAt: "2023-02-02_22-28-35", layout: "image_tile_fusing/OMEZarr", cropX: 8 },
  ],
  shape: [64, 96, 80] as [number, number, number],
  chunks: [16, 32, 32] as [number, number, number],
  spacing: [32, 28.8, 28.8] as [number, number, number],
  levels: 4,
};

async function run(
  command: string,
  args: string[],
  options: Deno.CommandOptions = {},
): Promise<Deno.CommandOutput> {
  return await new Deno.Command(command, { args, stdout: "piped", stderr: "piped", ...options }).output();
}

/** The nbconvert command, or why the notebooks cannot run here. */
async function findJupyter(): Promise<{ nbconvert: string[] } | { missing: string }> {
  let nbconvert: string[] | undefined;
  for (const candidate of [["jupyter-nbconvert"], ["jupyter", "nbconvert"]]) {
    try {
      const out = await run(candidate[0], [...candidate.slice(1), "--version"]);
      if (out.success) {
        nbconvert = candidate;
        break;
      }
    } catch {
      // Not installed: try the next spelling.
    }
  }
  if (!nbconvert) return { missing: "jupyter-nbconvert not installed" };
  return { nbconvert };
}

/**
 * A kernelspec for the Deno that runs these tests, in a folder to put first on `JUPYTER_PATH`: the notebooks
 * then run on this Deno, whichever one `deno jupyter --install` registered (if any) and wherever it is.
 */
async function kernelFolder(tmp: string): Promise<string> {
  const folder = join(tmp, "jupyter");
  await Deno.mkdir(join(folder, "kernels", "deno"), { recursive: true });
  const spec = {
    argv: [Deno.execPath(), "jupyter", "--kernel", "--conn", "{connection_file}"],
    display_name: "Deno",
    language: "typescript",
  };
  await Deno.writeTextFile(join(folder, "kernels", "deno", "kernel.json"), JSON.stringify(spec));
  return folder;
}

/** What a notebook's checks get: the run's folder and environment, nbconvert, and the executed notebook. */
interface RunContext {
  tmp: string;
  env: Record<string, string>;
  nbconvert: string[];
  executed: { cells: { cell_type: string; source: string | string[]; outputs?: NotebookOutput[] }[] };
}

interface NotebookOutput {
  output_type: string;
  data?: Record<string, string | string[]>;
  text?: string | string[];
}

/** The text of every output of the code cells whose source includes `marker`. */
function outputsOfCell(executed: RunContext["executed"], marker: string): string {
  const cells = executed.cells.filter((c) =>
    c.cell_type === "code" && [c.source].flat().join("").includes(marker)
  );
  assert(cells.length > 0, `no code cell includes ${marker}`);
  return cells.flatMap((c) => c.outputs ?? []).map((o) =>
    [...Object.values(o.data ?? {}), o.text ?? ""].flat().join("")
  ).join("\n");
}

/** A written file and its sidecar (`<stem>.json`, naming the file it describes). */
async function assertWrittenWithSidecar(path: string, sidecar: string): Promise<void> {
  assert((await Deno.stat(path)).size > 352, `no output at ${path}`);
  const json = JSON.parse(await Deno.readTextFile(sidecar));
  assertEquals(json.files.map((f: { path: string }) => f.path), [path], `the sidecar ${sidecar}`);
}

/** What each notebook must have written and shown, beyond running without errors (checked for all). */
const CHECKS: Record<string, (run: RunContext) => Promise<void>> = {
  "ccf_space.ipynb": async ({ tmp }) => {
    const inCcf = join(tmp, "data", "ccf", "700002_ccf25.nii.gz");
    assert((await Deno.stat(inCcf)).size > 352, `the CCF notebook wrote no NIfTI file at ${inCcf}`);
  },
  // Its tables and pictures are checked as every notebook's are; it writes nothing.
  "cells_in_ccf.ipynb": () => Promise.resolve(),
  "explore_ome_zarr.ipynb": () => Promise.resolve(),
  "fetch_smartspim_from_s3.ipynb": async ({ tmp, env, nbconvert, executed }) => {
    const folder = join(tmp, "data", "input", "652506");
    await assertWrittenWithSidecar(
      join(folder, "652506_Ex_561_Em_593_L3.nii.gz"),
      join(folder, "652506_Ex_561_Em_593_L3.json"),
    );
    // The export's table: level 3 of the notebook's dataset is 9 × 12 × 8 voxels, written as float32.
    const table = outputsOfCell(executed, "exportImage(");
    for (const text of ["9 × 12 × 8", "float32", "RAI", "652506_Ex_561_Em_593_L3.json"]) {
      assertStringIncludes(table, text);
    }
    const html = await run(nbconvert[0], [
      ...nbconvert.slice(1),
      "--to",
      "html",
      "--output-dir",
      tmp,
      join(tmp, "fetch_smartspim_from_s3.ipynb"),
    ], { env });
    assert(html.success, new TextDecoder().decode(html.stderr));
    const page = await Deno.readTextFile(join(tmp, "fetch_smartspim_from_s3.html"));
    assertStringIncludes(page, "<table");
    assertStringIncludes(page, "data:image/png;base64,");
    assertStringIncludes(page, "<svg");
    // Every section of the reference notebook, with its result: the channel table, levels, orientation,
    // projections, histogram, the file written.
    for (
      const text of [
        "Ex_561_Em_593",
        "uncompressed",
        "nibabel letter",
        "max along z",
        "log count",
        "size on disk",
      ]
    ) {
      assertStringIncludes(page, text);
    }
  },
  "prepare_for_ccf.ipynb": async ({ tmp, executed }) => {
    const folder = join(tmp, "data", "registration", "652506");
    for (const [sub, suffix] of [["nifti", ".nii.gz"], ["nrrd", ".nrrd"]]) {
      const stem = join(folder, sub, "652506_Ex_561_Em_593_ccf");
      await assertWrittenWithSidecar(`${stem}${suffix}`, `${stem}.json`);
    }
    assertStringIncludes(outputsOfCell(executed, "exportTable([nifti, nrrd])"), "PIR");
  },
  // The interactive viewer (its script and data in a text/html output) in both viewer cells, and the link.
  "view_a_brain.ipynb": ({ executed }) => {
    assertStringIncludes(outputsOfCell(executed, "view({ source })"), "spimfetchViewer.start(");
    assertStringIncludes(outputsOfCell(executed, "view(BRAIN"), "spimfetchViewer.start(");
    assertStringIncludes(outputsOfCell(executed, "ng.url"), "in Neuroglancer</a>");
    return Promise.resolve();
  },
};

const jupyter = await findJupyter();
const missing = "missing" in jupyter ? jupyter.missing : undefined;
// CI installs Jupyter (.ci/run): there a missing Jupyter is a failure, never a silent skip.
const inCi = Deno.env.get("CI") === "true";
if (missing && inCi) {
  Deno.test(`notebooks run on the Deno kernel (CI): ${missing}`, () => {
    throw new Error(`Cannot run the notebooks in CI: ${missing}; .ci/run should have installed it`);
  });
} else if (missing) {
  console.warn(`WARNING: notebook tests SKIPPED: ${missing}; .ci/run installs Jupyter and the Deno kernel.`);
}

Deno.test({
  name: missing
    ? `notebooks run on the Deno kernel (SKIPPED: ${missing}; .ci/run installs it)`
    : "notebooks run on the Deno kernel against a local S3 server, and render with their tables and pictures",
  ignore: missing !== undefined,
  // The kernel and nbconvert are child processes; s3rver's sockets close with the fixture.
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(): Promise<void> {
    const nbconvert = (jupyter as { nbconvert: string[] }).nbconvert;
    // ccf_space.ipynb needs a registered asset and the template folder (with the CCF average template).
    const ccf = await buildCcfDataset({
      assets: DEFAULT_REGISTERED_ASSETS.filter((a) => a.subject === "700002"),
      templates: [{ prefix: "SmartSPIM-template_2024-05-16_11-26-14", averageTemplate: true }],
    });
    // cells_in_ccf.ipynb: segmented assets (every era's files) and the fake atlas, in the same bucket.
    const cells = await buildCcfDataset({
      assets: SEGMENTED_ASSETS.map((a) => a.asset),
      templates: [{ prefix: "SmartSPIM-template_2024-05-16_11-26-14", averageTemplate: true }],
    });
    addCellFiles(cells);
    await using served = await serveDataset(
      NOTEBOOK_DATASET,
      new Map([...ccf.objects, ...cells.objects, ...atlasObjects()]),
    );
    const tmp = await Deno.makeTempDir({ prefix: "spimfetch-nb-test-" });
    try {
      const env = {
        NO_COLOR: "1",
        SPIMFETCH_S3_ENDPOINT: served.s3.endpoint,
        SPIMFETCH_BUCKET: "aind-open-data",
        SPIMFETCH_OUTPUT_DIR: join(tmp, "data"),
        SPIMFETCH_CCF_SUBJECT: "700002",
        SPIMFETCH_CELLS_SUBJECTS: "700002,700006",
        SPIMFETCH_ATLAS_ENDPOINT: served.s3.endpoint,
        SPIMFETCH_ATLAS_BUCKET: "aind-open-data",
        JUPYTER_PATH: await kernelFolder(tmp),
      };
      const all = [...Deno.readDirSync(NOTEBOOKS)].map((e) => e.name).filter((n) => n.endsWith(".ipynb"))
        .sort();
      assert(all.length >= 2, `expected the notebooks in ${NOTEBOOKS}, found ${all.join(", ")}`);
      const only = Deno.env.get("SPIMFETCH_TEST_NOTEBOOKS")?.split(",").map((n) =>
        n.trim().replace(/\.ipynb$/, "")
      );
      const notebooks = only ? all.filter((n) => only.includes(n.replace(/\.ipynb$/, ""))) : all;
      assert(notebooks.length > 0, `SPIMFETCH_TEST_NOTEBOOKS=${only} names none of ${all.join(", ")}`);
      for (const name of notebooks) {
        assert(name in CHECKS, `${name} has no checks in CHECKS: add what it must show and write`);
      }
      for (const name of notebooks) {
        // nbconvert runs the kernel in the notebook's own folder, where deno.json is found by walking up.
        const out = await run(nbconvert[0], [
          ...nbconvert.slice(1),
          "--to",
          "notebook",
          "--execute",
          "--ExecutePreprocessor.timeout=600",
          // See the module documentation: late outputs are waited for, and a timeout is a failure.
          "--ExecutePreprocessor.iopub_timeout=120",
          "--ExecutePreprocessor.raise_on_iopub_timeout=True",
          "--output-dir",
          tmp,
          join(NOTEBOOKS, name),
        ], { env });
        const log = new TextDecoder().decode(out.stderr);
        assert(out.success, `${name} failed on the Deno kernel:\n${log.slice(-6000)}`);
        const executed = JSON.parse(await Deno.readTextFile(join(tmp, name)));
        for (const [i, cell] of executed.cells.entries()) {
          const source = [cell.source].flat().join("");
          for (const output of cell.outputs ?? []) {
            assert(
              output.output_type !== "error",
              `${name} cell ${i + 1}: ${output.ename}: ${output.evalue}`,
            );
            // A value that arrived this time is one that another run loses (see the module documentation).
            assert(
              output.output_type !== "execute_result",
              `${name} cell ${i + 1} ends with a bare value, sent after the cell is reported idle ` +
                "(headless runs then lose it): end the cell with await show(value)",
            );
            // Every result is a table or a picture, never a printed object literal (a file's own text excepted).
            const data = output.data ?? {};
            const plain = [data["text/plain"] ?? []].flat().join("").trimStart();
            assert(
              Object.keys(data).some((type) => type !== "text/plain") || !/^[[{]/.test(plain) ||
                source.includes("readTextFile"),
              `${name} cell ${i + 1} shows an object literal, not a table or a picture:\n${
                plain.slice(0, 300)
              }`,
            );
          }
          // A cell that shows something and has no output lost it (see the module documentation).
          assert(
            cell.cell_type !== "code" || !source.includes("await show(") || (cell.outputs ?? []).length > 0,
            `${name} cell ${i + 1} calls show() but has no output: it arrived after the run stopped reading`,
          );
        }
        await CHECKS[name]({ tmp, env, nbconvert, executed });
      }
    } finally {
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
});
