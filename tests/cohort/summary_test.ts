import { assert, assertEquals, assertRejects, assertStrictEquals, assertStringIncludes } from "@std/assert";
import { projectFile, ProjectionAccumulator, streamVoxels, summarizeOutput } from "../../lib/cohort/mod.ts";
import { MetadataError } from "../../lib/core/errors.ts";
import { maxIntensityProjections } from "../../lib/display/preview.ts";
import type { ImageGeometry, Volume } from "../../lib/core/volume.ts";
import { writeNifti } from "../../lib/write/nifti.ts";
import { writeNrrd } from "../../lib/write/nrrd.ts";
import { runCli } from "../../testing/run_cli.ts";

const GEOMETRY: ImageGeometry = {
  spacing: [0.02, 0.03, 0.05],
  origin: [0, 0, 0],
  direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
};

/** A reproducible volume with a distinct maximum along every line (xorshift noise). */
function randomVolume(shape: [number, number, number], dtype: "uint16" | "float32", seed = 7): Volume {
  const n = shape[0] * shape[1] * shape[2];
  const data = dtype === "uint16" ? new Uint16Array(n) : new Float32Array(n);
  let state = seed;
  for (let i = 0; i < n; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const r = (state >>> 0) / 4294967296;
    data[i] = dtype === "uint16" ? Math.floor(r * 60000) : r * 1000 - 200;
  }
  return { data, shape, dtype } as Volume;
}

function minMax(data: ArrayLike<number>): [number, number] {
  let low = Infinity, high = -Infinity;
  for (let i = 0; i < data.length; i++) {
    low = Math.min(low, data[i]);
    high = Math.max(high, data[i]);
  }
  return [low, high];
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "spimfetch-cohort-summary-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("projectFile() streams .nii.gz, .nii and .nrrd to the projections of the whole volume in memory", async () => {
  await withDir(async (dir) => {
    // 33 × 47 × 61 uint16 is 190 KB: several stream chunks, none aligned to rows.
    for (const dtype of ["uint16", "float32"] as const) {
      const volume = randomVolume([33, 47, 61], dtype);
      const expected = maxIntensityProjections(volume);
      for (const name of ["v.nii.gz", "v.nii", "v.nrrd"]) {
        const path = `${dir}/${dtype}_${name}`;
        if (name.endsWith(".nrrd")) await writeNrrd(path, volume, { geometry: GEOMETRY });
        else await writeNifti(path, volume, { geometry: GEOMETRY });
        const result = await projectFile(path);
        assertEquals(result.header.shape, [33, 47, 61], path);
        assertEquals(result.header.dtype, dtype);
        assertEquals(result.bins, [1, 1, 1]);
        assertEquals(result.projections, expected, path);
        assertEquals(result.range, minMax(volume.data));
      }
    }
  });
});

Deno.test("streamVoxels() reads a raw big-endian NRRD whose voxels start at an odd offset", async () => {
  await withDir(async (dir) => {
    // 40³ uint16 = 128000 bytes after a header of odd length: file chunks split voxels.
    const shape: [number, number, number] = [40, 40, 40];
    const values = Uint16Array.from({ length: 40 ** 3 }, (_, i) => (i * 7919) % 65536);
    const header =
      "NRRD0004\n# odd.\ntype: uint16\ndimension: 3\nsizes: 40 40 40\nendian: big\nencoding: raw\n\n";
    assertStrictEquals(header.length % 2, 1);
    const body = new Uint8Array(values.length * 2);
    const view = new DataView(body.buffer);
    values.forEach((v, i) => view.setUint16(2 * i, v, false));
    const file = new Uint8Array(header.length + body.length);
    file.set(new TextEncoder().encode(header));
    file.set(body, header.length);
    await Deno.writeFile(`${dir}/be.nrrd`, file);
    const stream = await streamVoxels(`${dir}/be.nrrd`);
    assertEquals(stream.header, { format: "nrrd", shape, dtype: "uint16", littleEndian: false });
    const read: number[] = [];
    let runs = 0;
    for await (const run of stream.runs) {
      runs++;
      for (let i = 0; i < run.length; i++) read.push(run[i]);
    }
    assert(runs > 1, "expected the file to arrive in several runs");
    assertEquals(read, Array.from(values));
  });
});

Deno.test("streamVoxels() closes the file when cancelled before or while reading", async () => {
  await withDir(async (dir) => {
    await writeNifti(`${dir}/v.nii.gz`, randomVolume([40, 50, 60], "uint16"), { geometry: GEOMETRY });
    // The resource sanitizer fails this test if either file stays open.
    const unread = await streamVoxels(`${dir}/v.nii.gz`);
    await unread.cancel();
    const partly = await streamVoxels(`${dir}/v.nii.gz`);
    for await (const run of partly.runs) {
      assert(run.length > 0);
      break;
    }
    await partly.cancel();
  });
});

