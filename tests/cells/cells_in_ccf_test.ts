/**
 * `readCellsInCcf()` on synthetic segmented assets served by a local S3
 * server (every era's files) with a fake Allen Brain Cell Atlas bucket:
 * our count against counts derived here from the closed-form transforms
 * and a nearest-voxel lookup of the closed-form annotation written in this
 * test; AIND's counts against what the files hold.
 */
import { assert, assertAlmostEquals, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { NotFoundError } from "../../lib/core/errors.ts";
import { openAtlas, readCellsInCcf, readDetections } from "../../lib/cells/mod.ts";
import { clearTransformCache } from "../../lib/ccf/mod.ts";
import {
  atlasLabel,
  INDEX_TERMS,
  serveCellsDataset,
  TERMS,
  UNKNOWN_INDEX,
} from "../../testing/cells_dataset.ts";

type Vec3 = [number, number, number];

/** The test's own lookup: nearest 100 µm voxel centre, then the tree upward; left where ML < 5700 µm. */
function expectedCounts(ccf: readonly Vec3[]): {
  counts: Map<string, [number, number]>;
  outsideBrain: number;
  unknown: number;
  outsideGrid: number;
} {
  const counts = new Map<string, [number, number]>();
  let outsideBrain = 0, unknown = 0, outsideGrid = 0;
  for (const [ap, dv, ml] of ccf) {
    const [i, j, k] = [ap, dv, ml].map((v) => Math.round(v / 100));
    if (i < 0 || i >= 132 || j < 0 || j >= 80 || k < 0 || k >= 114) {
      outsideGrid++;
      continue;
    }
    const index = atlasLabel(100 * i, 100 * j, 100 * k);
    if (index === 0) outsideBrain++;
    else if (index === UNKNOWN_INDEX) unknown++;
    else {
      let term = TERMS.find((t) => t.label.endsWith(`-${INDEX_TERMS[index]}`));
      // A term repeating its parent's id (cst's own substructure) counts once.
      const seen = new Set<string>();
      for (; term; term = TERMS.find((t) => t.label === term!.parent)) {
        if (seen.has(term.acronym)) continue;
        seen.add(term.acronym);
        const c = counts.get(term.acronym) ?? [0, 0];
        c[ml < 5700 ? 0 : 1]++;
        counts.set(term.acronym, c);
      }
    }
  }
  return { counts, outsideBrain, unknown, outsideGrid };
}

Deno.test("readCellsInCcf() recounts every era's detections as the closed form does, beside AIND's counts", async (t) => {
  clearTransformCache();
  await using served = await serveCellsDataset();
  const atlas = await openAtlas(served.s3);

  await t.step("the atlas: the tree from the ABC tables and the annotation's grid", () => {
    assertEquals([atlas.size, atlas.resolution], [[132, 80, 114], 100]);
    const visp4 = atlas.ontology.byAcronym.get("VISp4")!;
    assertEquals([visp4.id, visp4.depth], [721, 4]);
    assertEquals(atlas.ontology.structures.get(visp4.parentId!)!.acronym, "VISp");
    assertEquals(atlas.ontology.byAcronym.get("root")!.parentId, undefined);
    // cst has a substructure term of its own id, CP is listed as its own substructure: parents stay right.
    assertEquals(
      atlas.ontology.structures.get(atlas.ontology.byAcronym.get("cst")!.parentId!)!.acronym,
      "lfbs",
    );
    assertEquals(atlas.ontology.byAcronym.get("cst")!.depth, 3);
    const cp = atlas.ontology.byAcronym.get("CP")!;
    assertEquals(atlas.ontology.structures.get(cp.parentId!)!.acronym, "STR");
  });

  for (const subject of ["700002", "700006"]) {
    await t.step(`subject ${subject}`, async () => {
      const result = await readCellsInCcf({ subject }, { ...served.s3, recount: true, points: true, atlas });
      const truth = served.truth.get(subject)!;
      assertEquals(result.channels.map((c) => c.channel).sort(), [...truth.keys()].sort());
      for (const channel of result.channels) {
        const cells = truth.get(channel.channel)!;
        // Detections: every generated cell, none of the "not a cell" rows.
        assertEquals(channel.detections!.count, cells.zyx.length);
        // Our CCF positions: within 3 µm of the closed form (interpolated warps on 0.2 mm grids).
        for (let i = 0; i < cells.ccf.length; i++) {
          for (let a = 0; a < 3; a++) assertAlmostEquals(channel.ccf![3 * i + a], cells.ccf[i][a], 3);
        }
        const expected = expectedCounts(cells.ccf);
        const ours = channel.rows.filter((r) => r.source === "recount");
        for (const [acronym, [l, r]] of expected.counts) {
          const rows = ours.filter((row) => row.acronym === acronym);
          assertEquals(
            rows.map((row) => [row.hemisphere, row.count]),
            [["left", l], ["right", r], ["both", l + r]],
            `${subject} ${channel.channel} ${acronym}`,
          );
        }
        // Structures without cells have rows of 0 (their volume is known), never a count of someone else's.
        for (const row of ours) if (!expected.counts.has(row.acronym)) assertEquals(row.count, 0);
        const a = channel.assignments!;
        assertEquals([a.outsideBrain, a.unknownIndex, a.outsideGrid], [
          expected.outsideBrain,
          expected.unknown,
          expected.outsideGrid,
        ]);
        const skipped = expected.outsideBrain + expected.unknown + expected.outsideGrid;
        assert(skipped > 0, "the synthetic cells include some outside the brain");
        assert(
          channel.warnings.some((w) => w.includes(`${skipped} of ${cells.zyx.length} cells not counted`)),
        );
        // Volumes: the annotation's voxels of each structure, 0.001 mm³ each.
        const root = ours.find((r) => r.acronym === "root" && r.hemisphere === "both")!;
        let voxels = 0;
        for (let k = 0; k < 114; k++) {
          for (let j = 0; j < 80; j++) {
            for (let i = 0; i < 132; i++) {
              const index = atlasLabel(100 * i, 100 * j, 100 * k);
              if (index !== 0 && index !== UNKNOWN_INDEX) voxels++;
            }
          }
        }
        assertAlmostEquals(root.volume_mm3!, voxels * 0.001, 1e-6);
        assertAlmostEquals(root.density_per_mm3!, root.count / root.volume_mm3!, 1e-9);
        // AIND's counts, where the quantification exists: the files hold the closed-form counts.
        if (channel.aind) {
          const theirs = channel.rows.filter((r) => r.source === "aind" && r.hemisphere === "both");
          for (const [acronym, [l, r]] of expected.counts) {
            assertEquals(theirs.find((row) => row.acronym === acronym)?.count, l + r, acronym);
          }
          assert(
            channel.differences!.every((d) => d.aind === d.recount),
            JSON.stringify(channel.differences),
          );
          assert(channel.distances, "AIND's transformed cells are paired with ours");
          // CSV: float indices (µm apart only by the warps' interpolation); XML: rounded to 25 µm voxels.
          const limit = channel.transformed!.file.endsWith(".csv") ? 3 : Math.sqrt(3) * 12.5 + 3;
          assert(channel.distances.median < limit, `median ${channel.distances.median} µm`);
        } else {
          assert(channel.warnings.some((w) => w.includes("no AIND counts")));
        }
      }
    });
  }

  await t.step("a missing channel folder is an error naming the channels that exist", async () => {
    const error = await assertRejects(
      () =>
        readDetections(
          "SmartSPIM_700002_2024-05-01_10-00-00_stitched_2024-09-02_10-00-00",
          "Ex_561_Em_593",
          { endpoint: served.s3.endpoint },
        ),
      NotFoundError,
    );
    assertStringIncludes(error.message, "Ex_561_Em_593");
    assertStringIncludes(error.message, "Ex_488_Em_525, Ex_639_Em_667");
  });

  await t.step("AIND's counts alone need no registration and no annotation", async () => {
    const result = await readCellsInCcf({ subject: "700002" }, { ...served.s3, channels: ["Ex_639_Em_667"] });
    assertEquals(result.channels.length, 1);
    assert(result.channels[0].rows.every((r) => r.source === "aind"));
    assertEquals(result.channels[0].detections, undefined);
    const visp = result.channels[0].rows.find((r) => r.acronym === "VISp")!;
    assertEquals([visp.structure_id, visp.parent_id, visp.depth], [385, 315, 3]);
  });
});
