import { assertEquals, assertRejects, assertStrictEquals, assertStringIncludes } from "@std/assert";
import { NotFoundError } from "../../lib/core/errors.ts";
import { findStitchedAssets, listChannels, selectAsset, selectChannel } from "../../lib/select/select.ts";
import { serveDataset } from "../../testing/fixture.ts";

const OLD = "SmartSPIM_652506_2023-01-09_10-18-12_stitched_2023-01-13_19-00-54";
const NEW = "SmartSPIM_652506_2023-01-09_10-18-12_stitched_2023-02-02_22-28-35";
const DEEP = "SmartSPIM_700000_2024-01-01_00-00-00_stitched_2024-01-02_00-00-00";

const spec = {
  shape: [8, 8, 8] as [number, number, number],
  chunks: [8, 8, 8] as [number, number, number],
  levels: 1,
  stitched: [
    { stitchedAt: "2023-01-13_19-00-54" },
    { stitchedAt: "2023-02-02_22-28-35", layout: "image_tile_fusing/OMEZarr" },
  ],
};
const one = new Uint8Array([1]);
const extra: [string, Uint8Array][] = [
  ["SmartSPIM_652507_2023-01-09_10-18-12/acquisition.json", one],
  // A layout spimfetch does not know by name, found by looking for an OMEZarr folder.
  // (s3rver omits folders that hold only deeper objects from delimiter listings; real S3 does not.)
  [`${DEEP}/some_future_step/params.json`, one],
  [`${DEEP}/some_future_step/OMEZarr/.zgroup`, one],
  [`${DEEP}/some_future_step/OMEZarr/Ex_639_Em_667.zarr/.zattrs`, one],
  [`${DEEP}/some_future_step/OMEZarr/Ex_488_Em_525.zarr/.zattrs`, one],
  ["SmartSPIM_800000_2024-01-01_00-00-00_stitched_2024-01-02_00-00-00/README.txt", one],
];

Deno.test("selection on a real S3 server", async (t) => {
  await using fixture = await serveDataset(spec, extra);
  const s3 = fixture.s3;

  await t.step("findStitchedAssets() lists every stitched version, newest first", async () => {
    assertEquals((await findStitchedAssets("652506", s3)).map((a) => a.name), [NEW, OLD]);
  });

  await t.step("selectAsset() picks the newest by default and an exact name on request", async () => {
    assertStrictEquals((await selectAsset("652506", s3)).name, NEW);
    assertStrictEquals((await selectAsset(OLD, s3)).name, OLD);
  });

  await t.step("selectAsset() rejects an unknown subject", async () => {
    const error = await assertRejects(
      () => selectAsset("999999", s3),
      NotFoundError,
      'Unknown subject "999999"',
    );
    assertStrictEquals(error.kind, "subject");
  });

  await t.step("selectAsset() says when a subject has no stitched asset", async () => {
    const error = await assertRejects(() => selectAsset("652507", s3), NotFoundError);
    assertStringIncludes(error.message, "has raw data but no stitched asset");
  });

  await t.step("selectAsset() lists the versions when a named one does not exist", async () => {
    const error = await assertRejects(
      () => selectAsset("SmartSPIM_652506_2023-01-09_10-18-12_stitched_2099-01-01_00-00-00", s3),
      NotFoundError,
    );
    assertEquals(error.available, [NEW, OLD]);
  });

  await t.step("listChannels() finds channels under each known layout", async () => {
    const old = await listChannels(OLD, s3);
    assertEquals(old.map((c) => [c.name, c.layout]), [
      ["Ex_445_Em_469", "processed/OMEZarr"],
      ["Ex_488_Em_525", "processed/OMEZarr"],
      ["Ex_561_Em_593", "processed/OMEZarr"],
    ]);
    assertStrictEquals(old[2].uri, `s3://aind-open-data/${OLD}/processed/OMEZarr/Ex_561_Em_593.zarr`);
    assertEquals([old[2].excitationNm, old[2].emissionNm], [561, 593]);
    assertEquals(
      (await listChannels(NEW, s3)).map((c) => c.layout),
      Array(3).fill("image_tile_fusing/OMEZarr"),
    );
  });

  await t.step("listChannels() discovers an unknown layout", async () => {
    const found = await listChannels(DEEP, s3);
    assertEquals(found.map((c) => [c.name, c.layout]), [
      ["Ex_488_Em_525", "some_future_step/OMEZarr"],
      ["Ex_639_Em_667", "some_future_step/OMEZarr"],
    ]);
  });

  await t.step("listChannels() is empty for an asset without images", async () => {
    assertEquals(
      await listChannels("SmartSPIM_800000_2024-01-01_00-00-00_stitched_2024-01-02_00-00-00", s3),
      [],
    );
  });

  await t.step("selectChannel() lists the available channels when one is unknown", async () => {
    const error = await assertRejects(() => selectChannel(OLD, "Ex_999_Em_999", s3), NotFoundError);
    assertStringIncludes(
      error.message,
      `Unknown channel "Ex_999_Em_999" in ${OLD}: available channels are Ex_445_Em_469, Ex_488_Em_525, Ex_561_Em_593`,
    );
    assertStrictEquals((await selectChannel(OLD, "Ex_561_Em_593.zarr", s3)).name, "Ex_561_Em_593");
  });
});
