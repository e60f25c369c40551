/**
 * `splitCsvLine`: cells as RFC 4180 quotes them, checked against hand-split lines.
 *
 * @module
 */
import { assertEquals } from "@std/assert";
import { splitCsvLine } from "../../lib/core/csv.ts";

Deno.test("splitCsvLine() splits plain, quoted and empty cells as RFC 4180 says", () => {
  assertEquals(splitCsvLine("a,b,c"), ["a", "b", "c"]);
  assertEquals(splitCsvLine(""), [""]);
  assertEquals(splitCsvLine("a,,"), ["a", "", ""]);
  assertEquals(splitCsvLine('"a,b",c'), ["a,b", "c"]);
  assertEquals(splitCsvLine('x,"he said ""no""",'), ["x", 'he said "no"', ""]);
  assertEquals(splitCsvLine('"",1'), ["", "1"]);
  // pandas' quoting of AIND's Ancestors column.
  assertEquals(splitCsvLine('385,"[997, 8, 567]",VISp'), ["385", "[997, 8, 567]", "VISp"]);
});
