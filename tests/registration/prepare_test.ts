import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertRejects,
  assertStrictEquals,
  assertStringIncludes,
} from "@std/assert";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type * as nifti from "nifti-reader-js";
import { OutputExistsError } from "../../lib/core/errors.ts";
import { exportNifti } from "../../lib/export/export_nifti.ts";
import { computeOrientation, indexToPhysical } from "../../lib/orient/orient.ts";
import { parseAcquisition } from "../../lib/metadata/acquisition.ts";
import { prepareForRegistration } from "../../lib/registration/prepare.ts";
import { prepareVolume } from "../../lib/registration/prepare_volume.ts";
import { sidecarPath } from "../../lib/registration/write_prepared.ts";
import { AIND_BUCKET } from "../../lib/s3/client.ts";
import { openSource } from "../../lib/source/open_source.ts";
import type { ImageGeometry } from "../../lib/core/volume.ts";
import { serveDataset } from "../../testing/fixture.ts";
import { nrrdIndexToLps, readNrrd } from "../../testing/nrrd.ts";
import { slowResample } from "../../testing/slow_resample.ts";
import { REFERENCE_AXES } from "../../testing/smartspim_dataset.ts";
import { listDir, runCli } from "../../testing/run_cli.ts";
import { readNifti } from "../../testing/nifti.ts";

type Vec3 = [number, number, number];
const CHANNEL = "Ex_561_Em_593";
const ASSET = "SmartSPIM_652506_2023-01-09_10-18-12_stitched_2023-01-13_19-00-54";
const SPEC = {
  shape: [40, 56, 48] as Vec3,
  chunks: [16, 16, 16] as Vec3,
  levels: 3,
  channels: [CHANNEL],
};
const FIXTURES = new URL("../fixtures/aind/", import.meta.url);

function niftiIndexToLps(header: nifti.NIFTI1, index: readonly number[]): Vec3 {
  const ras = [0, 1, 2].map((r) =>
    header.affine[r][0] * index[0] + header.affine[r][1] * index[1] + header.affine[r][2] * index[2] +
    header.affine[r][3]
  );
  return [-ras[0], -ras[1], ras[2]];
}

/** Solves `geometry` for the (fractional) index of an LPS point; the direction is a signed permutation. */
function physicalToIndex(geometry: ImageGeometry, point: readonly number[]): Vec3 {
  const { origin, direction, spacing } = geometry;
  // direction is orthogonal: its inverse is its transpose.
  return [0, 1, 2].map((j) =>
    [0, 1, 2].reduce((sum, p) => sum + direction[p][j] * (point[p] - origin[p]), 0) / spacing[j]
  ) as Vec3;
}

