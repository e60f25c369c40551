import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import * as zarr from "zarrita";
import { MetadataError, NotFoundError } from "../../lib/core/errors.ts";
import { getLevel, openImage } from "../../lib/metadata/image.ts";
import type { ProgressEvent } from "../../lib/core/progress_event.ts";
import { readLevel, streamLevel } from "../../lib/read/read.ts";
import { AIND_BUCKET } from "../../lib/s3/client.ts";
import { serveDataset } from "../../testing/fixture.ts";
import { startS3Server } from "../../testing/s3_server.ts";

const SPEC = {
  shape: [37, 45, 51] as [number, number, number],
  chunks: [16, 16, 16] as [number, number, number],
  levels: 3,
  channels: ["Ex_561_Em_593"],
};

function assertSameVoxels(actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  assertStrictEquals(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) throw new Error(`voxel ${i}: got ${actual[i]}, expected ${expected[i]}`);
  }
}

Deno.test("reading Zarr v2 (Blosc zstd, shuffle) from a real S3 server", async (t) => {
  await using fixture = await serveDataset(SPEC);
  const asset = fixture.dataset.stitchedNames[0];
  const uri = `s3://${AIND_BUCKET}/${asset}/processed/OMEZarr/Ex_561_Em_593.zarr`;
  const image = await openImage(uri, fixture.s3);
  try {
    await t.step("openImage() gives every level's geometry in ITK order and mm", () => {
      assertStrictEquals(image.zarrFormat, 2);
      assertEquals(image.levels.map((l) => l.size), [[51, 45, 37], [25, 22, 18], [12, 11, 9]]);
      assertEquals(image.levels[1].spacing, [0.0288, 0.0288, 0.032]);
      assertEquals(image.levels[0].chunkCount, 3 * 3 * 4);
      assertEquals(image.levels[0].bytes, 51 * 45 * 37 * 2);
      assertStrictEquals(image.levels[0].dtype, "uint16");
    });

    for (const level of [0, 1, 2]) {
      await t.step(`readLevel() returns every voxel of level ${level}, edge chunks included`, async () => {
        const expected = fixture.dataset.voxels(asset, "Ex_561_Em_593", level);
        const volume = await readLevel(image, level);
        assertEquals(volume.shape, expected.shape);
        assertInstanceOf(volume.data, Uint16Array);
        assertSameVoxels(volume.data, expected.data);
      });
    }

    await t.step("readLevel() casts to float32 without changing values", async () => {
      const volume = await readLevel(image, 1, { dtype: "float32" });
      assertInstanceOf(volume.data, Float32Array);
      assertSameVoxels(volume.data, fixture.dataset.voxels(asset, "Ex_561_Em_593", 1).data);
    });

    await t.step("readLevel() reads a region that straddles chunk borders", async () => {
      const { data, shape } = fixture.dataset.voxels(asset, "Ex_561_Em_593", 0);
      const region = {
        z: [5, 33] as [number, number],
        y: [15, 17] as [number, number],
        x: [0, 50] as [number, number],
      };
      const volume = await readLevel(image, 0, { roi: region });
      assertEquals(volume.shape, [28, 2, 50]);
      const expected: number[] = [];
      for (let z = 5; z < 33; z++) {
        for (let y = 15; y < 17; y++) {
          for (let x = 0; x < 50; x++) expected.push(data[(z * shape[1] + y) * shape[2] + x]);
        }
      }
      assertSameVoxels(volume.data, expected);
    });

    await t.step("a region fetches only the chunks it intersects", async () => {
      // Level 1 is 18 × 22 × 25 in chunks of 16: z 17..18, y 3..5, x 20..24 lie in 2 × 1 × 1 chunks.
      // Earlier steps cached level 1, so count the chunk keys looked up rather than the requests sent.
      const looked = () => image.cache.stats.hits + image.cache.stats.misses;
      const before = looked();
      const region = {
        z: [15, 18] as [number, number],
        y: [3, 5] as [number, number],
        x: [20, 24] as [number, number],
      };
      await readLevel(image, 1, { roi: region });
      assertStrictEquals(looked() - before, 2);
    });

    await t.step("the chunk cache serves a repeated read without new requests", async () => {
      await readLevel(image, 2);
      const before = image.stats!.requests;
      await readLevel(image, 2);
      assertStrictEquals(image.stats!.requests, before);
      assert(image.cache.stats.hits > 0);
    });

    await t.step("streamLevel() yields one chunk row of z per slab and reports every chunk", async () => {
      const events: ProgressEvent[] = [];
      const stream = streamLevel(image, 0, { onProgress: (e) => events.push(e) });
      const lengths: number[] = [];
      for await (const slab of stream.slabs) lengths.push(slab.length);
      assertEquals(lengths, [16 * 45 * 51, 16 * 45 * 51, 5 * 45 * 51]);
      assertStrictEquals(events.length, 36);
      assertEquals(events.at(-1)?.done, 36);
      assertEquals(events.at(-1)?.total, 36);
    });

    await t.step("streamLevel() with a slab budget makes thinner slabs with the same voxels", async () => {
      const planeBytes = 45 * 51 * 2;
      const stream = streamLevel(image, 0, { maxSlabBytes: 5 * planeBytes + 1 });
      const lengths: number[] = [];
      const voxels: number[] = [];
      for await (const slab of stream.slabs) {
        lengths.push(slab.length / (45 * 51));
        voxels.push(...slab);
      }
      // Slabs never cross a chunk row (16 planes) and hold at most 5 planes: 4, the largest divisor of 16.
      assertEquals(lengths, [4, 4, 4, 4, 4, 4, 4, 4, 4, 1]);
      assertSameVoxels(voxels, fixture.dataset.voxels(asset, "Ex_561_Em_593", 0).data);
    });

    await t.step("bad levels and regions are refused before any request", () => {
      const error = assertThrows(() => getLevel(image, 7), NotFoundError);
      assertStrictEquals(error.message, `Unknown level "7" in ${uri}: available levels are 0, 1, 2`);
      assertThrows(
        () => streamLevel(image, 0, { roi: { x: [10, 60] } }),
        RangeError,
        "0 <= start < stop <= 51",
      );
      assertThrows(() => streamLevel(image, 0, { timepoint: 1 }), RangeError, 'axis "t"');
    });

    await t.step("an aborted read rejects", async () => {
      const controller = new AbortController();
      controller.abort(new Error("stop"));
      await assertRejects(() => readLevel(image, 0, { signal: controller.signal }));
    });
  } finally {
    image.close();
  }
});

