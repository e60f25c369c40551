import { assert, assertAlmostEquals, assertEquals, assertStringIncludes } from "@std/assert";
import { checkAindCaveats } from "../../lib/metadata/aind_caveats.ts";
import { parseAcquisition } from "../../lib/metadata/acquisition.ts";
import { directionOfOrientation } from "../../lib/orient/transform.ts";
import { projectionLayout } from "../../lib/display/preview.ts";
import { caveatsView, ccfExtentView, orientationCodesView } from "../../lib/display/registration_views.ts";
import type { Volume } from "../../lib/core/volume.ts";

/** A PIR volume of 1 mm voxels holding a bright block of 13 × 8 × 11 voxels (x, y, z) at an offset. */
function blockVolume(): Volume<Uint16Array> {
  const [nx, ny, nz] = [20, 14, 18];
  const data = new Uint16Array(nx * ny * nz);
  for (let z = 4; z < 15; z++) {
    for (let y = 3; y < 11; y++) for (let x = 2; x < 15; x++) data[(z * ny + y) * nx + x] = 1000;
  }
  return { data, shape: [nz, ny, nx], dtype: "uint16" };
}

Deno.test("ccfExtentView() draws the CCF extent, centred on the foreground, at the picture's scale", () => {
  const volume = blockVolume();
  const geometry = {
    spacing: [1, 1, 1] as [number, number, number],
    origin: [0, 0, 0] as [number, number, number],
    direction: directionOfOrientation(["posterior", "inferior", "right"]),
  };
  const view = ccfExtentView(volume, { geometry, title: "test" });
  const text = view.bundle["text/plain"];
  assertStringIncludes(
    text,
    "PIR volume 18 × 14 × 20 (z, y, x); foreground 13 × 8 × 11 mm vs CCF 13.2 × 8 × 11.4 mm",
  );
  const layout = projectionLayout(volume.shape, geometry.spacing, { maxWidth: 640, maxHeight: 640 });
  const rects = [
    ...view.bundle["text/html"]!.matchAll(
      /<rect x="([\d.-]+)" y="([\d.-]+)" width="([\d.]+)" height="([\d.]+)"/g,
    ),
  ]
    .map((m) => m.slice(1).map(Number));
  assertEquals(rects.length, 3);
  // Panel z: columns x (P), rows y (I): 13.2 × 8.0 mm, centred on the block's centre (x 8.5, y 7).
  const [x, y, w, h] = rects[0];
  assertAlmostEquals(w, 13.2 / layout.mmPerPixel, 0.06);
  assertAlmostEquals(h, 8.0 / layout.mmPerPixel, 0.06);
  assertAlmostEquals(x + w / 2, 22 + layout.panels.z.x + 8.5 / layout.mmPerPixel, 0.06);
  assertAlmostEquals(y + h / 2, 22 + 20 + layout.panels.z.y + 7 / layout.mmPerPixel, 0.06);
  // Panel x: columns z (R), rows y: 11.4 × 8.0 mm.
  assertAlmostEquals(rects[2][2], 11.4 / layout.mmPerPixel, 0.06);
  // Edges: x runs from anterior (left) to posterior (right), y from superior (top) to inferior (bottom).
  for (const label of [">A</text>", ">P</text>", ">S</text>", ">I</text>", ">L</text>", ">R</text>"]) {
    assertStringIncludes(view.bundle["text/html"]!, label);
  }
});

Deno.test("orientationCodesView() and caveatsView() give text and HTML", () => {
  const codes = orientationCodesView(["right", "anterior", "inferior"]);
  for (const text of ["RAI", "LPS (590851)", "spl", "Superior_to_inferior", "superior-to-inferior"]) {
    assertStringIncludes(codes.bundle["text/plain"], text);
    assertStringIncludes(codes.bundle["text/html"]!, text);
  }
  const acquisition = parseAcquisition({
    session_start_time: "2023-01-09T10:18:12",
    axes: [
      { name: "X", dimension: 2, direction: "Left_to_right" },
      { name: "Y", dimension: 1, direction: "Posterior_to_anterior" },
      { name: "Z", dimension: 0, direction: "Superior_to_inferior" },
    ],
  }, { source: "acquisition.json" });
  const warnings = checkAindCaveats(acquisition);
  const warned = caveatsView(warnings);
  assert(warned.bundle["text/plain"].startsWith("WARNING: SmartSPIM 2022-2023"));
  assertStringIncludes(
    warned.bundle["text/html"]!,
    'href="https://github.com/AllenNeuralDynamics/aind-ccf-registration',
  );
  assert(caveatsView(warnings, [warnings[0].id]).bundle["text/plain"].startsWith("CORRECTED"));
});
