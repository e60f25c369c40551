/**
 * Neuroglancer links for a stitched asset on S3: every channel as an image layer read by Neuroglancer
 * straight from its OME-Zarr (`zarr://s3://...`), voxel sizes in metres from the level-0 metadata, contrast
 * from the percentiles of a coarse level, colours from the emission wavelength; and the layers AIND's own
 * `neuroglancer_config.json` adds (cells, CCF registration), kept as AIND wrote them.
 *
 * AIND's file is the starting point but not the result: its image layers often carry a fixed contrast
 * range (e.g. 0-200 whatever the channel) and no link to the data's real voxel size; here both come from
 * the data.
 *
 * @module
 */
import type { Asset } from "../list/assets.ts";
import { AIND_BUCKET, formatS3Uri, S3_OPTION_KEYS } from "../s3/client.ts";
import { S3Store } from "../s3/store.ts";
import { listChannels, selectAsset, type SelectOptions } from "../select/select.ts";
import { openImage } from "../metadata/image.ts";
import { readLevel } from "../read/read.ts";
import { intensityPercentiles } from "../display/preview.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** The public Neuroglancer the links open. */
export const NEUROGLANCER_BASE_URL = "https://neuroglancer-demo.appspot.com";

/** One image layer's facts, before it becomes Neuroglancer state. */
export interface NeuroglancerChannel {
  /** The channel's name, used as the layer's name. */
  name: string;
  /** The OME-Zarr's `s3://` URI. */
  uri: string;
  /** Level-0 voxel size (x, y, z) in mm. */
  spacing: [number, number, number];
  /** Level-0 size (x, y, z) in voxels. */
  size: [number, number, number];
  /** The values drawn black and full colour. */
  window: [number, number];
  /** The level the window was computed from. */
  windowLevel: number;
}

/** A Neuroglancer state (the JSON its URL fragment carries); only the members spimfetch writes are typed. */
export interface NeuroglancerState {
  /** The global coordinate space: name → [scale, unit]. */
  dimensions: Record<string, [number, string]>;
  /** The crosshair, in voxels of `dimensions`. */
  position: number[];
  /** The layers. */
  layers: Record<string, unknown>[];
  /** The panel layout. */
  layout: string;
  /** Anything else (from AIND's file). */
  [key: string]: unknown;
}

/** What {@linkcode assetNeuroglancer} found and made. */
export interface AssetNeuroglancer {
  /** The asset. */
  asset: Asset;
  /** The channels' facts. */
  channels: NeuroglancerChannel[];
  /** The state. */
  state: NeuroglancerState;
  /** The link. */
  url: string;
  /** What was taken from AIND's `neuroglancer_config.json`, or why nothing was. */
  notes: string[];
}

/** Options for {@linkcode assetNeuroglancer}. */
export interface AssetNeuroglancerOptions extends SelectOptions {
  /** The stitched asset's full name, when not the subject's newest. */
  asset?: string;
  /** The Neuroglancer to link to. @default {NEUROGLANCER_BASE_URL} */
  baseUrl?: string;
}

/** Colours by emission wavelength: what the eye (or a false-colour convention) expects of each channel. */
function channelColor(name: string): string {
  const em = Number(/Em_(\d+)/.exec(name)?.[1] ?? NaN);
  if (em < 500) return "#3d7bff";
  if (em < 560) return "#00ff40";
  if (em < 620) return "#ff9d00";
  if (em < 680) return "#ff2020";
  if (em >= 680) return "#ff00ff";
  return "#ffffff";
}

/**
 * The Neuroglancer state for channels of an asset, with AIND's other layers.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { neuroglancerState } from "@spimfetch/spimfetch/view";
 * const state = neuroglancerState([{ name: "Ex_561_Em_593", uri: "s3://b/a/c.zarr", spacing: [0.0018, 0.0018, 0.002],
 *   size: [100, 200, 50], window: [90, 400], windowLevel: 4 }]);
 * assertEquals(state.dimensions.x, [1.8e-6, "m"]);
 * assertEquals(state.layers[0].source, "zarr://s3://b/a/c.zarr");
 * ```
 * @param channels The image layers.
 * @param extraLayers Layers to keep as given (cells, CCF), after the images.
 * @returns The state.
 */
export function neuroglancerState(
  channels: readonly NeuroglancerChannel[],
  extraLayers: readonly Record<string, unknown>[] = [],
): NeuroglancerState {
  const first = channels[0];
  // Metres, as Neuroglancer's OME-Zarr source reports them; rounded to drop float noise (0.0144 mm * 1e-3).
  const metres = (mm: number): number => Number((mm * 1e-3).toPrecision(12));
  const dimensions: Record<string, [number, string]> = first
    ? {
      x: [metres(first.spacing[0]), "m"],
      y: [metres(first.spacing[1]), "m"],
      z: [metres(first.spacing[2]), "m"],
    }
    : {};
  const layers: Record<string, unknown>[] = channels.map((c, i) => ({
    type: "image",
    source: `zarr://${c.uri}`,
    name: c.name,
    opacity: 1,
    blend: "additive",
    visible: i < 3,
    shader: `#uicontrol invlerp normalized\n#uicontrol vec3 color color(default="${
      channelColor(c.name)
    }")\nvoid main() {\n  emitRGB(color * normalized());\n}\n`,
    shaderControls: { normalized: { range: c.window } },
  }));
  return {
    dimensions,
    position: first ? first.size.map((n) => n / 2) : [],
    crossSectionScale: 10,
    projectionScale: first ? Math.max(...first.size.map((n, a) => n * first.spacing[a])) * 2000 : 1,
    layers: [...layers, ...extraLayers],
    selectedLayer: first ? { layer: first.name, visible: true } : undefined,
    layout: "4panel",
    showScaleBar: true,
  };
}

