import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertRejects,
  assertStrictEquals,
  assertStringIncludes,
} from "@std/assert";
import { MetadataError, NotFoundError, OutputExistsError } from "../../lib/core/errors.ts";
import { exportNifti } from "../../lib/export/export_nifti.ts";
import { indexToPhysical, toRasAffine } from "../../lib/orient/orient.ts";
import { serveDataset } from "../../testing/fixture.ts";
import type { AcquisitionAxisJson } from "../../testing/smartspim_dataset.ts";
import { readNifti } from "../../testing/nifti.ts";

const ASSET = "SmartSPIM_652506_2023-01-09_10-18-12_stitched_2023-01-13_19-00-54";
const CHANNEL = "Ex_561_Em_593";
const enc = (value: unknown) =>
  new TextEncoder().encode(typeof value === "string" ? value : JSON.stringify(value));

async function entries(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

Deno.test("exportNifti() end to end on a real S3 server", async (t) => {
  await using fixture = await serveDataset({
    shape: [36, 50, 42],
    chunks: [16, 16, 16],
    levels: 2,
    channels: [CHANNEL],
  });
  const dir = await Deno.makeTempDir();
  try {
    for (
      const [name, dtype, Ctor] of [["uint16", "native", Uint16Array], [
        "float32",
        "float32",
        Float32Array,
      ]] as const
    ) {
      await t.step(
        `writes ${name} voxels and the reference notebook's geometry, read back by nifti-reader-js`,
        async () => {
          const out = `${dir}/brain_${name}.nii.gz`;
          const result = await exportNifti({ subject: "652506", channel: CHANNEL, level: 0 }, {
            ...fixture.s3,
            out,
            dtype,
          });
          const { header, image } = readNifti(await Deno.readFile(out));
          assertEquals(header.dims.slice(0, 4), [3, 42, 50, 36]);
          assertEquals(header.datatypeCode, name === "uint16" ? 512 : 16);
          for (const [i, mm] of [0.0144, 0.0144, 0.016].entries()) {
            assertAlmostEquals(header.pixDims[i + 1], mm, 1e-7);
          }
          assertStrictEquals(header.xyzt_units & 7, 2);
          assertEquals([header.qform_code, header.sform_code], [1, 1]);
          // The reference notebook's orientation: RAS affine diag(+s, +s, −s) with the far corner of x, y
          // and z at the origin.
          const expected = toRasAffine(result.geometry);
          for (let r = 0; r < 3; r++) {
            for (let c = 0; c < 4; c++) {
              assertAlmostEquals(header.affine[r][c], expected[r][c], 1e-6);
            }
          }
          assertEquals(result.geometry.direction, [[-1, 0, 0], [0, -1, 0], [0, 0, -1]]);
          assertAlmostEquals(result.geometry.origin[0], 41 * 0.0144, 1e-9);
          assertAlmostEquals(result.geometry.origin[2], 35 * 0.016, 1e-9);
          assertStrictEquals(result.orientation.itkCode, 525570);
          const voxels = new Ctor(image);
          const source = fixture.dataset.voxels(ASSET, CHANNEL, 0).data;
          assertStrictEquals(voxels.length, source.length);
          assert(voxels.every((v, i) => v === source[i]), "every voxel matches the stored data");
        },
      );
    }

    await t.step("a region keeps every voxel at its physical position", async () => {
      const full = await exportNifti({ subject: ASSET, channel: CHANNEL, level: 1 }, {
        ...fixture.s3,
        out: `${dir}/full.nii`,
      });
      const roi = {
        x: [3, 17] as [number, number],
        y: [5, 9] as [number, number],
        z: [2, 11] as [number, number],
      };
      const part = await exportNifti({ subject: ASSET, channel: CHANNEL, level: 1 }, {
        ...fixture.s3,
        out: `${dir}/part.nii`,
        roi,
      });
      const fullData = new Uint16Array(readNifti(await Deno.readFile(full.path)).image);
      const partData = new Uint16Array(readNifti(await Deno.readFile(part.path)).image);
      const [sx, sy] = full.level.size;
      const [px, py] = [14, 4];
      for (const [i, j, k] of [[0, 0, 0], [13, 3, 8], [5, 2, 4]]) {
        const a = indexToPhysical(part.geometry, [i, j, k]);
        const b = indexToPhysical(full.geometry, [i + 3, j + 5, k + 2]);
        for (let p = 0; p < 3; p++) assertAlmostEquals(a[p], b[p], 1e-9);
        assertStrictEquals(
          partData[(k * py + j) * px + i],
          fullData[((k + 2) * sy + (j + 5)) * sx + (i + 3)],
        );
      }
    });

    await t.step("an existing output is kept and the export refused before any request", async () => {
      const out = `${dir}/brain_uint16.nii.gz`;
      const before = await Deno.readFile(out);
      await assertRejects(
        () => exportNifti({ subject: "652506", channel: CHANNEL, level: 0 }, { ...fixture.s3, out }),
        OutputExistsError,
      );
      assertEquals(await Deno.readFile(out), before);
    });

    await t.step("no temporary file is left anywhere", async () => {
      assert((await entries(dir)).every((name) => !name.endsWith(".partial")));
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("exportNifti() refuses bad acquisition metadata and leaves no file", async (t) => {
  const raw = "SmartSPIM_652506_2023-01-09_10-18-12";
  // deno-lint-ignore no-explicit-any
  const cases: [string, string | undefined, new (...args: any[]) => Error, string][] = [
    ["trailing comma", '{"subject_id": "652506", "axes": [],}', MetadataError, "not valid JSON"],
    ["other subject", JSON.stringify({ subject_id: "123456", axes: [] }), MetadataError, '"123456"'],
    [
      "two axes on one line",
      JSON.stringify({
        subject_id: "652506",
        axes: [
          { name: "X", dimension: 2, direction: "Left_to_right" },
          { name: "Y", dimension: 1, direction: "Right_to_left" },
          { name: "Z", dimension: 0, direction: "Superior_to_inferior" },
        ] satisfies Omit<AcquisitionAxisJson, "unit">[],
      }),
      MetadataError,
      "Y",
    ],
    [
      "unknown direction",
      JSON.stringify({
        subject_id: "652506",
        axes: [
          { name: "X", dimension: 2, direction: "Up" },
          { name: "Y", dimension: 1, direction: "Posterior_to_anterior" },
          { name: "Z", dimension: 0, direction: "Superior_to_inferior" },
        ],
      }),
      MetadataError,
      '"Up"',
    ],
    ["missing", undefined, NotFoundError, "acquisition.json"],
  ];
  for (const [name, text, ErrorClass, message] of cases) {
    await t.step(name, async () => {
      await using fixture = await serveDataset({
        shape: [8, 8, 8],
        chunks: [8, 8, 8],
        levels: 1,
        channels: [CHANNEL],
      });
      const { DeleteObjectCommand, PutObjectCommand } = await import("@aws-sdk/client-s3");
      const Key = `${raw}/acquisition.json`;
      await fixture.server.admin.send(
        text === undefined
          ? new DeleteObjectCommand({ Bucket: "aind-open-data", Key })
          : new PutObjectCommand({ Bucket: "aind-open-data", Key, Body: enc(text) }),
      );
      const dir = await Deno.makeTempDir();
      try {
        const error = await assertRejects(
          () =>
            exportNifti({ subject: "652506", channel: CHANNEL, level: 0 }, {
              ...fixture.s3,
              out: `${dir}/x.nii.gz`,
            }),
          ErrorClass,
        );
        assertStringIncludes(error.message, message);
        assertEquals(await entries(dir), []);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
});
