/**
 * `openSource` against a real S3-protocol server holding a synthetic SmartSPIM dataset: every documented
 * request form (names, an asset object with a channel name, asset and channel objects), what it opens
 * (checked against the dataset's own spec and stored voxels, not against spimfetch), and its errors.
 *
 * @module
 */
import { assert, assertEquals, assertRejects, assertStrictEquals } from "@std/assert";
import { NotFoundError } from "../../lib/core/errors.ts";
import { readLevel } from "../../lib/read/read.ts";
import { selectAsset, selectChannel } from "../../lib/select/select.ts";
import { isOpenedSource, openSource } from "../../lib/source/open_source.ts";
import { AIND_BUCKET } from "../../lib/s3/client.ts";
import { serveDataset } from "../../testing/fixture.ts";
import { startFaultProxy } from "../../testing/fault_proxy.ts";
import { startS3Server } from "../../testing/s3_server.ts";
import { buildSmartSpimDataset } from "../../testing/smartspim_dataset.ts";

const CHANNEL = "Ex_561_Em_593";
const SPEC = {
  shape: [20, 24, 28] as [number, number, number],
  chunks: [8, 8, 8] as [number, number, number],
  levels: 2,
  channels: ["Ex_488_Em_525", CHANNEL],
  // Two stitchings of one acquisition: a subject id must open the newer one.
  stitched: [{ stitchedAt: "2023-01-13_19-00-54" }, { stitchedAt: "2023-02-01_08-00-00" }],
};

Deno.test("openSource() opens the newest stitched asset, its channel, image and acquisition.json", async (t) => {
  await using fixture = await serveDataset(SPEC);
  const [older, newer] = fixture.dataset.stitchedNames;
  const lines: string[] = [];

  await t.step("by names: { subject, channel }", async () => {
    using source = await openSource({ subject: "652506", channel: CHANNEL }, {
      ...fixture.s3,
      log: (line) => lines.push(line),
    });
    assert(isOpenedSource(source));
    assertEquals(source.asset.name, newer);
    assertEquals(source.channel.name, CHANNEL);
    assertEquals(source.channel.uri, `s3://${AIND_BUCKET}/${newer}/processed/OMEZarr/${CHANNEL}.zarr`);
    assertEquals(source.image.levels.length, 2);
    // The spec's level 0 is (z, y, x) = (20, 24, 28) at (16, 14.4, 14.4) µm; ITK order reverses it.
    assertEquals(source.image.levels[0].size, [28, 24, 20]);
    assertEquals(source.image.levels[1].size, [14, 12, 10]);
    assertEquals(source.image.levels[0].spacing.map((mm) => Math.round(mm * 1e4) / 1e4), [
      0.0144,
      0.0144,
      0.016,
    ]);
    assertEquals(source.acquisition.uri, `s3://${AIND_BUCKET}/${fixture.dataset.rawName}/acquisition.json`);
    // REFERENCE_AXES: dimension 0 is Z (superior → inferior), 1 is Y, 2 is X.
    assertEquals(source.acquisition.axes.map((axis) => axis.name), ["Z", "Y", "X"]);
    assertEquals(source.retries, 0);
    assert(lines.some((line) => line.includes(newer)), `the log names the asset: ${lines.join(" | ")}`);
  });

  await t.step("by exact asset name: the older stitching when named", async () => {
    using source = await openSource({ subject: older, channel: CHANNEL }, fixture.s3);
    assertEquals(source.asset.name, older);
  });

  await t.step("{ asset, channel: name } and { asset, channel } use the objects as given", async () => {
    const asset = await selectAsset("652506", fixture.s3);
    const channel = await selectChannel(asset, CHANNEL, fixture.s3);
    using byName = await openSource({ asset, channel: CHANNEL }, fixture.s3);
    assertStrictEquals(byName.asset, asset);
    assertEquals(byName.channel.uri, channel.uri);
    using byObject = await openSource({ asset, channel }, fixture.s3);
    assertStrictEquals(byObject.asset, asset);
    assertStrictEquals(byObject.channel, channel);
  });

  await t.step("readLevel(source, n) returns the voxels the dataset stored", async () => {
    using source = await openSource({ subject: "652506", channel: CHANNEL }, fixture.s3);
    for (const level of [0, 1]) {
      const expected = fixture.dataset.voxels(newer, CHANNEL, level);
      const volume = await readLevel(source, level);
      assertEquals(volume.shape, expected.shape);
      assertEquals(volume.dtype, "uint16");
      assertEquals(volume.data, expected.data);
    }
  });
});

