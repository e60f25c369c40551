import { assertEquals, assertStrictEquals, assertThrows } from "@std/assert";
import { parseAcquisitionText } from "../../lib/metadata/acquisition.ts";
import { computeOrientation } from "../../lib/orient/orient.ts";
import {
  type AnatomicalAxes,
  convertOrientation,
  orientationCode,
  orientationCodes,
  type OrientationConvention,
  orientationOfAcquisition,
  parseOrientation,
} from "../../lib/orient/codes.ts";
import { ALL_ORIENTATIONS } from "../../lib/orient/transform.ts";

const CONVENTIONS: OrientationConvention[] = ["nibabel", "itk", "brainglobe", "aind", "ngff"];
const REFERENCE: AnatomicalAxes = ["right", "anterior", "inferior"];
const CCF: AnatomicalAxes = ["posterior", "inferior", "right"];
const FIXTURES = new URL("../fixtures/aind/", import.meta.url);

Deno.test("every convention writes and reads back all 48 orientations", () => {
  for (const axes of ALL_ORIENTATIONS) {
    for (const convention of CONVENTIONS) {
      const code = orientationCode(axes, convention);
      assertEquals(parseOrientation(code, convention), axes, `${convention} ${code}`);
    }
  }
});

Deno.test("the conventions table: the reference acquisition and the Allen CCF", () => {
  assertEquals(orientationCodes(REFERENCE), {
    nibabel: "RAI",
    itk: "LPS",
    itkEnum: 590851,
    brainglobe: "spl",
    aind: ["Superior_to_inferior", "Posterior_to_anterior", "Left_to_right"],
    ngff: ["superior-to-inferior", "posterior-to-anterior", "left-to-right"],
  });
  assertEquals(orientationCodes(CCF), {
    nibabel: "PIR",
    itk: "ASL",
    itkEnum: 5 + (9 << 8) + (3 << 16),
    brainglobe: "lsa",
    aind: ["Left_to_right", "Superior_to_inferior", "Anterior_to_posterior"],
    ngff: ["left-to-right", "superior-to-inferior", "anterior-to-posterior"],
  });
});

Deno.test("ITK's legacy enum: the reference notebook's 525570 is ITK's RAI, which is nibabel's LPS (identity direction)", () => {
  const lps = parseOrientation("LPS", "nibabel");
  assertStrictEquals(orientationCodes(lps).itkEnum, 525570);
  assertStrictEquals(orientationCode(lps, "itk"), "RAI");
  // ITK's enum packs the "from" terms, axis 0 in the lowest byte: RightToLeft 2, AnteriorToPosterior 5, InferiorToSuperior 8.
  assertStrictEquals(525570, 2 + (5 << 8) + (8 << 16));
});

Deno.test("letters are case-insensitive and surrounding space is ignored", () => {
  assertEquals(parseOrientation(" pir ", "nibabel"), CCF);
  assertEquals(parseOrientation("ASL", "brainglobe"), parseOrientation("asl", "brainglobe"));
});

Deno.test("BrainGlobe names the origin in array order: its own README example", () => {
  // "If the origin of your data (first, top left voxel) is the most anterior, superior, left part of
  // the brain, then the orientation string would be 'asl'": plane axis from anterior, rows from superior,
  // columns from left. In spimfetch's index order (x = columns, y = rows, z = planes): right, inferior, posterior.
  assertEquals(parseOrientation("asl", "brainglobe"), ["right", "inferior", "posterior"]);
  assertEquals(convertOrientation("asl", { from: "brainglobe", to: "nibabel" }), "RIP");
});

Deno.test("AIND and NGFF lists are in array order (Zarr dimension 0 first) and accept separators", () => {
  assertEquals(
    parseOrientation("Superior_to_inferior Posterior_to_anterior Left_to_right", "aind"),
    REFERENCE,
  );
  assertEquals(
    parseOrientation(["superior to inferior", "posterior-to-anterior", "LEFT_TO_RIGHT"], "aind"),
    REFERENCE,
  );
  assertEquals(
    parseOrientation([
      { type: "anatomical", value: "superior-to-inferior" },
      { type: "anatomical", value: "posterior-to-anterior" },
      { type: "anatomical", value: "left-to-right" },
    ], "ngff"),
    REFERENCE,
  );
});

