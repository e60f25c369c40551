/**
 * The tests mirror `lib/`: `lib/<folder>/<module>.ts` is tested in `tests/<folder>/<module>_test.ts` (a leading
 * `_` dropped, so that renaming a private file public keeps its test), end-to-end tests live in `tests/e2e/`,
 * repository-wide checks at the top of `tests/`, and shared helpers in `testing/`. A module with logic but no
 * test file of its own is listed in {@linkcode TESTED_ELSEWHERE} with the test file that exercises it and why,
 * so that a newcomer looking for a module's tests finds them by name or by this list.
 *
 * @module
 */
import { assert, assertEquals } from "@std/assert";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");

/** Test files at the top of `tests/`: checks of the whole repository, not of one module. */
const REPOSITORY_TESTS = new Set([
  "architecture_test.ts",
  "docs_test.ts",
  "layout_test.ts",
  "public_api_test.ts",
  "repository_test.ts",
]);

/** Folders of `tests/` that mirror no `lib/` folder. */
const OTHER_FOLDERS: Record<string, string> = {
  e2e: "end-to-end tests: the CLI, the launcher, the demo, notebooks, cohorts, reliability, streaming",
  fixtures: "real AIND metadata documents the tests read",
  cli: "mirrors cli/ (argument parsing), not lib/",
};

/**
 * Modules with logic but no `tests/<folder>/<module>_test.ts`: the test file that exercises them, and why
 * they are not tested on their own. Files that only re-export or declare types need no entry.
 */