Deno.test("prepareForRegistration() to PIR at 0.05 mm places every voxel where the source data says", async (t) => {
  await using fixture = await serveDataset(SPEC);
  const dir = await Deno.makeTempDir();
  try {
    const out = [`${dir}/brain.nrrd`, `${dir}/brain.nii.gz`];
    const warnings: string[] = [];
    const result = await prepareForRegistration({ subject: "652506", channel: CHANNEL }, {
      ...fixture.s3,
      orientation: "PIR",
      spacing: 0.05,
      out,
      onWarning: (w) => warnings.push(w.id),
    });

    await t.step("level 1 is chosen, one sidecar describes both files", async () => {
      assertStrictEquals(result.level.index, 1); // 0.0288 × 0.0288 × 0.032 mm: the coarsest at least as fine as 0.05
      assertEquals(result.files.map((f) => [f.path, f.format]), [[out[0], "nrrd"], [out[1], "nifti"]]);
      assertEquals(result.sidecars, [`${dir}/brain.json`]);
      assertEquals(warnings, ["smartspim-2022-2023-y-posterior-to-anterior"]);
      assertEquals(await listDir(dir), ["brain.json", "brain.nii.gz", "brain.nrrd"]);
      const sidecar = JSON.parse(await Deno.readTextFile(`${dir}/brain.json`));
      assertEquals(sidecar.files.map((f: { path: string }) => f.path), out);
      assertStrictEquals(
        sidecar.source.uri,
        `s3://${AIND_BUCKET}/${ASSET}/processed/OMEZarr/${CHANNEL}.zarr`,
      );
      assertStrictEquals(sidecar.source.asset, ASSET);
      assertStrictEquals(sidecar.source.channel, CHANNEL);
      assertStrictEquals(sidecar.source.level.index, 1);
      assertEquals(sidecar.source.region, { x: [0, 24], y: [0, 28], z: [0, 20] });
      assertEquals(sidecar.acquisition.axesTrusted.map((a: { direction: string }) => a.direction), [
        "Superior_to_inferior",
        "Posterior_to_anterior",
        "Left_to_right",
      ]);
      assertEquals(sidecar.acquisition.caveats[0].corrected, false);
      assertEquals(sidecar.steps.map((s: { step: string }) => s.step), ["read", "resample", "reorient"]);
      assertStrictEquals(sidecar.steps[2].from, "RAI");
      assertStrictEquals(sidecar.steps[2].to, "PIR");
      assertEquals(sidecar.output.spacing, [0.05, 0.05, 0.05]);
      assertStrictEquals(sidecar.orientation.output.nibabel, "PIR");
      assertStrictEquals(sidecar.orientation.output.brainglobe, "lsa");
      assertStrictEquals(typeof sidecar.spimfetch.version, "string");
    });

    const nrrd = readNrrd(await Deno.readFile(out[0]));
    const nii = readNifti(await Deno.readFile(out[1]));

    await t.step(
      "both outputs come from one read of S3: as many bytes fetched as for one output",
      async () => {
        const single = await prepareForRegistration({ subject: "652506", channel: CHANNEL }, {
          ...fixture.s3,
          orientation: "PIR",
          spacing: 0.05,
          out: `${dir}/single/brain.nrrd`,
        });
        assert(single.bytesFetched > 0);
        assertStrictEquals(result.bytesFetched, single.bytesFetched);
        await Deno.remove(`${dir}/single`, { recursive: true });
      },
    );

    await t.step("NRRD and NIfTI hold the same voxels and the same voxel-to-LPS map", () => {
      assertEquals(nrrd.header.sizes, result.size);
      assertEquals(nii.header.dims.slice(1, 4), result.size);
      assertEquals(Array.from(nrrd.data), Array.from(new Uint16Array(nii.image)));
      for (
        const index of [[0, 0, 0], [result.size[0] - 1, 3, 5], [2, result.size[1] - 1, result.size[2] - 1]]
      ) {
        const a = nrrdIndexToLps(nrrd.header, index);
        const b = niftiIndexToLps(nii.header, index);
        for (let p = 0; p < 3; p++) assertAlmostEquals(a[p], b[p], 1e-6);
      }
    });

    await t.step(
      "each output voxel is the area average, around its own position, of the source level",
      () => {
        // Independently of the pipeline: the source level's geometry from its acquisition axes (orient.ts,
        // the reference notebook's convention), its voxels as generated, and the definition of area
        // averaging.
        const level1 = fixture.dataset.voxels(ASSET, CHANNEL, 1);
        const [nz, ny, nx] = level1.shape;
        const source = computeOrientation(
          parseAcquisition({ axes: REFERENCE_AXES }, { source: "test" }).axes,
          { size: [nx, ny, nz], spacing: [0.0288, 0.0288, 0.032] },
        ).geometry;
        const factors: Vec3 = [0.05 / 0.0288, 0.05 / 0.0288, 0.05 / 0.032];
        const m = factors.map((f, a) => Math.floor([nx, ny, nz][a] / f)) as Vec3;
        const expected = slowResample(level1.data, [nx, ny, nz], factors, m);
        const [ox, oy, oz] = result.size;
        assertEquals([...result.size].sort(), [...m].sort());
        let checked = 0;
        for (let k = 0; k < oz; k++) {
          for (let j = 0; j < oy; j++) {
            for (let i = 0; i < ox; i++) {
              const q = physicalToIndex(source, nrrdIndexToLps(nrrd.header, [i, j, k]));
              // The output voxel centre sits at source index (n + 0.5)·f − 0.5 for a whole n on every axis.
              const n = q.map((v, a) => (v + 0.5) / factors[a] - 0.5);
              for (const v of n) assertAlmostEquals(v, Math.round(v), 1e-6);
              const [a, b, c] = n.map(Math.round);
              const want = Math.round(expected[(c * m[1] + b) * m[0] + a]);
              assertStrictEquals(nrrd.data[(k * oy + j) * ox + i], want, `voxel ${i}, ${j}, ${k}`);
              checked++;
            }
          }
        }
        assertStrictEquals(checked, m[0] * m[1] * m[2]);
      },
    );

    await t.step("the anatomy lands where it belongs: the bright spot in the left hemisphere", () => {
      // The synthetic brain puts a bright spot 30% of the way from its left edge; LPS +x is left.
      let best = 0;
      for (let v = 1; v < nrrd.data.length; v++) if (nrrd.data[v] > nrrd.data[best]) best = v;
      const [ox, oy] = result.size;
      const spot = nrrdIndexToLps(nrrd.header, [
        best % ox,
        Math.floor(best / ox) % oy,
        Math.floor(best / (ox * oy)),
      ]);
      const corners = [[0, 0, 0], [result.size[0] - 1, result.size[1] - 1, result.size[2] - 1]].map((c) =>
        nrrdIndexToLps(nrrd.header, c)
      );
      const middle = (corners[0][0] + corners[1][0]) / 2;
      assert(spot[0] > middle, `spot at LPS x ${spot[0]}, brain middle ${middle}`);
      // PIR: index x grows toward posterior (LPS +y), y toward inferior (−z), z toward right (−x).
      assertEquals(nrrd.header.spaceDirections!.map((d) => d!.map(Math.sign).map((s) => s + 0)), [
        [0, 1, 0],
        [0, 0, -1],
        [-1, 0, 0],
      ]);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("prepareVolume() without orientation or spacing reproduces the plain export exactly", async () => {
  await using fixture = await serveDataset({ ...SPEC, levels: 2 });
  const dir = await Deno.makeTempDir();
  try {
    const roi = {
      x: [3, 17] as [number, number],
      y: [5, 20] as [number, number],
      z: [2, 11] as [number, number],
    };
    const plain = await exportNifti({ subject: "652506", channel: CHANNEL, level: 1 }, {
      ...fixture.s3,
      out: `${dir}/plain.nii`,
      roi,
    });
    using source = await openSource({ subject: "652506", channel: CHANNEL }, fixture.s3);
    const prepared = await prepareVolume(source, { level: 1, roi });
    assertEquals(prepared.geometry, plain.geometry);
    const voxels = new Uint16Array(readNifti(await Deno.readFile(plain.path)).image);
    assertEquals(Array.from(prepared.volume.data), Array.from(voxels));
    // Nothing was reoriented, so no reorientation is recorded (as in an export's sidecar).
    assertEquals(prepared.steps.map((s) => s.step), ["read"]);
    // The level and region were read, nothing else.
    assertStrictEquals(prepared.orientation.source.nibabel, "RAI");
    assertStrictEquals(prepared.orientation.output.nibabel, "RAI");
    // Any orientation keeps those voxels at the same positions.
    const lps = await prepareVolume(source, { level: 1, roi, orientation: "LPS" });
    const [nx, ny] = [14, 15];
    for (const [i, j, k] of [[0, 0, 0], [13, 14, 8], [4, 7, 2]]) {
      const value = prepared.volume.data[(k * ny + j) * nx + i];
      const position = indexToPhysical(prepared.geometry, [i, j, k]);
      const q = physicalToIndex(lps.geometry, position).map(Math.round) as Vec3;
      assertStrictEquals(lps.volume.data[(q[2] * ny + q[1]) * nx + q[0]], value);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("prepareForRegistration() refuses existing outputs and unknown extensions before any request", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/brain.json`, "{}");
    // No server at all: the refusal must come first.
    const unreachable = { endpoint: "http://127.0.0.1:9" };
    await assertRejects(
      () =>
        prepareForRegistration({ subject: "652506", channel: CHANNEL }, {
          ...unreachable,
          out: `${dir}/brain.nrrd`,
        }),
      OutputExistsError,
      "brain.json",
    );
    await assertRejects(
      () =>
        prepareForRegistration({ subject: "652506", channel: CHANNEL }, {
          ...unreachable,
          out: `${dir}/b.tif`,
        }),
      TypeError,
      ".nrrd",
    );
    await assertRejects(
      () =>
        prepareForRegistration({ subject: "652506", channel: CHANNEL }, {
          ...unreachable,
          out: `${dir}/c.nrrd`,
          orientation: "PIX",
        }),
      SyntaxError,
    );
    assertEquals(await listDir(dir), ["brain.json"]);
    assertStrictEquals(sidecarPath("a/b.c.nii"), "a/b.c.json");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("prepareForRegistration() with several outputs: any existing one refused first; cancelled, none left", async (t) => {
  await t.step("the second output's existing sidecar is refused before any request", async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/b.json`, "{}");
      await assertRejects(
        () =>
          prepareForRegistration({ subject: "652506", channel: CHANNEL }, {
            endpoint: "http://127.0.0.1:9",
            out: [`${dir}/a.nii`, `${dir}/b.nrrd`],
          }),
        OutputExistsError,
        "b.json",
      );
      await assertRejects(
        () =>
          prepareForRegistration({ subject: "652506", channel: CHANNEL }, {
            endpoint: "http://127.0.0.1:9",
            out: [`${dir}/a.nii`, `${dir}/a.nii`],
          }),
        TypeError,
        "twice",
      );
      assertEquals(await listDir(dir), ["b.json"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  await t.step(
    "cancelled while writing: every writer stops, no output, sidecar or temporary file",
    async () => {
      await using fixture = await serveDataset(SPEC);
      const dir = await Deno.makeTempDir();
      try {
        const controller = new AbortController();
        await assertRejects(
          () =>
            prepareForRegistration({ subject: "652506", channel: CHANNEL }, {
              ...fixture.s3,
              level: 0,
              orientation: "PIR",
              out: [`${dir}/a.nii.gz`, `${dir}/a.nrrd`],
              signal: controller.signal,
              maxSlabBytes: 16 * 1024,
              // The first bytes written: the writers have started and the temporary file is full.
              onProgress: (event) => {
                if (event.stage === "write" && event.done > 0) {
                  controller.abort(new Error("stopped by the test"));
                }
              },
            }),
          Error,
          "stopped by the test",
        );
        assertEquals(await listDir(dir), []);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  );

  await t.step("an opened source is a TypeError naming exportImage", async () => {
    await using fixture = await serveDataset({ ...SPEC, levels: 1 });
    using source = await openSource({ subject: "652506", channel: CHANNEL }, fixture.s3);
    await assertRejects(
      () => prepareForRegistration(source as never, { out: "never.nii" }),
      TypeError,
      "prepareForRegistration() takes { subject, channel }; for an opened source call exportImage(source, options)",
    );
  });
});

Deno.test("the CLI: fetch --orientation PIR --spacing writes an NRRD that independent readers place correctly", async (t) => {
  await using fixture = await serveDataset(SPEC);
  const endpoint = ["--endpoint", fixture.s3.endpoint];
  const base = ["fetch", "--subject", "652506", "--channel", CHANNEL, "--quiet", ...endpoint];
  const dir = await Deno.makeTempDir();
  try {
    let nrrd: ReturnType<typeof readNrrd>;
    await t.step(
      "writes the NRRD and its sidecar, and warns about the 2023 acquisition on stderr",
      async () => {
        const { code, out, err } = await runCli([
          ...base,
          "--orientation",
          "PIR",
          "--spacing",
          "0.05",
          "--out",
          `${dir}/brain.nrrd`,
        ]);
        assertStrictEquals(code, 0, err);
        assertEquals(out.split("\n"), [`${dir}/brain.nrrd`, `${dir}/brain.json`]);
        assertStringIncludes(err, "warning: SmartSPIM 2022-2023: Y recorded as Posterior_to_anterior");
        assertStringIncludes(err, "--aind-orientation-fix");
        nrrd = readNrrd(await Deno.readFile(`${dir}/brain.nrrd`));
        assertStrictEquals(nrrd.header.encoding, "gzip");
        assertStrictEquals(nrrd.header.space, "left-posterior-superior");
      },
    );

    await t.step("the NIfTI for the same request has the same voxels and voxel-to-physical map", async () => {
      const { code, err } = await runCli([
        ...base,
        "--orientation",
        "PIR",
        "--spacing",
        "0.05",
        "--out",
        `${dir}/b.nii.gz`,
      ]);
      assertStrictEquals(code, 0, err);
      const nii = readNifti(await Deno.readFile(`${dir}/b.nii.gz`));
      assertEquals(Array.from(new Uint16Array(nii.image)), Array.from(nrrd.data));
      const size = nrrd.header.sizes;
      for (const index of [[0, 0, 0], [size[0] - 1, 0, 0], [0, size[1] - 1, size[2] - 1], [3, 4, 5]]) {
        const a = nrrdIndexToLps(nrrd.header, index);
        const b = niftiIndexToLps(nii.header, index);
        for (let p = 0; p < 3; p++) assertAlmostEquals(a[p], b[p], 1e-6);
      }
    });

    await t.step(
      "--aind-orientation-fix flips Y's recorded direction: the output is mirrored along x (A-P)",
      async () => {
        const { code, err } = await runCli([
          ...base,
          "--orientation",
          "PIR",
          "--spacing",
          "0.05",
          "--aind-orientation-fix",
          "--out",
          `${dir}/fixed.nrrd`,
        ]);
        assertStrictEquals(code, 0, err);
        assert(!err.includes("warning:"), err);
        const fixed = readNrrd(await Deno.readFile(`${dir}/fixed.nrrd`));
        assertEquals(fixed.header.sizes, nrrd.header.sizes);
        assertEquals(fixed.header.spaceDirections, nrrd.header.spaceDirections);
        const [ox, oy, oz] = nrrd.header.sizes;
        for (let k = 0; k < oz; k++) {
          for (let j = 0; j < oy; j++) {
            for (let i = 0; i < ox; i++) {
              assertStrictEquals(
                fixed.data[(k * oy + j) * ox + i],
                nrrd.data[(k * oy + j) * ox + (ox - 1 - i)],
              );
            }
          }
        }
        const sidecar = JSON.parse(await Deno.readTextFile(`${dir}/fixed.json`));
        assertEquals(sidecar.acquisition.axesTrusted[1].direction, "Anterior_to_posterior");
        assertEquals(sidecar.acquisition.axesRecorded[1].direction, "Posterior_to_anterior");
        assertEquals(sidecar.steps[1].step, "aind-caveat-correction");
      },
    );

    await t.step(
      "plain fetch (the reference notebook's NIfTI path) also prints the caveat warning",
      async () => {
        const { code, err } = await runCli([...base, "--level", "1", "--out", `${dir}/plain.nii.gz`]);
        assertStrictEquals(code, 0, err);
        assertStringIncludes(err, "warning: SmartSPIM 2022-2023");
        // Every output gets its sidecar, plain ones included.
        assertEquals((await listDir(dir)).includes("plain.json"), true);
      },
    );

    const failures: [string, string[], number, string][] = [
      ["a bad spacing", ["--spacing", "0.02,x"], 2, "--spacing must be one or three positive numbers"],
      ["a bad orientation", ["--orientation", "PIP"], 2, "--orientation: Cannot parse orientation"],
      ["a spacing finer than level 0", ["--spacing", "0.001"], 1, "every level is coarser"],
      ["another extension", ["--orientation", "RAS", "--out", `${dir}/x.tif`], 2, ".nrrd, .ome.zarr"],
      ["an existing sidecar", ["--spacing", "0.05", "--out", `${dir}/brain.nii.gz`], 1, "brain.json exists"],
    ];
    for (const [name, args, expectedCode, message] of failures) {
      await t.step(`fetch fails clearly on ${name}, leaving no new file`, async () => {
        const before = await listDir(dir);
        const out = args.includes("--out") ? [] : ["--out", `${dir}/bad.nrrd`];
        const { code, err } = await runCli([...base, ...args, ...out]);
        assertStrictEquals(code, expectedCode, err);
        assertStringIncludes(err, message);
        assertEquals(await listDir(dir), before);
      });
    }

    await t.step("fetch --help documents the new flags", async () => {
      const { out } = await runCli(["fetch", "--help"]);
      for (const flag of ["--orientation CODE", "--spacing MM[,MM,MM]", "--aind-orientation-fix", ".nrrd"]) {
        assertStringIncludes(out, flag);
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the caveat warning appears for a real affected acquisition file, and not for a later one", async () => {
  const cases: [string, string, string, boolean][] = [
    [
      "654092",
      "2023-01-26_10-45-12",
      "SmartSPIM_654092_2023-01-26_10-45-12_stitched_2023-02-02_21-58-54__acquisition.json",
      true,
    ],
    ["716005", "2024-04-12_21-51-26", "SmartSPIM_716005_2024-04-12_21-51-26__acquisition.json", false],
  ];
  for (const [subject, acquiredAt, file, affected] of cases) {
    await using fixture = await serveDataset({ ...SPEC, levels: 2, subject, acquiredAt });
    await fixture.server.admin.send(
      new PutObjectCommand({
        Bucket: AIND_BUCKET,
        Key: `SmartSPIM_${subject}_${acquiredAt}/acquisition.json`,
        Body: await Deno.readFile(new URL(file, FIXTURES)),
      }),
    );
    const dir = await Deno.makeTempDir();
    try {
      const { code, err } = await runCli([
        "fetch",
        "--subject",
        subject,
        "--channel",
        CHANNEL,
        "--level",
        "1",
        "--orientation",
        "PIR",
        "--quiet",
        "--out",
        `${dir}/brain.nrrd`,
        "--endpoint",
        fixture.s3.endpoint,
      ]);
      assertStrictEquals(code, 0, err);
      assertStrictEquals(err.includes("warning: SmartSPIM 2022-2023"), affected, err);
      if (affected) assertStringIncludes(err, "acquired 2023-01-26");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});
