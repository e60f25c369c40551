import { assertAlmostEquals, assertEquals, assertStrictEquals, assertThrows } from "@std/assert";
import { MetadataError } from "../../lib/core/errors.ts";
import { parseMultiscales } from "../../lib/metadata/multiscales.ts";
import { millimetersPerUnit } from "../../lib/metadata/units.ts";

const FIXTURES = new URL("../fixtures/aind/", import.meta.url);
const REAL_ZATTRS = JSON.parse(
  Deno.readTextFileSync(
    new URL("SmartSPIM_631680_stitched_2022-11-10_Ex_647_Em_690.zarr.zattrs.json", FIXTURES),
  ),
);

const axes = (unit = "micrometer") => [
  { name: "t", type: "time", unit: "millisecond" },
  { name: "c", type: "channel" },
  { name: "z", type: "space", unit },
  { name: "y", type: "space", unit },
  { name: "x", type: "space", unit },
];

Deno.test("parseMultiscales() reads AIND's real .zattrs", () => {
  const m = parseMultiscales(REAL_ZATTRS, { source: "fixture" });
  assertStrictEquals(m.version, "0.4");
  assertEquals(m.spatialAxes, [2, 3, 4]);
  assertEquals(m.datasets.map((d) => d.path), ["0", "1", "2", "3", "4"]);
  assertEquals(m.datasets[3].scale, [1, 1, 16, 14.4, 14.4]);
  assertEquals(m.datasets[3].translation, [0, 0, 0, 0, 0]);
  assertEquals(m.millimetersPerUnit, [1e-3, 1e-3, 1e-3]);
});

Deno.test("parseMultiscales() reads NGFF 0.5 attributes nested under ome", () => {
  const attributes = {
    ome: {
      version: "0.5",
      multiscales: [{
        axes: axes("nanometer").slice(2),
        datasets: [{ path: "s0", coordinateTransformations: [{ type: "scale", scale: [500, 400, 400] }] }],
      }],
    },
  };
  const m = parseMultiscales(attributes, { source: "zarr.json" });
  assertStrictEquals(m.version, "0.5");
  assertEquals(m.spatialAxes, [0, 1, 2]);
  assertEquals(m.millimetersPerUnit, [1e-6, 1e-6, 1e-6]);
});

Deno.test("parseMultiscales() composes dataset and multiscales transforms", () => {
  const m = parseMultiscales({
    multiscales: [{
      version: "0.4",
      axes: axes().slice(2),
      coordinateTransformations: [{ type: "scale", scale: [2, 2, 2] }, {
        type: "translation",
        translation: [10, 20, 30],
      }],
      datasets: [{
        path: "1",
        coordinateTransformations: [{ type: "scale", scale: [4, 3, 3] }, {
          type: "translation",
          translation: [1, 1, 1],
        }],
      }],
    }],
  }, { source: "t" });
  // x = 2 · (s · i + t) + T
  assertEquals(m.datasets[0].scale, [8, 6, 6]);
  assertEquals(m.datasets[0].translation, [12, 22, 32]);
});

Deno.test("millimetersPerUnit() converts every NGFF length unit the same way as its definition", () => {
  const cases: [string, number][] = [
    ["nanometer", 1e-6],
    ["micrometer", 1e-3],
    ["millimeter", 1],
    ["centimeter", 10],
    ["meter", 1000],
    ["angstrom", 1e-7],
    ["picometer", 1e-9],
    ["kilometer", 1e6],
    ["inch", 25.4],
    ["foot", 304.8],
  ];
  for (const [unit, mm] of cases) assertAlmostEquals(millimetersPerUnit(unit)!, mm, mm * 1e-12, unit);
});

Deno.test("parseMultiscales() rejects bad metadata with a message naming the problem", () => {
  const bad: [unknown, string][] = [
    [[], "attributes must be a JSON object"],
    [{}, "no OME-NGFF multiscales entry"],
    [
      { multiscales: [{ axes: axes("parsec-ish"), datasets: [{ path: "0" }] }] },
      'unit "parsec-ish", which is not a length unit',
    ],
    [{ multiscales: [{ axes: axes().slice(3), datasets: [{ path: "0" }] }] }, "3 to 5 axes"],
    [{
      multiscales: [{
        axes: [...axes().slice(0, 3), { name: "y", type: "space", unit: "micrometer" }, { name: "x" }],
        datasets: [{ path: "0" }],
      }],
    }, "expected 3 spatial axes"],
    [{ multiscales: [{ axes: axes(), datasets: [] }] }, "datasets must be a non-empty list"],
    [{
      multiscales: [{
        axes: axes(),
        datasets: [{ path: "0", coordinateTransformations: [{ type: "scale", scale: [1, 1, 0, 1, 1] }] }],
      }],
    }, 'scale of axis "z" is 0'],
    [{
      multiscales: [{
        axes: axes(),
        datasets: [{ path: "0", coordinateTransformations: [{ type: "scale", scale: [1, 1] }] }],
      }],
    }, "array of 5 numbers"],
    [{
      multiscales: [{
        axes: axes(),
        datasets: [{ path: "0", coordinateTransformations: [{ type: "scale", path: "s.bin" }] }],
      }],
    }, "only inline scale"],
    [{
      multiscales: [{
        axes: axes(),
        datasets: [{ path: "0", coordinateTransformations: [{ type: "affine" }] }],
      }],
    }, 'type "affine"'],
  ];
  for (const [attributes, message] of bad) {
    const error = assertThrows(
      () => parseMultiscales(attributes, { source: "s3://b/i.zarr/.zattrs" }),
      MetadataError,
      message,
    );
    assertStrictEquals(error.source, "s3://b/i.zarr/.zattrs");
  }
});

Deno.test("parseMultiscales() needs a unit for spatial axes unless a default is given", () => {
  const noUnits = { multiscales: [{ axes: ["z", "y", "x"], datasets: [{ path: "0" }] }] };
  assertThrows(
    () => parseMultiscales(noUnits, { source: "t" }),
    MetadataError,
    'spatial axis "z" has no unit',
  );
  assertEquals(
    parseMultiscales(noUnits, { source: "t", defaultSpatialUnit: "micrometer" }).millimetersPerUnit,
    [
      1e-3,
      1e-3,
      1e-3,
    ],
  );
});
