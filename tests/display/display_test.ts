import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { Buffer } from "node:buffer";
import { unzlibSync } from "fflate";
import { parseAcquisition } from "../../lib/metadata/acquisition.ts";
import {
  assetsTable,
  channelsTable,
  Display,
  escapeHtml,
  JUPYTER_DISPLAY,
  levelsTable,
  orientationView,
} from "../../lib/display/display.ts";
import { settingsFromEnv } from "../../lib/display/notebook_settings.ts";
import { histogramView, projectionsView } from "../../lib/display/figures.ts";
import { type OmeZarrImage, openImage } from "../../lib/metadata/image.ts";
import { show } from "../../lib/display/jupyter.ts";
import { parseAssetName } from "../../lib/list/assets.ts";
import { notebookProgress } from "../../lib/display/notebook_progress.ts";
import { computeOrientation, type Orientation } from "../../lib/orient/orient.ts";
import { encodePng } from "../../lib/display/png.ts";
import { createProgressReporter } from "../../lib/display/progress.ts";
import type { ProgressEvent } from "../../lib/core/progress_event.ts";
import {
  intensityHistogram,
  intensityPercentiles,
  maxIntensityProjections,
  projectionEdges,
  projectionLayout,
} from "../../lib/display/preview.ts";
import { previewLevels, previewRegion } from "../../lib/display/preview_levels.ts";
import { AIND_BUCKET } from "../../lib/s3/client.ts";
import type { Channel } from "../../lib/select/select.ts";
import { measureStoredBytes } from "../../lib/metadata/stored_bytes.ts";
import type { Volume } from "../../lib/core/volume.ts";
import { findOutputs, type NotebookCell } from "../../tools/check_notebooks.ts";
import { serveDataset } from "../../testing/fixture.ts";

// ---- helpers ---------------------------------------------------------------------------------------------

/** A decoded PNG: header fields and unfiltered samples. */
interface DecodedPng {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  samples: Uint8Array;
}

/** Decodes an 8-bit, non-interlaced PNG with nothing but fflate, independently of the encoder. */
function decodePng(png: Uint8Array): DecodedPng {
  assertEquals([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], "PNG signature");
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let offset = 8;
  let header: DataView | undefined;
  const idat: Uint8Array[] = [];
  while (offset < png.length) {
    const length = view.getUint32(offset);
    const type = new TextDecoder().decode(png.subarray(offset + 4, offset + 8));
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") header = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (type === "IDAT") idat.push(data);
    offset += 12 + length;
    if (type === "IEND") break;
  }
  assert(header, "IHDR chunk");
  const [width, height, bitDepth, colorType] = [
    header.getUint32(0),
    header.getUint32(4),
    header.getUint8(8),
    header.getUint8(9),
  ];
  assertEquals(bitDepth, 8);
  const channels = { 0: 1, 4: 2, 2: 3, 6: 4 }[colorType as 0 | 2 | 4 | 6];
  const joined = new Uint8Array(idat.reduce((n, c) => n + c.length, 0));
  idat.reduce((at, c) => (joined.set(c, at), at + c.length), 0);
  const raw = unzlibSync(joined);
  const stride = width * channels;
  assertEquals(raw.length, height * (stride + 1));
  const samples = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x];
      const a = x >= channels ? samples[y * stride + x - channels] : 0;
      const b = y > 0 ? samples[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? samples[(y - 1) * stride + x - channels] : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c)
        ? a
        : Math.abs(p - b) <= Math.abs(p - c)
        ? b
        : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter];
      samples[y * stride + x] = (v + predictor) & 255;
    }
  }
  return { width, height, bitDepth, colorType, samples };
}

function pngOf(display: Display): Uint8Array {
  const match = /data:image\/png;base64,([A-Za-z0-9+/=]+)/.exec(display.bundle["text/html"] ?? "");
  assert(match, "the HTML embeds a PNG");
  return new Uint8Array(Buffer.from(match[1], "base64"));
}

function orientationOf(
  axes: { dimension: number; direction: string }[],
  size: [number, number, number],
  spacing: [number, number, number],
): Orientation {
  const parsed = parseAcquisition({ axes: axes.map((a, i) => ({ name: "XYZ"[i], ...a })) }, {
    source: "acquisition.json",
  });
  return computeOrientation(parsed.axes, { size, spacing });
}

