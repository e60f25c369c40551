import { assert, assertEquals, assertRejects, assertStrictEquals } from "@std/assert";
import { ChunkSpill } from "../../lib/codecs/chunk_spill.ts";
import { decodeBlosc } from "../../lib/codecs/blosc.ts";
import { sliceBloscBlocks } from "../../lib/codecs/blosc_blocks.ts";
import { encodeBlosc } from "../../testing/blosc_encoder.ts";

// A 32 × 64 × 64 uint16 chunk in blocks of 2 planes (16 blocks), values from a formula the test owns.
const PLANE = 64 * 64 * 2;
const voxels = new Uint16Array(32 * 64 * 64).map((_, i) => (i * 7 + (i >> 9)) % 4093);
const data = new Uint8Array(voxels.buffer);
const chunk = encodeBlosc(data, {
  typesize: 2,
  blocksize: 2 * PLANE,
  shuffle: 1,
  split: false,
  cname: "zstd",
});

async function names(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) found.push(entry.name);
  return found.sort();
}

Deno.test("a spilled chunk is fetched once and each part read back decodes to the chunk's bytes", async () => {
  const dir = await Deno.makeTempDir();
  const spill = new ChunkSpill(`${dir}/spill`);
  let fetches = 0;
  const fetch = async (): Promise<Uint8Array> => {
    fetches++;
    await new Promise((resolve) => setTimeout(resolve, 20));
    return chunk;
  };
  try {
    // Three slabs ask at once, as prefetched slabs do: one fetch.
    const first = await Promise.all(
      [0, 1, 2].map((s) => spill.read("/0/0/0", [s * PLANE, (s + 1) * PLANE], fetch)),
    );
    assertStrictEquals(fetches, 1);
    assertEquals(await names(`${dir}/spill`), ["0.chunk"]);
    for (const [s, bytes] of first.entries()) {
      const part = sliceBloscBlocks(bytes!, s * PLANE, (s + 1) * PLANE)!;
      assertEquals(decodeBlosc(part.chunk), data.slice(part.offset, part.offset + part.bytes));
    }
    const readBefore = spill.stats.bytesRead;
    for (const [start, stop] of [[3, 4], [10, 13], [30, 32], [0, 32], [17, 18]]) {
      const bytes = (await spill.read("/0/0/0", [start * PLANE, stop * PLANE], fetch))!;
      const part = sliceBloscBlocks(bytes, start * PLANE, stop * PLANE);
      assert(part, `planes ${start} to ${stop} can be cut from what was read back`);
      assert(part.offset <= start * PLANE && part.offset + part.bytes >= stop * PLANE);
      assertEquals(decodeBlosc(part.chunk), data.slice(part.offset, part.offset + part.bytes));
    }
    assertStrictEquals(fetches, 1, "never fetched again");
    // One plane needs a few blocks of the file, not all of it.
    const onePlane = spill.stats.bytesRead;
    await spill.read("/0/0/0", [5 * PLANE, 6 * PLANE], fetch);
    assert(
      spill.stats.bytesRead - onePlane < chunk.length / 3,
      `${spill.stats.bytesRead - onePlane} bytes read`,
    );
    assert(spill.stats.bytesRead > readBefore);

    await spill.drop(["/0/0/0"]);
    assertEquals(await names(`${dir}/spill`), []);
    assertStrictEquals(spill.stats.bytesOnDisk, 0);
    assertStrictEquals(spill.stats.peakBytesOnDisk, chunk.length);
  } finally {
    await spill.close();
  }
  assertEquals(await names(dir), [], "close removes the directory");
  await Deno.remove(dir);
});

Deno.test("a missing chunk is asked for once; a failed fetch is tried again; a closed spill writes nothing", async () => {
  const dir = await Deno.makeTempDir();
  const spill = new ChunkSpill(`${dir}/spill`);
  let fetches = 0;
  assertStrictEquals(
    await spill.read("/a", [0, 2], () => (fetches++, Promise.resolve(undefined))),
    undefined,
  );
  assertStrictEquals(await spill.read("/a", [0, 2], () => (fetches++, Promise.resolve(chunk))), undefined);
  assertStrictEquals(fetches, 1);
  await assertRejects(
    () => spill.read("/b", [0, 2], () => Promise.reject(new Error("server gone"))),
    Error,
    "gone",
  );
  assertEquals(await spill.read("/b", [0, 2], () => Promise.resolve(chunk)), chunk);
  await spill.close();
  assertEquals(await names(dir), []);
  assertEquals(await spill.read("/c", [0, 2], () => Promise.resolve(chunk)), chunk);
  assertEquals(await names(dir), [], "nothing is written after close");
  await Deno.remove(dir);
});

Deno.test("blocks stored out of order (as c-blosc's threads may write them) are read back whole", async () => {
  // The same chunk with its blocks stored last first: each block's extent is not "up to the next start".
  const view = new DataView(chunk.buffer, chunk.byteOffset);
  const blocks = 16;
  const table = 16 + 4 * blocks;
  const starts = Array.from({ length: blocks }, (_, b) => view.getInt32(16 + 4 * b, true));
  const ends = starts.map((_, b) => starts[b + 1] ?? chunk.length);
  const reordered = new Uint8Array(chunk.length);
  reordered.set(chunk.subarray(0, 16));
  const out = new DataView(reordered.buffer);
  let at = table;
  for (let b = blocks - 1; b >= 0; b--) {
    reordered.set(chunk.subarray(starts[b], ends[b]), at);
    out.setInt32(16 + 4 * b, at, true);
    at += ends[b] - starts[b];
  }
  assertEquals(decodeBlosc(reordered), data, "the reordered chunk is a valid Blosc chunk");
  const dir = await Deno.makeTempDir();
  const spill = new ChunkSpill(`${dir}/spill`);
  try {
    await spill.read("/k", [0, PLANE], () => Promise.resolve(reordered));
    for (const [start, stop] of [[0, 1], [7, 9], [14, 17], [31, 32]]) {
      const bytes = (await spill.read("/k", [start * PLANE, stop * PLANE], () =>
        Promise.reject(new Error("refetch"))))!;
      const part = sliceBloscBlocks(bytes, start * PLANE, stop * PLANE)!;
      assertEquals(
        decodeBlosc(part.chunk),
        data.slice(part.offset, part.offset + part.bytes),
        `${start}-${stop}`,
      );
    }
  } finally {
    await spill.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a part in a short last block is read back with the block before, as the slicer takes it", async () => {
  // 33 planes in blocks of 2: the last block holds one plane.
  const short = new Uint8Array(new Uint16Array(33 * 64 * 64).map((_, i) => (i * 5 + (i >> 8)) % 3001).buffer);
  const encoded = encodeBlosc(short, {
    typesize: 2,
    blocksize: 2 * PLANE,
    shuffle: 1,
    split: false,
    cname: "zstd",
  });
  const dir = await Deno.makeTempDir();
  const spill = new ChunkSpill(`${dir}/spill`);
  try {
    await spill.read("/s", [0, PLANE], () => Promise.resolve(encoded));
    for (const [start, stop] of [[32, 33], [31, 33], [30, 31]]) {
      const bytes = (await spill.read("/s", [start * PLANE, stop * PLANE], () =>
        Promise.reject(new Error("refetch"))))!;
      const part = sliceBloscBlocks(bytes, start * PLANE, stop * PLANE);
      assert(part, `planes ${start} to ${stop}`);
      assertEquals(decodeBlosc(part.chunk), short.slice(part.offset, part.offset + part.bytes));
    }
  } finally {
    await spill.close();
    await Deno.remove(dir, { recursive: true });
  }
});
