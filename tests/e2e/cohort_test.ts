/**
 * The cohort workflow (workflows/cohort/Snakefile) end to end: Snakemake runs
 * the CLI against a local S3 server holding synthetic subjects (one with a
 * cyclically permuted acquisition), then re-runs, recovers a deleted output
 * and survives a failing subject.
 */
import {
  assert,
  assertEquals,
  assertMatch,
  assertNotEquals,
  assertStrictEquals,
  assertStringIncludes,
} from "@std/assert";
import { decode as decodePng } from "fast-png";
import { join } from "node:path";
import { PERMUTED_AXES, serveCohort } from "../../testing/cohort_dataset.ts";
import { readNifti as parseNifti } from "../../testing/nifti.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const SNAKEFILE = join(ROOT, "workflows/cohort/Snakefile");
// The launcher, as the installed `spimfetch` runs it: each job gets only the permissions its arguments name.
const LAUNCHER = join(ROOT, "spimfetch.ts");
const CHANNELS = ["Ex_488_Em_525", "Ex_561_Em_593"];
const COMMON = {
  shape: [24, 40, 32] as [number, number, number],
  chunks: [16, 16, 16] as [number, number, number],
  spacing: [16, 14.4, 14.4] as [number, number, number],
  levels: 2,
  channels: CHANNELS,
};
// 652506: the reference notebook's axes, acquired 2023 (AIND's Y caveat applies); 652507: the same axes,
// acquired 2024 (no caveat); 652508: Zarr dimensions (X, Z, Y), sizes 28, 20, 36, spacing 12, 16, 14.4 µm;
// 652509: only one of the two channels, so one of its jobs fails.
const SUBJECTS = [
  { ...COMMON, subject: "652506", acquiredAt: "2023-01-09_10-18-12" },
  { ...COMMON, subject: "652507", acquiredAt: "2024-03-05_09-00-00" },
  {
    ...COMMON,
    subject: "652508",
    acquiredAt: "2023-06-01_12-00-00",
    axes: PERMUTED_AXES,
    shape: [28, 20, 36] as [number, number, number],
    spacing: [12, 16, 14.4] as [number, number, number],
  },
  { ...COMMON, subject: "652509", acquiredAt: "2024-05-01_08-00-00", channels: ["Ex_561_Em_593"] },
];

async function findSnakemake(): Promise<string | undefined> {
  try {
    const out = await new Deno.Command("snakemake", { args: ["--version"], stdout: "piped", stderr: "null" })
      .output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
  } catch {
    return undefined;
  }
}

const version = await findSnakemake();
const inCi = Deno.env.get("CI") !== undefined && Deno.env.get("CI") !== "";
if (version === undefined && !inCi) {
  console.warn("WARNING: cohort workflow test SKIPPED: snakemake not installed (apt-get install snakemake).");
}

function configYaml(endpoint: string, subjects: string[], more: Record<string, unknown> = {}): string {
  // JSON is YAML: no YAML writer needed.
  return JSON.stringify(
    {
      spimfetch: `${Deno.execPath()} run -q --allow-read --allow-env --allow-run ${LAUNCHER}`,
      outdir: "results",
      cache_dir: "cache",
      s3: { endpoint },
      subjects,
      channels: CHANNELS,
      outputs: {
        "L0-RAS": { level: 0, orientation: "RAS" },
        "iso40": { spacing: 0.04, orientation: "PIR", format: "nrrd", channels: ["Ex_561_Em_593"] },
      },
      threads: 1,
      ...more,
    },
    null,
    2,
  );
}

interface Run {
  code: number;
  log: string;
}

