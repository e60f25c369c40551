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
import { type BrowserPage, chromiumMissing, launchChromium } from "../../testing/chromium.ts";
import { runCli } from "../../testing/run_cli.ts";
import { syntheticBrain } from "../../testing/smartspim_dataset.ts";
import { writeNifti } from "../../lib/write/mod.ts";
import { view } from "../../lib/view/mod.ts";
import { JUPYTER_DISPLAY } from "../../lib/display/mod.ts";
import type { ImageGeometry } from "../../lib/core/volume.ts";

const missing = chromiumMissing();
if (missing) console.warn(`WARNING: browser tests ${missing}`);

// A synthetic brain, (z, y, x) = (40, 64, 48), with a bright 4-voxel cube at x 30-33, y 40-43, z 20-23
// (the data are the test's own input, so the value at any voxel is known without the code under test).
const SHAPE: [number, number, number] = [40, 64, 48];
const GEOMETRY: ImageGeometry = {
  spacing: [0.2, 0.2, 0.25],
  origin: [1, 2, 3],
  direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
};
const inCube = (x: number, y: number, z: number): boolean =>
  x >= 30 && x < 34 && y >= 40 && y < 44 && z >= 20 && z < 24;
/** RAS mm of voxel (i, j, k) by hand: LPS = origin + spacing ⊙ index (identity direction); RAS flips x, y. */
const ras = (i: number, j: number, k: number): number[] => [-(1 + 0.2 * i), -(2 + 0.2 * j), 3 + 0.25 * k];
const at = (x: number, y: number, z: number): number => (z * SHAPE[1] + y) * SHAPE[2] + x;

function brain(): Uint16Array {
  const data = syntheticBrain(SHAPE);
  const [nz, ny, nx] = SHAPE;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) if (inCube(x, y, z)) data[at(x, y, z)] = 5000;
  }
  return data;
}

/** Tissue: well above the synthetic brain's background. */
const TISSUE = 300;

/** Labels: 7 in the cube, 3 in tissue of the lower half of z, 0 elsewhere. */
function labels(voxels: Uint16Array): Uint16Array {
  const [nz, ny, nx] = SHAPE;
  const data = new Uint16Array(nz * ny * nx);
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        data[at(x, y, z)] = inCube(x, y, z) ? 7 : z < 20 && voxels[at(x, y, z)] > TISSUE ? 3 : 0;
      }
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
function outside(requests: string[], page: string, allowed: RegExp[] = []): string[] {
  return requests.filter((url) =>
    url !== page && !url.startsWith("data:") && !url.startsWith("blob:") && !allowed.some((a) => a.test(url))
  );
}

/** Mean grey level of a square of a screenshot. */
function meanAt(png: Uint8Array, x: number, y: number, half = 2): number {
  const image = decode(png);
  const channels = image.channels;
  let sum = 0;
  let n = 0;
  for (let yy = Math.round(y) - half; yy <= Math.round(y) + half; yy++) {
    for (let xx = Math.round(x) - half; xx <= Math.round(x) + half; xx++) {
      const i = (yy * image.width + xx) * channels;
      sum += (image.data[i] + image.data[i + 1] + image.data[i + 2]) / 3;
      n++;
    }
  }
  return sum / n;
}

async function whenReady(page: BrowserPage): Promise<void> {
  await page.waitFor(`${VIEWER}?.state === "ready" || ${VIEWER}?.state === "error"`, 60_000);
  assertEquals(await page.evaluate(`${VIEWER}.state`), "ready", page.console.join("\n"));
}

