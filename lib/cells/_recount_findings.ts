/**
 * What a recount of one channel found, put into words and tables once its cells have streamed past: the
 * cells not counted, our counts beside AIND's, and how far AIND's CCF positions lie from ours. Pure, so
 * that `readCellsInCcf` streams and these say what the streams showed.
 *
 * @module
 */
import { type CellDistances, EXACT_DISTANCES, type HemisphereTotals } from "./recount.ts";

/** Cells that could not be counted, as `CellTally` keeps them. */
export interface Uncounted {
  /** Outside the CCF grid. */
  outsideGrid: number;
  /** Inside the grid, outside the brain. */
  outsideBrain: number;
  /** On a parcellation index the ontology does not know. */
  unknownIndex: number;
}

/**
 * The warning for the cells not counted, or `undefined` when every cell was.
 *
 * @param channel The channel.
 * @param count Its cells.
 * @param uncounted Those not counted, by reason.
 * @returns The warning.
 */
export function uncountedWarning(channel: string, count: number, uncounted: Uncounted): string | undefined {
  const skipped = uncounted.outsideGrid + uncounted.outsideBrain + uncounted.unknownIndex;
  if (skipped === 0) return undefined;
  return `${channel}: ${skipped} of ${count} cells not counted: ${uncounted.outsideBrain} outside the ` +
    `brain, ${uncounted.outsideGrid} outside the CCF grid, ${uncounted.unknownIndex} on an unknown parcellation index`;
}

/** One structure's count by AIND and by us. */
export interface CountDifference {
  structure_id: number;
  acronym: string;
  aind: number;
  recount: number;
}

/**
 * AIND's count of each structure beside ours (both hemispheres), in AIND's row order.
 *
 * @param aind AIND's rows.
 * @param counts Our counts per structure, rolled up, `[left, right]`.
 * @returns One row per AIND structure; 0 where we counted none.
 */
export function countDifferences(
  aind: readonly { id: number; acronym: string; total: number }[],
  counts: HemisphereTotals,
): CountDifference[] {
  return aind.map((r) => ({
    structure_id: r.id,
    acronym: r.acronym,
    aind: r.total,
    recount: (counts.get(r.id)?.[0] ?? 0) + (counts.get(r.id)?.[1] ?? 0),
  }));
}

/** How the pairing of our cells with AIND's transformed cells went, as `StreamPairer` reports it. */
export interface PairingOutcome {
  /** The distances of the pairs. */
  distances: { count: number; exact: boolean; max: number; quantile(f: number): number };
  /** Whether our detections carried `Cell ID`s. */
  oursHadIds: boolean;
  /** Cells left unpaired because their ids came out of ascending order. */
  outOfOrder: number;
}

/**
 * The distance summary of a pairing, and the warnings it calls for.
 *
 * @param channel The channel.
 * @param ours How many cells we read.
 * @param theirs AIND's transformed cells: file, count, whether they carry `Cell ID`s.
 * @param pairing The pairing's outcome.
 * @returns The distances (when the cells could be paired) and the warnings.
 */
export function pairingFindings(
  channel: string,
  ours: number,
  theirs: { uri: string; count: number; hasIds: boolean },
  pairing: PairingOutcome,
): { distances: CellDistances | undefined; warnings: string[] } {
  const d = pairing.distances;
  const warnings: string[] = [];
  let distances: CellDistances | undefined;
  // Without ids on AIND's side, cells pair by row only when both files hold the same number.
  if (d.count > 0 && (theirs.hasIds || theirs.count === ours)) {
    distances = {
      paired: d.count,
      pairing: theirs.hasIds ? (pairing.oursHadIds ? "cell id" : "cell id as row") : "row order",
      median: d.quantile(0.5),
      p95: d.quantile(0.95),
      max: d.max,
    };
    if (!d.exact) {
      warnings.push(
        `${channel}: distance median and p95 from a 0.1 µm histogram (more than ${EXACT_DISTANCES} cells paired)`,
      );
    }
  } else {
    warnings.push(
      `${theirs.uri}: ${theirs.count} cells against our ${ours}, without Cell IDs: cannot pair them for distances`,
    );
  }
  if (pairing.outOfOrder > 0) {
    warnings.push(
      `${theirs.uri}: ${pairing.outOfOrder} cells out of Cell ID order left unpaired (pairing streams both ` +
        `files in ascending order)`,
    );
  }
  return { distances, warnings };
}