async function snakemake(dir: string, args: string[], configFile = "config.yaml"): Promise<Run> {
  const out = await new Deno.Command("snakemake", {
    args: ["-s", SNAKEFILE, "--configfile", configFile, "--cores", "2", ...args],
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, log: decoder.decode(out.stdout) + decoder.decode(out.stderr) };
}

/** Snakemake's "Job stats" table: rule → number of jobs. */
function jobCounts(log: string): Record<string, number> {
  const counts: Record<string, number> = {};
  const table = log.split("Job stats:")[1] ?? "";
  for (const line of table.split("\n").slice(3)) {
    const match = /^(\S+)\s+(\d+)\s+\d+\s+\d+\s*$/.exec(line);
    if (!match) break;
    if (match[1] !== "total") counts[match[1]] = Number(match[2]);
  }
  return counts;
}

function parseCsv(text: string): Record<string, string>[] {
  // The summary quotes only fields with a comma, quote or newline; none of the fields checked here has one.
  const [header, ...lines] = text.trim().split("\n");
  const names = header.split(",");
  return lines.map((line) => Object.fromEntries(line.split(",").map((v, i) => [names[i], v])));
}

function readNifti(bytes: Uint8Array): { dims: number[]; pixDims: number[]; voxels: Uint16Array } {
  const { header, image } = parseNifti(bytes);
  return { dims: header.dims, pixDims: header.pixDims, voxels: new Uint16Array(image) };
}

Deno.test({
  name: version === undefined
    ? `cohort workflow with Snakemake (${inCi ? "FAILS in CI" : "SKIPPED"}: snakemake not installed)`
    : `cohort workflow with Snakemake ${version}: every output and the summary, re-runs, recovery, a failing subject`,
  ignore: version === undefined && !inCi,
  // Snakemake and the CLI are child processes; s3rver's sockets close with the fixture.
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t): Promise<void> {
    assert(version !== undefined, "snakemake is not installed: CI must install it (.ci/run)");
    await using cohort = await serveCohort(SUBJECTS);
    const dir = await Deno.makeTempDir({ prefix: "spimfetch-cohort-" });
    const subjects = ["652506", "652507", "652508"];
    const images = subjects.flatMap((s) => [
      ...CHANNELS.map((c) => `results/${s}/${s}_${c}_L0-RAS.nii.gz`),
      `results/${s}/${s}_Ex_561_Em_593_iso40.nrrd`,
    ]);
    const mtimes = async (): Promise<Map<string, number>> =>
      new Map(
        await Promise.all(
          images.map(async (p) => [p, (await Deno.stat(join(dir, p))).mtime!.getTime()] as const),
        ),
      );
    try {
      await Deno.writeTextFile(join(dir, "config.yaml"), configYaml(cohort.server.endpoint, subjects));

      await t.step("snakemake --cores 2 writes every output, its sidecar and the summary", async () => {
        const run = await snakemake(dir, []);
        assertStrictEquals(run.code, 0, run.log.slice(-4000));
        assertEquals(jobCounts(run.log), {
          all: 1,
          "fetch_L0-RAS": 6,
          fetch_iso40: 3,
          levels: 3,
          summary: 1,
        });
        // Memory hints come from each subject's levels (450 MiB + 1.2 × twice a level of at most 61 KB),
        // not from the fallback used before the levels are known (default_mem_mb, 4000).
        const fetchJobs = run.log.split(/\n(?=\S)/).filter((block) => /^rule fetch_/.test(block));
        assertEquals(fetchJobs.length, 9);
        for (const job of fetchJobs) assertMatch(job, /mem_mb=451\b/);
        for (const image of images) {
          await Deno.stat(join(dir, image));
          await Deno.stat(join(dir, image.replace(/\.(nii\.gz|nrrd)$/, ".json")));
        }
        // The voxels, read by an independent reader, against the generated data placed by hand: RAS output
        // index (i, j, k) runs toward right, anterior, superior.
        const asset = (s: string): string => cohort.datasets.get(s)!.stitchedNames[0];
        const seed = readNifti(
          await Deno.readFile(join(dir, "results/652506/652506_Ex_561_Em_593_L0-RAS.nii.gz")),
        );
        const seedSource = cohort.datasets.get("652506")!.voxels(asset("652506"), "Ex_561_Em_593", 0).data;
        assertEquals(seed.dims.slice(0, 4), [3, 32, 40, 24]);
        // Reference axes: Zarr (d0, d1, d2) = (Z toward inferior, Y toward anterior, X toward right).
        const seedExpected = new Uint16Array(32 * 40 * 24);
        for (let k = 0; k < 24; k++) {
          for (let j = 0; j < 40; j++) {
            for (let i = 0; i < 32; i++) {
              seedExpected[(k * 40 + j) * 32 + i] = seedSource[((23 - k) * 40 + j) * 32 + i];
            }
          }
        }
        assertEquals(seed.voxels, seedExpected);
        const permuted = readNifti(
          await Deno.readFile(join(dir, "results/652508/652508_Ex_561_Em_593_L0-RAS.nii.gz")),
        );
        const source = cohort.datasets.get("652508")!.voxels(asset("652508"), "Ex_561_Em_593", 0).data;
        // Permuted axes: Zarr (d0, d1, d2) = (X toward right, Z toward inferior, Y toward anterior), sizes
        // (28, 20, 36): output x = d0, y = d2, z = d1 reversed.
        assertEquals(permuted.dims.slice(0, 4), [3, 28, 36, 20]);
        assertEquals(permuted.pixDims.slice(1, 4).map((v) => Number(v.toFixed(6))), [0.012, 0.0144, 0.016]);
        const expected = new Uint16Array(28 * 36 * 20);
        for (let k = 0; k < 20; k++) {
          for (let j = 0; j < 36; j++) {
            for (let i = 0; i < 28; i++) {
              expected[(k * 36 + j) * 28 + i] = source[(i * 20 + (19 - k)) * 36 + j];
            }
          }
        }
        assertEquals(permuted.voxels, expected);
      });

      await t.step("the summary lists every output with its geometry, caveats and a thumbnail", async () => {
        const rows = parseCsv(await Deno.readTextFile(join(dir, "results/summary.csv")));
        assertEquals(rows.length, 9);
        const row = (s: string, c: string, o: string): Record<string, string> =>
          rows.find((r) => r.subject === s && r.channel === c && r.output === `${c}_${o}`)!;
        for (const s of subjects) {
          for (const c of CHANNELS) {
            assertEquals(row(s, c, "L0-RAS").file, `results/${s}/${s}_${c}_L0-RAS.nii.gz`);
            assertEquals(row(s, c, "L0-RAS").orientation, "RAS");
            assertEquals(row(s, c, "L0-RAS").level, "0");
            assertEquals(
              Number(row(s, c, "L0-RAS").bytes),
              (await Deno.stat(join(dir, `results/${s}/${s}_${c}_L0-RAS.nii.gz`))).size,
            );
          }
          // 40 µm: the coarsest level at least as fine on every axis is level 1 for every subject.
          const iso = row(s, "Ex_561_Em_593", "iso40");
          assertEquals([iso.orientation, iso.level, iso.spacing_mm_xyz], ["PIR", "1", "0.04x0.04x0.04"]);
          assertEquals(iso.file, `results/${s}/${s}_Ex_561_Em_593_iso40.nrrd`);
        }
        assertEquals(row("652506", "Ex_488_Em_525", "L0-RAS").size_xyz, "32x40x24");
        assertEquals(row("652506", "Ex_488_Em_525", "L0-RAS").spacing_mm_xyz, "0.0144x0.0144x0.016");
        assertEquals(row("652508", "Ex_488_Em_525", "L0-RAS").size_xyz, "28x36x20");
        assertEquals(row("652508", "Ex_488_Em_525", "L0-RAS").spacing_mm_xyz, "0.012x0.0144x0.016");
        assertEquals(
          row("652506", "Ex_561_Em_593", "L0-RAS").caveats,
          "smartspim-2022-2023-y-posterior-to-anterior",
        );
        assertEquals(row("652507", "Ex_561_Em_593", "L0-RAS").caveats, "");
        // The acquisitions as nibabel letters: where index axes x, y, z (Zarr d2, d1, d0) point.
        assertEquals(row("652506", "Ex_561_Em_593", "L0-RAS").source_orientation, "RAI");
        assertEquals(row("652508", "Ex_561_Em_593", "L0-RAS").source_orientation, "AIR");

        const html = await Deno.readTextFile(join(dir, "results/summary.html"));
        // The permuted subject's outputs differ in size from the same outputs of the two others: highlighted.
        const odd = [...html.matchAll(/<tr class="odd">[\s\S]*?<\/tr>/g)].map((m) => m[0]);
        assertEquals(odd.length, 3);
        for (const row of odd) assertStringIncludes(row, "<b>652508</b>");
        const images = [
          ...html.matchAll(/<img [^>]*width="(\d+)" height="(\d+)" src="data:image\/png;base64,([^"]+)"/g),
        ];
        assertEquals(images.length, 9);
        for (const [, width, height, data] of images) {
          const png = decodePng(Uint8Array.from(atob(data), (ch) => ch.charCodeAt(0)));
          assertEquals([png.width, png.height], [Number(width), Number(height)]);
          // Gray + alpha; some pixels bright (the brain), some dark (the background).
          const gray = Array.from({ length: png.width * png.height }, (_, i) => png.data[2 * i]);
          assert(gray.some((v) => v > 200) && gray.some((v) => v < 50), "a thumbnail is blank");
        }
      });

      await t.step("a re-run has nothing to do", async () => {
        const before = await mtimes();
        const run = await snakemake(dir, []);
        assertStrictEquals(run.code, 0, run.log.slice(-4000));
        assertMatch(run.log, /Nothing to be done/);
        assertEquals(await mtimes(), before);
      });

      await t.step("deleting one output re-creates only that one (and the summary)", async () => {
        const victim = "results/652507/652507_Ex_561_Em_593_L0-RAS.nii.gz";
        const bytes = await Deno.readFile(join(dir, victim));
        const before = await mtimes();
        await Deno.remove(join(dir, victim));
        const run = await snakemake(dir, []);
        assertStrictEquals(run.code, 0, run.log.slice(-4000));
        assertEquals(jobCounts(run.log), { all: 1, "fetch_L0-RAS": 1, summary: 1 });
        assertEquals(await Deno.readFile(join(dir, victim)), bytes);
        const after = await mtimes();
        for (const image of images) {
          if (image === victim) assertNotEquals(after.get(image), before.get(image));
          else assertStrictEquals(after.get(image), before.get(image), `${image} was rewritten`);
        }
      });

      await t.step(
        "subjects from a CSV (one pinned to an asset) and from an S3 prefix (spimfetch list)",
        async () => {
          const pinned = cohort.datasets.get("652507")!.stitchedNames[0];
          await Deno.writeTextFile(join(dir, "subjects.csv"), `subject,asset\n652506,\n652507,${pinned}\n`);
          await Deno.writeTextFile(
            join(dir, "discovery.yaml"),
            configYaml(cohort.server.endpoint, [], {
              outdir: "discovery",
              subjects_csv: "subjects.csv",
              subjects_prefix: "SmartSPIM_6525",
            }),
          );
          const run = await snakemake(dir, ["-n", "-p"], "discovery.yaml");
          assertStrictEquals(run.code, 0, run.log.slice(-4000));
          assertEquals(jobCounts(run.log).levels, 4);
          assertStringIncludes(run.log, `info ${pinned} --endpoint`);
          assertStringIncludes(run.log, "info 652509 --endpoint");
          assertStringIncludes(run.log, `fetch --asset ${pinned} --channel Ex_561_Em_593`);
        },
      );

      await t.step("a config error names the output and what it needs", async () => {
        await Deno.writeTextFile(
          join(dir, "bad.yaml"),
          configYaml(cohort.server.endpoint, subjects, { outputs: { plain: { level: 1, format: "tiff" } } }),
        );
        const run = await snakemake(dir, ["-n"], "bad.yaml");
        assertNotEquals(run.code, 0);
        // The formats come from `spimfetch formats --json`, the one table.
        assertStringIncludes(
          run.log,
          'cohort config: output plain has format "tiff": expected one of nii.gz, nii, nrrd, ome.zarr',
        );
      });

      await t.step(
        "a subject missing a channel fails that job with the CLI's error; the others complete",
        async () => {
          await Deno.writeTextFile(
            join(dir, "config.yaml"),
            configYaml(cohort.server.endpoint, [...subjects, "652509"]),
          );
          const run = await snakemake(dir, ["--keep-going", "--show-failed-logs"]);
          assertNotEquals(run.code, 0);
          // The subject's other jobs completed.
          for (const output of ["L0-RAS.nii.gz", "iso40.nrrd"]) {
            await Deno.stat(join(dir, `results/652509/652509_Ex_561_Em_593_${output}`));
          }
          const missing = join(dir, "results/652509/652509_Ex_488_Em_525_L0-RAS.nii.gz");
          assert(!await Deno.stat(missing).then(() => true, () => false), `${missing} exists`);
          const log = await Deno.readTextFile(
            join(dir, "results/logs/652509/652509_Ex_488_Em_525_L0-RAS.log"),
          );
          const errors = log.split("\n").filter((line) => line.startsWith("error: "));
          assertEquals(errors.length, 1, log);
          assertMatch(
            errors[0],
            /^error: Unknown channel "Ex_488_Em_525" in SmartSPIM_652509_.*Ex_561_Em_593/,
          );
          // --show-failed-logs puts it in Snakemake's own output.
          assert(run.log.includes(errors[0]), run.log.slice(-4000));
          assertEquals(run.log.match(/Error in rule \S+:/g), ["Error in rule fetch_L0-RAS:"]);
        },
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: version === undefined
    ? "cohort workflow with CCF outputs (SKIPPED: snakemake not installed)"
    : `cohort workflow with Snakemake ${version}: the ccf rule writes the brain in CCF and its sidecar`,
  ignore: version === undefined && !inCi,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(): Promise<void> {
    if (version === undefined) throw new Error("snakemake is not installed (CI installs it in .ci/run)");
    const { serveCcfDataset } = await import("../../testing/ccf_dataset.ts");
    // 700001: registered by capsule 0.0.25 (both version corrections), channel Ex_639_Em_667.
    await using served = await serveCcfDataset();
    const dir = await Deno.makeTempDir({ prefix: "spimfetch-cohort-ccf-" });
    try {
      const channel = "Ex_639_Em_667";
      const config = JSON.parse(configYaml(served.s3.endpoint, ["700001"]));
      config.channels = [channel];
      config.outputs = { L2: { level: 2, orientation: "PIR" } };
      config.ccf = { channels: [channel] };
      await Deno.writeTextFile(join(dir, "config.yaml"), JSON.stringify(config, null, 2));
      const run = await snakemake(dir, []);
      assertStrictEquals(run.code, 0, run.log);
      assertEquals(jobCounts(run.log).ccf, 1, run.log);
      const stem = join(dir, `results/700001/700001_${channel}_ccf`);
      // The CCF 25 µm grid (528 × 320 × 456, PIR) as an independent reader sees it.
      const { dims, pixDims } = readNifti(await Deno.readFile(`${stem}.nii.gz`));
      assertEquals(dims.slice(1, 4), [528, 320, 456]);
      assertEquals(pixDims.slice(1, 4).map((d) => Number(d.toFixed(6))), [0.025, 0.025, 0.025]);
      const sidecar = JSON.parse(await Deno.readTextFile(`${stem}.json`));
      const asset = served.dataset.assets.get("700001")!;
      assertEquals(sidecar.source.asset, asset.name);
      assertEquals(sidecar.registration.capsuleVersion, "0.0.25");
      assertEquals(
        sidecar.transforms.used.map((f: { transform: string }) => f.transform),
        ["templateWarp", "templateAffine", "lsWarp", "lsAffine"],
      );
      // The summary lists the fetch outputs (the CCF image has its own sidecar format).
      const rows = parseCsv(await Deno.readTextFile(join(dir, "results/summary.csv")));
      assertEquals(rows.map((r) => r.subject), ["700001"]);
      const again = await snakemake(dir, []);
      assertStringIncludes(again.log, "Nothing to be done");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
