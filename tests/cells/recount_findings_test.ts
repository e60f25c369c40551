/**
 * What a recount says once its cells have streamed past, on tallies and pairings small enough to check by
 * hand. The streams that produce them are tested in cells_in_ccf_test.
 *
 * @module
 */
import { assertEquals, assertStrictEquals } from "@std/assert";
import { countDifferences, pairingFindings, uncountedWarning } from "../../lib/cells/_recount_findings.ts";
import { DistanceSummary, EXACT_DISTANCES } from "../../lib/cells/recount.ts";

Deno.test("uncountedWarning() adds up the cells not counted and names each reason", () => {
  assertStrictEquals(
    uncountedWarning("Ex_639", 10, { outsideGrid: 0, outsideBrain: 0, unknownIndex: 0 }),
    undefined,
  );
  assertEquals(
    uncountedWarning("Ex_639", 10, { outsideGrid: 1, outsideBrain: 2, unknownIndex: 3 }),
    "Ex_639: 6 of 10 cells not counted: 2 outside the brain, 1 outside the CCF grid, 3 on an unknown " +
      "parcellation index",
  );
});

Deno.test("countDifferences() puts both hemispheres of our count beside AIND's, 0 where we found none", () => {
  const counts = new Map<number, [number, number]>([[315, [4, 5]], [997, [10, 20]]]);
  assertEquals(
    countDifferences([
      { id: 997, acronym: "root", total: 31 },
      { id: 315, acronym: "Isocortex", total: 9 },
      { id: 1089, acronym: "HPF", total: 2 },
    ], counts),
    [
      { structure_id: 997, acronym: "root", aind: 31, recount: 30 },
      { structure_id: 315, acronym: "Isocortex", aind: 9, recount: 9 },
      { structure_id: 1089, acronym: "HPF", aind: 2, recount: 0 },
    ],
  );
});

function summary(distances: number[]): DistanceSummary {
  const d = new DistanceSummary();
  for (const v of distances) d.add(v);
  return d;
}

Deno.test("pairingFindings() summarizes distances by nearest rank and says how cells were paired", () => {
  // Ten distances 1..10 µm: the median is the 5th smallest, p95 the 10th (⌈9.5⌉).
  const pairing = { distances: summary([3, 1, 2, 10, 5, 4, 9, 6, 8, 7]), oursHadIds: true, outOfOrder: 0 };
  const theirs = { uri: "s3://b/transformed.xml", count: 10, hasIds: true };
  assertEquals(pairingFindings("Ex_639", 10, theirs, pairing), {
    distances: { paired: 10, pairing: "cell id", median: 5, p95: 10, max: 10 },
    warnings: [],
  });
  assertEquals(
    pairingFindings("Ex_639", 10, theirs, { ...pairing, oursHadIds: false }).distances?.pairing,
    "cell id as row",
  );
  assertEquals(
    pairingFindings("Ex_639", 10, { ...theirs, hasIds: false }, pairing).distances?.pairing,
    "row order",
  );
});

Deno.test("pairingFindings() refuses to pair by row when the counts differ, and reports ids out of order", () => {
  const pairing = { distances: summary([1, 2]), oursHadIds: false, outOfOrder: 3 };
  const theirs = { uri: "s3://b/transformed.xml", count: 12, hasIds: false };
  assertEquals(pairingFindings("Ex_639", 10, theirs, pairing), {
    distances: undefined,
    warnings: [
      "s3://b/transformed.xml: 12 cells against our 10, without Cell IDs: cannot pair them for distances",
      "s3://b/transformed.xml: 3 cells out of Cell ID order left unpaired (pairing streams both files in " +
      "ascending order)",
    ],
  });
});

Deno.test("pairingFindings() says when the quantiles come from the histogram", () => {
  const many = summary(Array.from({ length: EXACT_DISTANCES + 1 }, (_, i) => (i % 100) / 10));
  const { distances, warnings } = pairingFindings("Ex_639", EXACT_DISTANCES + 1, {
    uri: "s3://b/t.xml",
    count: EXACT_DISTANCES + 1,
    hasIds: true,
  }, { distances: many, oursHadIds: true, outOfOrder: 0 });
  assertStrictEquals(distances?.paired, EXACT_DISTANCES + 1);
  assertEquals(warnings, [
    `Ex_639: distance median and p95 from a 0.1 µm histogram (more than ${EXACT_DISTANCES} cells paired)`,
  ]);
});