Deno.test({
  name: missing
    ? `viewer in a browser (${missing})`
    : "a page from `spimfetch view` and an nbconvert-exported " +
      "notebook in Chromium: geometry, values, a bright voxel drawn bright, overlay, labels, markers, no request " +
      "outside the page, the static projections without WebGL2",
  ignore: missing !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t): Promise<void> {
    const tmp = await Deno.makeTempDir({ prefix: "spimfetch-view-e2e-" });
    const browser = await launchChromium();
    try {
      const voxels = brain();
      const image = join(tmp, "brain.nii.gz");
      const annotation = join(tmp, "labels.nii.gz");
      await writeInput(image, voxels);
      await writeInput(annotation, labels(voxels));
      await Deno.writeTextFile(join(tmp, "points.csv"), "name,z,y,x\ncube,21,41,31\ncorner,3,3,3\n");
      await Deno.writeTextFile(
        join(tmp, "labels.csv"),
        "id,acronym,name\n7,CUBE,bright cube\n3,LOW,lower half\n",
      );

      await t.step("the standalone page", async () => {
        const html = join(tmp, "brain.html");
        const run = await runCli([
          "view",
          image,
          "--overlay",
          annotation,
          "--labels",
          join(tmp, "labels.csv"),
          "--points",
          join(tmp, "points.csv"),
          "--html",
          html,
        ]);
        assertEquals(run.code, 0, run.err);
        const url = `file://${html}`;
        const page = await browser.open(url, { width: 1000, height: 640 });
        await whenReady(page);
        const info = await page.evaluate<{
          volumes: { dims: number[]; worldMin: number[]; worldMax: number[]; opacity: number }[];
          markers: number;
        }>(`${VIEWER}.info()`);
        assertEquals(info.volumes.map((v) => v.dims), [[48, 64, 40], [48, 64, 40]]);
        const lo = ras(0, 0, 0), hi = ras(47, 63, 39);
        for (let a = 0; a < 3; a++) {
          assertAlmostEquals(info.volumes[0].worldMin[a], Math.min(lo[a], hi[a]), 1e-5);
          assertAlmostEquals(info.volumes[0].worldMax[a], Math.max(lo[a], hi[a]), 1e-5);
        }
        assertEquals(info.volumes[1].opacity, 0.5);
        assertEquals(info.markers, 2);
        assertEquals(await page.evaluate(`${VIEWER}.valueAt(31, 41, 21)`), 5000);
        assertEquals(await page.evaluate(`${VIEWER}.valueAt(5, 7, 9)`), voxels[at(5, 7, 9)]);
        const world = await page.evaluate<number[]>(`${VIEWER}.worldAt(31, 41, 21)`);
        ras(31, 41, 21).forEach((v, a) => assertAlmostEquals(world[a], v, 1e-5));
        // The crosshair readout there: the voxel, its value, and the structure's name from the label table.
        const inside = await page.evaluate<
          { voxel: number[]; value: number; labelId: number; label: string }
        >(
          `${VIEWER}.moveTo(${JSON.stringify(ras(31, 41, 21))})`,
        );
        assertEquals([inside.voxel, inside.value, inside.labelId, inside.label], [
          [31, 41, 21],
          5000,
          7,
          "bright cube",
        ]);
        const status = await page.evaluate<string>(`document.querySelector(".sfv-status").textContent`);
        assert(status.includes("value 5000") && status.includes("bright cube"), status);
        for (const [x, y, z] of [[24, 32, 10], [2, 2, 2]]) {
          const label = await page.evaluate<{ label: string }>(
            `${VIEWER}.moveTo(${JSON.stringify(ras(x, y, z))})`,
          );
          assertEquals(label.label, voxels[at(x, y, z)] > TISSUE ? "lower half" : "outside the annotation");
        }
        assert(await page.evaluate<boolean>(`document.body.textContent.includes("shown whole")`));

        if (Deno.env.get("SPIMFETCH_UPDATE_DOCS") === "1") {
          await page.evaluate(`${VIEWER}.moveTo(${JSON.stringify(ras(24, 40, 21))})`);
          await Deno.writeFile(
            new URL("../../docs/images/viewer.png", import.meta.url),
            await page.screenshot(),
          );
        }

        // Drawn: in the axial slice through the cube, with the overlay, markers and crosshair out of the
        // way, the cube is brighter than the tissue beside it.
        await page.evaluate(`${VIEWER}.setOpacity(1, 0)`);
        await page.evaluate(`${VIEWER}.showMarkers(false)`);
        await page.evaluate(`${VIEWER}.setLayout("axial")`);
        await page.evaluate(`${VIEWER}.moveTo(${JSON.stringify(ras(31.5, 41.5, 21))})`);
        const toPage = async (r: number[]): Promise<[number, number]> =>
          await page.evaluate<[number, number]>(`(() => {
            const canvas = document.querySelector("#" + ${VIEWER}.id + " canvas");
            const box = canvas.getBoundingClientRect();
            const p = ${VIEWER}.canvasPointOf(${JSON.stringify(r)});
            return [box.left + p[0] * box.width / canvas.width, box.top + p[1] * box.height / canvas.height];
          })()`);
        const bright = await toPage(ras(31.5, 41.5, 21));
        const beside = await toPage(ras(24, 41.5, 21));
        await page.evaluate(`${VIEWER}.moveTo(${JSON.stringify(ras(2, 2, 21))})`);
        const shot = await page.screenshot();
        const [b, d] = [meanAt(shot, bright[0], bright[1]), meanAt(shot, beside[0], beside[1])];
        assert(
          b > 200 && b > d + 60,
          `the cube should be drawn bright: ${b} at ${bright}, beside it ${d} at ${beside}`,
        );
        assertEquals(outside(page.requests, url), []);

        // Without WebGL2 (a browser started without it): the static projections, and one line saying why.
        const bare = await launchChromium({ webgl: false });
        try {
          const plain = await bare.open(url, { width: 800, height: 600 });
          await plain.waitFor(`${VIEWER}?.state === "fallback"`, 60_000);
          const fallback = await plain.evaluate<{ why: string; shown: boolean; src: string }>(`(() => {
          const root = document.querySelector(".spimfetch-viewer");
          const img = root.querySelector(".sfv-fallback img");
          return { why: root.querySelector(".sfv-why").textContent, shown: img.offsetHeight > 0, src: img.src.slice(0, 22) };
        })()`);
          assertEquals(fallback, {
            why: "WebGL2 is not available in this browser, so the static projections are shown instead.",
            shown: true,
            src: "data:image/png;base64,",
          });
          assertEquals(outside(plain.requests, url), []);
        } finally {
          await bare.close();
        }
      });

      await t.step("a notebook exported by nbconvert", async () => {
        const nbconvert = await which("jupyter-nbconvert");
        if (!nbconvert) {
          if (Deno.env.get("CI") === "true") {
            throw new Error("CI=true but jupyter-nbconvert is not installed");
          }
          console.warn("WARNING: nbconvert step skipped: jupyter-nbconvert is not installed");
          return;
        }
        const display = await view({
          volume: { data: voxels, shape: SHAPE, dtype: "uint16" },
          geometry: GEOMETRY,
        });
        const notebook = {
          cells: [{
            cell_type: "code",
            execution_count: 1,
            id: "view",
            metadata: {},
            source: ["await view(volume)"],
            outputs: [{
              output_type: "execute_result",
              execution_count: 1,
              metadata: {},
              data: display[JUPYTER_DISPLAY](),
            }],
          }],
          metadata: { kernelspec: { name: "deno", display_name: "Deno", language: "typescript" } },
          nbformat: 4,
          nbformat_minor: 5,
        };
        const ipynb = join(tmp, "exported.ipynb");
        await Deno.writeTextFile(ipynb, JSON.stringify(notebook));
        const out = await new Deno.Command(nbconvert, { args: ["--to", "html", ipynb], stderr: "piped" })
          .output();
        assert(out.success, new TextDecoder().decode(out.stderr));
        const url = `file://${join(tmp, "exported.html")}`;
        const page = await browser.open(url, { width: 1000, height: 640 });
        await whenReady(page);
        assertEquals(await page.evaluate(`${VIEWER}.valueAt(31, 41, 21)`), 5000);
        const world = await page.evaluate<number[]>(`${VIEWER}.worldAt(31, 41, 21)`);
        ras(31, 41, 21).forEach((v, a) => assertAlmostEquals(world[a], v, 1e-5));
        // nbconvert's own template loads Debian's local require.js and MathJax; nothing else may be fetched.
        assertEquals(outside(page.requests, url, [/^file:\/\/\/usr\/share\/javascript\//]), []);
      });
    } finally {
      await browser.close();
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

async function which(name: string): Promise<string | undefined> {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if ((await Deno.stat(join(dir, name))).isFile) return join(dir, name);
    } catch { /* not here */ }
  }
  return undefined;
}
