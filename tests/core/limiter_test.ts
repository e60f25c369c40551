import { assertEquals, assertStrictEquals } from "@std/assert";
import { Limiter } from "../../lib/core/limiter.ts";

Deno.test("Limiter never runs more than its limit and runs everything", async () => {
  const limiter = new Limiter(3);
  let running = 0;
  let peak = 0;
  const results = await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      limiter.run(async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, i % 3));
        running--;
        return i;
      })),
  );
  assertEquals(results, Array.from({ length: 40 }, (_, i) => i));
  assertStrictEquals(peak, 3);
  assertStrictEquals(limiter.running, 0);
});
