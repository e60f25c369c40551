/**
 * `view(x)`: an interactive viewer of whatever the library produced (a volume read with its geometry, an
 * output file, an opened source at a level, a brain resampled into CCF), inline in a notebook; and
 * `writeViewerPage`, the same viewer as one self-contained HTML file.
 *
 * @module
 */
import type { ImageGeometry, Volume } from "../core/volume.ts";
import { OutputExistsError } from "../core/errors.ts";
import { withAtomicFile } from "../write/atomic_file.ts";
import { pathExists } from "../write/atomic_file.ts";
import { readLevel } from "../read/read.ts";
import { getLevel } from "../metadata/image.ts";
import { computeOrientation } from "../orient/orient.ts";
import { placeRegion } from "../orient/place_region.ts";
import type { OpenedSource } from "../source/open_source.ts";
import type { CcfResampling } from "../ccf/mod.ts";
import { JUPYTER_DISPLAY } from "../display/display.ts";
import {
  DEFAULT_VIEW_BUDGET_BYTES,
  prepareViewerVolume,
  strideForBudget,
  type ViewerVolume,
} from "./viewer_volume.ts";
import { readVolumeFile } from "./read_volume_file.ts";
import { parsePointsCsv, type ViewerPoint } from "./points.ts";
import { viewerFragment, viewerHtml, type ViewerLayer } from "./page.ts";
import { allocateVoxels } from "../core/volume.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/**
 * What {@linkcode view} shows: a volume with its geometry, an output file (path or bytes), an opened source
 * at a level (by default the finest whose voxels fit the budget), a brain being resampled into CCF ({@linkcode CcfResampling}), or an already prepared
 * {@linkcode ViewerVolume}.
 */
export type Viewable =
  | string
  | Uint8Array
  | { volume: Volume; geometry: ImageGeometry; name?: string }
  | { source: OpenedSource; level?: number }
  | CcfResampling
  | ViewerVolume;

/** Options for {@linkcode view} and {@linkcode writeViewerPage}. */
export interface ViewOptions {
  /** Images drawn on top, in order (a CCF template or annotation for a brain in CCF). */
  overlay?: Viewable | readonly Viewable[];
  /** The overlay's opacity, 0 to 1. @default {0.5} */
  overlayOpacity?: number;
  /** The overlay's colormap. @default {"warm"} */
  overlayColormap?: string;
  /**
   * Names of the last overlay's values (a CCF annotation's structure ids), shown under the crosshair: an object
   * of id → name, or the text of a CSV with an `id` column and a `name` (or `acronym`) column.
   */
  labels?: Record<string, string> | string;
  /** Markers: the text of a CSV of points (`z,y,x` voxel indices of the first image, or `ap,dv,ml` CCF µm). */
  points?: string;
  /** Which columns of `points` place them. @default {"ccf" for a brain in CCF, else "zyx" when present} */
  pointsColumns?: "zyx" | "ccf";
  /** The first image's colormap. @default {"gray"} */
  colormap?: string;
  /** The largest size of each image's voxels, in bytes. @default {DEFAULT_VIEW_BUDGET_BYTES for a page, 24 MiB inline} */
  budgetBytes?: number;
  /** A title above the viewer. */
  title?: string;
  /** Height in CSS pixels. */
  height?: number;
  /** Cancels reading. */
  signal?: AbortSignal;
}

/** The budget of a viewer inline in a notebook: smaller than a page's, since the notebook file keeps it. */
export const INLINE_VIEW_BUDGET_BYTES: number = 24 * 2 ** 20;

/** A viewer ready to display in a notebook (its HTML), or to write. */
export interface ViewerDisplay {
  /** The HTML fragment. */
  html: string;
  /** The images shown. */
  images: ViewerVolume[];
  /** The markers. */
  points: ViewerPoint[];
  /** The notebook's MIME bundle. */
  [JUPYTER_DISPLAY](): Record<string, string>;
}

/**
 * Prepares any {@linkcode Viewable} for the viewer, within a budget.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { toViewerVolume } from "@spimfetch/spimfetch/view";
 * const volume = { data: new Uint8Array(27), shape: [3, 3, 3] as [number, number, number], dtype: "uint8" as const };
 * const geometry = { spacing: [1, 1, 1] as [number, number, number], origin: [0, 0, 0] as [number, number, number],
 *   direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] as [[number, number, number], [number, number, number], [number, number, number]] };
 * assertEquals((await toViewerVolume({ volume, geometry })).step, 1);
 * ```
 * @param x What to show.
 * @param options The budget and a signal.
 * @returns The viewer volume.
 * @throws {TypeError} If `x` is none of the kinds {@linkcode Viewable} lists.
 */