const REFERENCE_AXES = [
  { dimension: 2, direction: "Left_to_right" },
  { dimension: 1, direction: "Posterior_to_anterior" },
  { dimension: 0, direction: "Superior_to_inferior" },
];
// A coronal acquisition: z runs anterior to posterior, rows (y) superior to inferior, x right to left.
const CORONAL_AXES = [
  { dimension: 2, direction: "Right_to_left" },
  { dimension: 1, direction: "Superior_to_inferior" },
  { dimension: 0, direction: "Anterior_to_posterior" },
];

function volumeOf(shape: [number, number, number], f: (z: number, y: number, x: number) => number): Volume {
  const [nz, ny, nx] = shape;
  const data = new Uint16Array(nz * ny * nx);
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) data[(z * ny + y) * nx + x] = f(z, y, x);
  }
  return { data, shape, dtype: "uint16" };
}

async function memoryImage(uri = "memory://test.zarr"): Promise<OmeZarrImage> {
  const json = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
  const axes = ["z", "y", "x"].map((name) => ({ name, type: "space", unit: "micrometer" }));
  const files = new Map([
    [
      "/.zattrs",
      json({
        multiscales: [{
          version: "0.4",
          axes,
          datasets: [{ path: "0", coordinateTransformations: [{ type: "scale", scale: [2, 1, 1] }] }],
        }],
      }),
    ],
    [
      "/0/.zarray",
      json({
        zarr_format: 2,
        shape: [2, 3, 4],
        chunks: [2, 3, 4],
        dtype: "<u2",
        compressor: null,
        fill_value: 0,
        order: "C",
        filters: null,
      }),
    ],
  ]);
  return await openImage(uri, { store: { get: (key) => Promise.resolve(files.get(key)) } });
}

// ---- bundles and escaping --------------------------------------------------------------------------------

Deno.test("every display has text/plain and text/html, and the Jupyter display method returns them", async () => {
  const asset = parseAssetName("SmartSPIM_652506_2023-01-09_10-18-12_stitched_2023-01-13_19-00-54")!;
  const channel: Channel = {
    name: "Ex_561_Em_593",
    uri: "s3://b/a.zarr",
    layout: "processed/OMEZarr",
    excitationNm: 561,
    emissionNm: 593,
  };
  const orientation = orientationOf(REFERENCE_AXES, [4, 3, 2], [1, 1, 2]);
  const volume = volumeOf([2, 3, 4], (z, y, x) => z + y + x);
  const displays = [
    assetsTable([asset]),
    channelsTable([channel]),
    levelsTable(await memoryImage()),
    orientationView(orientation),
    projectionsView(volume, { orientation }),
    histogramView(volume),
  ];
  for (const display of displays) {
    const bundle = display[JUPYTER_DISPLAY]();
    assert(bundle["text/plain"].length > 0);
    assert((bundle["text/html"] ?? "").length > 0);
    assertEquals(String(display), bundle["text/plain"]);
    assertEquals(Deno.inspect(display), bundle["text/plain"]);
  }
  assertEquals(Symbol.for("Jupyter.display"), JUPYTER_DISPLAY);
});

