/**
 * `spimfetch cells` end to end on a local S3 server (segmented assets, every era) and a fake atlas bucket:
 * the tables are read back with Python's `csv` and `json` modules (an independent reader) and compared
 * with counts derived in this test from the closed-form transforms and annotation.
 *
 * Needs `python3` (`.ci/run` installs it): skipped locally without it, failing in CI.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { clearTransformCache } from "../../lib/ccf/mod.ts";
import { runCli } from "../../testing/run_cli.ts";
import { atlasLabel, INDEX_TERMS, serveCellsDataset, TERMS } from "../../testing/cells_dataset.ts";

type Vec3 = [number, number, number];

async function hasPython(): Promise<boolean> {
  try {
    return (await new Deno.Command("python3", {
      args: ["-c", "import csv, json"],
      stdout: "null",
      stderr: "null",
    })
      .output()).success;
  } catch {
    return false;
  }
}

const python = await hasPython();
if (!python && Deno.env.get("CI") === "true") {
  Deno.test("cells CLI (CI): python3 is missing", () => {
    throw new Error(
      "Cannot read the tables back in CI: python3 is missing; .ci/run should have installed it",
    );
  });
} else if (!python) {
  console.warn("WARNING: cells CLI tests SKIPPED: python3 not installed; .ci/run installs it.");
}

/** Rows of a CSV or JSON file as Python reads them. */
async function pythonRows(path: string): Promise<Record<string, string>[]> {
  const script = path.endsWith(".json")
    ? "import json,sys; rows=json.load(open(sys.argv[1])); print(json.dumps([{k: '' if v is None else str(v) for k, v in r.items()} for r in rows]))"
    : "import csv,json,sys; print(json.dumps(list(csv.DictReader(open(sys.argv[1], newline='')))))";
  const out = await new Deno.Command("python3", { args: ["-c", script, path], stdout: "piped" }).output();
  assert(out.success, `python3 could not read ${path}`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** Hierarchical counts of cells by the test's own lookup (nearest 100 µm voxel), by acronym. */
function expected(ccf: readonly Vec3[]): Map<string, [number, number]> {
  const counts = new Map<string, [number, number]>();
  for (const [ap, dv, ml] of ccf) {
    const index = atlasLabel(...[ap, dv, ml].map((v) => 100 * Math.round(v / 100)) as Vec3);
    let term = TERMS.find((t) => INDEX_TERMS[index] && t.label.endsWith(`-${INDEX_TERMS[index]}`));
    // A term repeating its parent's id (cst's own substructure) counts once.
    const seen = new Set<string>();
    for (; term; term = TERMS.find((t) => t.label === term!.parent)) {
      if (seen.has(term.acronym)) continue;
      seen.add(term.acronym);
      const c = counts.get(term.acronym) ?? [0, 0];
      c[ml < 5700 ? 0 : 1]++;
      counts.set(term.acronym, c);
    }
  }
  return counts;
}

Deno.test({
  name: python
    ? "spimfetch cells: counts, recount, cohort, points, filters and errors"
    : "cells CLI (SKIPPED: no python3)",
  ignore: !python,
  async fn(t): Promise<void> {
    clearTransformCache();
    await using served = await serveCellsDataset();
    const ep = served.s3.endpoint;
    const s3 = ["--endpoint", ep, "--atlas-endpoint", ep, "--quiet"];
    const dir = await Deno.makeTempDir({ prefix: "spimfetch-cells-" });
    try {
      await t.step("--recount for one subject: AIND's rows and ours, as the closed form counts", async () => {
        const out = join(dir, "counts.csv");
        const run = await runCli(["cells", "--subject", "700002", "--recount", ...s3, "--out", out]);
        assertEquals(run.code, 0, run.err);
        assertStringIncludes(run.err, "our CCF cells vs AIND's");
        const rows = await pythonRows(out);
        assertEquals(Object.keys(rows[0]), [
          "subject",
          "channel",
          "structure_id",
          "acronym",
          "name",
          "parent_id",
          "depth",
          "hemisphere",
          "count",
          "volume_mm3",
          "density_per_mm3",
          "source",
        ]);
        for (const [channel, cells] of served.truth.get("700002")!) {
          for (const [acronym, [l, r]] of expected(cells.ccf)) {
            for (const source of ["aind", "recount"]) {
              const mine = rows.filter((row) =>
                row.channel === channel && row.acronym === acronym && row.source === source
              );
              assertEquals(
                mine.map((row) => [row.subject, row.hemisphere, Number(row.count)]),
                [["700002", "left", l], ["700002", "right", r], ["700002", "both", l + r]],
                `${channel} ${acronym} ${source}`,
              );
            }
          }
        }
        // The same file again without --force: refused, the file left as it was.
        const before = await Deno.readTextFile(out);
        const again = await runCli(["cells", "--subject", "700002", ...s3, "--out", out]);
        assertEquals(again.code, 1);
        assertStringIncludes(again.err, "--force");
        assertEquals(await Deno.readTextFile(out), before);
      });

      await t.step("a cohort from a subjects file, as JSON, filtered by --regions", async () => {
        const list = join(dir, "subjects.txt");
        await Deno.writeTextFile(list, "# cohort\n700002\n700006  # the 2023 one\n");
        const out = join(dir, "cohort.json");
        const run = await runCli([
          "cells",
          "--subjects",
          list,
          "--regions",
          "VISp,root",
          ...s3,
          "--out",
          out,
        ]);
        assertEquals(run.code, 0, run.err);
        const rows = await pythonRows(out);
        assertEquals(new Set(rows.map((r) => r.subject)), new Set(["700002", "700006"]));
        assertEquals(new Set(rows.map((r) => r.acronym)), new Set(["VISp", "root"]));
        // 700006's Ex_488_Em_525 has no quantification: AIND's counts come from its other channel only.
        const cells = served.truth.get("700006")!.get("Ex_639_Em_667")!;
        const [l, r] = expected(cells.ccf).get("VISp") ?? [0, 0];
        const visp = rows.filter((row) => row.subject === "700006" && row.acronym === "VISp");
        assertEquals(visp.map((row) => [row.channel, row.hemisphere, Number(row.count)]), [
          ["Ex_639_Em_667", "left", l],
          ["Ex_639_Em_667", "right", r],
          ["Ex_639_Em_667", "both", l + r],
        ]);
      });

      await t.step("--depth keeps structures at most that deep", async () => {
        const out = join(dir, "depth.csv");
        const run = await runCli(["cells", "--subject", "700002", "--depth", "2", ...s3, "--out", out]);
        assertEquals(run.code, 0, run.err);
        const rows = await pythonRows(out);
        assertEquals(
          new Set(rows.map((r) => r.acronym)),
          new Set(["root", "grey", "fiber tracts", "Isocortex", "TH", "STR", "lfbs"]),
        );
      });

      await t.step("--points writes each cell with its CCF position and structure", async () => {
        const out = join(dir, "cells.csv");
        const run = await runCli([
          "cells",
          "--subject",
          "700002",
          "--channel",
          "Ex_488_Em_525",
          "--points",
          ...s3,
          "--out",
          out,
        ]);
        assertEquals(run.code, 0, run.err);
        const rows = await pythonRows(out);
        const cells = served.truth.get("700002")!.get("Ex_488_Em_525")!;
        assertEquals(rows.length, cells.zyx.length);
        for (const [i, row] of rows.entries()) {
          assertEquals([Number(row.z), Number(row.y), Number(row.x)], cells.zyx[i]);
          const [ap, dv, ml] = cells.ccf[i];
          assert(
            Math.abs(Number(row.ap) - ap) < 3 && Math.abs(Number(row.dv) - dv) < 3 &&
              Math.abs(Number(row.ml) - ml) < 3,
          );
          assertEquals(row.hemisphere, ml < 5700 ? "left" : "right");
          const index = atlasLabel(...[ap, dv, ml].map((v) => 100 * Math.round(v / 100)) as Vec3);
          const term = TERMS.find((t) => INDEX_TERMS[index] && t.label.endsWith(`-${INDEX_TERMS[index]}`));
          assertEquals(row.acronym, term?.acronym ?? "");
        }
      });

      await t.step("mistakes: a missing channel, .parquet, no --out", async () => {
        const missing = await runCli([
          "cells",
          "--subject",
          "700002",
          "--channel",
          "Ex_561_Em_593",
          ...s3,
          "--out",
          join(dir, "x.csv"),
        ]);
        assertEquals(missing.code, 1);
        assertStringIncludes(missing.err, 'Unknown channel "Ex_561_Em_593"');
        assertStringIncludes(missing.err, "Ex_488_Em_525, Ex_639_Em_667");
        const parquet = await runCli([
          "cells",
          "--subject",
          "700002",
          ...s3,
          "--out",
          join(dir, "x.parquet"),
        ]);
        assertEquals(parquet.code, 2);
        assertStringIncludes(parquet.err, "Parquet");
        assertEquals((await runCli(["cells", "--subject", "700002"])).code, 2);
        assertEquals(
          await Array.fromAsync(Deno.readDir(dir)).then((e) => e.some((f) => f.name.startsWith("x."))),
          false,
        );
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("the launcher grants cells the atlas bucket's hosts, the subjects file and the output's folder", async () => {
  const { planPermissions } = await import("../../cli/permissions.ts");
  const flags = planPermissions({
    args: ["cells", "--subjects", "cohort.txt", "--recount", "--out", "/tmp/out/counts.csv"],
    cwd: "/home/me",
    packageDir: "/opt/spimfetch",
  });
  const net = flags.find((f) => f.startsWith("--allow-net="))!.split("=")[1].split(",");
  assertEquals(net.sort(), [
    "aind-open-data.s3.us-west-2.amazonaws.com",
    "allen-brain-cell-atlas.s3.us-west-2.amazonaws.com",
    "s3.us-west-2.amazonaws.com",
  ]);
  assert(flags.find((f) => f.startsWith("--allow-read="))!.includes("/home/me/cohort.txt"));
  assertEquals(flags.find((f) => f.startsWith("--allow-write=")), "--allow-write=/tmp/out");
  const local = planPermissions({
    args: [
      "cells",
      "--subject",
      "1",
      "--endpoint",
      "http://127.0.0.1:9000",
      "--atlas-endpoint",
      "http://10.0.0.2:9100",
    ],
    cwd: "/home/me",
    packageDir: "/opt/spimfetch",
  });
  assertEquals(local.find((f) => f.startsWith("--allow-net=")), "--allow-net=127.0.0.1:9000,10.0.0.2:9100");
});
