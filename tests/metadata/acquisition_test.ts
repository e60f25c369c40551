import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertStrictEquals,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { type Acquisition, parseAcquisition, parseAcquisitionText } from "../../lib/metadata/acquisition.ts";
import { MetadataError } from "../../lib/core/errors.ts";

const FIXTURES = new URL("../fixtures/aind/", import.meta.url);

async function readFixture(name: string): Promise<string> {
  return await Deno.readTextFile(new URL(name, FIXTURES));
}

async function parseFixture(name: string, expectedSubject?: string): Promise<Acquisition> {
  return parseAcquisitionText(await readFixture(name), { source: name, expectedSubject });
}

/** An acquisition document with the reference notebook's axes, changed by `edit`. */
function referenceDocument(
  edit: (doc: { subject_id: string; axes: Record<string, unknown>[] }) => void = () => {},
): unknown {
  const doc = {
    schema_version: "0.4.3",
    subject_id: "652506",
    axes: [
      { name: "X", dimension: 2, direction: "Left_to_right", unit: "micrometer" },
      { name: "Y", dimension: 1, direction: "Posterior_to_anterior", unit: "micrometer" },
      { name: "Z", dimension: 0, direction: "Superior_to_inferior", unit: "micrometer" },
    ] as Record<string, unknown>[],
  };
  edit(doc);
  return doc;
}

function parseReference(edit: Parameters<typeof referenceDocument>[0]): Acquisition {
  return parseAcquisition(referenceDocument(edit), { source: "test.json" });
}

/** Asserts a MetadataError from `fn` whose message includes every one of `parts`. */
function assertMetadataError(fn: () => unknown, ...parts: string[]): MetadataError {
  const error = assertThrows(fn, MetadataError);
  for (const part of parts) assertStringIncludes(error.message, part);
  return error;
}

Deno.test("parseAcquisition() reads every real acquisition.json fixture, of every schema", async () => {
  const names = [];
  for await (const entry of Deno.readDir(FIXTURES)) {
    if (entry.isFile && entry.name.includes("acquisition") && entry.name.endsWith(".json")) {
      names.push(entry.name);
    }
  }
  assert(names.length >= 20, `expected the fixtures, found ${names.length} files`);
  for (const name of names.sort()) {
    // Asset names carry the subject, so the file must agree with its own name.
    const subject = /^SmartSPIM_([^_]+)_/.exec(name)?.[1];
    const acquisition = await parseFixture(name, subject);
    assertEquals(acquisition.axes.map((a) => a.dimension), [0, 1, 2], name);
    const lines = acquisition.axes.map((a) => [a.direction.from, a.direction.to].sort().join("-")).sort();
    assertEquals(lines, ["anterior-posterior", "inferior-superior", "left-right"], name);
    if (subject) assertStrictEquals(acquisition.subjectId, subject, name);
    assert(acquisition.schemaVersion !== undefined, `${name} has a schema version`);
  }
});

Deno.test("parseAcquisition() reads the reference notebook's axes", async () => {
  const acquisition = await parseFixture(
    "SmartSPIM_652506_2023-01-09_10-18-12_acquisition.axes_FROM-NOTEBOOK-OUTPUT.json",
    "652506",
  );
  assertStrictEquals(acquisition.schemaVersion, "0.4.3");
  assertStrictEquals(acquisition.subjectId, "652506");
  assertEquals(acquisition.axes, [
    {
      name: "Z",
      dimension: 0,
      direction: { from: "superior", to: "inferior" },
      rawDirection: "Superior_to_inferior",
    },
    {
      name: "Y",
      dimension: 1,
      direction: { from: "posterior", to: "anterior" },
      rawDirection: "Posterior_to_anterior",
    },
    { name: "X", dimension: 2, direction: { from: "left", to: "right" }, rawDirection: "Left_to_right" },
  ]);
});

Deno.test("parseAcquisition() trusts dimension over name for permuted axes (SmartSPIM_805110)", async () => {
  const acquisition = await parseFixture(
    "SmartSPIM_805110_2025-07-26_10-30-37_stitched_2025-08-13_13-02-20__acquisition.json",
  );
  assertEquals(
    acquisition.axes.map((a) => [a.name, a.dimension, a.direction.from, a.direction.to]),
    [["Z", 0, "right", "left"], ["Y", 1, "posterior", "anterior"], ["X", 2, "inferior", "superior"]],
  );
});