export const TESTED_ELSEWHERE: Record<string, [test: string, reason: string]> = {
  "lib/ccf/ants_affine.ts": [
    "tests/ccf/read_transforms_test.ts",
    "the .mat reader is tested with the other transform readers",
  ],
  "lib/ccf/displacement_field.ts": [
    "tests/ccf/read_transforms_test.ts",
    "the warp reader is tested with the other transform readers",
  ],
  "lib/ccf/transforms.ts": ["tests/ccf/read_transforms_test.ts", "the transform chain is read by that test"],
  "lib/ccf/registration.ts": [
    "tests/ccf/versions_test.ts",
    "finding a registration is tested per capsule version",
  ],
  "lib/ccf/spl_acquisition.ts": [
    "tests/ccf/versions_test.ts",
    "the spl rules are part of the version matrix",
  ],
  "lib/ccf/nifti_stream.ts": [
    "tests/ccf/write_brain_in_ccf_test.ts",
    "streams the files that write_brain_in_ccf_test compares",
  ],
  "lib/ccf/_pull.ts": [
    "tests/ccf/write_brain_in_ccf_test.ts",
    "inner loops of the resampling that write_brain_in_ccf_test checks by hand",
  ],
  "lib/ccf/resample_to_ccf.ts": [
    "tests/ccf/write_brain_in_ccf_test.ts",
    "the resampling writeBrainInCcf runs",
  ],
  "lib/ccf/_resample_worker.ts": [
    "tests/ccf/write_brain_in_ccf_test.ts",
    "the worker side of that resampling",
  ],
  "lib/ccf/ccf_space.ts": ["tests/ccf/points_test.ts", "openCcfSpace is the entry of every points test"],
  "lib/ccf/template.ts": [
    "tests/ccf/write_brain_in_ccf_test.ts",
    "template files are read by the CCF writes",
  ],
  "lib/codecs/_codec_worker.ts": ["tests/codecs/native_test.ts", "the worker side of the pool tested there"],
  "lib/codecs/_ffi_blosc.ts": [
    "tests/codecs/native_test.ts",
    "the native Blosc binding, compared with numcodecs",
  ],
  "lib/codecs/worker_pool.ts": ["tests/codecs/native_test.ts", "the pool that runs the native codecs"],
  "lib/codecs/worker_blosc.ts": ["tests/read/read_test.ts", "reads from S3 decode through it"],
  "lib/codecs/slab_budget.ts": ["tests/export/export_nifti_test.ts", "a default of exportNifti"],
  "lib/cohort/streaming_projections.ts": ["tests/cohort/summary_test.ts", "summaries draw these projections"],
  "lib/cohort/tables.ts": ["tests/cohort/summary_test.ts", "the summary's CSV and HTML"],
  "lib/cohort/voxel_stream.ts": ["tests/cohort/summary_test.ts", "summaries read outputs through it"],
  "lib/core/bytes.ts": ["tests/display/display_test.ts", "byte counts appear in the displays checked there"],
  "lib/core/errors.ts": ["tests/e2e/fuzz_test.ts", "error classes: every test asserts on them"],
  "lib/core/names.ts": ["tests/e2e/fuzz_test.ts", "hostile names from a bucket are fuzzed there"],
  "lib/core/text.ts": ["tests/e2e/fuzz_test.ts", "terminal-safe text is fuzzed there"],
  "lib/core/version.ts": ["tests/e2e/cli_test.ts", "the CLI's --version"],
  "lib/core/volume.ts": [
    "tests/write/nifti_header_test.ts",
    "geometry types and helpers used by every writer",
  ],
  "lib/display/ccf_views.ts": ["tests/e2e/notebooks_test.ts", "drawn by ccf_space.ipynb"],
  "lib/display/format.ts": ["tests/display/display_test.ts", "the text/plain of every display"],
  "lib/display/progress.ts": [
    "tests/display/notebook_progress_test.ts",
    "the terminal renderer it is compared with",
  ],
  "lib/metadata/_array_checks.ts": [
    "tests/e2e/fuzz_test.ts",
    "mutated .zarray and zarr.json are fuzzed there",
  ],
  "lib/metadata/level_arrays.ts": [
    "tests/codecs/partial_chunks_test.ts",
    "opens the level arrays read there",
  ],
  "lib/metadata/_store_keys.ts": [
    "tests/e2e/fuzz_test.ts",
    "keys climbing out of the image are fuzzed there",
  ],
  "lib/metadata/read_acquisition.ts": [
    "tests/source/open_source_test.ts",
    "openSource reads acquisition.json",
  ],
  "lib/metadata/stored_bytes.ts": ["tests/display/preview_levels_test.ts", "measureStoredBytes on S3 there"],
  "lib/metadata/units.ts": ["tests/metadata/multiscales_test.ts", "units of the multiscales metadata"],
  "lib/read/memory.ts": ["tests/read/read_test.ts", "the memory check before a read"],
  "lib/read/_place_chunk.ts": [
    "tests/read/read_test.ts",
    "places the chunks of every read (whole, region, cast) compared voxel by voxel there",
  ],
  "lib/read/_nifti_bytes.ts": [
    "tests/read/nifti_file_test.ts",
    "the NIfTI reader's byte plumbing: paths, bytes, streams and 7-byte pieces, gzipped or not, are read there",
  ],
  "lib/s3/_body_checks.ts": ["tests/s3/store_test.ts", "faulted bodies from the fault proxy"],
  "lib/s3/client.ts": ["tests/s3/store_test.ts", "parseS3Uri and createS3Client"],
  "lib/s3/disk_cache.ts": ["tests/e2e/reliability_test.ts", "resuming from the disk cache"],
  "lib/s3/retry.ts": ["tests/s3/store_test.ts", "retries after faults"],
  "lib/write/atomic_file.ts": ["tests/write/nifti_test.ts", "outputs appear complete or not at all"],
  "lib/codecs/chunk_encoder.ts": [
    "tests/write/ome_zarr_test.ts",
    "encodes the OME-Zarr writer's chunks, read back there by zarr-python and a Zarr v3 reader",
  ],
  "lib/cohort/_ome_zarr_stream.ts": [
    "tests/e2e/cohort_test.ts",
    "the summary of the workflow's OME-Zarr output",
  ],
  "lib/cohort/subject_info.ts": ["tests/e2e/cohort_channels_test.ts", "the summary's subject columns"],
  "lib/core/did_you_mean.ts": ["tests/cli/flags_test.ts", "the CLI's did-you-mean for flags and commands"],
  "lib/export/plan.ts": ["tests/export/export_image_test.ts", "every combination of the plan's choices"],
  "lib/export/sidecar.ts": ["tests/export/export_image_test.ts", "the sidecar of every combination"],
  "lib/core/temp_space.ts": ["tests/e2e/export_failures_test.ts", "disk full, Ctrl-C, temporary files"],
  "lib/orient/place_region.ts": [
    "tests/export/export_image_test.ts",
    "the geometry of every region exported",
  ],
  "lib/view/_niivue_script.ts": ["tests/e2e/view_browser_test.ts", "the viewer's code, run in Chromium"],
  "lib/view/_viewer_app.ts": ["tests/e2e/view_browser_test.ts", "the page's app, driven through its API"],
  "lib/view/page.ts": ["tests/e2e/view_browser_test.ts", "pages opened in Chromium"],
  "lib/view/points.ts": ["tests/view/read_volume_file_test.ts", "points in both column systems"],
  "lib/view/viewer_volume.ts": ["tests/view/view_test.ts", "what view() hands the viewer"],
  "lib/write/_display_window.ts": [
    "tests/write/ome_zarr_test.ts",
    "the omero window against numpy's percentiles",
  ],
  "lib/write/_ome_zarr_metadata.ts": ["tests/write/ome_zarr_test.ts", "metadata read back by zarr-python"],
  "lib/write/_pyramid.ts": ["tests/write/ome_zarr_test.ts", "every level against numpy's averaging"],
  "lib/write/_pyramid_writer.ts": ["tests/write/ome_zarr_test.ts", "the streaming core of writeOmeZarr"],
  "lib/write/_chunk_rows.ts": [
    "tests/write/ome_zarr_test.ts",
    "the rows on disk, seen in tmpDir as they fill",
  ],
  "lib/write/_shard.ts": ["tests/write/ome_zarr_test.ts", "sharded stores read by the Zarr v3 reader"],
  "lib/cells/_files.ts": [
    "tests/cells/stream_test.ts",
    "the cell files' names, read through the streams tested there",
  ],
  "lib/cells/_growable.ts": ["tests/cells/detections_test.ts", "the arrays the readers fill"],
  "lib/cells/_pairing.ts": ["tests/cells/recount_test.ts", "AIND's cells paired with ours, out of order too"],
  "lib/cells/atlas.ts": ["tests/cells/cells_in_ccf_test.ts", "the fake ABC bucket's atlas and ontology"],
  "lib/cells/region_counts.ts": [
    "tests/cells/detections_test.ts",
    "the readers of every era are tested together",
  ],
  "lib/cells/table.ts": ["tests/e2e/cells_cli_test.ts", "the tidy rows, read back with Python's csv"],
  "lib/cells/transformed.ts": [
    "tests/cells/detections_test.ts",
    "the readers of every era, axis order included",
  ],
  "lib/codecs/_chunk_downsample.ts": [
    "tests/write/ome_zarr_test.ts",
    "every pyramid level against numpy's and a triple loop's 2×2×2 mean, odd edges included",
  ],
  "lib/display/cells_views.ts": ["tests/e2e/notebooks_test.ts", "drawn by cells_in_ccf.ipynb"],
  "lib/write/output_folder.ts": [
    "tests/e2e/fetch_default_folder_test.ts",
    "the line saying a folder was made, through fetch",
  ],
};

