import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { CORRECTION_RULES, pipelineGeometry, versionSatisfies } from "../lib/ccf/versions.ts";
import { parseProcessing } from "../lib/ccf/registration.ts";
import {
  axesAsRegistered,
  isSplAcquisition,
  RECENT_TEMPLATE_ORIENTATIONS,
} from "../lib/ccf/spl_acquisition.ts";
import { parseAcquisition } from "../lib/metadata/acquisition.ts";

const fixture = (name: string): unknown =>
  JSON.parse(Deno.readTextFileSync(new URL(`./fixtures/aind/${name}`, import.meta.url)));

Deno.test("versionSatisfies() follows PEP 440 for the rules' ranges, pre-releases included", () => {
  const spacing = ">=0.0.18,<0.0.32";
  const cases: [string, boolean][] = [
    ["0.0.17", false],
    ["0.0.18", true],
    ["0.0.18rc1", false], // a pre-release of 0.0.18 comes before it
    ["0.0.25", true],
    ["0.0.31", true],
    ["0.0.31.post1", true],
    ["0.0.32rc1", false], // "<0.0.32" excludes 0.0.32's own pre-releases
    ["0.0.32", false],
    ["0.1", false],
  ];
  for (const [version, expected] of cases) {
    assertEquals(versionSatisfies(version, spacing), expected, version);
  }
  assert(versionSatisfies("0.0.35", ">0.0.34"));
  assert(!versionSatisfies("0.0.34.post1", ">0.0.34")); // ">V" excludes post-releases of V
  assert(versionSatisfies("0.0.19a2", ">=0.0.18"));
  assertThrows(() => versionSatisfies("latest", ">=0.0.18"), SyntaxError, 'Cannot parse version "latest"');
});

Deno.test("CORRECTION_RULES: two rules, each naming its source", () => {
  assertEquals(CORRECTION_RULES.map((r) => [r.id, r.versions]), [
    ["fixed-spacing", ">=0.0.18,<0.0.32"],
    ["ras-corner-anchor", ">=0.0.18"],
  ]);
  for (const rule of CORRECTION_RULES) assert(rule.source.includes("selector.py"), rule.id);
});

type M3 = [[number, number, number], [number, number, number], [number, number, number]];
// The reference notebook's axes: x toward right (−x), y toward anterior (−y), z toward inferior (−z).
const SEED: M3 = [[-1, 0, 0], [0, -1, 0], [0, 0, -1]];
// A cyclic permutation: x toward posterior (+y), y toward left (+x), z toward superior (+z).
const PERMUTED: M3 = [[0, 1, 0], [1, 0, 0], [0, 0, 1]];

Deno.test("pipelineGeometry() for 0.0.25 forces the spacing and anchors the RAS corner (worked by hand)", () => {
  const out = pipelineGeometry({
    size: [925 * 8, 1280 * 8, 464 * 8],
    spacing: [0.0018, 0.0018, 0.002],
    direction: SEED,
  }, "0.0.25");
  assertEquals(out.corrections, ["fixed-spacing", "ras-corner-anchor"]);
  assertEquals(out.warnings, []);
  assertEquals(out.geometry.spacing, [0.0144 / 8, 0.0144 / 8, 0.016 / 8]);
  // Rightmost is x = N−1, anteriormost y = N−1, superiormost z = 0: origin = T + (s·(N−1), s·(N−1), 0).
  assertAlmostEquals(out.geometry.origin[0], -1.5114 + 0.0018 * (7400 - 1), 1e-9);
  assertAlmostEquals(out.geometry.origin[1], -1.5 + 0.0018 * (10240 - 1), 1e-9);
  assertAlmostEquals(out.geometry.origin[2], 1.5, 1e-12);
});

Deno.test("pipelineGeometry() gives each world spacing to the index axis along that world axis", () => {
  // The permuted axes: index x runs along world y (A–P), index y along world x (L–R), index z along S–I.
  const out = pipelineGeometry(
    { size: [10, 20, 30], spacing: [0.1, 0.1, 0.1], direction: PERMUTED },
    "0.0.31",
  );
  assertEquals(out.geometry.spacing, [0.0018, 0.0018, 0.002]);
  // Only z points toward R, A or S (superior): origin = T − (0, 0, 0.002 · 29).
  assertAlmostEquals(out.geometry.origin[0], -1.5114, 1e-12);
  assertAlmostEquals(out.geometry.origin[1], -1.5, 1e-12);
  assertAlmostEquals(out.geometry.origin[2], 1.5 - 0.002 * 29, 1e-12);
});

Deno.test("pipelineGeometry() for 0.0.32 keeps the stored spacing; above 0.0.34 it warns", () => {
  const out = pipelineGeometry(
    { size: [4, 4, 4], spacing: [0.0036, 0.0036, 0.004], direction: SEED },
    "0.0.32",
  );
  assertEquals(out.corrections, ["ras-corner-anchor"]);
  assertEquals(out.geometry.spacing, [0.0036, 0.0036, 0.004]);
  assertAlmostEquals(out.geometry.origin[0], -1.5114 + 3 * 0.0036, 1e-12);
  const newer = pipelineGeometry(
    { size: [4, 4, 4], spacing: [0.0036, 0.0036, 0.004], direction: SEED },
    "0.0.35",
  );
  assertEquals(newer.warnings.length, 1);
  assert(newer.warnings[0].includes("newer than 0.0.34"));
});

