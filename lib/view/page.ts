/**
 * The viewer as HTML: a fragment for a notebook output, or a whole page for a file. Both carry everything
 * they need (NiiVue's code, the viewer's script, the images gzipped as base64, the static projections for
 * when WebGL2 is missing), so they work offline, from `file://`, and in an exported notebook.
 *
 * The static picture is in the HTML and the script hides it once the viewer runs: where scripts do not run
 * (an untrusted notebook in JupyterLab), the reader still sees the brain and a line saying why.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { renderProjections } from "../display/png.ts";
import { intensityPercentiles } from "../display/preview.ts";
import { describeViewerVolume, viewerNifti, type ViewerVolume } from "./viewer_volume.ts";
import type { ViewerPoint } from "./points.ts";
import { niivueScript } from "./_niivue_script.ts";
import { VIEWER_APP_SCRIPT } from "./_viewer_app.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** How one image of a viewer is drawn. */
export interface ViewerLayer {
  /** The image. */
  image: ViewerVolume;
  /** A NiiVue colormap name. @default {"gray" for the first image, "warm" for overlays} */
  colormap?: string;
  /** Opacity, 0 to 1. @default {1 for the first image, 0.5 for overlays} */
  opacity?: number;
  /** The values drawn black and white. @default {the 1st and 99.5th percentiles} */
  window?: [number, number];
  /**
   * Names of the image's integer values (a CCF annotation's structure ids), shown under the crosshair.
   * Keys are the values as decimal strings.
   */
  labels?: Record<string, string>;
}

/** Options for {@linkcode viewerHtml}. */
export interface ViewerHtmlOptions {
  /** Markers. @default {[]} */
  points?: readonly ViewerPoint[];
  /** A title above the viewer. @default {the first image's name} */
  title?: string;
  /** Height of the viewer in CSS pixels. @default {520} */
  height?: number;
  /** Marker radius in mm (NiiVue's node scale). @default {1.5 voxels of the first image shown} */
  markerSize?: number;
  /** The element id (unique in the page). @default {a random one} */
  id?: string;
}

/**
 * The viewer as an HTML fragment (a `<div>` and its scripts), for a notebook's `text/html` output.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { prepareViewerVolume, viewerFragment } from "@spimfetch/spimfetch/view";
 * const volume = { data: new Uint16Array(8).fill(7), shape: [2, 2, 2] as [number, number, number], dtype: "uint16" as const };
 * const image = prepareViewerVolume(volume, { spacing: [1, 1, 1], origin: [0, 0, 0], direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] });
 * const html = await viewerFragment([{ image }]);
 * assert(html.includes("spimfetchViewer.start("));
 * ```
 * @param layers The images, the first at the bottom.
 * @param options Markers, title, size.
 * @returns The HTML.
 * @throws {RangeError} If no image is given.
 */
