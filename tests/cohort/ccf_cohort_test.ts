/**
 * The cohort in CCF: brains on one small grid, three registered (the template
 * times a gain plus noise) and one shifted by six voxels (misregistered). The
 * mean is read back with nifti-reader-js; the NCCs are recomputed here with
 * the two-pass (mean-centred) formula, not the summing one the library uses.
 */
import { assert, assertAlmostEquals, assertEquals, assertRejects } from "@std/assert";
import * as nifti from "nifti-reader-js";
import { gunzipSync } from "fflate";
import { join } from "node:path";
import { formatCcfCohortCsv, summarizeCcfCohort, writeCcfCohort } from "@spimfetch/spimfetch/cohort";
import { writeNifti } from "@spimfetch/spimfetch/write";

const [NX, NY, NZ] = [20, 16, 12];
const COUNT = NX * NY * NZ;
const GEOMETRY = {
  spacing: [0.025, 0.025, 0.025] as [number, number, number],
  origin: [1, 2, 3] as [number, number, number],
  direction: [[0, 0, 1], [1, 0, 0], [0, -1, 0]] as [
    [number, number, number],
    [number, number, number],
    [number, number, number],
  ],
};

/** A brain-like template: a bright ellipsoid with an internal gradient and a dark ventricle. */
function templateAt(x: number, y: number, z: number): number {
  const r = ((x - 9.5) / 8) ** 2 + ((y - 7.5) / 6) ** 2 + ((z - 5.5) / 5) ** 2;
  if (r > 1) return 50;
  const ventricle = ((x - 7) / 2) ** 2 + ((y - 7.5) / 2) ** 2 + ((z - 5.5) / 2) ** 2 < 1;
  return ventricle ? 40 : 200 + 20 * x - 5 * y;
}

function noise(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  };
}

function brain(gain: number, shiftX: number, seed: number): Uint16Array {
  const next = noise(seed);
  const data = new Uint16Array(COUNT);
  for (let z = 0; z < NZ; z++) {
    for (let y = 0; y < NY; y++) {
      for (let x = 0; x < NX; x++) {
        data[(z * NY + y) * NX + x] = Math.round(gain * templateAt(x - shiftX, y, z) + 30 * next());
      }
    }
  }
  return data;
}