Deno.test("parseAcquisition() sorts by dimension even when names run against it (schema 0.3 example)", async () => {
  const acquisition = await parseFixture("aind-data-schema_example_aind_smartspim_acquisition_v0.3.0.json");
  assertEquals(acquisition.axes.map((a) => `${a.dimension}:${a.name}:${a.rawDirection}`), [
    "0:X:Left_to_right",
    "1:Y:Posterior_to_anterior",
    "2:Z:Superior_to_inferior",
  ]);
  // This example stores the subject as a number.
  assertStrictEquals(acquisition.subjectId, "12345");
});

Deno.test("parseAcquisition() keeps a non-numeric subject id and checks it", async () => {
  const name = "SmartSPIM_M2501_2025-04-03_17-50-21__acquisition.json";
  assertStrictEquals((await parseFixture(name, "M2501")).subjectId, "M2501");
  const text = await readFixture(name);
  assertMetadataError(
    () => parseAcquisitionText(text, { source: name, expectedSubject: "652506" }),
    '"M2501"',
    '"652506"',
    name,
  );
});

Deno.test("parseAcquisition() reads schema 2.x coordinate_system axes by name", async () => {
  const name = "aind-metadata-mapper_smartspim-v2_acquisition_v2.1.0_subject762444.json";
  const acquisition = await parseFixture(name, "762444");
  assertStrictEquals(acquisition.schemaVersion, "2.1.0");
  assertEquals(acquisition.axes.map((a) => [a.name, a.dimension, a.direction.to]), [
    ["Z", 0, "inferior"],
    ["Y", 1, "posterior"],
    ["X", 2, "right"],
  ]);
  const raw = acquisition.raw as { coordinate_system: { name: string } };
  assertStrictEquals(raw.coordinate_system.name, "SPIM_RPI");
});

Deno.test("parseAcquisition() prefers a top-level axes list with dimensions over coordinate_system", () => {
  const json = referenceDocument() as Record<string, unknown>;
  // A contradicting coordinate system must not be used when dimensions are given.
  json.coordinate_system = {
    axes: [
      { name: "X", direction: "Right_to_left" },
      { name: "Y", direction: "Anterior_to_posterior" },
      { name: "Z", direction: "Inferior_to_superior" },
    ],
  };
  const acquisition = parseAcquisition(json, { source: "test.json" });
  assertEquals(acquisition.axes.map((a) => a.rawDirection), [
    "Superior_to_inferior",
    "Posterior_to_anterior",
    "Left_to_right",
  ]);
  assertStrictEquals(acquisition.raw, json);
});

Deno.test("parseAcquisition() accepts every direction spelling the schema allows", () => {
  const spellings: [string, string, string][] = [
    ["Left_to_right", "left", "right"],
    ["right_to_left", "right", "left"],
    ["ANTERIOR_TO_POSTERIOR", "anterior", "posterior"],
    ["Posterior to anterior", "posterior", "anterior"],
    ["superior-to-inferior", "superior", "inferior"],
    ["Inferior_to_Superior", "inferior", "superior"],
  ];
  for (const [spelling, from, to] of spellings) {
    const line = ["left", "right"].includes(from) ? 2 : ["anterior", "posterior"].includes(from) ? 1 : 0;
    const acquisition = parseReference((doc) => {
      const axis = doc.axes.find((a) => a.dimension === line)!;
      axis.direction = spelling;
    });
    assertEquals(acquisition.axes[line].direction, { from, to }, spelling);
    assertStrictEquals(acquisition.axes[line].rawDirection, spelling);
  }
});

Deno.test("parseAcquisition() rejects a direction outside the schema, naming axis, value and spellings", () => {
  for (const value of ["Up", "Left_to_anterior", "Left_to_left", "Left_to_", ""]) {
    assertMetadataError(
      () => parseReference((doc) => (doc.axes[0].direction = value)),
      'Axis "X"',
      `"${value}"`,
      "Left_to_right, Right_to_left, Anterior_to_posterior",
      "test.json",
    );
  }
  assertMetadataError(
    () => parseReference((doc) => delete doc.axes[1].direction),
    'Axis "Y"',
    "no direction",
  );
});