Deno.test("openImage() reads NGFF 0.5 on Zarr v3 written by zarrita", async () => {
  const memory = new Map<string, Uint8Array>();
  const root = zarr.root(memory);
  await zarr.create(root, {
    attributes: {
      ome: {
        version: "0.5",
        multiscales: [{
          axes: [
            { name: "z", type: "space", unit: "micrometer" },
            { name: "y", type: "space", unit: "micrometer" },
            { name: "x", type: "space", unit: "micrometer" },
          ],
          datasets: [{ path: "s0", coordinateTransformations: [{ type: "scale", scale: [2, 1, 0.5] }] }],
        }],
      },
    },
  });
  const shape = [9, 10, 11];
  const array = await zarr.create(root.resolve("s0"), { shape, chunkShape: [4, 4, 4], dtype: "uint16" });
  const data = new Uint16Array(9 * 10 * 11).map((_, i) => (i * 2654435761) % 65521);
  await zarr.set(array, null, { data, shape, stride: [110, 11, 1] });

  await using server = await startS3Server();
  await server.createBucket("zarr-v3");
  await server.upload(
    "zarr-v3",
    [...memory].map(([key, bytes]) => [`img.zarr${key}`, bytes] as [string, Uint8Array]),
  );
  const image = await openImage("s3://zarr-v3/img.zarr", { endpoint: server.endpoint });
  try {
    assertStrictEquals(image.zarrFormat, 3);
    assertEquals(image.levels[0].size, [11, 10, 9]);
    assertEquals(image.levels[0].spacing, [0.0005, 0.001, 0.002]);
    const volume = await readLevel(image, 0);
    assertSameVoxels(volume.data, data);
  } finally {
    image.close();
  }
});

Deno.test("openImage() explains missing and malformed metadata", async () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  await using server = await startS3Server();
  await server.createBucket("broken");
  await server.upload("broken", [
    ["bad-json.zarr/.zattrs", enc('{"multiscales": [,]}')],
    [
      "no-zarray.zarr/.zattrs",
      enc(JSON.stringify({ multiscales: [{ axes: ["z", "y", "x"], datasets: [{ path: "0" }] }] })),
    ],
    [
      "bad-zarray.zarr/.zattrs",
      enc(JSON.stringify({ multiscales: [{ axes: ["z", "y", "x"], datasets: [{ path: "0" }] }] })),
    ],
    ["bad-zarray.zarr/0/.zarray", enc("{not json")],
  ]);
  const s3 = { endpoint: server.endpoint, defaultSpatialUnit: "micrometer" };
  await assertRejects(
    () => openImage("s3://broken/missing.zarr", s3),
    NotFoundError,
    "neither .zattrs nor zarr.json",
  );
  const e1 = await assertRejects(
    () => openImage("s3://broken/bad-json.zarr", s3),
    MetadataError,
    "not valid JSON",
  );
  assertStrictEquals(e1.source, "s3://broken/bad-json.zarr/.zattrs");
  await assertRejects(
    () => openImage("s3://broken/no-zarray.zarr", s3),
    MetadataError,
    'level 0 (path "0") has no array metadata',
  );
  await assertRejects(
    () => openImage("s3://broken/bad-zarray.zarr", s3),
    MetadataError,
    "s3://broken/bad-zarray.zarr/0/.zarray",
  );
});

Deno.test("readLevel() refuses a level larger than the memory available before fetching anything", async () => {
  const { syntheticStore } = await import("../../testing/synthetic_store.ts");
  let requests = 0;
  const store = syntheticStore([7424, 20480, 14800]);
  const counting = {
    get(key: string): Promise<Uint8Array | undefined> {
      if (/^\/0\/\d+\/\d+\/\d+$/.test(key)) requests++;
      return store.get(key);
    },
  };
  const image = await openImage("synthetic://level0.zarr", { store: counting });
  // SmartSPIM level 0: 7424 × 20480 × 14800 uint16, about 4.5 TB.
  await assertRejects(() => readLevel(image, 0), RangeError, "GiB");
  assertStrictEquals(requests, 0, "no chunk was requested");
});
