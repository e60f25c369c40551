/**
 * The viewer in a real browser (headless Chromium, software WebGL2, every network request sent to a dead
 * proxy): a page written by `spimfetch view`, and a notebook exported by `jupyter nbconvert`. Checks go
 * through the viewer's own API in the page; expected values come from the synthetic data's closed form.
 *
 * With `SPIMFETCH_UPDATE_DOCS=1` the test also saves its screenshot as docs/images/viewer.png.
 *
 * @module
 */
import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import { decode } from "fast-png";
import { join } from "node:path";
import { chromiumMissing, launchChromium } from "../../testing/chromium.ts";
import { runCli } from "../../testing/run_cli.ts";
import { syntheticBrain } from "../../testing/smartspim_dataset.ts";
import { writeNifti } from "../../lib/write/mod.ts";
import { view } from "../../lib/view/mod.ts";
import type { ImageGeometry } from "../../lib/core/volume.ts";

const missing = chromiumMissing();
if (missing) console.warn(`WARNING: browser tests ${missing}`);

// A (z, y, x) = (20, 24, 16) ramp with a bright 4-voxel cube at x 10-13, y 14-17, z 4-7.
const SHAPE: [number, number, number] = [20, 24, 16];
const GEOMETRY: ImageGeometry = {
  spacing: [0.1, 0.2, 0.3],
  origin: [1, 2, 3],
  direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
};
const inCube = (x: number, y: number, z: number): boolean =>
  x >= 10 && x < 14 && y >= 14 && y < 18 && z >= 4 && z < 8;
const voxel = (x: number, y: number, z: number): number => inCube(x, y, z) ? 1000 : 10 + x + y + z;
/** RAS mm of voxel (i, j, k) by hand: LPS = origin + spacing ⊙ index (identity direction); RAS flips x, y. */
const ras = (i: number, j: number, k: number): number[] => [-(1 + 0.1 * i), -(2 + 0.2 * j), 3 + 0.3 * k];

function ramp(): Uint16Array {
  const [nz, ny, nx] = SHAPE;
  const data = new Uint16Array(nz * ny * nx);
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) data[(z * ny + y) * nx + x] = voxel(x, y, z);
  }
  return data;
}

/** Labels: 7 in the cube, 3 elsewhere in the lower half of z, 0 above. */
function labels(): Uint16Array {
  const [nz, ny, nx] = SHAPE;
  const data = new Uint16Array(nz * ny * nx);
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) data[(z * ny + y) * nx + x] = inCube(x, y, z) ? 7 : z < 10 ? 3 : 0;
    }
  }
  return data;
}

async function* once(data: Uint16Array): AsyncIterable<Uint16Array> {
  yield data;
}

async function writeInput(path: string, data: Uint16Array): Promise<void> {
  await writeNifti(path, { shape: SHAPE, dtype: "uint16", slabs: once(data) }, { geometry: GEOMETRY });
}

const VIEWER = `Object.values(globalThis.spimfetchViewers ?? {})[0]`;

/** Every request a page made that is not the page itself or data it carries. */
function outside(requests: string[], page: string): string[] {
  return requests.filter((url) => url !== page && !url.startsWith("data:") && !url.startsWith("blob:"));
}

/** Mean grey level of a square of a screenshot. */
function meanAt(png: Uint8Array, x: number, y: number, half = 2): number {
  const image = decode(png);
  const channels = image.channels;
  let sum = 0;
  let n = 0;
  for (let yy = Math.round(y) - half; yy <= Math.round(y) + half; yy++) {
    for (let xx = Math.round(x) - half; xx <= Math.round(x) + half; xx++) {
      const at = (yy * image.width + xx) * channels;
      sum += (image.data[at] + image.data[at + 1] + image.data[at + 2]) / 3;
      n++;
    }
  }
  return sum / n;
}

