import { assert, assertStrictEquals, assertThrows } from "@std/assert";
import { ChunkCache } from "../../lib/s3/chunk_cache.ts";

Deno.test("ChunkCache never holds more than its budget and evicts the least recently used", () => {
  const cache = new ChunkCache(100);
  for (let i = 0; i < 50; i++) {
    cache.set(`k${i}`, new Uint8Array(7 + (i % 5)));
    if (i % 3 === 0) cache.get("k0");
    assert(cache.size <= 100, `size ${cache.size} after ${i}`);
  }
  assert(cache.has("k0"), "the entry used most often survives");
  assert(!cache.has("k1"), "an old, unused entry is gone");
  assert(cache.stats.evictions > 0);
});

Deno.test("ChunkCache skips values larger than the budget and remembers misses", () => {
  const cache = new ChunkCache(10);
  cache.set("big", new Uint8Array(11));
  assert(!cache.has("big"));
  cache.set("missing", undefined);
  assert(cache.has("missing"));
  assertStrictEquals(cache.get("missing"), undefined);
  assertStrictEquals(cache.size, 0);
  assertThrows(() => new ChunkCache(-1), RangeError);
});

Deno.test("ChunkCache replaces an entry without double counting", () => {
  const cache = new ChunkCache(10);
  cache.set("a", new Uint8Array(6));
  cache.set("a", new Uint8Array(4));
  assertStrictEquals(cache.size, 4);
  cache.delete("a");
  assertStrictEquals(cache.size, 0);
});
