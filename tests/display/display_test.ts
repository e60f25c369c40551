/**
 * Displays (`display.ts`): MIME bundles, HTML escaping, the assets table, the orientation view; and the committed notebooks carry no outputs.
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import {
  assetsTable,
  channelsTable,
  escapeHtml,
  JUPYTER_DISPLAY,
  levelsTable,
  orientationView,
} from "../../lib/display/display.ts";
import { histogramView, projectionsView } from "../../lib/display/figures.ts";
import { parseAssetName } from "../../lib/list/assets.ts";
import type { Channel } from "../../lib/select/select.ts";
import { findOutputs, type NotebookCell } from "../../tools/check_notebooks.ts";
import { CORONAL_AXES, memoryImage, orientationOf, REFERENCE_AXES, volumeOf } from "../../testing/display.ts";

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

Deno.test("orientationView() lists each axis with both letter conventions and draws the axes", () => {
  const view = orientationView(orientationOf(CORONAL_AXES, [4, 4, 4], [1, 1, 1]));
  const html = view.bundle["text/html"]!;
  assertStringIncludes(html, "<td>Right_to_left</td>");
  assertStringIncludes(html, "x → L (left)");
  assertStringIncludes(html, "z → P (posterior)");
  assertStringIncludes(view.bundle["text/plain"], "LIP");
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