Deno.test("parseAcquisition() rejects documents that are not objects or hold no axes", () => {
  for (const json of [null, [], "axes", 42]) {
    assertMetadataError(
      () => parseAcquisition(json, { source: "a.json" }),
      "expected a JSON object",
      "a.json",
    );
  }
  assertMetadataError(() => parseAcquisition({ subject_id: "1" }, { source: "a.json" }), "no axes");
  assertMetadataError(
    () => parseAcquisition({ axes: [], coordinate_system: {} }, { source: "a.json" }),
    "no axes",
  );
});

Deno.test("parseAcquisition() rejects other than three spatial axes", () => {
  assertMetadataError(
    () => parseReference((doc) => doc.axes.pop()),
    "Expected exactly 3 spatial axes",
    "found 2",
  );
  assertMetadataError(
    () => parseReference((doc) => doc.axes.push({ name: "T", dimension: 3, direction: "Left_to_right" })),
    "found 4",
    "X, Y, Z, T",
  );
});

Deno.test("parseAcquisition() rejects a dimension outside 0-2, naming the axis and the value", () => {
  for (const dimension of [3, -1, 1.5, "2"]) {
    assertMetadataError(
      () => parseReference((doc) => (doc.axes[0].dimension = dimension)),
      'Axis "X"',
      `dimension ${JSON.stringify(dimension)}`,
      "expected 0, 1 or 2",
    );
  }
  assertMetadataError(
    () => parseReference((doc) => (doc.axes[0] = 7 as never)),
    "axes[0]",
    "expected an object",
  );
});

Deno.test("parseAcquisition() rejects two axes on one dimension", () => {
  assertMetadataError(
    () => parseReference((doc) => (doc.axes[0].dimension = 0)),
    'Axes "X" and "Z" both have dimension 0',
  );
});

Deno.test("parseAcquisition() rejects two axes on one anatomical line", () => {
  assertMetadataError(
    () => parseReference((doc) => (doc.axes[2].direction = "Right_to_left")),
    '"X" (Left_to_right)',
    '"Z" (Right_to_left)',
    "left-right line",
  );
});

Deno.test("parseAcquisition() matches schema 2.x axes by name, and rejects names it cannot place", () => {
  const system = (names: string[]): unknown => ({
    schema_version: "2.1.0",
    coordinate_system: {
      axes: names.map((name, i) => ({
        name,
        direction: ["Left_to_right", "Anterior_to_posterior", "Superior_to_inferior"][i],
      })),
    },
  });
  const acquisition = parseAcquisition(system(["x", "Y", "z"]), { source: "v2.json" });
  assertEquals(acquisition.axes.map((a) => [a.name, a.dimension]), [["z", 0], ["Y", 1], ["x", 2]]);
  assertMetadataError(
    () => parseAcquisition(system(["ML", "AP", "SI"]), { source: "v2.json" }),
    'Axis "ML"',
    "X, Y or Z",
  );
  assertMetadataError(
    () => parseAcquisition(system(["X", "X", "Z"]), { source: "v2.json" }),
    "both have dimension 2",
  );
});

Deno.test("parseAcquisition() checks the subject only when asked and when the file has one", () => {
  assertStrictEquals(parseReference(() => {}).subjectId, "652506");
  const json = referenceDocument();
  assertStrictEquals(
    parseAcquisition(json, { source: "a.json", expectedSubject: "652506" }).subjectId,
    "652506",
  );
  assertMetadataError(
    () => parseAcquisition(json, { source: "a.json", expectedSubject: "652507" }),
    'subject "652506"',
    '"652507"',
  );
  const anonymous = referenceDocument((doc) => delete (doc as { subject_id?: string }).subject_id);
  assertStrictEquals(
    parseAcquisition(anonymous, { source: "a.json", expectedSubject: "1" }).subjectId,
    undefined,
  );
});

Deno.test("parseAcquisitionText() reports invalid JSON as a MetadataError of that file", async () => {
  const name = "aind-ccf-alignment-experiments_orientation_metadata_INVALID-JSON.json";
  const error = assertMetadataError(
    () => parseAcquisitionText(Deno.readTextFileSync(new URL(name, FIXTURES)), { source: name }),
    "not valid JSON",
    name,
  );
  assertStrictEquals(error.source, name);
  assertInstanceOf(error.cause, SyntaxError);
  // The same content without the trailing comma is fine.
  const fixed = (await readFixture(name)).replace(/,\s*}\s*$/, "}");
  assertStrictEquals(parseAcquisitionText(fixed, { source: name }).axes[0].rawDirection, "Right_to_left");
});
