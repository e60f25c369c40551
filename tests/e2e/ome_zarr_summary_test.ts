/**
 * An OME-Zarr output end to end through the CLI: `fetch --out x.ome.zarr` writes the store and its sidecar,
 * and `summary` accepts it (it reads level 0 and checks it against the sidecar).
 *
 * @module
 */
import { assertEquals, assertStrictEquals } from "@std/assert";
import { serveDataset } from "../../testing/fixture.ts";
import { listDir, runCli } from "../../testing/run_cli.ts";

const CHANNEL = "Ex_561_Em_593";

Deno.test("fetch writes an .ome.zarr with its sidecar, and summary lists it", async () => {
  await using fixture = await serveDataset({ channels: [CHANNEL] });
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/652506/652506_${CHANNEL}_L1.ome.zarr`;
    const fetch = await runCli([
      "fetch",
      "--subject",
      "652506",
      "--channel",
      CHANNEL,
      "--level",
      "1",
      "--endpoint",
      fixture.s3.endpoint,
      "--chunk",
      "8,8,8",
      "--out",
      out,
      "--quiet",
    ]);
    assertStrictEquals(fetch.code, 0, fetch.err);
    assertEquals(fetch.out.split("\n"), [out, `${dir}/652506/652506_${CHANNEL}_L1.json`]);
    const summary = await runCli(["summary", "--out", `${dir}/summary.csv`, out]);
    assertStrictEquals(summary.code, 0, summary.err);
    const csv = await Deno.readTextFile(`${dir}/summary.csv`);
    // Level 1 of the default dataset is 24 × 28 × 20 voxels (x, y, z) of 0.0288 × 0.0288 × 0.032 mm.
    const [header, line] = csv.trim().split("\n").map((l) => l.split(","));
    const cell = (name: string): string => line[header.indexOf(name)];
    assertEquals([cell("size_xyz"), cell("spacing_mm_xyz"), cell("dtype")], [
      "24x28x20",
      "0.0288x0.0288x0.032",
      "uint16",
    ]);
    assertStrictEquals(cell("file"), out);
    // The store's bytes: every file in it, more than a directory entry's size.
    let bytes = 0;
    const walk = async (path: string): Promise<void> => {
      for await (const e of Deno.readDir(path)) {
        if (e.isDirectory) await walk(`${path}/${e.name}`);
        else bytes += (await Deno.stat(`${path}/${e.name}`)).size;
      }
    };
    await walk(out);
    assertStrictEquals(Number(cell("bytes")), bytes);
    assertEquals(await listDir(`${dir}/652506`), [
      `652506_${CHANNEL}_L1.json`,
      `652506_${CHANNEL}_L1.ome.zarr`,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