Deno.test("displays escape HTML in names and URIs", async () => {
  const evil: Channel = {
    name: `<script>alert("x")</script>`,
    uri: "s3://b/<img src=x onerror=alert(1)>.zarr",
    layout: "a&b",
    excitationNm: undefined,
    emissionNm: undefined,
  };
  const html = channelsTable([evil]).bundle["text/html"]!;
  assert(!html.includes("<script>") && !html.includes("<img"), html);
  assertStringIncludes(html, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
  assertStringIncludes(html, "a&amp;b");
  assertStringIncludes(channelsTable([evil]).bundle["text/plain"], "<script>"); // plain text stays as is
  const levels = levelsTable(await memoryImage("memory://<b>bold</b>.zarr")).bundle["text/html"]!;
  assert(!levels.includes("<b>bold"), levels);
  const figure = projectionsView(volumeOf([1, 1, 1], () => 1), { title: "<i>t</i>" }).bundle["text/html"]!;
  assert(!figure.includes("<i>t</i>"), figure);
  assertEquals(escapeHtml("a<b>&'\""), "a&lt;b&gt;&amp;&#39;&quot;");
});

Deno.test("assetsTable() summarises a long listing: the count, then the first rows", () => {
  const names = Array.from({ length: 578 }, (_, i) => `SmartSPIM_${100000 + i}_2023-01-01_00-00-00`);
  const { bundle } = assetsTable(names.map((n) => parseAssetName(n)!), { limit: 5 });
  assertStringIncludes(bundle["text/html"]!, "<caption>578 assets</caption>");
  assertEquals((bundle["text/html"]!.match(/<tr>/g) ?? []).length, 1 + 5 + 1); // header, rows, "more"
  assertStringIncludes(bundle["text/plain"], "… and 573 more");
});

// ---- PNG ---------------------------------------------------------------------------------------------------

Deno.test("encodePng() writes a PNG that decodes back to its pixels with plain zlib", () => {
  const data = new Uint8Array([0, 255, 10, 128, 200, 7]);
  const decoded = decodePng(encodePng({ width: 3, height: 1, channels: 2, data: data.slice(0, 6) }));
  assertEquals([decoded.width, decoded.height, decoded.colorType], [3, 1, 4]);
  assertEquals([...decoded.samples], [...data]);
  assertThrows(() => encodePng({ width: 2, height: 2, channels: 1, data: new Uint8Array(3) }), RangeError);
});

Deno.test("projectionsView() draws a tiny volume's projections into one PNG, pixel for pixel", () => {
  // 1 × 2 × 2 (z, y, x), isotropic: the z projection is the plane itself.
  const volume = volumeOf([1, 2, 2], (_z, y, x) => [[0, 100], [200, 300]][y][x]);
  // With the default 36-pixel gap, 39 pixels hold the 3 mm of x + z at 1 mm per pixel.
  const layout = projectionLayout(volume.shape, [1, 1, 1], { maxWidth: 39, maxHeight: 39 });
  assertEquals(layout.panels.z, { x: 0, y: 0, width: 2, height: 2 });
  const png = decodePng(
    pngOf(projectionsView(volume, { spacing: [1, 1, 1], percentiles: [0, 100], maxSize: 39 })),
  );
  assertEquals([png.width, png.height], [layout.width, layout.height]);
  const at = (x: number, y: number): [number, number] => {
    const i = 2 * (y * png.width + x);
    return [png.samples[i], png.samples[i + 1]];
  };
  // Window 0..300 over the projections' pixels: 0, 100, 200, 300 → 0, 85, 170, 255.
  assertEquals([at(0, 0), at(1, 0), at(0, 1), at(1, 1)], [[0, 255], [85, 255], [170, 255], [255, 255]]);
  assertEquals(at(2, 0)[1], 0, "the gap between panels is transparent");
  // Max along x (columns z, rows y) sits right of the gap: rows are 100 and 300.
  assertEquals([at(38, 0)[0], at(38, 1)[0]], [85, 255]);
  // Max along y (columns x, rows z) sits below the gap: 200 and 300.
  assertEquals([at(0, 38)[0], at(1, 38)[0]], [170, 255]);
});

Deno.test("projectionLayout() keeps physical proportions: thick z slices make tall side panels", () => {
  // 10 slices of 4 mm against 40 × 40 pixels of 1 mm: the z extent is 40 mm, the same as x and y.
  const layout = projectionLayout([10, 40, 40], [1, 1, 4], { maxWidth: 400, maxHeight: 400, gap: 0 });
  assertEquals(layout.panels.y.height, layout.panels.y.width);
  assertEquals(layout.panels.x.width, layout.panels.z.height);
  // Anisotropic in-plane pixels too: x 2 mm, y 1 mm.
  const wide = projectionLayout([8, 10, 10], [2, 1, 1], { maxWidth: 300, maxHeight: 300, gap: 0 });
  assertAlmostEquals(wide.panels.z.width / wide.panels.z.height, 2, 0.05);
  assertAlmostEquals(wide.panels.y.height / wide.panels.z.height, 0.8, 0.05);
  // The PNG has the layout's size, whatever the voxel counts.
  const png = decodePng(pngOf(projectionsView(volumeOf([10, 40, 40], () => 1), { spacing: [1, 1, 4] })));
  const expected = projectionLayout([10, 40, 40], [1, 1, 4], { maxWidth: 640, maxHeight: 640 });
  assertEquals([png.width, png.height], [expected.width, expected.height]);
  assertEquals(expected.panels.y.height, expected.panels.y.width);
});

// ---- statistics --------------------------------------------------------------------------------------------

Deno.test("intensityPercentiles() interpolates like numpy, ignores NaN, and samples large inputs", () => {
  assertEquals(intensityPercentiles([1, 2, 3, 4], [0, 50, 100]), [1, 2.5, 4]);
  assertEquals(intensityPercentiles(new Float32Array([NaN, 5, Infinity, 1]), [0, 100]), [1, 5]);
  assertEquals(intensityPercentiles([], [50]), [NaN]);
  const big = Uint16Array.from(
    { length: 2_000_000 },
    (_, i) => Math.floor(((Math.imul(i, 2654435761) >>> 0) / 2 ** 32) * 1000),
  );
  const [p1, p99] = intensityPercentiles(big, [1, 99], { maxSamples: 100_000 });
  assertAlmostEquals(p1, 10, 2);
  assertAlmostEquals(p99, 989, 2);
  assertThrows(() => intensityPercentiles([1], [101]), RangeError);
});

Deno.test("projectionsView() takes contrast from percentiles, not from a hot pixel", () => {
  // Mostly 100..199, one voxel at 60000: min/max contrast would make everything black.
  const volume = volumeOf(
    [16, 32, 32],
    (z, y, x) => (z === 0 && y === 0 && x === 0 ? 60000 : 100 + ((y * 16 + x) % 100)),
  );
  const text = projectionsView(volume, { spacing: [1, 1, 1] }).bundle["text/plain"];
  const [low, high] = /= \[([\d.]+), ([\d.]+)\]/.exec(text)!.slice(1).map(Number);
  assert(low >= 100 && high < 1000, text);
});

Deno.test("intensityHistogram() counts every value in equal bins", () => {
  const h = intensityHistogram(Uint16Array.from({ length: 100 }, (_, i) => i), { bins: 4 });
  assertEquals([h.min, h.max, h.counts], [0, 99, [25, 25, 25, 25]]);
  assertEquals(intensityHistogram(new Float32Array([NaN]), { bins: 2 }).counts, [0, 0]);
});

Deno.test("maxIntensityProjections() collapses each axis", () => {
  const volume = volumeOf([3, 4, 5], (z, y, x) => 100 * z + 10 * y + x);
  const mips = maxIntensityProjections(volume);
  assertEquals([mips.z.width, mips.z.height, mips.z.data[0]], [5, 4, 200]);
  assertEquals([mips.y.width, mips.y.height, mips.y.data[5]], [5, 3, 130]); // z = 1, x = 0: y = 3
  assertEquals([mips.x.width, mips.x.height, mips.x.data[2 * 3 + 1]], [3, 4, 124]); // y = 2, z = 1: x = 4
});

// ---- anatomical labels -------------------------------------------------------------------------------------

Deno.test("edge labels follow the orientation: the reference notebook's (RAI) and a coronal one (LIP)", () => {
  const reference = orientationOf(REFERENCE_AXES, [4, 4, 4], [1, 1, 1]);
  assertEquals(reference.nibabelCode, "RAI");
  assertEquals(projectionEdges([4, 4, 4], reference), {
    z: { left: "L", right: "R", top: "P", bottom: "A" },
    y: { left: "L", right: "R", top: "S", bottom: "I" },
    x: { left: "S", right: "I", top: "P", bottom: "A" },
  });
  const coronal = orientationOf(CORONAL_AXES, [4, 4, 4], [1, 1, 1]);
  assertEquals(coronal.nibabelCode, "LIP");
  assertEquals(projectionEdges([4, 4, 4], coronal), {
    z: { left: "R", right: "L", top: "S", bottom: "I" },
    y: { left: "R", right: "L", top: "A", bottom: "P" },
    x: { left: "A", right: "P", top: "S", bottom: "I" },
  });
  // The picture carries the same labels as SVG text.
  const svg = projectionsView(volumeOf([4, 4, 4], () => 1), { orientation: coronal }).bundle["text/html"]!;
  for (const letter of ["R", "L", "S", "I", "A", "P"]) assertStringIncludes(svg, `>${letter}</text>`);
  assertStringIncludes(projectionsView(volumeOf([4, 4, 4], () => 1)).bundle["text/html"]!, ">x=3</text>");
});

Deno.test("orientationView() lists each axis with both letter conventions and draws the axes", () => {
  const view = orientationView(orientationOf(CORONAL_AXES, [4, 4, 4], [1, 1, 1]));
  const html = view.bundle["text/html"]!;
  assertStringIncludes(html, "<td>Right_to_left</td>");
  assertStringIncludes(html, "x → L (left)");
  assertStringIncludes(html, "z → P (posterior)");
  assertStringIncludes(view.bundle["text/plain"], "LIP");
});

// ---- notebook plumbing -------------------------------------------------------------------------------------

Deno.test("notebookProgress() shows one output and updates it in place, throttled, with every stage", async () => {
  const calls: { bundle: { "text/plain": string }; options: { display_id?: string; update?: boolean } }[] =
    [];
  const jupyter = {
    display: (bundle: unknown, options: { raw: boolean; display_id?: string; update?: boolean }) => {
      calls.push({ bundle: bundle as { "text/plain": string }, options });
      return Promise.resolve();
    },
  };
  let t = 0;
  const progress = notebookProgress({ jupyter, title: "Level 3", intervalMs: 100, now: () => t });
  progress({ stage: "fetch", done: 1, total: 4, bytes: 100 });
  t = 50;
  progress({ stage: "fetch", done: 2, total: 4, bytes: 200 }); // within the interval: skipped
  t = 500;
  progress({ stage: "fetch", done: 4, total: 4, bytes: 400 }); // finished: always shown
  t = 600;
  progress({ bytesWritten: 10, totalBytes: 10 }); // a writer's event
  await progress.settle();
  assertEquals(calls.length, 3);
  assert(calls.every((c) => c.options.display_id === calls[0].options.display_id && c.options.display_id));
  assertEquals(calls.map((c) => c.options.update), [false, true, true]);
  assertStringIncludes(calls[1].bundle["text/plain"], "fetch 4/4 chunks (100%)");
  assertStringIncludes(calls[2].bundle["text/plain"], "write 10 B/10 B (100%)");
  assertStringIncludes(calls[2].bundle["text/plain"], "fetch 4/4"); // earlier stages stay visible
  // One HTML bar per stage, each at its stage's latest figures.
  const html = (calls[2].bundle as { "text/html"?: string })["text/html"] ?? "";
  assertStringIncludes(html, `<progress value="4" max="4"`);
  assertStringIncludes(html, `<progress value="10" max="10"`);
  assertStringIncludes(html, "<b>Level 3</b>");
});

Deno.test("notebookProgress() outside a kernel reports like the terminal reporter", async () => {
  // A fetch stage and a writer's byte counts, on a clock that steps 0, 1, 4, 5 and 7 s. Off a terminal the
  // reporter prints a line at most every 2 s, and always at the end of a stage: events 2 and 4 are skipped.
  const clock = [0, 1000, 4000, 5000, 7000];
  const events = [
    { stage: "fetch", done: 1, total: 4, bytes: 1024 },
    { stage: "fetch", done: 2, total: 4, bytes: 2048 },
    { stage: "fetch", done: 4, total: 4, bytes: 4096 },
    { bytesWritten: 512, totalBytes: 1024 },
    { bytesWritten: 1024, totalBytes: 1024 },
  ];
  // By hand: at t = 0 the rate is unknown and 1 of 4 chunks took 0 s, so 0 s are left; the fetch ends after
  // 4 s at 4096 B / 4 s = 1 KiB/s; the write starts at 5 s and ends at 7 s, 1024 B / 2 s = 512 B/s.
  const expected = [
    "fetch 1/4 chunks (25%), 1.0 KiB, -/s, 0s left",
    "fetch 4/4 chunks (100%), 4.0 KiB, 1.0 KiB/s, done in 4s",
    "write 1.0 KiB/1.0 KiB (100%), 1.0 KiB, 512 B/s, done in 2s",
  ];
  // The notebook reporter writes to the process's stderr: run it in a child (not a kernel, stderr a pipe).
  const code = `
    import { notebookProgress } from ${
    JSON.stringify(new URL("../../lib/display/notebook_progress.ts", import.meta.url).href)
  };
    const clock = ${JSON.stringify(clock)};
    let tick = 0;
    const progress = notebookProgress({ now: () => clock[tick++] });
    for (const event of ${JSON.stringify(events)}) progress(event);
    await progress.settle();
  `;
  const child = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", code],
    cwd: new URL("../..", import.meta.url),
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(child.stderr);
  assertEquals(child.code, 0, stderr);
  assertEquals(new TextDecoder().decode(child.stdout), "");
  assertEquals(stderr.split("\n"), [...expected, ""]);
  // And the terminal reporter, off a terminal, prints the same for the same events.
  const lines: string[] = [];
  let tick = 0;
  const report = createProgressReporter({
    now: () => clock[tick++],
    writer: {
      writeSync: (b) => (lines.push(new TextDecoder().decode(b)), b.length),
      isTerminal: () => false,
    },
  });
  for (const event of events) {
    report(
      "stage" in event
        ? event as ProgressEvent
        : { stage: "write", done: event.bytesWritten, total: event.totalBytes, bytes: event.bytesWritten },
    );
  }
  assertEquals(lines, expected.map((line) => `${line}\n`));
});

Deno.test("show() displays and settles in a kernel, and prints text elsewhere", async () => {
  const seen: [unknown, { raw: boolean }][] = [];
  const jupyter = {
    display: (value: unknown, options: { raw: boolean }) => (seen.push([value, options]), Promise.resolve()),
  };
  const display = new Display({ "text/plain": "t", "text/html": "<b>t</b>" });
  await show(display, { jupyter });
  await show("plain words", { jupyter });
  assertEquals(seen, [[display, { raw: false }], [{ "text/plain": "plain words" }, { raw: true }]]);
  const lines: string[] = [];
  await show({ a: 1 }, { log: (t) => lines.push(t) });
  await show(display, { log: (t) => lines.push(t) });
  assertEquals(lines, ["{ a: 1 }", "t"]);
});

Deno.test("settingsFromEnv() rejects an endpoint that is not a URL", () => {
  assertThrows(
    () => settingsFromEnv({ get: (n) => (n === "SPIMFETCH_S3_ENDPOINT" ? "localhost:9000" : undefined) }),
    TypeError,
  );
  assertEquals(settingsFromEnv({ get: (n) => (n === "SPIMFETCH_BUCKET" ? " other " : "") }).s3, {
    bucket: "other",
  });
});

Deno.test("committed notebooks carry no outputs or execution counts", async () => {
  const folder = new URL("../../notebooks/", import.meta.url);
  let count = 0;
  for await (const entry of Deno.readDir(folder)) {
    if (!entry.name.endsWith(".ipynb")) continue;
    count++;
    const notebook = JSON.parse(await Deno.readTextFile(new URL(entry.name, folder)));
    assertEquals(findOutputs(entry.name, notebook.cells as NotebookCell[]), []);
    assertEquals(notebook.metadata.kernelspec.name, "deno");
  }
  assert(count >= 2);
});

// ---- against S3 --------------------------------------------------------------------------------------------

Deno.test("measureStoredBytes() and previewLevels() read a synthetic image on S3", async () => {
  await using served = await serveDataset({ shape: [24, 32, 40], chunks: [8, 16, 16], levels: 3 });
  const asset = served.dataset.stitchedNames[0];
  const prefix = `${asset}/processed/OMEZarr/Ex_561_Em_593.zarr`;
  const image = await openImage(`s3://${AIND_BUCKET}/${prefix}`, served.s3);
  try {
    const stored = await measureStoredBytes(image, { ...served.s3, maxChunks: 10 });
    const expected = image.levels.map((level) =>
      [...served.dataset.objects].filter(([key]) => key.startsWith(`${prefix}/${level.path}/`))
        .reduce((n, [, bytes]) => n + bytes.length, 0)
    );
    // Level 0 has 3 × 2 × 3 = 18 chunks, more than maxChunks: not measured.
    assertEquals(stored, [undefined, expected[1], expected[2]]);

    const region = previewRegion(image.levels[0], 2 * 12 * 16 * 20);
    assertEquals(region, { x: [10, 30], y: [8, 24], z: [6, 18] });
    const preview = await previewLevels(image, { maxBytes: 2 * 12 * 16 * 20 });
    const html = preview.bundle["text/html"]!;
    assertEquals((html.match(/data:image\/png;base64,/g) ?? []).length, 3);
    assertStringIncludes(html, "level 0: centre box (x 10–30, y 8–24, z 6–18)");
    assertStringIncludes(html, "level 2: whole");
  } finally {
    image.close();
  }
  await assertRejects(() => measureStoredBytes(image, { endpoint: "http://127.0.0.1:1", maxChunks: 100 }));
});
