/**
 * Channels chosen per subject by the cohort workflow: two subjects with no
 * channel in common, one registered by AIND (its registered channel named in
 * processing.json) and one not, with `registration`, a wavelength and `all`.
 * Expected jobs follow from the generated datasets' channel lists, written
 * out here by hand.
 */
import { assert, assertEquals, assertStrictEquals } from "@std/assert";
import { join } from "node:path";
import { serveCcfDataset } from "../../testing/ccf_dataset.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const SNAKEFILE = join(ROOT, "workflows/cohort/Snakefile");
const LAUNCHER = join(ROOT, "spimfetch.ts");

async function snakemakeVersion(): Promise<string | undefined> {
  try {
    const out = await new Deno.Command("snakemake", { args: ["--version"], stdout: "piped", stderr: "null" })
      .output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
  } catch {
    return undefined;
  }
}

const version = await snakemakeVersion();
const inCi = Deno.env.get("CI") === "true";
if (version === undefined && !inCi) {
  console.warn("WARNING: cohort channel test SKIPPED: snakemake not installed (apt-get install snakemake).");
}

function parseCsv(text: string): Record<string, string>[] {
  // No field checked here holds a comma, quote or line break.
  const [header, ...lines] = text.trim().split("\n");
  const names = header.split(",");
  return lines.map((line) => Object.fromEntries(line.split(",").map((v, i) => [names[i], v])));
}

Deno.test({
  name: version === undefined
    ? `cohort channels per subject (${inCi ? "FAILS in CI" : "SKIPPED"}: snakemake not installed)`
    : `cohort workflow (Snakemake ${version}) resolves registration, wavelengths and all per subject`,
  ignore: version === undefined && !inCi,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(): Promise<void> {
    assert(version !== undefined, "snakemake is not installed: CI must install it (.ci/run)");
    await using served = await serveCcfDataset({
      assets: [
        {
          subject: "700001",
          acquiredAt: "2023-03-01_10-00-00",
          stitchedAt: "2023-03-02_10-00-00",
          version: "0.0.25",
          channels: ["Ex_488_Em_525", "Ex_639_Em_667"],
          registeredChannel: "Ex_639_Em_667",
          shape: [24, 32, 28],
          levels: 2,
        },
        {
          subject: "700004",
          acquiredAt: "2024-07-01_10-00-00",
          stitchedAt: "2024-07-02_10-00-00",
          channels: ["Ex_445_Em_469", "Ex_561_Em_593"],
          shape: [24, 32, 28],
          levels: 2,
        },
      ],
      templates: [],
    });
    const dir = await Deno.makeTempDir({ prefix: "spimfetch-cohort-channels-" });
    try {
      await Deno.writeTextFile(
        join(dir, "config.yaml"),
        JSON.stringify({
          spimfetch: `${Deno.execPath()} run -q --allow-read --allow-env --allow-run ${LAUNCHER}`,
          outdir: "results",
          s3: served.s3,
          subjects: ["700001", "700004"],
          // The registered channel where there is one; the 561 channel where there is one.
          channels: ["registration", 561],
          outputs: {
            L1: { level: 1, orientation: "PIR" },
            every: { level: 1, format: "nrrd", channels: ["all"] },
          },
          threads: 1,
        }),
      );
      const out = await new Deno.Command("snakemake", {
        args: ["-s", SNAKEFILE, "--configfile", "config.yaml", "--cores", "2"],
        cwd: dir,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const log = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assertStrictEquals(out.code, 0, log.slice(-4000));
      const made = [];
      for (const subject of ["700001", "700004"]) {
        for await (const entry of Deno.readDir(join(dir, "results", subject))) {
          if (/\.(nii\.gz|nrrd)$/.test(entry.name)) made.push(entry.name);
        }
      }
      assertEquals(made.sort(), [
        "700001_Ex_488_Em_525_every.nrrd",
        "700001_Ex_639_Em_667_L1.nii.gz",
        "700001_Ex_639_Em_667_every.nrrd",
        "700004_Ex_445_Em_469_every.nrrd",
        "700004_Ex_561_Em_593_L1.nii.gz",
        "700004_Ex_561_Em_593_every.nrrd",
      ]);
      const rows = parseCsv(await Deno.readTextFile(join(dir, "results/summary.csv")));
      assertEquals(rows.length, 6);
      for (const row of rows) {
        // Level 1 of the generated level 0 (z, y, x spacing 16, 14.4, 14.4 µm): twice that, listed x, y, z.
        assertEquals([row.level, row.level_spacing_mm_xyz], ["1", "0.0288x0.0288x0.032"]);
        const registered = row.subject === "700001";
        assertEquals(
          [row.subject_channels, row.registration, row.acquired, row.stitched],
          registered
            ? [
              "Ex_488_Em_525 Ex_639_Em_667",
              "Ex_639_Em_667 capsule 0.0.25",
              "2023-03-01T10:00:00",
              "2023-03-02T10:00:00",
            ]
            : ["Ex_445_Em_469 Ex_561_Em_593", "", "2024-07-01T10:00:00", "2024-07-02T10:00:00"],
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
