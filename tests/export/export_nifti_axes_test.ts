/**
 * End-to-end exports (S3 → library or CLI → NIfTI) of acquisitions whose axes
 * are not the reference notebook's: a permuted one (SmartSPIM_805110), a
 * flipped one (SmartSPIM_M2501) and a schema 2.x coordinate system (subject
 * 762444). Each real `acquisition.json` from `tests/fixtures/aind/` goes into
 * a synthetic asset on the local S3 server; the NIfTI written is read back by
 * nifti-reader-js and its sform and qform compared with an affine written out
 * by hand below, never with the library's own `toRasAffine`.
 *
 * Every case uses the same level 0: Zarr shape (z, y, x) = (24, 40, 32) and
 * spacing (z, y, x) = (20, 14.4, 10) µm, so NIfTI index axis i (Zarr x) has
 * 32 voxels of 0.01 mm, j (Zarr y) 40 of 0.0144 mm, k (Zarr z) 24 of 0.02 mm.
 * Sizes and spacings all differ, so an axis swapped or misplaced shows.
 *
 * How the affines are derived (conventions of `lib/orient.ts` and of the
 * reference notebook, see the "Orientation" notes):
 * - an acquisition axis's direction says where its Zarr dimension's index
 *   increases *to* (`Right_to_left`: toward the left);
 * - NIfTI's affine maps (i, j, k, 1) to RAS millimetres (+x right, +y
 *   anterior, +z superior): column c is the RAS unit vector of index c's
 *   direction times its spacing;
 * - the origin (voxel 0) is placed so that the box of voxel centres starts at
 *   0 on every LPS axis (+x left, +y posterior, +z superior): an index that
 *   runs toward right, anterior or inferior puts voxel 0 at (n − 1) · spacing
 *   on that LPS axis; RAS negates the LPS x and y.
 *
 * @module
 */
import { assert, assertAlmostEquals, assertEquals, assertStrictEquals } from "@std/assert";
import { exportNifti } from "../../lib/export/export_nifti.ts";
import { AIND_BUCKET } from "../../lib/s3/client.ts";
import { runCli } from "../../testing/run_cli.ts";
import { startS3Server, type TestS3Server } from "../../testing/s3_server.ts";
import { buildSmartSpimDataset, type Dataset } from "../../testing/smartspim_dataset.ts";
import { readNiftiFile } from "../../testing/nifti.ts";

const FIXTURES = new URL("../fixtures/aind/", import.meta.url);
const CHANNEL = "Ex_561_Em_593";
const SHAPE: [number, number, number] = [24, 40, 32];
const SPACING_UM: [number, number, number] = [20, 14.4, 10];

interface Case {
  /** What the acquisition is. */
  name: string;
  /** The real acquisition.json. */
  fixture: string;
  subject: string;
  acquiredAt: string;
  stitchedAt: string;
  /** The RAS affine, by hand (rows 0-2; row 3 is 0 0 0 1). */
  affine: number[][];
  /** Export through the CLI as well. */
  cli?: boolean;
}

const CASES: Case[] = [
  {
    // Zarr dim 0 (k) "Right_to_left", dim 1 (j) "Posterior_to_anterior", dim 2 (i) "Inferior_to_superior":
    // the stage's Z runs across the brain and its X along the body axis, a permutation of the reference.
    // Columns: i toward superior = RAS (0, 0, +1) × 0.01; j toward anterior = (0, +1, 0) × 0.0144;
    // k toward left = (−1, 0, 0) × 0.02.
    // Origin, LPS: i toward superior (+z LPS): 0; j toward anterior (−y LPS): 39 × 0.0144 = 0.5616;
    // k toward left (+x LPS): 0. LPS (0, 0.5616, 0) is RAS (0, −0.5616, 0).
    name: "a permuted acquisition (SmartSPIM_805110)",
    fixture: "SmartSPIM_805110_2025-07-26_10-30-37_stitched_2025-08-13_13-02-20__acquisition.json",
    subject: "805110",
    acquiredAt: "2025-07-26_10-30-37",
    stitchedAt: "2025-08-13_13-02-20",
    affine: [
      [0, 0, -0.02, 0],
      [0, 0.0144, 0, -0.5616],
      [0.01, 0, 0, 0],
    ],
    cli: true,
  },
  {
    // Zarr dim 0 (k) "Superior_to_inferior", dim 1 (j) "Posterior_to_anterior", dim 2 (i) "Right_to_left":
    // the reference's axes with x flipped.
    // Columns: i toward left = RAS (−1, 0, 0) × 0.01; j toward anterior = (0, +1, 0) × 0.0144;
    // k toward inferior = (0, 0, −1) × 0.02.
    // Origin, LPS: i toward left (+x LPS): 0; j toward anterior (−y LPS): 39 × 0.0144 = 0.5616;
    // k toward inferior (−z LPS): 23 × 0.02 = 0.46. LPS (0, 0.5616, 0.46) is RAS (0, −0.5616, 0.46).
    name: "a flipped acquisition (SmartSPIM_M2501)",
    fixture: "SmartSPIM_M2501_2025-04-03_17-50-21__acquisition.json",
    subject: "M2501",
    acquiredAt: "2025-04-03_17-50-21",
    stitchedAt: "2025-04-10_09-00-00",
    affine: [
      [-0.01, 0, 0, 0],
      [0, 0.0144, 0, -0.5616],
      [0, 0, -0.02, 0.46],
    ],
  },
  {
    // Schema 2.x: coordinate_system.axes without dimensions; X, Y, Z are Zarr dims 2, 1, 0 (i, j, k).
    // X "Left_to_right", Y "Anterior_to_posterior", Z "Superior_to_inferior".
    // Columns: i toward right = RAS (+1, 0, 0) × 0.01; j toward posterior = (0, −1, 0) × 0.0144;
    // k toward inferior = (0, 0, −1) × 0.02.
    // Origin, LPS: i toward right (−x LPS): 31 × 0.01 = 0.31; j toward posterior (+y LPS): 0;
    // k toward inferior (−z LPS): 23 × 0.02 = 0.46. LPS (0.31, 0, 0.46) is RAS (−0.31, 0, 0.46).
    name: "a schema 2.x coordinate system (subject 762444)",
    fixture: "aind-metadata-mapper_smartspim-v2_acquisition_v2.1.0_subject762444.json",
    subject: "762444",
    acquiredAt: "2025-07-16_20-47-57",
    stitchedAt: "2025-07-20_09-00-00",
    affine: [
      [0.01, 0, 0, -0.31],
      [0, -0.0144, 0, 0],
      [0, 0, -0.02, 0.46],
    ],
  },
];

