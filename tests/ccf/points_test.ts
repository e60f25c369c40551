/**
 * Points both ways on synthetic registered assets served by a local S3
 * server, against the closed form of their transforms (testing/ccf_dataset.ts)
 * and a pipeline header worked out by hand for each asset's axes.
 */
import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import {
  ccfToZarr,
  clearTransformCache,
  findRegistration,
  mapPointsCsv,
  openCcfSpace,
  PointsCsvError,
  RegistrationError,
  zarrToCcf,
} from "../../lib/ccf/mod.ts";
import { NotFoundError } from "../../lib/core/errors.ts";
import { DiskCache } from "../../lib/s3/disk_cache.ts";
import { closedCcfToLs, closedLsToCcf, serveCcfDataset } from "../../testing/ccf_dataset.ts";
import { handPipelineLps } from "../../testing/ccf_hand.ts";

type Vec3 = [number, number, number];

const POINTS: Vec3[] = [[20, 28, 24], [0, 0, 0], [39, 55, 47], [5.5, 40.25, 10.75], [31, 7, 44]];

// Interpolating the sampled warps (0.2 mm grids) against their closed forms: a·k²·h²/8 per sine, summed.
const WARP_TOLERANCE_MM = 2e-3;

Deno.test("zarrToCcf() and ccfToZarr() match the closed form on synthetic registered assets", async (t) => {
  clearTransformCache();
  await using served = await serveCcfDataset();
  const template = served.dataset.templates.get("SmartSPIM-template_2024-05-16_11-26-14")!;
  const affineOnly = served.dataset.templates.get("synthetic-template-affine-only")!;

  await t.step(
    "affine-only chain (0.0.32, big-endian double .mat): within 1e-6 mm",
    async () => {
      const space = await openCcfSpace(
        { subject: "700006" },
        { ...served.s3, templatePrefix: "synthetic-template-affine-only" },
      );
      try {
        assertEquals(space.corrections, ["ras-corner-anchor"]);
        const asset = served.dataset.assets.get("700006")!;
        const mapped = zarrToCcf(space, POINTS);
        for (const [n, zyx] of POINTS.entries()) {
          const expected = closedLsToCcf(asset, affineOnly, handPipelineLps("700006", zyx));
          for (let c = 0; c < 3; c++) assertAlmostEquals(mapped[n].lps[c], expected[c], 1e-6);
          assertAlmostEquals(mapped[n].allen.ap, 1000 * expected[1], 1e-3);
          assertAlmostEquals(mapped[n].allen.dv, -1000 * expected[2], 1e-3);
          assertAlmostEquals(mapped[n].allen.ml, -1000 * expected[0], 1e-3);
        }
        const back = ccfToZarr(space, mapped.map((p) => p.allen));
        for (const [n, zyx] of POINTS.entries()) {
          for (let c = 0; c < 3; c++) assertAlmostEquals(back[n][c], zyx[c], 1e-5);
        }
      } finally {
        space.close();
      }
    },
  );

  for (const subject of ["700001", "700002", "700003"]) {
    await t.step(`asset ${subject} with warps: within ${WARP_TOLERANCE_MM} mm both ways`, async () => {
      const space = await openCcfSpace({ subject }, served.s3);
      try {
        const asset = served.dataset.assets.get(subject)!;
        const mapped = zarrToCcf(space, POINTS);
        let worst = 0;
        for (const [n, zyx] of POINTS.entries()) {
          const lps = handPipelineLps(subject, zyx);
          const expected = closedLsToCcf(asset, template, lps);
          for (let c = 0; c < 3; c++) {
            worst = Math.max(worst, Math.abs(mapped[n].lps[c] - expected[c]));
            assertAlmostEquals(mapped[n].lps[c], expected[c], WARP_TOLERANCE_MM);
          }
          // CCF → LS lands where the closed form says this CCF point samples.
          const sampled = closedCcfToLs(asset, template, expected);
          const there = ccfToZarr(space, [expected])[0];
          const atLps = handPipelineLps(subject, there);
          for (let c = 0; c < 3; c++) assertAlmostEquals(atLps[c], sampled[c], WARP_TOLERANCE_MM);
        }
        console.log(`  ${subject}: largest difference from the closed form ${worst.toExponential(2)} mm`);
        // The round trip LS → CCF → LS comes back within the interpolation error (in voxels of the asset).
        const back = ccfToZarr(space, mapped.map((p) => p.lps));
        const spacingMm = subject === "700001" ? 0.0018 : 0.17;
        for (const [n, zyx] of POINTS.entries()) {
          for (let c = 0; c < 3; c++) {
            assertAlmostEquals(back[n][c], zyx[c], (2 * WARP_TOLERANCE_MM) / spacingMm);
          }
        }
      } finally {
        space.close();
      }
    });
  }

  await t.step(
    '"spl" axes: a warning by default; splRule "as-registered" reads them as AIND\'s code did',
    async () => {
      const recorded = await openCcfSpace({ subject: "700002" }, served.s3);
      recorded.close();
      assertStringIncludes(recorded.warnings[0], 'axes spell "spl"');
      assertEquals(recorded.geometry.direction, [[-1, 0, 0], [0, -1, 0], [0, 0, -1]]);
      const registered = await openCcfSpace({ subject: "700002" }, {
        ...served.s3,
        splRule: "as-registered",
      });
      registered.close();
      // S→I, A→P, R→L by dimension: index x toward left (+x), y toward posterior (+y), z toward inferior (−z).
      assertEquals(registered.geometry.direction, [[1, 0, 0], [0, 1, 0], [0, 0, -1]]);
      assertEquals(registered.corrections, ["spl-as-registered", "ras-corner-anchor"]);
      // The corner most right, anterior, superior is now voxel (0, 0, 0).
      assertEquals(registered.geometry.origin, [-1.5114, -1.5, 1.5]);
      // The permuted acquisition is not "spl": no warning.
      const permuted = await openCcfSpace({ subject: "700003" }, served.s3);
      permuted.close();
      assertEquals(permuted.warnings, []);
    },
  );

  await t.step("transform files are read once per process, and kept in cacheDir when given", async () => {
    clearTransformCache();
    const dir = await Deno.makeTempDir();
    try {
      const first = await openCcfSpace({ subject: "700001" }, { ...served.s3, cacheDir: dir });
      first.close();
      const second = await openCcfSpace({ subject: "700001" }, served.s3);
      second.close();
      // The same objects: the second open read nothing again.
      assert(first.transforms!.templateWarp === second.transforms!.templateWarp);
      assert(first.transforms!.lsAffine === second.transforms!.lsAffine);
      const ids: string[] = [];
      for await (const sub of Deno.readDir(dir)) {
        if (!sub.isDirectory) continue;
        for await (const entry of Deno.readDir(`${dir}/${sub.name}`)) {
          const header = await DiskCache.readHeader(`${dir}/${sub.name}/${entry.name}`);
          if (header) ids.push(header.id);
        }
      }
      // The six transform files went through the disk cache.
      for (
        const name of [
          "ls_to_template_SyN_0GenericAffine.mat",
          "spim_template_to_ccf_syn_1InverseWarp_25.nii.gz",
        ]
      ) {
        assert(ids.some((id) => id.includes(name)), `${name} is not in the cache: ${ids.join("; ")}`);
      }
      assertEquals(ids.filter((id) => /\.(mat|nii\.gz)\n/.test(id)).length, 6, ids.join("; "));
      clearTransformCache();
      const third = await openCcfSpace({ subject: "700001" }, { ...served.s3, cacheDir: dir });
      third.close();
      assert(third.transforms!.templateWarp !== first.transforms!.templateWarp);
      assertEquals(third.transforms!.templateWarp.data, first.transforms!.templateWarp.data);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  await t.step(
    'transforms "pull" reads no inverse warp: CCF → LS works, LS → CCF says why it cannot',
    async () => {
      const full = await openCcfSpace({ subject: "700002" }, served.s3);
      full.close();
      clearTransformCache();
      const pull = await openCcfSpace({ subject: "700002" }, { ...served.s3, transforms: "pull" });
      pull.close();
      assertEquals([pull.transforms!.lsInverseWarp, pull.transforms!.templateInverseWarp], [
        undefined,
        undefined,
      ]);
      const ccf = [{ ap: 6500, dv: 4100, ml: 5600 }];
      assertEquals(ccfToZarr(pull, ccf), ccfToZarr(full, ccf));
      assertThrows(() => zarrToCcf(pull, [[20, 28, 24]]), TypeError, "the inverse warps were not read");
    },
  );

  await t.step("registration facts: channel from processing.json (1.x, 2.x) or from the folder", async () => {
    const a = await findRegistration(served.dataset.assets.get("700001")!.name, served.s3);
    assertEquals([a.channel, a.version, a.channelFrom, a.level, a.schemaVersion], [
      "Ex_639_Em_667",
      "0.0.25",
      "processing.json",
      3,
      "1.1.4",
    ]);
    const b = await findRegistration(served.dataset.assets.get("700002")!.name, served.s3);
    assertEquals([b.version, b.schemaVersion], ["0.0.33", "2.0.4"]);
    const c = await findRegistration(served.dataset.assets.get("700003")!.name, served.s3);
    assertEquals([c.channel, c.channelFrom], ["Ex_639_Em_667", "image_atlas_alignment folder"]);
  });

  await t.step("an unregistered asset and a too-old capsule are clear errors", async () => {
    const unregistered = served.dataset.assets.get("700004")!.name;
    await assertRejects(
      () => openCcfSpace({ subject: "700004" }, served.s3),
      RegistrationError,
      `${unregistered} is not registered to the Allen CCF: there is no s3://aind-open-data/${unregistered}/processing.json, and s3://aind-open-data/${unregistered}/image_atlas_alignment/ holds no channel folder`,
    );
    await assertRejects(
      () => openCcfSpace({ subject: "700005" }, served.s3),
      RangeError,
      "Registration capsule version 0.0.17 is older than 0.0.18",
    );
    await assertRejects(
      () => openCcfSpace({ subject: "700001" }, { ...served.s3, templatePrefix: "no-such-template" }),
      NotFoundError,
      "s3://aind-open-data/no-such-template/spim_template_to_ccf_syn_0GenericAffine_25.mat",
    );
  });

  await t.step(
    "mapPointsCsv() repeats the input columns and adds the other system's, row for row",
    async () => {
      const space = await openCcfSpace({ subject: "700002" }, served.s3);
      try {
        const input = 'name,z,y,x\n"cell, 1",20,28,24\n\ncell 2,5.5,40.25,10.75\n';
        const out = mapPointsCsv(space, input, "cells.csv");
        const lines = out.trimEnd().split("\n");
        assertEquals(lines[0], "name,z,y,x,ap,dv,ml");
        assertEquals(lines[2], "");
        assert(lines[1].startsWith('"cell, 1",20,28,24,'));
        const expected = zarrToCcf(space, [[20, 28, 24]])[0].allen;
        const cells = lines[1].split(",").slice(-3).map(Number);
        assertAlmostEquals(cells[0], expected.ap, 1e-4);
        assertAlmostEquals(cells[1], expected.dv, 1e-4);
        assertAlmostEquals(cells[2], expected.ml, 1e-4);
        // And back: ap,dv,ml in gives z,y,x out.
        const reverse = mapPointsCsv(space, `AP,DV,ML\n${cells.join(",")}\n`).trimEnd().split("\n");
        assertEquals(reverse[0], "AP,DV,ML,z,y,x");
        const zyx = reverse[1].split(",").slice(3).map(Number);
        for (const [c, v] of [20, 28, 24].entries()) assertAlmostEquals(zyx[c], v, 0.05);
        assertThrows(
          () => mapPointsCsv(space, "a,b\n1,2\n", "p.csv"),
          PointsCsvError,
          "must name either z,y,x",
        );
        assertThrows(
          () => mapPointsCsv(space, "z,y,x,ap,dv,ml\n1,2,3,4,5,6\n", "p.csv"),
          PointsCsvError,
          "not both",
        );
        assertThrows(
          () => mapPointsCsv(space, "z,y,x\n1,two,3\n", "p.csv"),
          PointsCsvError,
          'line 2 has "two" in column "y": expected a number (y)',
        );
      } finally {
        space.close();
      }
    },
  );
  assertStringIncludes(served.s3.endpoint, "127.0.0.1");
});
