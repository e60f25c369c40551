/**
 * The recount in bounded batches: `readCellsInCcf()` with a tiny injected batch size never hands out (nor
 * holds) more than that many cells at a time, and still counts what the closed form gives (a lookup
 * written in this test over the truth the synthetic assets were generated from); the streamed pairing
 * with AIND's transformed cells gives the same distances whatever the batch; the distance summary's
 * median and p95 match a plain sort (exactly up to its exact limit, within half a 0.1 µm bin beyond).
 */
import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import {
  type CellBatch,
  DISTANCE_BIN_UM,
  DistanceSummary,
  EXACT_DISTANCES,
  openAtlas,
  readCellsInCcf,
} from "../../lib/cells/mod.ts";
import { clearTransformCache } from "../../lib/ccf/mod.ts";
import {
  atlasLabel,
  INDEX_TERMS,
  serveCellsDataset,
  TERMS,
  UNKNOWN_INDEX,
} from "../../testing/cells_dataset.ts";

/** Nearest-rank quantile of a sorted copy: the test's own. */
function nearestRank(values: readonly number[], f: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(f * sorted.length))) - 1];
}

Deno.test("DistanceSummary: exact nearest rank up to its limit, 0.1 µm bins beyond", () => {
  let seed = 11;
  const random = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const few = Array.from({ length: 1000 }, () => 40 * random() ** 2);
  const exact = new DistanceSummary();
  for (const d of few) exact.add(d);
  assert(exact.exact);
  assertEquals(exact.quantile(0.5), nearestRank(few, 0.5));
  assertEquals(exact.quantile(0.95), nearestRank(few, 0.95));
  assertEquals(exact.max, Math.max(...few));

  const many = Array.from({ length: 3 * EXACT_DISTANCES }, () => 40 * random() ** 2);
  many.push(25_000); // beyond the histogram's 10 mm: the overflow count, and the exact maximum
  const binned = new DistanceSummary();
  for (const d of many) binned.add(d);
  assert(!binned.exact);
  assertEquals(binned.count, many.length);
  for (const f of [0.5, 0.95]) {
    assertAlmostEquals(binned.quantile(f), nearestRank(many, f), DISTANCE_BIN_UM / 2 + 1e-9);
  }
  assertEquals(binned.max, 25_000);
  assertEquals(binned.quantile(1), 25_000);
});

/** The test's own lookup (nearest 100 µm voxel, then up the tree), per acronym [left, right]. */
function expectedCounts(ccf: readonly [number, number, number][]): Map<string, [number, number]> {
  const counts = new Map<string, [number, number]>();
  for (const [ap, dv, ml] of ccf) {
    const [i, j, k] = [ap, dv, ml].map((v) => Math.round(v / 100));
    if (i < 0 || i >= 132 || j < 0 || j >= 80 || k < 0 || k >= 114) continue;
    const index = atlasLabel(100 * i, 100 * j, 100 * k);
    if (index === 0 || index === UNKNOWN_INDEX) continue;
    const seen = new Set<string>();
    for (
      let term = TERMS.find((t) => t.label.endsWith(`-${INDEX_TERMS[index]}`));
      term;
      term = TERMS.find((t) => t.label === term!.parent)
    ) {
      if (seen.has(term.acronym)) continue;
      seen.add(term.acronym);
      const c = counts.get(term.acronym) ?? [0, 0];
      c[ml < 5700 ? 0 : 1]++;
      counts.set(term.acronym, c);
    }
  }
  return counts;
}

