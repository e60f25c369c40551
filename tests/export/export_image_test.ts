/**
 * Every combination of the export pipeline's options, on synthetic data served by a local S3 server:
 * {level | resolution | max-bytes} × {no region | roi | roi-mm} × {no resample | spacing} ×
 * {no reorient | orientation} × every output format. Each output is read back by an independent reader and
 * compared, voxel by voxel and position by position, with a reference computed here from the generated
 * voxels, the level's geometry worked out by hand, and the definition of area averaging.
 *
 * @module
 */
import { assert, assertAlmostEquals, assertEquals, assertStrictEquals } from "@std/assert";
import { exportImage } from "../../lib/export/export_image.ts";
import { OUTPUT_FORMATS } from "../../lib/export/formats.ts";
import type { ExportPlanOptions } from "../../lib/export/plan.ts";
import { openSource } from "../../lib/source/open_source.ts";
import type { Region } from "../../lib/core/volume.ts";
import { serveDataset } from "../../testing/fixture.ts";
import { hasZarrPython, readOutput } from "../../testing/output_readers.ts";
import { slowResample } from "../../testing/slow_resample.ts";
import { listDir } from "../../testing/run_cli.ts";

type Vec3 = [number, number, number];
const CHANNEL = "Ex_561_Em_593";
const ASSET = "SmartSPIM_652506_2023-01-09_10-18-12_stitched_2023-01-13_19-00-54";
// zarr-python (Debian's python3-zarr) reads the .ome.zarr outputs back; CI installs it (.ci/run).
const ZARR_PYTHON = await hasZarrPython();
if (!ZARR_PYTHON && Deno.env.get("CI") === "true") throw new Error("python3-zarr is missing: CI installs it");
if (!ZARR_PYTHON) console.warn("python3-zarr not found: .ome.zarr outputs are not checked (CI checks them)");
const FORMATS = OUTPUT_FORMATS.filter((f) => ZARR_PYTHON || f.suffix !== ".ome.zarr");
const SPEC = { shape: [40, 56, 48] as Vec3, chunks: [16, 16, 16] as Vec3, levels: 3, channels: [CHANNEL] };

// Level 1 of SPEC: sizes (x, y, z) and spacing in mm (level 0 is 14.4 × 14.4 × 16 µm, halved once).
const SIZE: Vec3 = [24, 28, 20];
const SPACING: Vec3 = [0.0288, 0.0288, 0.032];

/**
 * The reference acquisition axes (x toward right, y toward anterior, z toward inferior) put level voxel
 * (i, j, k) at LPS ((n − 1 − i)·s) per axis: RAI, every index axis pointing against LPS, the last voxel at 0.
 */
function levelToLps([i, j, k]: readonly number[]): Vec3 {
  return [(SIZE[0] - 1 - i) * SPACING[0], (SIZE[1] - 1 - j) * SPACING[1], (SIZE[2] - 1 - k) * SPACING[2]];
}
function lpsToLevel(p: readonly number[]): Vec3 {
  return [0, 1, 2].map((a) => SIZE[a] - 1 - p[a] / SPACING[a]) as Vec3;
}

const LEVELS: [string, Pick<ExportPlanOptions, "level">][] = [
  ["level 1", { level: 1 }],
  // Level 1 (0.032 mm at most) is the coarsest at least as fine as 0.035 mm; level 2 is 0.064.
  ["resolution 0.035", { level: { resolution: 0.035 } }],
  // Level 1 whole is 26 880 bytes, level 0 215 040 (and its roi-mm box 68 992): level 1 is the finest that fits.
  ["max-bytes 30000", { level: { maxBytes: 30000 } }],
];
const REGIONS: [string, Pick<ExportPlanOptions, "roi" | "roiMm">, Required<Region>][] = [
  ["whole", {}, { x: [0, 24], y: [0, 28], z: [0, 20] }],
  ["roi", { roi: { x: [2, 20], y: [3, 25], z: [1, 17] } }, { x: [2, 20], y: [3, 25], z: [1, 17] }],
  // Centres i·s inside [from, to]: x 0.1/0.0288 = 3.47 → 4 up to 0.5/0.0288 = 17.4 → 17; z 3.1 → 4, 14.06 → 14.
  ["roi-mm", { roiMm: { x: [0.1, 0.5], z: [0.1, 0.45] } }, { x: [4, 18], y: [0, 28], z: [4, 15] }],
];
const RESAMPLES: [string, { spacing?: number }][] = [["native", {}], ["0.05 mm", {
  spacing: 0.05,
}]];
const ORIENTATIONS: [string, Pick<ExportPlanOptions, "orientation">][] = [["as stored", {}], ["PIR", {
  orientation: "PIR",
}]];

