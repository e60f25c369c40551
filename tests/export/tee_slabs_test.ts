/**
 * One stream of slabs read by several writers: each gets every slab once, in order; the fastest waits for
 * the slowest (bounded memory); a released reader holds nobody back; errors and cancellation reach all.
 *
 * @module
 */
import { assertEquals, assertRejects, assertStrictEquals } from "@std/assert";
import { teeSlabs } from "../../lib/export/_tee_slabs.ts";
import type { VoxelArray } from "../../lib/core/volume.ts";

/** A source of `n` one-voxel slabs (0, 1, ...) that counts what was pulled and whether it was closed. */
function counted(
  n: number,
  failAt = -1,
): { slabs: AsyncIterable<VoxelArray>; pulled: () => number; closed: () => boolean } {
  let pulled = 0;
  let closed = false;
  async function* generate(): AsyncGenerator<VoxelArray> {
    try {
      for (let i = 0; i < n; i++) {
        if (i === failAt) throw new RangeError(`slab ${i} failed`);
        pulled++;
        yield Uint16Array.of(i);
      }
    } finally {
      closed = true;
    }
  }
  return { slabs: generate(), pulled: () => pulled, closed: () => closed };
}

async function collect(slabs: AsyncIterable<VoxelArray>): Promise<number[]> {
  const values: number[] = [];
  for await (const slab of slabs) values.push(slab[0]);
  return values;
}

/** Lets every pending promise callback run. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 10));

Deno.test("teeSlabs() gives every reader every slab once, in order, the same arrays, pulling each once", async () => {
  const source = counted(7);
  const { readers } = teeSlabs(source.slabs, 3);
  const [a, b, c] = await Promise.all(readers.map(collect));
  assertEquals(a, [0, 1, 2, 3, 4, 5, 6]);
  assertEquals(b, a);
  assertEquals(c, a);
  assertStrictEquals(source.pulled(), 7);
});

Deno.test("teeSlabs(): the fastest reader waits when it is maxAhead slabs ahead of the slowest", async () => {
  const source = counted(10);
  const { readers } = teeSlabs(source.slabs, 2, { maxAhead: 2 });
  const fast = readers[0][Symbol.asyncIterator]();
  const slow = readers[1][Symbol.asyncIterator]();
  const got: number[] = [];
  const running = (async () => {
    for (let i = 0; i < 10; i++) got.push((await fast.next()).value[0]);
  })();
  await settle();
  // Two slabs ahead of a reader that has read none: the third waits.
  assertEquals(got, [0, 1]);
  assertStrictEquals(source.pulled(), 2);
  assertStrictEquals((await slow.next()).value[0], 0);
  await settle();
  assertEquals(got, [0, 1, 2]);
  for (let i = 1; i < 10; i++) assertStrictEquals((await slow.next()).value[0], i);
  await running;
  assertEquals(got, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

Deno.test("teeSlabs(): a released reader holds nobody back, and releasing all closes the source", async () => {
  const source = counted(100);
  const tee = teeSlabs(source.slabs, 2, { maxAhead: 1 });
  await tee.release(1);
  const first = tee.readers[0][Symbol.asyncIterator]();
  for (let i = 0; i < 5; i++) assertStrictEquals((await first.next()).value[0], i);
  assertStrictEquals(source.closed(), false);
  await first.return!();
  assertStrictEquals(source.closed(), true);
  assertStrictEquals(source.pulled(), 5);
});

Deno.test("teeSlabs(): a failing source fails every reader with its error", async () => {
  const source = counted(5, 3);
  const { readers } = teeSlabs(source.slabs, 2);
  // Read together, as writers do: one reader alone waits for the other once it is ahead.
  const results = await Promise.allSettled(readers.map(collect));
  for (const result of results) {
    assertStrictEquals(result.status, "rejected");
    await assertRejects(
      () => Promise.reject((result as PromiseRejectedResult).reason),
      RangeError,
      "slab 3 failed",
    );
  }
});

Deno.test("teeSlabs(): cancelling wakes a waiting reader with the reason", async () => {
  const source = counted(10);
  const controller = new AbortController();
  const { readers } = teeSlabs(source.slabs, 2, { maxAhead: 1, signal: controller.signal });
  const fast = readers[0][Symbol.asyncIterator]();
  await fast.next();
  const waiting = fast.next();
  await settle();
  controller.abort(new Error("stopped"));
  await assertRejects(() => waiting, Error, "stopped");
  await readers[1][Symbol.asyncIterator]().return!();
  await fast.return!();
  assertStrictEquals(source.closed(), true);
});

Deno.test("teeSlabs(): a slab held for a slow reader survives the source reusing its buffer", async () => {
  // Like the level reader: asking for the next slab hands the previous slab's buffer back to be refilled.
  async function* recycling(n: number): AsyncGenerator<VoxelArray> {
    const buffers = [new Uint16Array(4), new Uint16Array(4)];
    for (let i = 0; i < n; i++) {
      const buffer = buffers[i % 2];
      buffer.fill(i);
      yield buffer;
    }
  }
  const { readers } = teeSlabs(recycling(6), 2, { maxAhead: 2 });
  const read = async (slabs: AsyncIterable<VoxelArray>, delayMs: number): Promise<number[][]> => {
    const seen: number[][] = [];
    for await (const slab of slabs) {
      // The slow reader looks at each slab only after the fast one has pulled ahead.
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      seen.push(Array.from(slab));
    }
    return seen;
  };
  const [fast, slow] = await Promise.all([read(readers[0], 0), read(readers[1], 5)]);
  const expected = [0, 1, 2, 3, 4, 5].map((i) => [i, i, i, i]);
  assertEquals(fast, expected);
  assertEquals(slow, expected);
});
