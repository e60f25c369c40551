/**
 * One CSV line split into cells, as RFC 4180 quotes them: the points files of `spimfetch points`, the
 * viewer's marker files and AIND's cell tables (pandas quotes a cell holding a comma, e.g. `Ancestors`).
 *
 * @module
 */

/**
 * Splits one CSV line into cells. A quoted cell may hold commas and doubled quotes (`""` is one `"`).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { splitCsvLine } from "./csv.ts";
 * assertEquals(splitCsvLine('1,"VISp, layer 4","say ""hi"""'), ["1", "VISp, layer 4", 'say "hi"']);
 * ```
 * @param line The line, without its line break.
 * @returns The cells.
 */
export function splitCsvLine(line: string): string[] {
  // Most lines have no quotes: the fast path.
  if (!line.includes('"')) return line.split(",");
  const cells: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      cells.push(cell);
      cell = "";
    } else cell += ch;
  }
  cells.push(cell);
  return cells;
}
