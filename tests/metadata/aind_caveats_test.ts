import { assert, assertEquals, assertStrictEquals, assertStringIncludes } from "@std/assert";
import { type Acquisition, parseAcquisitionText } from "../../lib/metadata/acquisition.ts";
import {
  acquisitionDate,
  AIND_CAVEATS,
  type AindCaveat,
  applyAindCaveats,
  checkAindCaveats,
} from "../../lib/metadata/aind_caveats.ts";
import { computeOrientation } from "../../lib/orient/orient.ts";

const FIXTURES = new URL("../fixtures/aind/", import.meta.url);
const ID = "smartspim-2022-2023-y-posterior-to-anterior";

async function fixtures(): Promise<Map<string, Acquisition>> {
  const found = new Map<string, Acquisition>();
  for await (const entry of Deno.readDir(FIXTURES)) {
    if (!entry.name.includes("acquisition") || entry.name.includes("INVALID")) continue;
    const text = await Deno.readTextFile(new URL(entry.name, FIXTURES));
    found.set(entry.name, parseAcquisitionText(text, { source: entry.name }));
  }
  return found;
}

/** The asset name a fixture file is named after, when it is. */
function assetOf(name: string): string | undefined {
  return /^(SmartSPIM_[A-Za-z0-9]+_\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2})/.exec(name)?.[1];
}

Deno.test("the caveat table cites a source for every entry", () => {
  for (const caveat of AIND_CAVEATS) {
    assert(caveat.sources.length > 0, caveat.id);
    for (const source of caveat.sources) assert(source.url.startsWith("https://"), source.url);
    assertStrictEquals(caveat.flag, "--aind-orientation-fix");
  }
  assertStrictEquals(new Set(AIND_CAVEATS.map((c) => c.id)).size, AIND_CAVEATS.length);
});

Deno.test("the 2022-2023 Y caveat flags exactly the affected real acquisition files", async () => {
  const flagged: string[] = [];
  for (const [name, acquisition] of await fixtures()) {
    const warnings = checkAindCaveats(acquisition, { asset: assetOf(name) });
    if (warnings.length) {
      assertEquals(warnings.map((w) => w.id), [ID], name);
      flagged.push(assetOf(name) ?? name);
    }
  }
  assertEquals(flagged.sort(), [
    "SmartSPIM_620326_2022-09-20_11-20-22",
    "SmartSPIM_622957_2022-06-07_10-54-57",
    "SmartSPIM_652506_2023-01-09_10-18-12", // the reference notebook's; dated by its name
    "SmartSPIM_654092_2023-01-26_10-45-12",
    "SmartSPIM_658208_2023-02-05_13-42-31",
    "SmartSPIM_658209_2023-02-08_16-32-24",
    "SmartSPIM_658355_2023-02-28_15-17-45",
    "SmartSPIM_679519_2023-08-15_11-43-09",
    "SmartSPIM_687508_2023-10-31_13-00-58",
    "SmartSPIM_701121_2023-11-10_10-53-43",
    "aind-data-schema_example_aind_smartspim_acquisition_v0.3.0.json",
    "aind-data-schema_example_smartspim_acquisition_v0.4.1.json",
  ]);
});

Deno.test("2024 and later, or Anterior_to_posterior, or another platform: no warning", async () => {
  const all = await fixtures();
  // SmartSPIM_M2501 (2025) and SmartSPIM_805110 (2025) record Y Posterior_to_anterior outside the date range.
  for (
    const name of [
      "SmartSPIM_M2501_2025-04-03_17-50-21__acquisition.json",
      "SmartSPIM_701971_2024-02-15_13-45-28__acquisition.json",
    ]
  ) {
    assertEquals(checkAindCaveats(all.get(name)!, { asset: assetOf(name) }), [], name);
  }
  const reference = all.get(
    "SmartSPIM_652506_2023-01-09_10-18-12_acquisition.axes_FROM-NOTEBOOK-OUTPUT.json",
  )!;
  assertEquals(checkAindCaveats(reference, { asset: "exaSPIM_652506_2023-01-09_10-18-12" }), []);
  // Without a date anywhere, the rule cannot apply.
  assertEquals(checkAindCaveats(reference), []);
});