async function walk(dir: string, found: string[] = []): Promise<string[]> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) await walk(path, found);
    else if (entry.name.endsWith(".ts")) found.push(relative(REPO, path));
  }
  return found.sort();
}

/** Whether a module has logic: a function body, a class or a constant, not only types and re-exports. */
function hasLogic(source: string): boolean {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  return /\b(function|class)\b|=>|^\s*(export\s+)?(const|let)\s/m.test(code);
}

/** The test file a module's tests belong in. */
function mirrorOf(module: string): string {
  const folder = dirname(module).replace(/^lib\/?/, "");
  return join("tests", folder, `${basename(module, ".ts").replace(/^_/, "")}_test.ts`);
}

Deno.test("mirrorOf() drops lib/ and a leading _", () => {
  assertEquals(mirrorOf("lib/orient/codes.ts"), "tests/orient/codes_test.ts");
  assertEquals(mirrorOf("lib/ccf/_warp.ts"), "tests/ccf/warp_test.ts");
});

Deno.test("hasLogic() tells code from type declarations", () => {
  assert(hasLogic("export function f(): void {}"));
  assert(hasLogic("export const A = 1;"));
  assert(
    !hasLogic(
      "/** doc */\nexport type A = 1;\nexport interface B { c: number }\nexport { x } from './x.ts';",
    ),
  );
});

