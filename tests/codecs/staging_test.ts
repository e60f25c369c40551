/**
 * The shared buffers compressed parts cross to decode workers in: sizes by hand, reuse, the cap on what is
 * kept.
 *
 * @module
 */
import { assert, assertEquals, assertStrictEquals } from "@std/assert";
import { StagingBuffers } from "../../lib/codecs/_staging.ts";

Deno.test("StagingBuffers hands out shared memory in power-of-two buffers and uses a given-back one again", () => {
  const pool = new StagingBuffers(1 << 20);
  const a = pool.take(100_000);
  assert(a.buffer instanceof SharedArrayBuffer);
  // 100 000 bytes round up to 2^17 = 131 072; anything under 64 KiB to 65 536.
  assertEquals([a.length, a.byteOffset, a.buffer.byteLength], [100_000, 0, 131_072]);
  assertStrictEquals(pool.take(10).buffer.byteLength, 65_536);
  pool.give(a);
  assertStrictEquals(pool.kept, 131_072);
  const b = pool.take(131_072);
  assertStrictEquals(b.buffer, a.buffer);
  assertStrictEquals(pool.kept, 0);
  // A different size class does not take it.
  pool.give(b);
  assert(pool.take(131_073).buffer !== a.buffer);
  // Given twice, kept once.
  pool.give(b);
  assertStrictEquals(pool.kept, 131_072);
});

Deno.test("StagingBuffers keeps no more than its cap and ignores memory it did not hand out", () => {
  const pool = new StagingBuffers(200_000);
  const [a, b] = [pool.take(100_000), pool.take(100_000)];
  pool.give(a);
  pool.give(b);
  // Two 131 072-byte buffers would be 262 144 bytes, over the cap of 200 000: the second is dropped.
  assertStrictEquals(pool.kept, 131_072);
  pool.give(new Uint8Array(100_000));
  pool.give(new Uint8Array(new SharedArrayBuffer(100_000)));
  assertStrictEquals(pool.kept, 131_072);
});
