/**
 * Step 3 of the reference notebook, first half: the OME-NGFF `multiscales` metadata of an
 * image (0.4 on Zarr v2 in `.zattrs`, 0.5 on Zarr v3 under `ome` in `zarr.json`).
 *
 * Parsing is pure; {@linkcode openImage} in `image.ts` does the I/O.
 *
 * @module
 */
import { MetadataError } from "../core/errors.ts";
import { isSafeRelativePath } from "../core/names.ts";
import { LENGTH_UNITS, millimetersPerUnit } from "./units.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** One axis of an NGFF image. */
export interface NgffAxis {
  /** The axis name, e.g. `z`. */
  name: string;
  /** `space`, `time`, `channel`, or `undefined` when not given. */
  type: string | undefined;
  /** The unit, e.g. `micrometer`, or `undefined`. */
  unit: string | undefined;
}

/** One resolution level as the multiscales metadata describes it. */
export interface NgffDataset {
  /** The array's path below the image, e.g. `3`. */
  path: string;
  /** Scale per axis, in the axes' units, composed with the multiscales-level transform. */
  scale: number[];
  /** Translation per axis, in the axes' units, composed likewise (zeros when absent). */
  translation: number[];
}

/** The parsed `multiscales[0]` of an image. */
export interface Multiscales {
  /** The NGFF version, e.g. `0.4`. */
  version: string;
  /** The image's name, when given. */
  name: string | undefined;
  /** The axes, in array order. */
  axes: NgffAxis[];
  /** Indices into {@linkcode Multiscales.axes} of the three spatial axes, in array order (z, y, x). */
  spatialAxes: [number, number, number];
  /** Millimetres per unit of each spatial axis, in the order of {@linkcode Multiscales.spatialAxes}. */
  millimetersPerUnit: [number, number, number];
  /** The levels, finest first. */
  datasets: NgffDataset[];
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function numbers(value: unknown, length: number, what: string, source: string): number[] {
  if (!Array.isArray(value) || value.length !== length || !value.every((v) => typeof v === "number")) {
    throw new MetadataError(`${what} must be an array of ${length} numbers, got ${JSON.stringify(value)}`, {
      source,
    });
  }
  if (!value.every(Number.isFinite)) {
    throw new MetadataError(`${what} must be finite, got ${JSON.stringify(value)}`, { source });
  }
  return value as number[];
}

/** Reads a `coordinateTransformations` list into a scale and a translation. */
function transforms(value: unknown, rank: number, what: string, source: string): NgffDataset {
  const result: NgffDataset = {
    path: "",
    scale: new Array(rank).fill(1),
    translation: new Array(rank).fill(0),
  };
  if (value === undefined) return result;
  if (!Array.isArray(value)) {
    throw new MetadataError(`${what} must be a list, got ${JSON.stringify(value)}`, { source });
  }
  for (const [i, t] of value.entries()) {
    if (!isObject(t)) throw new MetadataError(`${what}[${i}] must be an object`, { source });
    if (t.type === "identity") continue;
    if (t.type !== "scale" && t.type !== "translation") {
      throw new MetadataError(
        `${what}[${i}] has type ${JSON.stringify(t.type)}: expected "scale", "translation" or "identity"`,
        { source },
      );
    }
    if (!(t.type in t)) {
      throw new MetadataError(
        `${what}[${i}] gives its ${t.type} by ${t.path ? `path ${JSON.stringify(t.path)}` : "nothing"}: ` +
          `only inline ${t.type} arrays are supported`,
        { source },
      );
    }
    const v = numbers(t[t.type as string], rank, `${what}[${i}].${t.type}`, source);
    if (t.type === "scale") {
      // A scale after a translation scales the translation too.
      result.translation = result.translation.map((x, k) => x * v[k]);
      result.scale = result.scale.map((x, k) => x * v[k]);
    } else {
      result.translation = result.translation.map((x, k) => x + v[k]);
    }
  }
  return result;
}

function parseAxes(value: unknown, source: string): NgffAxis[] {
  if (!Array.isArray(value) || value.length < 3 || value.length > 5) {
    throw new MetadataError(
      `multiscales axes must be a list of 3 to 5 axes, got ${JSON.stringify(value)?.slice(0, 200)}`,
      { source },
    );
  }
  return value.map((axis, i) => {
    // NGFF 0.3 listed axes as bare names.
    if (typeof axis === "string") {
      return { name: axis, type: ["x", "y", "z"].includes(axis) ? "space" : undefined, unit: undefined };
    }
    if (!isObject(axis) || typeof axis.name !== "string") {
      throw new MetadataError(`axis ${i} must be an object with a name, got ${JSON.stringify(axis)}`, {
        source,
      });
    }
    return {
      name: axis.name,
      type: typeof axis.type === "string" ? axis.type : undefined,
      unit: typeof axis.unit === "string" ? axis.unit : undefined,
    };
  });
}

/** Options for {@linkcode parseMultiscales}. */
export interface ParseMultiscalesOptions {
  /** Where the attributes came from, for messages. */
  source: string;
  /** Unit to assume for spatial axes that give none; without it such axes are an error. */
  defaultSpatialUnit?: string;
}

/** The keys of {@linkcode ParseMultiscalesOptions}, checked at run time. */
const PARSE_MULTISCALES_OPTION_KEYS: OptionKeys<ParseMultiscalesOptions> = {
  source: true,
  defaultSpatialUnit: true,
};

/**
 * Parses the OME-NGFF attributes of an image: the `.zattrs` object of NGFF
 * 0.4, or the `attributes` of a `zarr.json` (NGFF 0.5 nests them under `ome`).
 *
 * @example The reference notebook's image
 * ```ts
 * import { assert } from "@std/assert";
 * import { parseMultiscales } from "@spimfetch/spimfetch/metadata";
 * const axes = [
 *   { name: "t", type: "time", unit: "millisecond" }, { name: "c", type: "channel" },
 *   { name: "z", type: "space", unit: "micrometer" }, { name: "y", type: "space", unit: "micrometer" },
 *   { name: "x", type: "space", unit: "micrometer" },
 * ];
 * const datasets = [{ path: "3", coordinateTransformations: [{ type: "scale", scale: [1, 1, 16, 14.4, 14.4] }] }];
 * const m = parseMultiscales({ multiscales: [{ version: "0.4", axes, datasets }] }, { source: ".zattrs" });
 * assert(m.spatialAxes.join() === "2,3,4" && m.millimetersPerUnit[0] === 1e-3);
 * ```
 * @param attributes The parsed attributes.
 * @param options Source name and unit fallback.
 * @returns The first multiscales entry.
 * @throws {MetadataError} If there is no multiscales entry, the axes are not 3 spatial axes plus
 *   optional time and channel, a spatial unit is unknown, or a transform is malformed.
 */
export function parseMultiscales(attributes: unknown, options: ParseMultiscalesOptions): Multiscales {
  options = checkOptions(options, PARSE_MULTISCALES_OPTION_KEYS, "parseMultiscales()");
  const { source } = options;
  if (!isObject(attributes)) throw new MetadataError("attributes must be a JSON object", { source });
  const ome = isObject(attributes.ome) ? attributes.ome : attributes;
  const list = ome.multiscales;
  if (!Array.isArray(list) || list.length === 0 || !isObject(list[0])) {
    throw new MetadataError('no OME-NGFF multiscales entry: expected a non-empty "multiscales" list', {
      source,
    });
  }
  const entry = list[0];
  const version = String(ome.version ?? entry.version ?? "unknown");
  const axes = parseAxes(entry.axes, source);
  const spatial = axes.flatMap((axis, i) => (axis.type === "space" ? [i] : []));
  if (spatial.length !== 3) {
    throw new MetadataError(
      `expected 3 spatial axes (type "space"), found ${spatial.length}: ${
        axes.map((a) => a.name).join(", ")
      }`,
      { source },
    );
  }
  const factors = spatial.map((i) => {
    const unit = axes[i].unit ?? options.defaultSpatialUnit;
    if (unit === undefined) {
      throw new MetadataError(
        `spatial axis "${axes[i].name}" has no unit; expected one of ${LENGTH_UNITS.join(", ")}`,
        {
          source,
        },
      );
    }
    const factor = millimetersPerUnit(unit);
    if (factor === undefined) {
      throw new MetadataError(
        `spatial axis "${axes[i].name}" has unit "${unit}", which is not a length unit; expected one of ${
          LENGTH_UNITS.join(", ")
        }`,
        { source },
      );
    }
    return factor;
  });
  const rank = axes.length;
  const outer = transforms(
    entry.coordinateTransformations,
    rank,
    "multiscales coordinateTransformations",
    source,
  );
  if (!Array.isArray(entry.datasets) || entry.datasets.length === 0) {
    throw new MetadataError("multiscales datasets must be a non-empty list", { source });
  }
  const datasets = entry.datasets.map((d: unknown, level: number): NgffDataset => {
    if (!isObject(d) || typeof d.path !== "string" || d.path === "") {
      throw new MetadataError(`datasets[${level}] must have a non-empty "path"`, { source });
    }
    // The path becomes part of S3 keys: it must stay below the image.
    if (!isSafeRelativePath(d.path)) {
      throw new MetadataError(
        `datasets[${level}] path ${
          JSON.stringify(d.path.slice(0, 100))
        } is not a relative path of plain names (no "..", "/" at either end, or control characters)`,
        { source },
      );
    }
    const own = transforms(
      d.coordinateTransformations,
      rank,
      `datasets[${level}] coordinateTransformations`,
      source,
    );
    const scale = own.scale.map((s, k) => s * outer.scale[k]);
    for (const k of spatial) {
      if (!(scale[k] > 0)) {
        throw new MetadataError(
          `datasets[${level}] scale of axis "${axes[k].name}" is ${scale[k]}: expected > 0`,
          {
            source,
          },
        );
      }
    }
    return {
      path: d.path,
      scale,
      translation: own.translation.map((t, k) => t * outer.scale[k] + outer.translation[k]),
    };
  });
  return {
    version,
    name: typeof entry.name === "string" ? entry.name : undefined,
    axes,
    spatialAxes: spatial as [number, number, number],
    millimetersPerUnit: factors as [number, number, number],
    datasets,
  };
}