Deno.test("openSource() checks bodies against their MD5 ETag over HTTP, and not with verifyEtag: false", async () => {
  await using fixture = await serveDataset(SPEC);
  // One byte flipped in one answer for each level-1 chunk (keys `….zarr/1/…`): the first answer while the
  // check is on, the third (after the first source's retry) while it is off.
  let flipped = 0;
  await using proxy = await startFaultProxy(fixture.s3.endpoint, {
    plan: (r) =>
      r.method === "GET" && /\.zarr\/1\/\d/.test(r.path) && r.repeat === flipped ? "corrupt" : undefined,
  });
  const newer = fixture.dataset.stitchedNames[1];
  const expected = fixture.dataset.voxels(newer, CHANNEL, 1);
  {
    using source = await openSource({ subject: "652506", channel: CHANNEL }, { endpoint: proxy.endpoint });
    assertEquals((await readLevel(source, 1)).data, expected.data);
    // Every damaged body was caught and fetched again.
    assert(proxy.stats.faults.corrupt > 0);
    assertStrictEquals(source.retries, proxy.stats.faults.corrupt);
  }
  flipped = 2;
  using unchecked = await openSource({ subject: "652506", channel: CHANNEL }, {
    endpoint: proxy.endpoint,
    verifyEtag: false,
  });
  const before = proxy.stats.faults.corrupt;
  // Unchecked, a flipped byte reaches the decoder: a refused chunk or wrong voxels, and no retry either way.
  const read = await readLevel(unchecked, 1).then((volume) => volume.data, (error: Error) => error);
  assertStrictEquals(unchecked.retries, 0);
  assert(
    read instanceof Error || read.some((v, i) => v !== expected.data[i]),
    "a damaged body went unnoticed",
  );
  assert(proxy.stats.faults.corrupt > before);
});

Deno.test("openSource() names what is missing: subject, channel, acquisition.json", async (t) => {
  await using fixture = await serveDataset(SPEC);

  await t.step("an unknown subject", async () => {
    const error = await assertRejects(
      () => openSource({ subject: "999999", channel: CHANNEL }, fixture.s3),
      NotFoundError,
    );
    assert(error.message.includes("999999"), error.message);
  });

  await t.step("an unknown channel, listing the ones there are", async () => {
    const error = await assertRejects(
      () => openSource({ subject: "652506", channel: "Ex_639_Em_667" }, fixture.s3),
      NotFoundError,
    );
    assert(error.message.includes("Ex_639_Em_667"), error.message);
    assert(error.message.includes(CHANNEL), `lists the available channels: ${error.message}`);
  });
});

Deno.test("openSource() without any acquisition.json fails with NotFoundError and leaves nothing open", async () => {
  const dataset = await buildSmartSpimDataset({ ...SPEC, stitched: undefined });
  dataset.objects.delete(`${dataset.rawName}/acquisition.json`);
  await using server = await startS3Server();
  await server.createBucket(AIND_BUCKET);
  await server.upload(AIND_BUCKET, dataset.objects);
  const error = await assertRejects(
    () => openSource({ subject: "652506", channel: CHANNEL }, { endpoint: server.endpoint }),
    NotFoundError,
  );
  assert(error.message.includes("acquisition.json"), error.message);
});
