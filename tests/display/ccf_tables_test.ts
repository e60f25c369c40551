/**
 * The CCF notebook tables: every cell they show, with its unit, checked against values worked out by hand
 * from the inputs (distances by Pythagoras through the spacing, letters from the direction columns).
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import type { CcfSpace, Registration, WriteBrainInCcfResult } from "../../lib/ccf/mod.ts";
import {
  brainInCcfTable,
  ccfPointsTable,
  ccfSpaceTable,
  csvTable,
  registrationTable,
  roundTripTable,
} from "../../lib/display/ccf_tables.ts";

/** The cells of an HTML table, row by row (header first), as text. */
function cellsOf(html: string): string[][] {
  const unescape = (s: string): string =>
    s.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&quot;", '"').replaceAll("&#39;", "'")
      .replaceAll("&amp;", "&");
  return [...html.matchAll(/<tr>(.*?)<\/tr>/g)].map((row) =>
    [...row[1].matchAll(/<t[hd][^>]*>(.*?)<\/t[hd]>/g)].map((cell) => unescape(cell[1]))
  );
}

const REGISTRATION: Registration = {
  asset: "SmartSPIM_700002_2024-01-01_00-00-00_stitched_2024-01-02_00-00-00",
  bucket: "aind-open-data",
  channel: "Ex_639_Em_667",
  version: "0.0.31",
  channelFrom: "processing.json",
  level: 3,
  prefix:
    "SmartSPIM_700002_2024-01-01_00-00-00_stitched_2024-01-02_00-00-00/image_atlas_alignment/Ex_639_Em_667/",
  schemaVersion: "1.1.3",
  templateOrientations: { right_to_left: 0, anterior_to_posterior: 1, superior_to_inferior: 2 },
};

Deno.test("registrationTable() lists each recorded fact, and says when one is not recorded", () => {
  const rows = cellsOf(registrationTable(REGISTRATION).bundle["text/html"]!);
  assertEquals(rows[0], ["fact", "value"]);
  const facts = Object.fromEntries(rows.slice(1));
  assertEquals(facts["registered channel"], "Ex_639_Em_667 (from processing.json)");
  assertEquals(facts["registration capsule version"], "0.0.31");
  assertEquals(facts["level registered"], "3");
  assertEquals(
    facts["template axes (recorded)"],
    "0: right_to_left, 1: anterior_to_posterior, 2: superior_to_inferior",
  );
  assertEquals(facts["transform folder"], `s3://aind-open-data/${REGISTRATION.prefix}`);
  const bare = cellsOf(
    registrationTable({
      ...REGISTRATION,
      level: undefined,
      schemaVersion: undefined,
      templateOrientations: undefined,
    })
      .bundle["text/html"]!,
  );
  assertEquals(bare.filter((r) => r[1] === "not recorded").map((r) => r[0]), [
    "level registered",
    "processing.json schema",
    "template axes (recorded)",
  ]);
});

Deno.test("ccfSpaceTable() shows the level-0 grid in voxels, µm and mm, the corrections and the files", () => {
  // Index x points to the right (LPS −x), y to anterior (LPS −y), z to inferior (LPS −z): "RAI".
  const space = {
    registration: REGISTRATION,
    size: [925, 1280, 464],
    geometry: {
      spacing: [0.0018, 0.0018, 0.002],
      origin: [-1.5114, -1.5, 1.5],
      direction: [[-1, 0, 0], [0, -1, 0], [0, 0, -1]],
    },
    corrections: ["fixed-spacing", "ras-corner-anchor"],
    warnings: ["an example warning"],
    files: [
      { role: "ls affine", transform: "lsAffine", uri: "s3://b/ls_0GenericAffine.mat" },
      { role: "ls warp", transform: "lsWarp", uri: "s3://b/ls_1Warp.nii.gz" },
    ],
  } as unknown as CcfSpace;
  const display = ccfSpaceTable(space);
  const rows = cellsOf(display.bundle["text/html"]!);
  assertEquals(rows.slice(0, 4), [
    ["index axis", "size (voxels)", "spacing (µm)", "origin (LPS mm)", "points to"],
    ["x (Zarr dim 2)", "925", "1.8", "-1.5114", "R"],
    ["y (Zarr dim 1)", "1280", "1.8", "-1.5", "A"],
    ["z (Zarr dim 0)", "464", "2", "1.5", "I"],
  ]);
  assertEquals(rows[4], ["correction applied", "what and why"]);
  assertEquals(rows.slice(5, 7).map((r) => r[0]), ["fixed-spacing", "ras-corner-anchor"]);
  assert(rows.slice(5, 7).every((r) => r[1].length > 20), "each correction says what it does");
  assertStringIncludes(display.bundle["text/html"]!, "<td>an example warning</td>");
  assertEquals(rows.slice(-2), [["1", "ls affine", "s3://b/ls_0GenericAffine.mat"], [
    "2",
    "ls warp",
    "s3://b/ls_1Warp.nii.gz",
  ]]);
  assertStringIncludes(display.bundle["text/plain"]!, "Corrections to the recorded header");
  const none = cellsOf(
    ccfSpaceTable({ ...space, corrections: [], warnings: [], files: [] }).bundle["text/html"]!,
  );
  assertEquals(none.at(-1), ["none", "the recorded header is used as it is"]);
});