Deno.test({
  name: missing
    ? `viewer in a browser (${missing})`
    : "a page from `spimfetch view` in Chromium: geometry, values, " +
      "a bright voxel drawn bright, overlay, labels, markers, and no request outside the page",
  ignore: missing !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(): Promise<void> {
    const tmp = await Deno.makeTempDir({ prefix: "spimfetch-view-e2e-" });
    const browser = await launchChromium();
    try {
      const image = join(tmp, "ramp.nii.gz");
      const annotation = join(tmp, "labels.nii.gz");
      await writeInput(image, ramp());
      await writeInput(annotation, labels());
      await Deno.writeTextFile(join(tmp, "points.csv"), "name,z,y,x\ncube,5,15,11\ncorner,1,1,1\n");
      await Deno.writeTextFile(
        join(tmp, "labels.csv"),
        "id,acronym,name\n7,CUBE,bright cube\n3,LOW,lower half\n",
      );

      // The plain page: geometry, values and what is drawn.
      const plain = join(tmp, "plain.html");
      const run = await runCli(["view", image, "--html", plain]);
      assertEquals(run.code, 0, run.err);
      const plainUrl = `file://${plain}`;
      const page = await browser.open(plainUrl, { width: 1000, height: 800 });
      await page.waitFor(`${VIEWER}?.state === "ready" || ${VIEWER}?.state === "error"`, 30_000);
      assertEquals(await page.evaluate(`${VIEWER}.state`), "ready", page.console.join("\n"));
      const info = await page.evaluate<{
        volumes: { dims: number[]; worldMin: number[]; worldMax: number[] }[];
      }>(`${VIEWER}.info()`);
      assertEquals(info.volumes[0].dims, [16, 24, 20]);
      const lo = ras(0, 0, 0), hi = ras(15, 23, 19);
      for (let a = 0; a < 3; a++) {
        assertAlmostEquals(info.volumes[0].worldMin[a], Math.min(lo[a], hi[a]), 1e-5);
        assertAlmostEquals(info.volumes[0].worldMax[a], Math.max(lo[a], hi[a]), 1e-5);
      }
      assertEquals(await page.evaluate(`${VIEWER}.valueAt(11, 15, 5)`), 1000);
      assertEquals(await page.evaluate(`${VIEWER}.valueAt(2, 3, 4)`), voxel(2, 3, 4));
      const world = await page.evaluate<number[]>(`${VIEWER}.worldAt(11, 15, 5)`);
      ras(11, 15, 5).forEach((v, a) => assertAlmostEquals(world[a], v, 1e-5));
      // The crosshair readout at that world position names the voxel and its value.
      const readout = await page.evaluate<{ voxel: number[]; value: number }>(
        `${VIEWER}.moveTo(${JSON.stringify(ras(11, 15, 5))})`,
      );
      assertEquals([readout.voxel, readout.value], [[11, 15, 5], 1000]);
      assertEquals(
        await page.evaluate(`document.querySelector(".sfv-status").textContent.includes("value 1000")`),
        true,
      );

      // Drawn: in the axial slice through the cube, the cube is brighter than the ramp beside it.
      await page.evaluate(`${VIEWER}.setLayout("axial")`);
      await page.evaluate(`${VIEWER}.moveTo(${JSON.stringify(ras(11, 15, 5))})`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const toPage = async (r: number[]): Promise<[number, number]> =>
        await page.evaluate<[number, number]>(`(() => {
          const canvas = document.querySelector("#" + ${VIEWER}.id + " canvas");
          const box = canvas.getBoundingClientRect();
          const p = ${VIEWER}.canvasPointOf(${JSON.stringify(r)});
          return [box.left + p[0] * box.width / canvas.width, box.top + p[1] * box.height / canvas.height];
        })()`);
      const bright = await toPage(ras(11.5, 15.5, 5));
      const dark = await toPage(ras(3, 4, 5));
      // The crosshair is drawn through the cube: move it away before the screenshot.
      await page.evaluate(`${VIEWER}.moveTo(${JSON.stringify(ras(0, 0, 5))})`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const shot = await page.screenshot();
      const [b, d] = [meanAt(shot, bright[0], bright[1]), meanAt(shot, dark[0], dark[1])];
      assert(b > d + 100, `the cube should be drawn bright: ${b} at ${bright}, background ${d} at ${dark}`);
      assertEquals(outside(page.requests, plainUrl), []);

      // Overlay, labels and markers.
      const full = join(tmp, "full.html");
      const fullRun = await runCli([
        "view",
        image,
        "--overlay",
        annotation,
        "--labels",
        join(tmp, "labels.csv"),
        "--points",
        join(tmp, "points.csv"),
        "--html",
        full,
      ]);
      assertEquals(fullRun.code, 0, fullRun.err);
      const fullUrl = `file://${full}`;
      const second = await browser.open(fullUrl, { width: 1000, height: 800 });
      await second.waitFor(`${VIEWER}?.state === "ready" || ${VIEWER}?.state === "error"`, 30_000);
      assertEquals(await second.evaluate(`${VIEWER}.state`), "ready", second.console.join("\n"));
      const fullInfo = await second.evaluate<
        { volumes: { dims: number[]; opacity: number }[]; markers: number }
      >(
        `${VIEWER}.info()`,
      );
      assertEquals(fullInfo.volumes.length, 2);
      assertEquals(fullInfo.volumes[1].dims, [16, 24, 20]);
      assertEquals(fullInfo.volumes[1].opacity, 0.5);
      assertEquals(fullInfo.markers, 2);
      const inside = await second.evaluate<{ label: string; labelId: number }>(
        `${VIEWER}.moveTo(${JSON.stringify(ras(12, 16, 6))})`,
      );
      assertEquals([inside.labelId, inside.label], [7, "bright cube"]);
      const low = await second.evaluate<{ label: string }>(
        `${VIEWER}.moveTo(${JSON.stringify(ras(2, 2, 2))})`,
      );
      assertEquals(low.label, "lower half");
      assertEquals(outside(second.requests, fullUrl), []);
      // The page states its budget.
      assert(await second.evaluate<boolean>(`document.body.textContent.includes("shown whole")`));
    } finally {
      await browser.close();
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  name: missing
    ? `viewer screenshot for the docs (${missing})`
    : "a brain-like volume with an overlay renders " +
      "(and with SPIMFETCH_UPDATE_DOCS=1 becomes docs/images/viewer.png)",
  ignore: missing !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(): Promise<void> {
    const tmp = await Deno.makeTempDir({ prefix: "spimfetch-view-shot-" });
    const browser = await launchChromium();
    try {
      const shape: [number, number, number] = [64, 96, 80];
      const brain = syntheticBrain(shape);
      const geometry: ImageGeometry = {
        spacing: [0.0576, 0.0576, 0.064],
        origin: [0, 0, 0],
        direction: [[-1, 0, 0], [0, -1, 0], [0, 0, -1]],
      };
      const annotation = new Uint16Array(brain.length).map((_, i) =>
        brain[i] > 300 ? 1 + ((i % 80) >> 4) : 0
      );
      const display = await view({
        volume: { data: brain, shape, dtype: "uint16" },
        geometry,
        name: "synthetic brain",
      }, {
        overlay: { volume: { data: annotation, shape, dtype: "uint16" }, geometry, name: "regions" },
        overlayOpacity: 0.3,
        labels: { "1": "region one", "2": "region two" },
        points: "name,z,y,x\na,32,48,40\n",
      });
      const path = join(tmp, "shot.html");
      await Deno.writeTextFile(
        path,
        `<!doctype html><html><body style="margin:8px">${display.html}</body></html>`,
      );
      const page = await browser.open(`file://${path}`, { width: 1000, height: 640 });
      await page.waitFor(`${VIEWER}?.state === "ready" || ${VIEWER}?.state === "error"`, 30_000);
      assertEquals(await page.evaluate(`${VIEWER}.state`), "ready", page.console.join("\n"));
      await new Promise((resolve) => setTimeout(resolve, 500));
      const shot = await page.screenshot();
      assertEquals([...shot.subarray(1, 4)], [0x50, 0x4e, 0x47]);
      if (Deno.env.get("SPIMFETCH_UPDATE_DOCS") === "1") {
        await Deno.writeFile(new URL("../../docs/images/viewer.png", import.meta.url), shot);
      }
    } finally {
      await browser.close();
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
