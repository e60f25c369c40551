/**
 * "Did you mean ...?" for a mistyped name: the closest of the names that exist, by edit distance with
 * transpositions (`levle` → `level`, `fecth` → `fetch`), shared by the command line's flags and commands
 * and the library's option checks.
 *
 * @module
 */

/** Edits (insert, delete, substitute, swap two neighbours) turning `a` into `b`. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/**
 * The name closest to a mistyped one, if one is close enough to be what was meant: at most one edit for
 * names of up to four letters, two for longer ones (case is ignored). Ties go to the earlier candidate.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { closestName } from "./did_you_mean.ts";
 * assertEquals(closestName("levle", ["level", "out", "channel"]), "level");
 * assertEquals(closestName("zzz", ["level", "out"]), undefined);
 * ```
 * @param name What was typed.
 * @param candidates The names that exist.
 * @returns The closest candidate, or `undefined` when none is close.
 */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  const typed = name.toLowerCase();
  const limit = typed.length <= 4 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(typed, candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return bestDistance <= limit ? best : undefined;
}