export async function toViewerVolume(
  x: Viewable,
  options: { budgetBytes?: number; name?: string; signal?: AbortSignal } = {},
): Promise<ViewerVolume> {
  const budgetBytes = options.budgetBytes ?? DEFAULT_VIEW_BUDGET_BYTES;
  if (typeof x === "string" || x instanceof Uint8Array) {
    return await readVolumeFile(x, { budgetBytes, name: options.name, signal: options.signal });
  }
  if ("step" in x && "sourceShape" in x) return x;
  if ("volume" in x && "geometry" in x) {
    return prepareViewerVolume(x.volume, x.geometry, {
      budgetBytes,
      name: options.name ?? x.name ?? "volume",
    });
  }
  if ("source" in x) {
    const { source } = x;
    // Without a level: the finest that fits the budget whole (a coarser read beats a stride of a finer one).
    const index = x.level ??
      (source.image.levels.find((l) => l.bytes <= budgetBytes) ?? source.image.levels.at(-1)!)
        .index;
    const level = getLevel(source.image, index);
    const volume = await readLevel(source.image, index, { signal: options.signal });
    const orientation = computeOrientation(source.acquisition.axes, {
      size: level.size,
      spacing: level.spacing,
    });
    const geometry = placeRegion(orientation.geometry, level, { x: [0, 1], y: [0, 1], z: [0, 1] });
    const name = options.name ?? `${source.asset.subjectId} ${source.channel.name} level ${index}`;
    return prepareViewerVolume(volume, geometry, { budgetBytes, name });
  }
  if ("grid" in x && "slabs" in x) return await ccfViewerVolume(x, budgetBytes, options.name);
  throw new TypeError(
    "Cannot view this value: expected a file path or bytes, { volume, geometry }, { source, level? }, or a " +
      "resampling into CCF",
  );
}

/** A brain being resampled into CCF, read slab by slab and kept at every n-th voxel. */
async function ccfViewerVolume(x: CcfResampling, budgetBytes: number, name?: string): Promise<ViewerVolume> {
  const [nz, ny, nx] = x.shape;
  const step = strideForBudget(x.shape, x.dtype, budgetBytes);
  const shape = x.shape.map((n) => Math.ceil(n / step)) as [number, number, number];
  const out = allocateVoxels(x.dtype, shape[0] * shape[1] * shape[2]);
  let z = 0;
  let o = 0;
  for await (const slab of x.slabs) {
    const planes = slab.length / (ny * nx);
    for (let p = 0; p < planes; p++, z++) {
      if (z % step !== 0) continue;
      for (let y = 0; y < ny; y += step) {
        const row = (p * ny + y) * nx;
        for (let i = 0; i < nx; i += step) out[o++] = slab[row + i];
      }
    }
  }
  if (z !== nz) throw new RangeError(`Cannot view the brain in CCF: ${z} of its ${nz} planes arrived`);
  return {
    name: name ?? `brain in CCF (level ${x.level})`,
    volume: { data: out, shape, dtype: x.dtype },
    geometry: {
      ...x.grid.geometry,
      spacing: x.grid.geometry.spacing.map((s) => s * step) as [number, number, number],
    },
    step,
    sourceShape: [...x.shape],
    budgetBytes,
  };
}

async function buildLayers(
  x: Viewable,
  options: ViewOptions,
  budgetBytes: number,
): Promise<{ layers: ViewerLayer[]; points: ViewerPoint[] }> {
  const image = await toViewerVolume(x, { budgetBytes, signal: options.signal });
  const layers: ViewerLayer[] = [{ image, colormap: options.colormap }];
  const overlays = options.overlay === undefined
    ? []
    : Array.isArray(options.overlay)
    ? options.overlay as readonly Viewable[]
    : [options.overlay as Viewable];
  for (const [i, item] of overlays.entries()) {
    const overlay = await toViewerVolume(item, { budgetBytes, signal: options.signal });
    const last = i === overlays.length - 1;
    const labels = !last || options.labels === undefined
      ? undefined
      : typeof options.labels === "string"
      ? parseLabelTable(options.labels)
      : options.labels;
    layers.push({
      image: overlay,
      opacity: options.overlayOpacity ?? 0.5,
      colormap: options.overlayColormap ?? "warm",
      labels,
    });
  }
  const isCcf = typeof x === "object" && "grid" in x;
  const fullGeometry = {
    ...image.geometry,
    spacing: image.geometry.spacing.map((s) => s / image.step) as [number, number, number],
  };
  const points = options.points === undefined ? [] : parsePointsCsv(options.points, {
    columns: options.pointsColumns ?? (isCcf ? "ccf" : undefined),
    geometry: fullGeometry,
  });
  return { layers, points };
}

/** The keys of {@linkcode ViewOptions}, checked at run time. */
const VIEW_OPTION_KEYS: OptionKeys<ViewOptions> = {
  overlay: true,
  overlayOpacity: true,
  overlayColormap: true,
  labels: true,
  points: true,
  pointsColumns: true,
  colormap: true,
  budgetBytes: true,
  title: true,
  height: true,
  signal: true,
};

