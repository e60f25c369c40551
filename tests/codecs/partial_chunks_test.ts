import { assert, assertEquals, assertStrictEquals } from "@std/assert";
import { levelArrays } from "../../lib/metadata/level_arrays.ts";
import { readBloscHeader } from "../../lib/codecs/blosc.ts";
import { NATIVE_ENV } from "../../lib/codecs/native.ts";
import { readChunkPart } from "../../lib/codecs/partial_chunks.ts";
import { getLevel, openImage } from "../../lib/metadata/image.ts";
import { streamLevel } from "../../lib/read/read.ts";
import { AIND_BUCKET } from "../../lib/s3/client.ts";
import { serveDataset } from "../../testing/fixture.ts";
import { sharedWorkerPool, type WorkerRequest } from "../../lib/codecs/worker_pool.ts";

// Chunks of 32 × 64 × 64 uint16 (256 KiB): c-blosc cuts them into several blocks.
const SPEC = {
  shape: [70, 64, 64] as [number, number, number],
  chunks: [32, 64, 64] as [number, number, number],
  levels: 1,
  channels: ["Ex_561_Em_593"],
};

Deno.test("thin slabs decode only the Blosc blocks they need and give the generator's voxels", async (t) => {
  await using fixture = await serveDataset(SPEC);
  const asset = fixture.dataset.stitchedNames[0];
  const image = await openImage(
    `s3://${AIND_BUCKET}/${asset}/processed/OMEZarr/Ex_561_Em_593.zarr`,
    fixture.s3,
  );
  try {
    const expected = fixture.dataset.voxels(asset, "Ex_561_Em_593", 0).data;
    const level = getLevel(image, 0);
    const array = levelArrays.get(level)!;
    const plane = 64 * 64;

    await t.step(
      "readChunkPart() returns the blocks holding planes 10 to 12 of the first chunk",
      async () => {
        const bytes = await array.store.get(`${array.path}/0/0/0/0/0` as `/${string}`);
        const { blocksize } = readBloscHeader(bytes!)!;
        assert(blocksize < 32 * plane * 2, `the chunk has several blocks (block size ${blocksize})`);
        const part = await readChunkPart(array, [0, 0, 0, 0, 0], [[10, 13], [0, 64], [0, 64]], {
          spatial: [2, 3, 4],
          fixed: [0, 0, 0, 0, 0],
        });
        assert(part !== undefined);
        assertEquals(part.stride, [32 * plane, 32 * plane, plane, 64, 1]);
        assert(part.offset <= 10 * plane && part.offset + part.data.length >= 13 * plane);
        assert(part.data.length < 32 * plane, "fewer items than the chunk");
        for (let i = 0; i < part.data.length; i++) {
          if (part.data[i] !== expected[part.offset + i]) throw new Error(`item ${part.offset + i}`);
        }
        // A whole chunk is left to zarrita.
        const whole = await readChunkPart(array, [0, 0, 0, 0, 0], [[0, 32], [0, 64], [0, 64]], {
          spatial: [2, 3, 4],
          fixed: [0, 0, 0, 0, 0],
        });
        assertStrictEquals(whole, undefined);
      },
    );

    for (const planes of [1, 3, 7]) {
      await t.step(`slabs of ${planes} planes hold the same voxels as the generator`, async () => {
        const stream = streamLevel(image, 0, { maxSlabBytes: planes * plane * 2 });
        let at = 0;
        for await (const slab of stream.slabs) {
          for (let i = 0; i < slab.length; i++) {
            if (slab[i] !== expected[at + i]) {
              throw new Error(`voxel ${at + i}: ${slab[i]} != ${expected[at + i]}`);
            }
          }
          at += slab.length;
        }
        assertStrictEquals(at, expected.length);
      });
    }

    await t.step("every chunk part is placed by a worker, into a slab in shared memory", async () => {
      const pool = sharedWorkerPool();
      const run = pool.run.bind(pool);
      let places = 0;
      pool.run = <T>(request: WorkerRequest, transfer?: ArrayBuffer[]): Promise<T> => {
        if (request.op === "place") places++;
        return run<T>(request, transfer);
      };
      try {
        // 70 planes in slabs of 10, never crossing the chunk rows at 32 and 64: 9 slabs, one chunk each.
        const stream = streamLevel(image, 0, { maxSlabBytes: 10 * plane * 2 });
        let slabs = 0;
        for await (const slab of stream.slabs) {
          assert(slab.buffer instanceof SharedArrayBuffer);
          slabs++;
        }
        assertEquals([slabs, places], [9, 9]);
      } finally {
        pool.run = run;
      }
    });

    await t.step("the pure decoders (SPIMFETCH_NATIVE=0) give the same voxels", async () => {
      Deno.env.set(NATIVE_ENV, "0");
      try {
        const stream = streamLevel(image, 0, { maxSlabBytes: 5 * plane * 2 });
        let at = 0;
        for await (const slab of stream.slabs) {
          for (let i = 0; i < slab.length; i++) {
            if (slab[i] !== expected[at + i]) throw new Error(`voxel ${at + i}`);
          }
          at += slab.length;
        }
        assertStrictEquals(at, expected.length);
      } finally {
        Deno.env.delete(NATIVE_ENV);
      }
    });

    await t.step("a region's thin slabs hold the region's voxels", async () => {
      const stream = streamLevel(image, 0, {
        maxSlabBytes: 2 * 20 * 30 * 2,
        roi: { z: [5, 40], y: [3, 23], x: [31, 61] },
      });
      const got: number[] = [];
      for await (const slab of stream.slabs) got.push(...slab);
      const want: number[] = [];
      for (let z = 5; z < 40; z++) {
        for (let y = 3; y < 23; y++) for (let x = 31; x < 61; x++) want.push(expected[(z * 64 + y) * 64 + x]);
      }
      assertEquals(got, want);
    });
  } finally {
    image.close();
  }
});