Deno.test("every lib module with logic has its test file, or is listed with the test that covers it", async () => {
  const missing: string[] = [];
  const stale: string[] = [];
  const modules = (await walk(join(REPO, "lib"))).filter((m) => basename(m) !== "mod.ts");
  assert(modules.length > 50, `only ${modules.length} modules found under lib/`);
  for (const module of modules) {
    const own = mirrorOf(module);
    const hasOwn = await Deno.stat(join(REPO, own)).then(() => true, () => false);
    const listed = TESTED_ELSEWHERE[module];
    if (hasOwn && listed) stale.push(`${module}: has ${own}; remove it from TESTED_ELSEWHERE`);
    if (!hasOwn && !listed && hasLogic(await Deno.readTextFile(join(REPO, module)))) {
      missing.push(`${module}: add ${own} (or list it in TESTED_ELSEWHERE with a reason)`);
    }
  }
  for (const [module, [test, reason]] of Object.entries(TESTED_ELSEWHERE)) {
    if (!modules.includes(module)) stale.push(`${module}: no such module; remove it from TESTED_ELSEWHERE`);
    if (!await Deno.stat(join(REPO, test)).then(() => true, () => false)) {
      stale.push(`${module}: its listed test ${test} does not exist`);
    }
    if (reason.trim().length < 10) stale.push(`${module}: say why it has no test file of its own`);
  }
  assertEquals(missing, []);
  assertEquals(stale, []);
});

Deno.test("tests/ mirrors lib/: each test file is named after a module of its folder", async () => {
  const problems: string[] = [];
  for (const file of await walk(join(REPO, "tests"))) {
    const parts = file.split("/");
    if (parts[1] === "fixtures") continue;
    if (parts.length === 2) {
      if (!REPOSITORY_TESTS.has(parts[1])) {
        problems.push(`${file}: move it to tests/<lib folder>/, tests/e2e/ or (a helper) testing/`);
      }
      continue;
    }
    const folder = parts[1];
    if (!file.endsWith("_test.ts")) {
      problems.push(`${file}: helpers go in testing/`);
      continue;
    }
    if (folder === "e2e") continue;
    const root = folder in OTHER_FOLDERS ? folder : join("lib", folder);
    const names = await Array.fromAsync(Deno.readDir(join(REPO, root))).then(
      (entries) => entries.map((e) => e.name.replace(/\.ts$/, "").replace(/^_/, "")),
      () => [] as string[],
    );
    if (names.length === 0) {
      problems.push(`${file}: there is no ${root}/ to mirror`);
      continue;
    }
    // A module's tests may be split by aspect: `<module>_<aspect>_test.ts`.
    const stem = basename(file, "_test.ts");
    if (!names.some((name) => stem === name || stem.startsWith(`${name}_`))) {
      problems.push(`${file}: no module ${root}/${stem}.ts`);
    }
  }
  assertEquals(problems, []);
});