Deno.test("NGFF's quadruped words read as a brain in its standard position", () => {
  assertEquals(
    parseOrientation(["dorsal-to-ventral", "caudal-to-rostral", "left-to-right"], "ngff"),
    REFERENCE,
  );
  assertEquals(parseOrientation(["ventral-to-dorsal", "rostral-to-caudal", "right-to-left"], "ngff"), [
    "left",
    "posterior",
    "superior",
  ]);
  assertEquals(parseOrientation(["left-to-right", "superior-to-inferior", "cranial-to-caudal"], "ngff"), CCF);
  // AIND's spelling has no quadruped words.
  assertThrows(
    () => parseOrientation(["dorsal_to_ventral", "Posterior_to_anterior", "Left_to_right"], "aind"),
    SyntaxError,
  );
});

Deno.test("conversions between conventions go through the one representation", () => {
  assertStrictEquals(convertOrientation("RAI", { from: "nibabel", to: "itk" }), "LPS");
  assertStrictEquals(convertOrientation("RAI", { from: "itk", to: "nibabel" }), "LPS");
  assertStrictEquals(convertOrientation("spl", { from: "brainglobe", to: "nibabel" }), "RAI");
  assertEquals(convertOrientation("PIR", { from: "nibabel", to: "ngff" }), [
    "left-to-right",
    "superior-to-inferior",
    "anterior-to-posterior",
  ]);
  assertStrictEquals(
    convertOrientation(["Superior_to_inferior", "Posterior_to_anterior", "Left_to_right"], {
      from: "aind",
      to: "brainglobe",
    }),
    "spl",
  );
});

Deno.test("malformed codes are refused with the reason", () => {
  const cases: [string | string[], OrientationConvention, string][] = [
    ["RAR", "nibabel", "right and right both lie on the left-right line"],
    ["RA", "nibabel", "expected three of the letters"],
    ["RAX", "itk", "expected three of the letters"],
    ["RLS", "brainglobe", "left-right line"],
    [["Left_to_right", "Right_to_left", "Superior_to_inferior"], "aind", "left-right line"],
    [["Left_to_right", "Up", "Superior_to_inferior"], "aind", '"Up" is not a direction'],
    [["left-to-right", "superior-to-inferior"], "ngff", "expected 3 axes"],
  ];
  for (const [value, convention, message] of cases) {
    assertThrows(() => parseOrientation(value, convention), SyntaxError, message);
  }
  assertThrows(
    () => parseOrientation([{ type: "engineering", value: "upstream-to-downstream" }, "a", "b"], "ngff"),
    SyntaxError,
    'type "engineering"',
  );
  assertThrows(
    () => parseOrientation("RAS", "fsl" as OrientationConvention),
    TypeError,
    "Unknown orientation convention",
  );
  assertThrows(() => orientationCode(REFERENCE, "fsl" as OrientationConvention), TypeError);
});

Deno.test("orientationOfAcquisition() agrees with computeOrientation() on every real acquisition file", async () => {
  let checked = 0;
  for await (const entry of Deno.readDir(FIXTURES)) {
    if (!entry.name.includes("acquisition") || entry.name.includes("INVALID")) continue;
    const acquisition = parseAcquisitionText(await Deno.readTextFile(new URL(entry.name, FIXTURES)), {
      source: entry.name,
    });
    const axes = orientationOfAcquisition(acquisition.axes);
    const orientation = computeOrientation(acquisition.axes, { size: [2, 3, 4], spacing: [1, 1, 1] });
    assertStrictEquals(orientationCode(axes, "nibabel"), orientation.nibabelCode, entry.name);
    // The AIND convention reproduces the file's own directions, by Zarr dimension.
    assertEquals(
      orientationCode(axes, "aind"),
      acquisition.axes.map((a) =>
        `${a.direction.from[0].toUpperCase()}${a.direction.from.slice(1)}_to_${a.direction.to}`
      ),
      entry.name,
    );
    checked++;
  }
  assertEquals(checked > 25, true, `checked ${checked} files`);
});

Deno.test("SmartSPIM_805110 (dimension 0 runs right to left) names its axes the way its file says", async () => {
  const name = "SmartSPIM_805110_2025-07-26_10-30-37_stitched_2025-08-13_13-02-20__acquisition.json";
  const acquisition = parseAcquisitionText(await Deno.readTextFile(new URL(name, FIXTURES)), {
    source: name,
  });
  const axes = orientationOfAcquisition(acquisition.axes);
  assertEquals(axes, ["superior", "anterior", "left"]);
  assertStrictEquals(orientationCode(axes, "brainglobe"), "rpi");
});