Deno.test("ccfPointsTable() shows voxels, Allen µm and LPS mm per point", () => {
  const display = ccfPointsTable(
    [[10, 20.5, 30]],
    [{ lps: [-1.25, 2.5, -3.125], allen: { ap: 2500, dv: 3125, ml: 1250 } }],
    ["centre"],
  );
  assertEquals(cellsOf(display.bundle["text/html"]!), [
    [
      "point",
      "z (voxels)",
      "y (voxels)",
      "x (voxels)",
      "AP (µm)",
      "DV (µm)",
      "ML (µm)",
      "LPS x (mm)",
      "LPS y (mm)",
      "LPS z (mm)",
    ],
    ["centre", "10", "20.5", "30", "2500", "3125", "1250", "-1.25", "2.5", "-3.125"],
  ]);
  assertThrows(() => ccfPointsTable([[0, 0, 0]], []), RangeError, "1 points with 0");
});

Deno.test("roundTripTable() gives each error in voxels and in µm through the spacing", () => {
  // Back 3 voxels along z and 4 along x: 5 voxels. Spacing (x, y, z) = (2, 1, 10) µm, so z counts 10 µm a
  // voxel and x 2: √(30² + 8²) = √964 ≈ 31.05 µm.
  const display = roundTripTable([[0, 0, 0], [1, 1, 1]], [[3, 0, 4], [1, 1, 1]], [0.002, 0.001, 0.01]);
  const rows = cellsOf(display.bundle["text/html"]!);
  assertEquals(rows[1], ["1", "0, 0, 0", "3, 0, 4", "5", "31.05"]);
  assertEquals(rows[2], ["2", "1, 1, 1", "1, 1, 1", "0", "0"]);
  assertStringIncludes(display.bundle["text/html"]!, "largest error 31.05 µm");
  assertThrows(() => roundTripTable([[0, 0, 0]], [], [1, 1, 1]), RangeError);
});

Deno.test("csvTable() keeps the CSV's columns and rows", () => {
  assertEquals(cellsOf(csvTable("name,z,ap\ncentre,1,2.5\n\n", "points").bundle["text/html"]!), [
    ["name", "z", "ap"],
    ["centre", "1", "2.5"],
  ]);
});

Deno.test("brainInCcfTable() names the file, its size, the level and the comparison or why there is none", () => {
  const space = { registration: REGISTRATION, asset: { name: REGISTRATION.asset } } as unknown as CcfSpace;
  const result: WriteBrainInCcfResult = {
    path: "data/ccf/700002_ccf25.nii.gz",
    sidecar: "data/ccf/700002_ccf25.json",
    bytes: 3 * 1024 * 1024,
    level: 2,
    comparison: { uri: "s3://b/moved_ls_to_ccf.nii.gz", ncc: 0.98765, voxels: 77045760 },
    comparisonSkipped: undefined,
    space,
  };
  const facts = Object.fromEntries(cellsOf(brainInCcfTable(result).bundle["text/html"]!).slice(1));
  assertEquals(facts["file"], "data/ccf/700002_ccf25.nii.gz (3.0 MiB)");
  assertEquals(facts["LS level sampled"], "2 (2^2 × the level-0 spacing)");
  assertEquals(
    facts["comparison with AIND's own"],
    "NCC 0.9877 over 77,045,760 voxels with s3://b/moved_ls_to_ccf.nii.gz",
  );
  const skipped = Object.fromEntries(
    cellsOf(
      brainInCcfTable({ ...result, comparison: undefined, comparisonSkipped: "no reference" })
        .bundle["text/html"]!,
    )
      .slice(1),
  );
  assertEquals(skipped["comparison with AIND's own"], "no reference");
});