Deno.test("pipelineGeometry() refuses versions before 0.0.18 and oblique directions", () => {
  assertThrows(
    () => pipelineGeometry({ size: [4, 4, 4], spacing: [1, 1, 1], direction: SEED }, "0.0.17"),
    RangeError,
    "older than 0.0.18",
  );
  const c = Math.SQRT1_2;
  assertThrows(
    () =>
      pipelineGeometry(
        { size: [4, 4, 4], spacing: [1, 1, 1], direction: [[c, -c, 0], [c, c, 0], [0, 0, 1]] },
        "0.0.25",
      ),
    RangeError,
    "oblique",
  );
});

Deno.test("parseProcessing() reads AIND's real processing.json files (schema 1.x)", () => {
  const cases: [string, string, string, number][] = [
    [
      "SmartSPIM_747806_2024-10-29_18-35-33_stitched_2025-07-12_07-10-12__processing.json",
      "Ex_639_Em_667",
      "0.0.31",
      3,
    ],
    [
      "SmartSPIM_784354_2025-04-16_21-39-58_stitched_2025-05-21_16-45-59__processing.json",
      "Ex_639_Em_667",
      "0.0.31",
      3,
    ],
    [
      "SmartSPIM_805110_2025-07-26_10-30-37_stitched_2025-08-13_13-02-20__processing.json",
      "Ex_639_Em_680",
      "0.0.32",
      3,
    ],
    [
      "SmartSPIM_839153_2026-02-25_14-13-20_stitched_2026-02-27_08-01-59__processing.json",
      "Ex_639_Em_667",
      "0.0.35",
      3,
    ],
  ];
  for (const [file, channel, version, level] of cases) {
    const facts = parseProcessing(fixture(file));
    assertEquals([facts.channel, facts.version, facts.level, facts.alignmentVersion], [
      channel,
      version,
      level,
      "0.4.2",
    ], file);
  }
});

Deno.test("parseProcessing() finds nothing in unregistered or pre-registration records", () => {
  for (
    const file of [
      "SmartSPIM_654092_2023-01-26_10-45-12_stitched_2023-02-02_21-58-54__processing.json",
      "SmartSPIM_713468_2025-04-09_12-23-31__processing.json",
      "aind-data-schema_example_processing_v2.0.4.json",
    ]
  ) {
    const facts = parseProcessing(fixture(file));
    assertEquals([facts.channel, facts.version], [undefined, undefined], file);
  }
});

Deno.test("parseProcessing() reads schema 2.x: name and code.version on top-level data_processes", () => {
  // AIND's own 2.0.4 example, with the two processes a registration adds, written the 2.x way.
  const example = fixture("aind-data-schema_example_processing_v2.0.4.json") as { data_processes: unknown[] };
  const process = (name: string, version: string, notes: string | null): unknown => ({
    object_type: "Data process",
    name,
    stage: "Processing",
    code: { object_type: "Code", url: "https://github.com/AllenNeuralDynamics/x", version },
    input_location: "/data/fused/Ex_561_Em_593.zarr/3",
    output_location: "/results",
    notes,
  });
  example.data_processes.push(
    process("Image importing", "0.0.33", null),
    process(
      "Image atlas alignment",
      "0.4.2",
      "Template based registration: LS -> template -> Allen CCFv3 Atlas",
    ),
  );
  const facts = parseProcessing(example);
  assertEquals([facts.schemaVersion, facts.channel, facts.version, facts.level], [
    "2.0.4",
    "Ex_561_Em_593",
    "0.0.33",
    3,
  ]);
});

Deno.test("parseProcessing() keeps the template orientations the capsule recorded", () => {
  const facts = parseProcessing(
    fixture("SmartSPIM_805110_2025-07-26_10-30-37_stitched_2025-08-13_13-02-20__processing.json"),
  );
  assertEquals(facts.templateOrientations, {
    anterior_to_posterior: 1,
    right_to_left: 0,
    superior_to_inferior: 2,
  });
});

Deno.test("isSplAcquisition() and axesAsRegistered(): AIND's registration drops every flip of spl axes", () => {
  const acquisition = (name: string) => parseAcquisition(fixture(name), { source: name }).axes;
  // The registered assets we have are "sal": read as recorded by AIND's code too.
  assert(
    !isSplAcquisition(
      acquisition("SmartSPIM_784354_2025-04-16_21-39-58_stitched_2025-05-21_16-45-59__acquisition.json"),
    ),
  );
  // The reference notebook's 2023 acquisition is "spl".
  const seed = acquisition("SmartSPIM_652506_2023-01-09_10-18-12_acquisition.axes_FROM-NOTEBOOK-OUTPUT.json");
  assert(isSplAcquisition(seed));
  const read = axesAsRegistered(seed, RECENT_TEMPLATE_ORIENTATIONS);
  // By hand: dimension 0 S→I stays; Y P→A becomes A→P; X L→R becomes R→L (the template's right_to_left).
  assertEquals(read.map((a) => [a.dimension, a.rawDirection]), [
    [0, "Superior_to_inferior"],
    [1, "Anterior_to_posterior"],
    [2, "Right_to_left"],
  ]);
});