function ncc(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ma = 0, mb = 0;
  for (let i = 0; i < a.length; i++) [ma, mb] = [ma + a[i], mb + b[i]];
  [ma, mb] = [ma / a.length, mb / a.length];
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

async function writeBrain(dir: string, subject: string, data: Uint16Array): Promise<string> {
  const path = join(dir, `${subject}_Ex_639_Em_667_ccf.nii.gz`);
  await writeNifti(path, { data, shape: [NZ, NY, NX], dtype: "uint16" }, { geometry: GEOMETRY });
  await Deno.writeTextFile(
    join(dir, `${subject}_Ex_639_Em_667_ccf.json`),
    JSON.stringify({
      source: {
        asset: `SmartSPIM_${subject}_2023-03-01_10-00-00_stitched_2023-03-02_10-00-00`,
        channel: "Ex_639_Em_667",
      },
      registration: { capsuleVersion: "0.0.25" },
      transforms: { used: [] },
      output: { size: [NX, NY, NZ], ...GEOMETRY },
    }),
  );
  return path;
}

Deno.test("summarizeCcfCohort() averages the brains and flags the misregistered one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "spimfetch-ccf-cohort-" });
  try {
    const brains = new Map([
      ["700001", brain(1.0, 0, 1)],
      ["700002", brain(1.2, 0, 2)],
      ["700003", brain(0.9, 0, 3)],
      ["700009", brain(1.0, 6, 4)], // six voxels (150 µm) off along x
    ]);
    const paths = [];
    for (const [subject, data] of brains) paths.push(await writeBrain(dir, subject, data));
    const template = new Uint16Array(COUNT);
    for (let z = 0; z < NZ; z++) {
      for (let y = 0; y < NY; y++) {
        for (let x = 0; x < NX; x++) template[(z * NY + y) * NX + x] = templateAt(x, y, z);
      }
    }
    const templatePath = join(dir, "template.nii.gz");
    await writeNifti(templatePath, { data: template, shape: [NZ, NY, NX], dtype: "uint16" }, {
      geometry: GEOMETRY,
    });

    const cohort = await summarizeCcfCohort(paths, { template: templatePath });
    const all = [...brains.values()];
    for (const [index, [subject, data]] of [...brains].entries()) {
      const row = cohort.rows[index];
      assertEquals([row.subject, row.channel, row.capsuleVersion], [subject, "Ex_639_Em_667", "0.0.25"]);
      const others = new Float64Array(COUNT);
      for (const other of all) {
        if (other !== data) {
          for (let i = 0; i < COUNT; i++) others[i] += other[i] / 3;
        }
      }
      assertAlmostEquals(row.nccToOthers!, ncc(data, others), 1e-9);
      assertAlmostEquals(row.nccToTemplate!, ncc(data, template), 1e-9);
    }
    assertEquals(cohort.rows.map((r) => r.flagged), [false, false, false, true]);
    // The registered brains correlate well with the template; the shifted one does not.
    for (const row of cohort.rows.slice(0, 3)) assert(row.nccToTemplate! > 0.9, String(row.nccToTemplate));
    assert(cohort.rows[3].nccToTemplate! < 0.6, String(cohort.rows[3].nccToTemplate));

    const written = await writeCcfCohort(cohort, {
      csv: join(dir, "ccf.csv"),
      mean: join(dir, "mean.nii.gz"),
    });
    assertEquals(written, [join(dir, "ccf.csv"), join(dir, "mean.nii.gz")]);
    assertEquals(await Deno.readTextFile(join(dir, "ccf.csv")), formatCcfCohortCsv(cohort.rows));
    assertEquals((await Deno.readTextFile(join(dir, "ccf.csv"))).split("\n")[4].split(",").slice(0, 5), [
      "700009",
      "Ex_639_Em_667",
      cohort.rows[3].nccToOthers!.toFixed(4),
      cohort.rows[3].nccToTemplate!.toFixed(4),
      "yes",
    ]);
    // The mean, as an independent reader sees it: float32 on the same grid.
    const buffer = gunzipSync(await Deno.readFile(join(dir, "mean.nii.gz"))).buffer as ArrayBuffer;
    const header = nifti.readHeader(buffer)!;
    assertEquals(header.dims.slice(0, 4), [3, NX, NY, NZ]);
    assertEquals(header.datatypeCode, nifti.NIFTI1.TYPE_FLOAT32);
    const mean = new Float32Array(nifti.readImage(header, buffer));
    for (let i = 0; i < COUNT; i += 97) {
      assertAlmostEquals(mean[i], all.reduce((s, d) => s + d[i], 0) / 4, 1e-3);
    }
    await assertRejects(() => writeCcfCohort(cohort, { csv: join(dir, "ccf.csv") }), Error, "exists");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("summarizeCcfCohort() refuses brains on different grids, naming both", async () => {
  const dir = await Deno.makeTempDir({ prefix: "spimfetch-ccf-cohort-" });
  try {
    const a = await writeBrain(dir, "700001", brain(1, 0, 1));
    const other = join(dir, "other");
    await Deno.mkdir(other);
    const b = join(other, "700002_Ex_639_Em_667_ccf.nii.gz");
    await writeNifti(b, { data: new Uint16Array(8), shape: [2, 2, 2], dtype: "uint16" }, {
      geometry: GEOMETRY,
    });
    await Deno.writeTextFile(
      join(other, "700002_Ex_639_Em_667_ccf.json"),
      JSON.stringify({
        source: { asset: "SmartSPIM_700002_2023-03-01_10-00-00_stitched_2023-03-02_10-00-00", channel: "C" },
        registration: { capsuleVersion: "0.0.33" },
        output: { size: [2, 2, 2], ...GEOMETRY },
      }),
    );
    await assertRejects(() => summarizeCcfCohort([a, b]), Error, "every brain must be on one CCF grid");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