export async function viewerFragment(
  layers: readonly ViewerLayer[],
  options: ViewerHtmlOptions = {},
): Promise<string> {
  options = checkOptions(options, VIEWER_HTML_OPTION_KEYS, "viewerFragment()");
  if (layers.length === 0) throw new RangeError("Cannot build a viewer of no image: give at least one");
  const id = options.id ?? `sfv-${crypto.randomUUID().slice(0, 8)}`;
  const height = options.height ?? 520;
  const volumes = [];
  const data: string[] = [];
  for (const [i, layer] of layers.entries()) {
    const window = layer.window ?? autoWindow(layer.image);
    const dataId = `${id}-data-${i}`;
    volumes.push({
      name: layer.image.name,
      dataId,
      colormap: layer.colormap ?? (i === 0 ? "gray" : "warm"),
      opacity: layer.opacity ?? (i === 0 ? 1 : 0.5),
      calMin: window[0],
      calMax: window[1],
    });
    const gz = await gzip(viewerNifti(layer.image));
    data.push(`<script type="text/plain" id="${dataId}">${Buffer.from(gz).toString("base64")}</script>`);
  }
  const labelVolume = layers.findIndex((layer) => layer.labels);
  const config = {
    volumes,
    points: (options.points ?? []).map((p) => ({ name: p.name, ras: [-p.lps[0], -p.lps[1], p.lps[2]] })),
    labels: labelVolume >= 0 ? layers[labelVolume].labels : {},
    labelVolume,
    // NiiVue's node scale is a radius in mm: a few voxels of the image shown, whatever its size.
    markerSize: options.markerSize ?? 1.5 * Math.max(...layers[0].image.geometry.spacing),
  };
  const base = layers[0].image;
  const png = renderProjections(base.volume, base.geometry.spacing, { maxSize: 480 }).png;
  const notes = layers.map((layer) => `<li>${escapeHtml(describeViewerVolume(layer.image))}</li>`).join("");
  const title = options.title ?? base.name;
  return [
    `<div class="spimfetch-viewer" id="${id}" data-state="loading" style="font:13px system-ui,sans-serif;` +
    `color:#222;max-width:100%">`,
    `<style>#${id} .sfv-bar{display:flex;flex-wrap:wrap;gap:4px;align-items:center;margin:4px 0}` +
    `#${id} .sfv-bar input[type=number]{width:6em}#${id} .sfv-status{font-family:monospace;min-height:1.4em;` +
    `margin:4px 0}#${id} ul{margin:2px 0;padding-left:1.2em;color:#555}#${id} canvas{width:100%;height:100%;` +
    `display:block}</style>`,
    `<div style="font-weight:600">${escapeHtml(title)}</div>`,
    `<div class="sfv-view" style="display:none"><div class="sfv-bar"></div>`,
    `<div style="height:${height}px;background:#000"><canvas></canvas></div>`,
    `<div class="sfv-status"></div></div>`,
    `<div class="sfv-why" style="color:#8a5a00">The interactive viewer did not start: this output's scripts ` +
    `did not run (in JupyterLab, trust the notebook).</div>`,
    `<div class="sfv-fallback"><img alt="maximum-intensity projections of ${escapeHtml(base.name)}" ` +
    `src="data:image/png;base64,${Buffer.from(png).toString("base64")}" style="max-width:100%"></div>`,
    `<ul class="sfv-budget">${notes}</ul>`,
    `</div>`,
    `<script type="application/json" id="${id}-config">${jsonForScript(config)}</script>`,
    ...data,
    `<script>${niivueScript()}</script>`,
    `<script>${VIEWER_APP_SCRIPT}\nglobalThis.spimfetchViewer.start(${JSON.stringify(id)});</script>`,
  ].join("\n");
}

/** The keys of {@linkcode ViewerHtmlOptions}, checked at run time. */
const VIEWER_HTML_OPTION_KEYS: OptionKeys<ViewerHtmlOptions> = {
  points: true,
  title: true,
  height: true,
  markerSize: true,
  id: true,
};

/**
 * The viewer as a whole HTML page that works offline and from `file://`.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { prepareViewerVolume, viewerHtml } from "@spimfetch/spimfetch/view";
 * const volume = { data: new Uint8Array(8), shape: [2, 2, 2] as [number, number, number], dtype: "uint8" as const };
 * const image = prepareViewerVolume(volume, { spacing: [1, 1, 1], origin: [0, 0, 0], direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] });
 * assert((await viewerHtml([{ image }], { title: "demo" })).startsWith("<!doctype html>"));
 * ```
 * @param layers The images, the first at the bottom.
 * @param options Markers, title, size.
 * @returns The page.
 * @throws {RangeError} If no image is given.
 */
export async function viewerHtml(
  layers: readonly ViewerLayer[],
  options: ViewerHtmlOptions = {},
): Promise<string> {
  options = checkOptions(options, VIEWER_HTML_OPTION_KEYS, "viewerHtml()");
  const title = options.title ?? layers[0]?.image.name ?? "viewer";
  const fragment = await viewerFragment(layers, { height: 640, ...options, title });
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' ` +
    `'unsafe-eval'; style-src 'unsafe-inline'; img-src data:; worker-src blob:">` +
    `<title>${escapeHtml(title)}</title></head><body style="margin:12px">\n${fragment}\n` +
    `<p style="font:12px system-ui,sans-serif;color:#666">Made by spimfetch view with NiiVue; everything is in ` +
    `this file (no network access). Drag to move the crosshair, scroll to change slice, right-drag to change ` +
    `contrast.</p></body></html>\n`;
}

/** The 1st and 99.5th percentiles of an image, the window the static projections also use. */
function autoWindow(image: ViewerVolume): [number, number] {
  const [lo, hi] = intensityPercentiles(image.volume.data, [1, 99.5]);
  return hi > lo ? [lo, hi] : [lo, lo + 1];
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replaceAll("<", "\\u003c");
}

function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll(
    '"',
    "&quot;",
  );
}
