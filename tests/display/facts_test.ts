/**
 * The plain-object tables: every cell they show, checked against text written out by hand.
 *
 * @module
 */
import { assertEquals, assertThrows } from "@std/assert";
import { affineTable, cellText, factsTable, recordsTable } from "../../lib/display/facts.ts";

/** The cells of an HTML table, row by row (header first). */
function cellsOf(html: string): string[][] {
  return [...html.matchAll(/<tr>(.*?)<\/tr>/g)].map((row) =>
    [...row[1].matchAll(/<t[hd][^>]*>(.*?)<\/t[hd]>/g)].map((cell) => cell[1])
  );
}

Deno.test("cellText() writes values as a reader expects them", () => {
  assertEquals(cellText(undefined), "—");
  assertEquals(cellText(true), "yes");
  assertEquals(cellText(0.1 + 0.2), "0.3");
  assertEquals(cellText([464, 1280, 925]), "464, 1280, 925");
  assertEquals(cellText({ x: [0, 8], level: 3 }), "x: [0, 8]; level: 3");
});

Deno.test("factsTable() shows one row per field, its unit beside its name", () => {
  const table = factsTable({ path: "a.nii.gz", bytes: 2048, gzip: false }, {
    caption: "written",
    units: { bytes: "bytes" },
  });
  assertEquals(cellsOf(table.bundle["text/html"]!), [
    ["field", "value"],
    ["path", "a.nii.gz"],
    ["bytes (bytes)", "2048"],
    ["gzip", "no"],
  ]);
  assertEquals(
    table.bundle["text/plain"],
    "written\nfield          value\npath           a.nii.gz\nbytes (bytes)  2048\ngzip           no",
  );
});

Deno.test("recordsTable() has a column for every field any record has", () => {
  const table = recordsTable([{ step: "read", level: 3 }, { step: "reorient", to: "PIR" }], {
    units: { level: "index" },
  });
  assertEquals(cellsOf(table.bundle["text/html"]!), [
    ["step", "level (index)", "to"],
    ["read", "3", "—"],
    ["reorient", "—", "PIR"],
  ]);
});

Deno.test("affineTable() labels world rows and voxel columns in mm", () => {
  const rows = cellsOf(
    affineTable([[0, 0, 0.025, -5], [-0.025, 0, 0, 6.5], [0, -0.025, 0, 4], [0, 0, 0, 1]])
      .bundle["text/html"]!,
  );
  assertEquals(rows, [
    ["world axis", "per voxel along i (mm)", "along j (mm)", "along k (mm)", "voxel 0 at (mm)"],
    ["R (mm)", "0", "0", "0.025", "-5"],
    ["A (mm)", "-0.025", "0", "0", "6.5"],
    ["S (mm)", "0", "-0.025", "0", "4"],
  ]);
  assertThrows(() => affineTable([[1, 0, 0]]), RangeError, "expected 4 × 4");
});