/**
 * The link that opens a state in Neuroglancer (the state JSON in the URL fragment).
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { neuroglancerUrl } from "@spimfetch/spimfetch/view";
 * assert(neuroglancerUrl({ dimensions: {}, position: [], layers: [], layout: "4panel" }).includes("/#!%7B"));
 * ```
 * @param state The state.
 * @param baseUrl The Neuroglancer. @default {NEUROGLANCER_BASE_URL}
 * @returns The URL.
 */
export function neuroglancerUrl(state: NeuroglancerState, baseUrl: string = NEUROGLANCER_BASE_URL): string {
  return `${baseUrl.replace(/\/$/, "")}/#!${encodeURIComponent(JSON.stringify(state))}`;
}

/**
 * The state in a Neuroglancer link, parsed back.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { neuroglancerUrl, parseNeuroglancerUrl } from "@spimfetch/spimfetch/view";
 * const state = { dimensions: { x: [1e-6, "m"] as [number, string] }, position: [1], layers: [], layout: "xy" };
 * assertEquals(parseNeuroglancerUrl(neuroglancerUrl(state)), state);
 * ```
 * @param url The link.
 * @returns The state.
 * @throws {SyntaxError} If the link carries no `#!` state, or it is not JSON.
 */
export function parseNeuroglancerUrl(url: string): NeuroglancerState {
  const at = url.indexOf("#!");
  if (at < 0) {
    throw new SyntaxError(`Cannot read a Neuroglancer state from ${url.slice(0, 80)}: no "#!" fragment`);
  }
  return JSON.parse(decodeURIComponent(url.slice(at + 2)));
}

/** The keys of {@linkcode AssetNeuroglancerOptions}, checked at run time. */
const ASSET_NEUROGLANCER_OPTION_KEYS: OptionKeys<AssetNeuroglancerOptions> = {
  ...S3_OPTION_KEYS,
  bucket: true,
  platform: true,
  signal: true,
  asset: true,
  baseUrl: true,
};

/**
 * A Neuroglancer link for a subject's stitched asset: every channel, contrast from its coarsest level, and
 * the non-image layers of AIND's `neuroglancer_config.json` when the asset has one.
 *
 * @example
 * ```ts ignore
 * import { assetNeuroglancer } from "@spimfetch/spimfetch/view";
 * const { url } = await assetNeuroglancer("652506");
 * console.log(url);
 * ```
 * @param subject The subject id (or a full asset name).
 * @param options The asset, S3 access, the Neuroglancer to link to.
 * @returns The state, the link, the channels and notes.
 * @throws {NotFoundError} If the subject has no stitched asset, or the asset named does not exist.
 */
export async function assetNeuroglancer(
  subject: string,
  options: AssetNeuroglancerOptions = {},
): Promise<AssetNeuroglancer> {
  options = checkOptions(options, ASSET_NEUROGLANCER_OPTION_KEYS, "assetNeuroglancer()");
  const asset = await selectAsset(options.asset ?? subject, options);
  const found = await listChannels(asset, options);
  const channels: NeuroglancerChannel[] = [];
  for (const channel of found) {
    const image = await openImage(channel.uri, options);
    try {
      const level0 = image.levels[0];
      // The coarsest level is a few MB at most and holds the whole brain: enough for percentiles.
      const coarse = image.levels.at(-1)!;
      const volume = await readLevel(image, coarse.index, { signal: options.signal });
      const [lo, hi] = intensityPercentiles(volume.data, [1, 99.5]);
      channels.push({
        name: channel.name,
        uri: channel.uri,
        spacing: level0.spacing,
        size: level0.size,
        window: [Math.floor(lo), Math.ceil(hi > lo ? hi : lo + 1)],
        windowLevel: coarse.index,
      });
    } finally {
      image.close();
    }
  }
  const notes: string[] = [];
  const extra: Record<string, unknown>[] = [];
  const aind = await readAindConfig(asset, options);
  if (aind === undefined) notes.push(`no neuroglancer_config.json in ${asset.name}`);
  else {
    const layers = Array.isArray(aind.layers) ? aind.layers as Record<string, unknown>[] : [];
    const images = new Set(channels.map((c) => c.name));
    for (const layer of layers) {
      // AIND's image layers are replaced (data-driven contrast and colour); the rest are kept as written.
      if (layer.type === "image" && typeof layer.name === "string" && images.has(layer.name)) continue;
      if (layer.type === "image" && typeof layer.source === "string" && /\.zarr\/?$/.test(layer.source)) {
        const name = layer.source.replace(/\/$/, "").split("/").pop()!.replace(/\.zarr$/, "");
        if (images.has(name)) continue;
      }
      extra.push(layer);
    }
    notes.push(
      `read ${asset.name}/neuroglancer_config.json: kept ${extra.length} of its ${layers.length} layers ` +
        `(${
          extra.map((l) => `${l.name ?? "unnamed"} (${l.type})`).join(", ") || "none"
        }); its image layers ` +
        `are replaced by ones with contrast from the data`,
    );
  }
  const state = neuroglancerState(channels, extra);
  return { asset, channels, state, url: neuroglancerUrl(state, options.baseUrl), notes };
}

async function readAindConfig(
  asset: Asset,
  options: AssetNeuroglancerOptions,
): Promise<Record<string, unknown> | undefined> {
  const store = new S3Store(formatS3Uri(options.bucket ?? AIND_BUCKET, asset.name), options);
  try {
    const bytes = await store.get("/neuroglancer_config.json", { signal: options.signal }).catch(() =>
      undefined
    );
    if (!bytes) return undefined;
    try {
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      return undefined;
    }
  } finally {
    store.close();
  }
}