Deno.test("readCellsInCcf() recounts a batch at a time: never more than batchCells cells handed out", async () => {
  clearTransformCache();
  await using served = await serveCellsDataset();
  const atlas = await openAtlas(served.s3);
  const BATCH = 7;
  for (const subject of ["700002", "700006"]) {
    const batches: CellBatch[] = [];
    const small = await readCellsInCcf({ subject }, {
      ...served.s3,
      recount: true,
      atlas,
      batchCells: BATCH,
      onCells: (b) => void batches.push(b),
    });
    const whole = await readCellsInCcf({ subject }, { ...served.s3, recount: true, atlas });
    const truth = served.truth.get(subject)!;
    for (const channel of small.channels) {
      const cells = truth.get(channel.channel)!;
      const mine = batches.filter((b) => b.channel === channel.channel);
      // Bounded: each batch at most BATCH cells, in file order, together every cell once.
      assert(
        mine.every((b) => b.count <= BATCH && b.zyx.length === 3 * b.count && b.ccf.length === 3 * b.count),
      );
      assertEquals(mine.map((b) => b.first), mine.map((_, n) => n * BATCH));
      assertEquals(mine.reduce((s, b) => s + b.count, 0), cells.zyx.length);
      assertEquals(channel.detections!.count, cells.zyx.length);
      // The streamed result keeps no per-cell arrays.
      assertEquals([channel.detections!.zyx.length, channel.ccf, channel.assignments], [
        0,
        undefined,
        undefined,
      ]);
      // The cells of the batches are the generated ones, mapped within 3 µm of the closed form.
      for (const b of mine) {
        for (let i = 0; i < b.count; i++) {
          assertEquals([...b.zyx.subarray(3 * i, 3 * i + 3)], cells.zyx[b.first + i].map(Math.fround));
          for (let a = 0; a < 3; a++) assertAlmostEquals(b.ccf[3 * i + a], cells.ccf[b.first + i][a], 3);
        }
      }
      // Counts: the closed form's.
      const recount = channel.rows.filter((r) => r.source === "recount");
      for (const [acronym, [l, r]] of expectedCounts(cells.ccf)) {
        assertEquals(
          recount.filter((row) => row.acronym === acronym).map((row) => [row.hemisphere, row.count]),
          [["left", l], ["right", r], ["both", l + r]],
          `${subject} ${channel.channel} ${acronym}`,
        );
      }
      // The same table and the same pairing as in one batch.
      const one = whole.channels.find((c) => c.channel === channel.channel)!;
      assertEquals(channel.rows, one.rows);
      assertEquals(channel.distances, one.distances);
      if (channel.aind) assert(channel.distances && channel.distances.paired > 0, "paired with AIND's cells");
    }
  }
});

Deno.test("readCellsInCcf() pairs in ascending Cell ID order: a cell out of order is left unpaired, with a warning", async () => {
  clearTransformCache();
  await using served = await serveCellsDataset();
  const atlas = await openAtlas(served.s3);
  const subject = "700002", channel = "Ex_488_Em_525"; // the 2026 era: transformed_cells.csv with Cell IDs
  const options = { ...served.s3, recount: true, atlas, channels: [channel], batchCells: 16 };
  const before = (await readCellsInCcf({ subject }, options)).channels[0];
  const key = [...served.dataset.objects.keys()].find((k) =>
    k.includes(`/image_cell_quantification/${channel}/transformed_cells.csv`) && k.includes(subject)
  )!;
  const lines = new TextDecoder().decode(served.dataset.objects.get(key)!).split("\n");
  // Rows 1 and 2 (after the header) swapped: their Cell IDs now go down once.
  [lines[1], lines[2]] = [lines[2], lines[1]];
  await served.server.upload("aind-open-data", new Map([[key, new TextEncoder().encode(lines.join("\n"))]]));
  const after = (await readCellsInCcf({ subject }, options)).channels[0];
  assert(before.distances && after.distances);
  assertEquals(after.distances.paired, before.distances.paired - 1);
  assert(
    after.warnings.some((w) => w.includes("1 cells out of Cell ID order left unpaired")),
    after.warnings.join("\n"),
  );
  // Never paired with the wrong cell: the distances stay those of the closed form (within 3 µm).
  assert(after.distances.max < 3, `max ${after.distances.max} µm`);
  // The counts do not depend on the pairing.
  assertEquals(after.rows, before.rows);
});