/**
 * Shows an interactive viewer in a notebook: three orthogonal slices and a 3-D render (NiiVue, WebGL2),
 * the crosshair's world position (RAS mm) and voxel value, contrast, colormaps, an overlay with its
 * opacity, markers, and structure names under the crosshair. Where WebGL2 is missing (or the output's
 * scripts do not run), the static projections appear instead, with a line saying why.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { view } from "@spimfetch/spimfetch/view";
 * const volume = { data: new Uint16Array(64).map((_, i) => i), shape: [4, 4, 4] as [number, number, number], dtype: "uint16" as const };
 * const geometry = { spacing: [0.1, 0.1, 0.1] as [number, number, number], origin: [0, 0, 0] as [number, number, number],
 *   direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] as [[number, number, number], [number, number, number], [number, number, number]] };
 * const shown = await view({ volume, geometry, name: "ramp" });
 * assert(shown.html.includes("ramp"));
 * ```
 * @param x What to show.
 * @param options Overlay, labels, points, budget.
 * @returns The display (the value of a notebook cell).
 */
export async function view(x: Viewable, options: ViewOptions = {}): Promise<ViewerDisplay> {
  options = checkOptions(options, VIEW_OPTION_KEYS, "view()");
  const { layers, points } = await buildLayers(x, options, options.budgetBytes ?? INLINE_VIEW_BUDGET_BYTES);
  const html = await viewerFragment(layers, { points, title: options.title, height: options.height });
  return {
    html,
    images: layers.map((layer) => layer.image),
    points,
    [JUPYTER_DISPLAY]: () => ({ "text/html": html }),
  };
}

/** Options for {@linkcode writeViewerPage}. */
export interface WriteViewerPageOptions extends ViewOptions {
  /** Replace an existing file. @default {false} */
  force?: boolean;
}

/** The keys of {@linkcode WriteViewerPageOptions}, checked at run time. */
const WRITE_VIEWER_PAGE_OPTION_KEYS: OptionKeys<WriteViewerPageOptions> = {
  ...VIEW_OPTION_KEYS,
  force: true,
};

/**
 * Writes the viewer as one self-contained HTML page (code and data embedded; works offline, from
 * `file://`), atomically.
 *
 * @example
 * ```ts ignore
 * import { writeViewerPage } from "@spimfetch/spimfetch/view";
 * await writeViewerPage("brain.html", "out/brain_in_ccf.nii.gz", { overlay: "ccf_average_template_25.nii.gz" });
 * ```
 * @param path The page to write.
 * @param x What to show.
 * @param options Overlay, labels, points, budget, `force`.
 * @returns The images shown and the page's size in bytes.
 * @throws {OutputExistsError} If the page exists and `force` is not set.
 */
export async function writeViewerPage(
  path: string,
  x: Viewable,
  options: WriteViewerPageOptions = {},
): Promise<{ images: ViewerVolume[]; points: ViewerPoint[]; bytes: number }> {
  options = checkOptions(options, WRITE_VIEWER_PAGE_OPTION_KEYS, "writeViewerPage()");
  if (!options.force && await pathExists(path)) throw new OutputExistsError(path);
  const { layers, points } = await buildLayers(x, options, options.budgetBytes ?? DEFAULT_VIEW_BUDGET_BYTES);
  const html = new TextEncoder().encode(
    await viewerHtml(layers, { points, title: options.title, height: options.height }),
  );
  await withAtomicFile(path, async (file) => {
    await file.write(html);
  }, { force: options.force, signal: options.signal });
  return { images: layers.map((layer) => layer.image), points, bytes: html.length };
}

/**
 * Reads a label table: a CSV with an `id` column and a `name` (or `acronym`) column, such as the Allen
 * structure tree's.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseLabelTable } from "@spimfetch/spimfetch/view";
 * assertEquals(parseLabelTable("id,acronym,name\n315,Isocortex,Isocortex\n"), { "315": "Isocortex" });
 * ```
 * @param text The CSV.
 * @returns Names by id.
 * @throws {SyntaxError} If the header has no `id` column or no `name`/`acronym` column.
 */
export function parseLabelTable(text: string): Record<string, string> {
  const lines = text.split(/\r?\n/).filter((line) => line.trim());
  const header = (lines[0] ?? "").split(",").map((h) => h.trim().toLowerCase().replace(/^"|"$/g, ""));
  const id = header.indexOf("id");
  const name = header.indexOf("name") >= 0 ? header.indexOf("name") : header.indexOf("acronym");
  if (id < 0 || name < 0) {
    throw new SyntaxError(
      `Cannot read the label table: its header "${
        lines[0] ?? ""
      }" must name an id column and a name or acronym column`,
    );
  }
  const out: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const cells = line.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((c) =>
      c.replace(/,$/, "").replace(/^"|"$/g, "")
    );
    if (cells[id]) out[String(Number(cells[id]))] = cells[name]?.replaceAll('""', '"') ?? "";
  }
  return out;
}
