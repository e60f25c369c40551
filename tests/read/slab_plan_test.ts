/**
 * The plan of a streamed read against hand-computed slabs and chunks: a level of 37 × 45 × 51 voxels (z, y,
 * x) in 16³ chunks has chunk rows z = [0, 16), [16, 32), [32, 37) and 3 × 4 chunks per plane.
 *
 * @module
 */
import { assertEquals } from "@std/assert";
import { planSlabs, type SlabPlanInput } from "../../lib/read/_slab_plan.ts";

const LEVEL: SlabPlanInput = {
  arrayShape: [37, 45, 51],
  chunks: [16, 16, 16],
  spatial: [0, 1, 2],
  fixed: [0, 0, 0],
  region: { z: [0, 37], y: [0, 45], x: [0, 51] },
  bytesPerVoxel: 2,
};

/** Every (cz, cy, cx) with cz, cy, cx in the given lists, z slowest. */
function grid(zs: number[], ys: number[], xs: number[]): number[][] {
  return zs.flatMap((z) => ys.flatMap((y) => xs.map((x) => [z, y, x])));
}

Deno.test("planSlabs() gives one slab per chunk row, each with its row of chunks", () => {
  const plan = planSlabs(LEVEL);
  assertEquals(plan.shape, [37, 45, 51]);
  assertEquals(plan.planesPerSlab, 16);
  assertEquals(plan.slabs.map((s) => s.ranges), [
    [[0, 16], [0, 45], [0, 51]],
    [[16, 32], [0, 45], [0, 51]],
    [[32, 37], [0, 45], [0, 51]],
  ]);
  assertEquals(plan.slabs.map((s) => s.chunks), [0, 1, 2].map((cz) => grid([cz], [0, 1, 2], [0, 1, 2, 3])));
  // Slabs a whole chunk row thick decode each chunk once: the cache is left to its own budget.
  assertEquals(plan.slabs.map((s) => s.endsChunkRow), [false, false, false]);
  assertEquals(plan.chunkCount, 36);
});

Deno.test("planSlabs() cuts a region at chunk rows and lists only the chunks under it", () => {
  // z 5..33 crosses rows at 16 and 32; y 15..17 touches chunk rows 0 and 1; x 0..50 all four columns.
  const plan = planSlabs({ ...LEVEL, region: { z: [5, 33], y: [15, 17], x: [0, 50] } });
  assertEquals(plan.shape, [28, 2, 50]);
  assertEquals(plan.slabs.map((s) => s.ranges[0]), [[5, 16], [16, 32], [32, 33]]);
  assertEquals(plan.slabs[0].chunks, grid([0], [0, 1], [0, 1, 2, 3]));
  assertEquals(plan.slabs[2].chunks, grid([2], [0, 1], [0, 1, 2, 3]));
  assertEquals(plan.chunkCount, 3 * 2 * 4);
});

Deno.test("planSlabs() makes thinner slabs under a byte budget, a divisor of the chunk depth thick", () => {
  // A plane is 45 × 51 × 2 = 4590 bytes; 30000 bytes hold 6 planes, and the largest divisor of 16 up to 6 is
  // 4. Rows: 0-4, 4-8, 8-12, 12-16 | 16-20, ..., 28-32 | 32-36, 36-37.
  const plan = planSlabs({ ...LEVEL, maxSlabBytes: 30_000 });
  assertEquals(plan.planesPerSlab, 4);
  assertEquals(plan.slabs.map((s) => s.ranges[0]), [
    [0, 4],
    [4, 8],
    [8, 12],
    [12, 16],
    [16, 20],
    [20, 24],
    [24, 28],
    [28, 32],
    [32, 36],
    [36, 37],
  ]);
  assertEquals(
    plan.slabs.map((s) => s.endsChunkRow),
    [false, false, false, true, false, false, false, true, false, true],
  );
  // Each slab needs its whole chunk row: 10 slabs × 12 chunks.
  assertEquals(plan.slabs[1].chunks, grid([0], [0, 1, 2], [0, 1, 2, 3]));
  assertEquals(plan.chunkCount, 10 * 12);
});

Deno.test("planSlabs() starts thin slabs at multiples of their thickness, so a region from mid-row lines up", () => {
  // 20000 bytes hold 4 planes (a divisor of 16): from z = 5, the first slab ends at 8, then every 4 planes.
  const plan = planSlabs({ ...LEVEL, region: { z: [5, 19], y: [0, 45], x: [0, 51] }, maxSlabBytes: 20_000 });
  assertEquals(plan.planesPerSlab, 4);
  assertEquals(plan.slabs.map((s) => s.ranges[0]), [[5, 8], [8, 12], [12, 16], [16, 19]]);
  // A budget of 3 planes: 3 does not divide 16, 2 does.
  assertEquals(planSlabs({ ...LEVEL, maxSlabBytes: 3 * 4590 }).planesPerSlab, 2);
  // A chunk depth with no divisor under the budget but 1 (a prime): one plane.
  const prime = planSlabs({ ...LEVEL, chunks: [13, 16, 16], maxSlabBytes: 5 * 4590 });
  assertEquals([prime.planesPerSlab, prime.slabs.length], [1, 37]);
});

Deno.test("planSlabs() keeps at least one plane when a plane alone is over the budget", () => {
  const plan = planSlabs({ ...LEVEL, region: { z: [14, 18], y: [0, 45], x: [0, 51] }, maxSlabBytes: 100 });
  assertEquals(plan.planesPerSlab, 1);
  assertEquals(plan.slabs.map((s) => s.ranges[0]), [[14, 15], [15, 16], [16, 17], [17, 18]]);
  // The budget is on the slab, not the row: the region ends mid-row at 18, which ends the read of row 1.
  assertEquals(plan.slabs.map((s) => s.endsChunkRow), [false, true, false, true]);
});

Deno.test("planSlabs() places time and channel axes at the chunk of their fixed index", () => {
  // (t, c, z, y, x) with 2 channels in chunks of 1 and time points in chunks of 4: channel 1, time point 5.
  const plan = planSlabs({
    arrayShape: [8, 2, 20, 10, 10],
    chunks: [4, 1, 8, 10, 10],
    spatial: [2, 3, 4],
    fixed: [5, 1, 0, 0, 0],
    region: { z: [6, 10], y: [0, 10], x: [0, 10] },
    bytesPerVoxel: 4,
  });
  assertEquals(plan.slabs.map((s) => s.chunks), [[[1, 1, 0, 0, 0]], [[1, 1, 1, 0, 0]]]);
});