Deno.test("ProjectionAccumulator bins long axes by their maximum and accepts runs split anywhere", () => {
  // (z, y, x) = (1, 2, 5), maxSide 2: x is binned by 3 (bins [0..2], [3..4]); y and z are not.
  const mips = new ProjectionAccumulator([1, 2, 5], { maxSide: 2 });
  assertEquals(mips.bins, [1, 1, 3]);
  for (const run of [[1, 5], [2, 9, 3, 4], [0, 0, 8, 1]]) mips.add(run);
  const { z, y, x } = mips.projections();
  assertEquals([...z.data], [5, 9, 4, 8]); // rows y, columns x bins: max(1,5,2), max(9,3); max(4,0,0), max(8,1)
  assertEquals([...y.data], [5, 9]); // row z = 0: max over y too
  assertEquals([...x.data], [9, 8]); // rows y, column z = 0: the max of each x row
  assertEquals([z.width, z.height, y.width, y.height, x.width, x.height], [2, 2, 2, 1, 1, 2]);
});

Deno.test("ProjectionAccumulator refuses more voxels than the shape holds", () => {
  const mips = new ProjectionAccumulator([1, 1, 2]);
  mips.add([1]);
  let error: unknown;
  try {
    mips.add([2, 3]);
  } catch (e) {
    error = e;
  }
  assert(error instanceof RangeError && error.message.includes("holds 2"), String(error));
});

Deno.test("projectFile() fails on a truncated file, naming it and the byte counts", async () => {
  await withDir(async (dir) => {
    const volume = randomVolume([4, 5, 6], "uint16");
    await writeNifti(`${dir}/v.nii`, volume, { geometry: GEOMETRY });
    const bytes = await Deno.readFile(`${dir}/v.nii`);
    await Deno.writeFile(`${dir}/cut.nii`, bytes.subarray(0, bytes.length - 11));
    await assertRejects(
      () => projectFile(`${dir}/cut.nii`),
      SyntaxError,
      `${dir}/cut.nii: the voxel data ends after 229 of 240 bytes`,
    );
    await Deno.writeFile(`${dir}/short.nii`, bytes.subarray(0, 100));
    await assertRejects(
      () => projectFile(`${dir}/short.nii`),
      SyntaxError,
      "the header is 100 bytes long, expected 348",
    );
  });
});

Deno.test("summarizeOutput() needs the sidecar and refuses one that does not match the file", async () => {
  await withDir(async (dir) => {
    const volume = randomVolume([4, 5, 6], "uint16");
    await writeNifti(`${dir}/s_C_o.nii.gz`, volume, { geometry: GEOMETRY });
    await assertRejects(
      () => summarizeOutput(`${dir}/s_C_o.nii.gz`),
      MetadataError,
      "its sidecar is missing",
    );
    const sidecar = {
      source: { subject: "s", channel: "C", asset: "SmartSPIM_s_x", level: { index: 2 } },
      acquisition: { caveats: [{ id: "c1", corrected: true }] },
      orientation: { source: { nibabel: "RAI" }, output: { nibabel: "PIR" } },
      output: { size: [6, 5, 4], spacing: [0.02, 0.03, 0.05], dtype: "uint16" },
    };
    await Deno.writeTextFile(`${dir}/s_C_o.json`, JSON.stringify(sidecar));
    const row = await summarizeOutput(`${dir}/s_C_o.nii.gz`, { thumbnail: { maxSize: 64 } });
    assertEquals(
      [
        row.subject,
        row.channel,
        row.kind,
        row.level,
        row.size,
        row.orientation,
        row.sourceOrientation,
        row.caveats,
      ],
      ["s", "C", "C_o", 2, [6, 5, 4], "PIR", "RAI", [{ id: "c1", corrected: true }]],
    );
    assertEquals(row.range, minMax(volume.data));
    assertStrictEquals(row.bytes, (await Deno.stat(`${dir}/s_C_o.nii.gz`)).size);
    assert(row.thumbnail && row.thumbnail.width <= 64 && row.thumbnail.height <= 64);
    await Deno.writeTextFile(
      `${dir}/s_C_o.json`,
      JSON.stringify({ ...sidecar, output: { ...sidecar.output, size: [4, 5, 6] } }),
    );
    await assertRejects(
      () => summarizeOutput(`${dir}/s_C_o.nii.gz`),
      MetadataError,
      "belongs to another export",
    );
  });
});

Deno.test("spimfetch summary: usage errors exit with status 2 and name the flag", async () => {
  const noOut = await runCli(["summary", "a.nii.gz"]);
  assertStrictEquals(noOut.code, 2);
  assertStringIncludes(noOut.err, "summary needs --out PATH ending in .csv");
  const badInput = await runCli(["summary", "--out", "s.csv", "a.tif"]);
  assertStrictEquals(badInput.code, 2);
  assertStringIncludes(badInput.err, 'summary reads .nii.gz, .nii, .nrrd, .ome.zarr outputs, got "a.tif"');
  const help = await runCli(["summary", "--help"]);
  assertStrictEquals(help.code, 0);
  assertStringIncludes(help.out, "--html PATH");
});