Deno.test("the date comes from the metadata first, then from the asset name", async () => {
  const all = await fixtures();
  const v2 = all.get("aind-metadata-mapper_smartspim-v2_acquisition_v2.1.0_subject762444.json")!;
  assertStrictEquals(acquisitionDate(v2), "2025-07-16");
  const old = all.get("SmartSPIM_622957_2022-06-07_10-54-57__acquisition.json")!;
  assertStrictEquals(acquisitionDate(old, "SmartSPIM_622957_2099-01-01_00-00-00"), "2022-06-07");
  const reference = all.get(
    "SmartSPIM_652506_2023-01-09_10-18-12_acquisition.axes_FROM-NOTEBOOK-OUTPUT.json",
  )!;
  assertStrictEquals(
    acquisitionDate(reference, "SmartSPIM_652506_2023-01-09_10-18-12_stitched_2023-01-13_19-00-54"),
    "2023-01-09",
  );
  assertStrictEquals(acquisitionDate(reference), undefined);
});

Deno.test("the warning says what is wrong, what the default does, how to correct it, and where it is documented", async () => {
  const all = await fixtures();
  const name = "SmartSPIM_654092_2023-01-26_10-45-12_stitched_2023-02-02_21-58-54__acquisition.json";
  const [warning] = checkAindCaveats(all.get(name)!);
  assertStringIncludes(warning.message, "acquired 2023-01-26");
  assertStringIncludes(warning.message, "Posterior_to_anterior");
  assertStringIncludes(warning.message, "Anterior_to_posterior");
  assertStringIncludes(warning.message, "Output follows the recorded metadata");
  assertStringIncludes(warning.message, "--aind-orientation-fix");
  assertStringIncludes(warning.message, "github.com/AllenNeuralDynamics/aind-ccf-registration");
});

Deno.test("applyAindCaveats() flips only Y, and only for affected acquisitions", async () => {
  const all = await fixtures();
  const name = "SmartSPIM_658208_2023-02-05_13-42-31_stitched_2023-02-07_19-40-25__acquisition.json";
  const recorded = all.get(name)!;
  const { acquisition, applied } = applyAindCaveats(recorded);
  assertEquals(applied.map((w) => w.id), [ID]);
  assertEquals(acquisition.axes.map((a) => a.rawDirection), [
    "Superior_to_inferior",
    "Anterior_to_posterior",
    "Left_to_right",
  ]);
  assertEquals(recorded.axes.map((a) => a.rawDirection), [
    "Superior_to_inferior",
    "Posterior_to_anterior",
    "Left_to_right",
  ]);
  const before = computeOrientation(recorded.axes, { size: [4, 5, 6], spacing: [1, 1, 1] });
  const after = computeOrientation(acquisition.axes, { size: [4, 5, 6], spacing: [1, 1, 1] });
  assertEquals([before.nibabelCode, after.nibabelCode], ["RAI", "RPI"]);
  // Unaffected: returned as is.
  const later = all.get("SmartSPIM_716005_2024-04-12_21-51-26__acquisition.json")!;
  const untouched = applyAindCaveats(later);
  assertStrictEquals(untouched.acquisition, later);
  assertEquals(untouched.applied, []);
});

Deno.test("more caveats can be added to the table", async () => {
  const all = await fixtures();
  const extra: AindCaveat = {
    id: "test-x",
    title: "test",
    description: "X is reversed in this test.",
    correction: "flip X",
    flag: "--test-fix",
    sources: [{ url: "https://example.org/x", note: "test" }],
    matches: ({ acquisition }) => acquisition.subjectId === "716005",
    correct: (axes) =>
      axes.map((
        a,
      ) => (a.dimension === 2
        ? { ...a, direction: { from: a.direction.to, to: a.direction.from }, rawDirection: "Right_to_left" }
        : a)
      ),
  };
  const later = all.get("SmartSPIM_716005_2024-04-12_21-51-26__acquisition.json")!;
  const { acquisition, applied } = applyAindCaveats(later, { caveats: [...AIND_CAVEATS, extra] });
  assertEquals(applied.map((w) => w.id), ["test-x"]);
  assertStrictEquals(acquisition.axes[2].rawDirection, "Right_to_left");
});