/** What the output must hold: for each output voxel's position, the value there. */
function reference(
  voxels: Uint16Array,
  region: Required<Region>,
  spacing: number | undefined,
): { size: Vec3; valueAt(p: Vec3): number } {
  const start: Vec3 = [region.x[0], region.y[0], region.z[0]];
  const size = [region.x, region.y, region.z].map(([a, b]) => b - a) as Vec3;
  const at = (q: Vec3): number => voxels[(q[2] * SIZE[1] + q[1]) * SIZE[0] + q[0]];
  const checkWhole = (q: number[], what: string): Vec3 => {
    // NIfTI stores its affine in float32: positions carry about 1e-7 relative error.
    for (const v of q) assertAlmostEquals(v, Math.round(v), 1e-4, `${what} index ${q}`);
    return q.map(Math.round) as Vec3;
  };
  if (spacing === undefined) {
    return {
      size,
      valueAt: (p) => {
        const q = checkWhole(lpsToLevel(p), "level");
        q.forEach((v, a) => assert(v >= start[a] && v < start[a] + size[a], `voxel ${q} outside the region`));
        return at(q);
      },
    };
  }
  const factors = SPACING.map((s) => spacing / s) as Vec3;
  const m = size.map((n, a) => Math.floor(n / factors[a])) as Vec3;
  const part = new Uint16Array(size[0] * size[1] * size[2]);
  for (let k = 0; k < size[2]; k++) {
    for (let j = 0; j < size[1]; j++) {
      for (let i = 0; i < size[0]; i++) {
        part[(k * size[1] + j) * size[0] + i] = at([start[0] + i, start[1] + j, start[2] + k]);
      }
    }
  }
  const averaged = slowResample(part, size, factors, m);
  return {
    size: m,
    valueAt: (p) => {
      // An output voxel's centre sits at region index (n + 0.5)·f − 0.5 for whole n (the half-voxel rule).
      const q = lpsToLevel(p).map((v, a) => (v - start[a] + 0.5) / factors[a] - 0.5);
      const n = checkWhole(q, "resampled");
      n.forEach((v, a) => assert(v >= 0 && v < m[a], `resampled voxel ${n} outside ${m}`));
      return Math.round(averaged[(n[2] * m[1] + n[1]) * m[0] + n[0]]);
    },
  };
}

Deno.test("every combination of level, region, spacing, orientation and format exports the right voxels in the right places", async (t) => {
  await using fixture = await serveDataset(SPEC);
  using source = await openSource({ subject: "652506", channel: CHANNEL }, fixture.s3);
  const voxels = fixture.dataset.voxels(ASSET, CHANNEL, 1).data;
  const dir = await Deno.makeTempDir();
  try {
    let count = 0;
    for (const [levelName, level] of LEVELS) {
      for (const [regionName, region, expectedRegion] of REGIONS) {
        for (const [resampleName, resample] of RESAMPLES) {
          for (const [orientationName, orientation] of ORIENTATIONS) {
            const name = `${levelName}, ${regionName}, ${resampleName}, ${orientationName}`;
            await t.step(name, async () => {
              const want = reference(voxels, expectedRegion, resample.spacing);
              for (const format of FORMATS) {
                const out = `${dir}/${count++}${format.suffix}`;
                const result = await exportImage(source, {
                  ...level,
                  ...region,
                  ...resample,
                  ...orientation,
                  out,
                });
                assertStrictEquals(result.level.index, 1);
                const back = await readOutput(out);
                // The output's axes are some signed permutation of the reference's: same sizes as a set.
                assertEquals([...back.size].sort(), [...want.size].sort(), format.suffix);
                const seen = new Set<string>();
                const [ox, oy, oz] = back.size;
                for (let k = 0; k < oz; k++) {
                  for (let j = 0; j < oy; j++) {
                    for (let i = 0; i < ox; i++) {
                      const p = back.toLps([i, j, k]);
                      seen.add(p.map((v) => v.toFixed(4)).join());
                      assertStrictEquals(
                        back.data[(k * oy + j) * ox + i],
                        want.valueAt(p),
                        `${format.suffix} ${i},${j},${k}`,
                      );
                    }
                  }
                }
                assertStrictEquals(seen.size, ox * oy * oz, "every output voxel at its own position");
                if (orientation.orientation) {
                  // PIR: index x toward posterior (LPS +y), y toward inferior (−z), z toward right (−x).
                  const axis = (a: number): number[] =>
                    [0, 1, 2].map((p) =>
                      Math.sign(
                        back.toLps(a === 0 ? [1, 0, 0] : a === 1 ? [0, 1, 0] : [0, 0, 1])[p] -
                          back.toLps([0, 0, 0])[p],
                      ) + 0
                    );
                  assertEquals([axis(0), axis(1), axis(2)], [[0, 1, 0], [0, 0, -1], [-1, 0, 0]]);
                }
                const sidecar = JSON.parse(await Deno.readTextFile(result.sidecar));
                assertEquals(sidecar.output.size, back.size);
                assertStrictEquals(sidecar.source.endpoint, fixture.s3.endpoint);
                assertStrictEquals(sidecar.source.level.index, 1);
                assertEquals(sidecar.source.region, expectedRegion);
              }
            });
          }
        }
      }
    }
    // Nothing but outputs and sidecars: no temporary file survives.
    const names = await listDir(dir);
    assert(names.every((n) => /^\d+(\.nii\.gz|\.nii|\.nrrd|\.ome\.zarr|\.json)$/.test(n)), names.join(" "));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// The reference geometry above is worked out by hand; check it against one voxel the notebook names.
Deno.test("the hand-made level geometry puts voxel 0 at (n − 1)·spacing", () => {
  assertEquals(levelToLps([0, 0, 0]).map((v) => Number(v.toFixed(6))), [0.6624, 0.7776, 0.608]);
});