/** A synthetic asset for `c`, with the real acquisition.json in its raw asset, on a new S3 server. */
async function serveCase(c: Case): Promise<{ server: TestS3Server; dataset: Dataset }> {
  const dataset = await buildSmartSpimDataset({
    subject: c.subject,
    acquiredAt: c.acquiredAt,
    stitched: [{ stitchedAt: c.stitchedAt }],
    channels: [CHANNEL],
    shape: SHAPE,
    chunks: [16, 16, 16],
    spacing: SPACING_UM,
    levels: 1,
  });
  // The generator's acquisition.json gives way to the real one.
  dataset.objects.set(
    `${dataset.rawName}/acquisition.json`,
    await Deno.readFile(new URL(c.fixture, FIXTURES)),
  );
  const server = await startS3Server();
  try {
    await server.createBucket(AIND_BUCKET);
    await server.upload(AIND_BUCKET, dataset.objects);
  } catch (error) {
    await server.close();
    throw error;
  }
  return { server, dataset };
}

/** Reads a NIfTI file back with nifti-reader-js and checks its geometry and voxels against `c`. */
async function checkExport(path: string, c: Case, dataset: Dataset): Promise<void> {
  const { header, image } = await readNiftiFile(path);
  // NIfTI (i, j, k) is Zarr (x, y, z): no transpose.
  assertEquals(header.dims.slice(0, 4), [3, SHAPE[2], SHAPE[1], SHAPE[0]]);
  assertEquals([header.qform_code, header.sform_code], [1, 1]);
  const qform = header.getQformMat();
  for (const [label, matrix] of [["sform", header.affine], ["qform", qform]] as const) {
    for (let r = 0; r < 3; r++) {
      for (let col = 0; col < 4; col++) {
        assertAlmostEquals(matrix[r][col], c.affine[r][col], 1e-6, `${label}[${r}][${col}] of ${c.name}`);
      }
    }
  }
  const voxels = new Uint16Array(image);
  const { data } = dataset.voxels(dataset.stitchedNames[0], CHANNEL, 0);
  const [nz, ny, nx] = SHAPE;
  // A few voxels by hand: NIfTI index (i, j, k) holds Zarr voxel [k][j][i], i fastest in both.
  for (const [i, j, k] of [[0, 0, 0], [31, 0, 0], [0, 39, 0], [0, 0, 23], [5, 17, 11], [31, 39, 23]]) {
    assertStrictEquals(
      voxels[i + nx * (j + ny * k)],
      data[(k * ny + j) * nx + i],
      `voxel (${i}, ${j}, ${k})`,
    );
  }
  assertStrictEquals(voxels.length, nx * ny * nz);
  assert(voxels.every((v, n) => v === data[n]), "every voxel matches the stored data");
  // The voxels are not constant, so the spot checks above could fail.
  assert(new Set(voxels).size > 100);
}

for (const c of CASES) {
  Deno.test(`export of ${c.name}: the hand-derived affine, read back by nifti-reader-js`, async (t) => {
    const { server, dataset } = await serveCase(c);
    const dir = await Deno.makeTempDir();
    try {
      await t.step("exportNifti()", async () => {
        const out = `${dir}/library.nii.gz`;
        await exportNifti({ subject: c.subject, channel: CHANNEL, level: 0 }, {
          endpoint: server.endpoint,
          out,
        });
        await checkExport(out, c, dataset);
      });
      if (c.cli) {
        await t.step("the CLI's fetch", async () => {
          const out = `${dir}/cli.nii`;
          const run = await runCli([
            "fetch",
            "--subject",
            c.subject,
            "--channel",
            CHANNEL,
            "--level",
            "0",
            "--out",
            out,
            "--quiet",
            "--endpoint",
            server.endpoint,
          ]);
          assertStrictEquals(run.code, 0, run.err);
          await checkExport(out, c, dataset);
        });
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
      await server.close();
    }
  });
}
