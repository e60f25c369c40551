/**
 * The Allen CCF 2020 annotation and ontology from the Allen Brain Cell Atlas'
 * public bucket (`s3://allen-brain-cell-atlas`, anonymous, us-west-2), read
 * through the project's S3 store (retries, disk cache).
 *
 * - `image_volumes/Allen-CCF-2020/20250331/annotation_25.nii.gz`: voxels hold
 *   `parcellation_index` (0 = outside), on the grid AP × DV × ML ("ASL",
 *   first axis anterior → posterior) with voxel centres at index × resolution
 *   µm, the convention the `ccf` step uses.
 * - `metadata/Allen-CCF-2020/20230630/`: `parcellation_term.csv` (terms:
 *   acronym, name, `MBA:<id>` identifier), `parcellation_term_set_membership.csv`
 *   (each term's parent, which builds the tree), and
 *   `parcellation_to_parcellation_term_membership.csv` (each index's terms,
 *   the finest set giving its structure). Every table is read by column name.
 *
 * @module
 */
import { splitCsvLine } from "../core/csv.ts";
import { MetadataError, NotFoundError } from "../core/errors.ts";
import { DEFAULT_REGION, formatS3Uri, S3_OPTION_KEYS, type S3Options } from "../s3/client.ts";
import { S3Store } from "../s3/store.ts";
import { objectPieces, readLines } from "./_stream.ts";
import { columnOf } from "./detections.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";
import { decodeNifti } from "../read/nifti_file.ts";

/** The Allen Brain Cell Atlas bucket. */
export const ATLAS_BUCKET = "allen-brain-cell-atlas";

/** Keys of the files read from {@linkcode ATLAS_BUCKET}. */
export const ATLAS_KEYS = {
  annotation: (resolution: 10 | 25): string =>
    `image_volumes/Allen-CCF-2020/20250331/annotation_${resolution}.nii.gz`,
  metadata: "metadata/Allen-CCF-2020/20230630/",
  terms: "parcellation_term.csv",
  membership: "parcellation_term_set_membership.csv",
  indexTerms: "parcellation_to_parcellation_term_membership.csv",
} as const;

/** Left hemisphere: ML below this (µm), as Allen's and AIND's analysis code decide it. */
export const MIDLINE_UM = 5700;

/** One structure of the tree. */
export interface Structure {
  /** Allen structure id (`MBA:<id>`); terms the ABC added have none and get a negative id. */
  id: number;
  /** The term's label in the ABC tables. */
  label: string;
  /** e.g. `VISp4`. */
  acronym: string;
  /** e.g. `Primary visual area, layer 4`. */
  name: string;
  /** The parent's id; `undefined` for the root. */
  parentId: number | undefined;
  /** Steps from the root (0). */
  depth: number;
}

/** The structure tree. */
export interface Ontology {
  /** By id. */
  structures: Map<number, Structure>;
  /** By acronym. */
  byAcronym: Map<string, Structure>;
}

/** The annotation volume and the tree. */
export interface Atlas {
  /** The tree. */
  ontology: Ontology;
  /** Structure id of each `parcellation_index` (0 where none). */
  structureOfIndex: Int32Array;
  /** Voxels of the annotation, `parcellation_index` values, AP fastest, then DV, then ML. */
  annotation: Uint16Array;
  /** Voxels along (AP, DV, ML). */
  size: [number, number, number];
  /** Voxel size in µm. */
  resolution: number;
  /** Where it came from. */
  uris: string[];
}

/** Options for {@linkcode openAtlas}. */
export interface OpenAtlasOptions extends S3Options {
  /** The bucket holding the atlas. @default {"allen-brain-cell-atlas"} */
  atlasBucket?: string;
  /** An S3-compatible endpoint for the atlas bucket (tests, a mirror). @default {AWS} */
  atlasEndpoint?: string;
  /** Annotation resolution. @default {25} */
  resolution?: 10 | 25;
  /** Keep fetched files in this directory. */
  cacheDir?: string;
  /** Cancels the requests. */
  signal?: AbortSignal;
}

async function readTable(
  store: S3Store,
  key: string,
  signal: AbortSignal | undefined,
  onRow: (row: string[], header: string[]) => void,
): Promise<void> {
  const reader = readLines(objectPieces(store, key, { signal }));
  let header: string[] | undefined;
  for await (const line of reader.lines) {
    if (!header) header = splitCsvLine(line).map((h) => h.trim());
    else if (line.trim() !== "") onRow(splitCsvLine(line), header);
  }
  if (!header) throw new MetadataError("the table is empty", { source: formatS3Uri(store.bucket, key) });
}

/**
 * Builds the tree from the ABC tables.
 * @param store A store on the atlas bucket.
 * @param signal Cancellation.
 * @returns The tree, and the structure id of each parcellation index.
 */
async function readOntology(
  store: S3Store,
  signal: AbortSignal | undefined,
): Promise<{ ontology: Ontology; structureOfIndex: Int32Array }> {
  const dir = ATLAS_KEYS.metadata;
  const uri = (name: string): string => formatS3Uri(store.bucket, dir + name);
  const terms = new Map<string, { id: number; acronym: string; name: string }>();
  let synthetic = 0;
  let cols: number[] = [];
  await readTable(store, dir + ATLAS_KEYS.terms, signal, (row, header) => {
    if (cols.length === 0) {
      cols = [["label"], ["acronym"], ["name"], ["identifier"]].map((n) =>
        columnOf(header, n, uri(ATLAS_KEYS.terms))
      );
    }
    const [label, acronym, name, identifier] = cols.map((c) => row[c]?.trim() ?? "");
    const mba = /^MBA:(\d+)$/.exec(identifier);
    terms.set(label, { id: mba ? Number(mba[1]) : -(++synthetic), acronym, name });
  });
  // Each term's parent: a term may appear in several sets (a structure without substructures is its own
  // substructure); its parent is the first one that is not itself.
  const parents = new Map<string, string>();
  cols = [];
  await readTable(store, dir + ATLAS_KEYS.membership, signal, (row, header) => {
    if (cols.length === 0) {
      cols = [["parcellation_term_label"], ["parent_term_label"]].map((n) =>
        columnOf(header, n, uri(ATLAS_KEYS.membership))
      );
    }
    const [term, parent] = cols.map((c) => row[c]?.trim() ?? "");
    if (parent && parent !== term && !parents.has(term)) parents.set(term, parent);
  });
  const structures = new Map<number, Structure>();
  const byAcronym = new Map<string, Structure>();
  const depthOf = (label: string, seen = 0): number => {
    const parent = parents.get(label);
    if (parent === undefined || seen > 64) return 0;
    return 1 + depthOf(parent, seen + 1);
  };
  // The parent is the nearest ancestor with another id: a substructure term may repeat its structure's id
  // (a structure without substructures), and must not make the structure its own parent.
  const parentIdOf = (label: string, id: number): number | undefined => {
    for (let p = parents.get(label), n = 0; p !== undefined && n < 64; p = parents.get(p), n++) {
      const pid = terms.get(p)?.id;
      if (pid !== undefined && pid !== id) return pid;
    }
    return undefined;
  };
  // Coarser terms first, so that an id shared by a structure and its own substructure keeps the structure.
  const ordered = [...terms].sort(([a], [b]) => depthOf(a) - depthOf(b));
  for (const [label, t] of ordered) {
    const s: Structure = {
      id: t.id,
      label,
      acronym: t.acronym,
      name: t.name,
      parentId: parentIdOf(label, t.id),
      depth: depthOf(label),
    };
    if (!structures.has(s.id)) structures.set(s.id, s);
    if (!byAcronym.has(s.acronym)) byAcronym.set(s.acronym, s);
  }
  // Each index's finest term.
  const finest = new Map<number, { order: number; term: string }>();
  cols = [];
  let maxIndex = 0;
  await readTable(store, dir + ATLAS_KEYS.indexTerms, signal, (row, header) => {
    if (cols.length === 0) {
      cols = [["parcellation_index"], ["parcellation_term_label"], ["term_set_order"]].map((n) =>
        columnOf(header, n, uri(ATLAS_KEYS.indexTerms))
      );
    }
    const index = Number(row[cols[0]]), term = row[cols[1]]?.trim(), order = Number(row[cols[2]]);
    if (!Number.isInteger(index) || index < 0 || !term) return;
    maxIndex = Math.max(maxIndex, index);
    const was = finest.get(index);
    if (!was || order > was.order) finest.set(index, { order, term });
  });
  const structureOfIndex = new Int32Array(Math.max(maxIndex + 1, 65536));
  for (const [index, { term }] of finest) structureOfIndex[index] = terms.get(term)?.id ?? 0;
  return { ontology: { structures, byAcronym }, structureOfIndex };
}

/**
 * Reads a 3-D integer NIfTI-1 (gzipped or not) into parcellation indices.
 * @param bytes The file.
 * @param source Its URI.
 * @returns The voxels, sizes and voxel size in µm.
 */
export function decodeAnnotation(
  bytes: Uint8Array,
  source: string,
): { voxels: Uint16Array; size: [number, number, number]; resolution: number } {
  const { header, voxels: values } = decodeNifti(bytes, { source });
  if (!["uint8", "int8", "uint16", "int16", "uint32", "int32"].includes(header.dtype)) {
    throw new MetadataError(`annotation: datatype ${header.dtype}: expected a 3-D image of an integer type`, {
      source,
    });
  }
  const size: [number, number, number] = [header.shape[2], header.shape[1], header.shape[0]];
  const scale = { m: 1e6, um: 1, mm: 1000, unknown: 1000 }[header.spatialUnit];
  const resolution = Math.round(Math.abs(header.pixdim[1]) * scale * 1000) / 1000;
  // The real annotation is uint16 (77 M voxels at 25 µm): kept as the reader returns it, no per-voxel copy.
  if (values instanceof Uint16Array) return checkExtent({ voxels: values, size, resolution }, source);
  const voxels = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < 0 || v > 65535) {
      throw new MetadataError(`annotation: voxel ${i} holds ${v}, not a parcellation index`, { source });
    }
    voxels[i] = v;
  }
  return checkExtent({ voxels, size, resolution }, source);
}

function checkExtent<T extends { size: number[]; resolution: number }>(found: T, source: string): T {
  const { size, resolution } = found;
  // The Allen CCF is 13.2 × 8.0 × 11.4 mm (AP × DV × ML): a grid that is not is the wrong file or order.
  const extent = size.map((s) => s * resolution);
  if ([13200, 8000, 11400].some((e, a) => Math.abs(extent[a] - e) > 0.05 * e)) {
    throw new MetadataError(
      `annotation: ${size.join(" × ")} voxels of ${resolution} µm span ${
        extent.join(" × ")
      } µm: expected the ` +
        `Allen CCF's 13200 × 8000 × 11400 µm (AP × DV × ML)`,
      { source },
    );
  }
  return found;
}

function atlasStore(options: OpenAtlasOptions): S3Store {
  return new S3Store(formatS3Uri(options.atlasBucket ?? ATLAS_BUCKET, ""), {
    ...options,
    client: undefined,
    endpoint: options.atlasEndpoint,
    // The atlas bucket lives in us-west-2 whatever region the data bucket is in.
    region: options.atlasEndpoint ? options.region : DEFAULT_REGION,
  });
}

/**
 * Reads only the structure tree (the metadata tables, a few hundred kB), for labelling AIND's counts.
 *
 * @example
 * ```ts ignore
 * import { openOntology } from "@spimfetch/spimfetch/cells";
 * const ontology = await openOntology();
 * console.log(ontology.byAcronym.get("VISp")?.id); // 385
 * ```
 * @param options The bucket and endpoint, cache directory.
 * @returns The tree.
 * @throws {NotFoundError} If a table is missing.
 * @throws {MetadataError} If a table lacks a column.
 */
export async function openOntology(options: OpenAtlasOptions = {}): Promise<Ontology> {
  options = checkOptions(options, OPEN_ATLAS_OPTION_KEYS, "openOntology()");
  const store = atlasStore(options);
  try {
    return (await readOntology(store, options.signal)).ontology;
  } finally {
    store.close();
  }
}

/** The keys of {@linkcode OpenAtlasOptions}, checked at run time. */
const OPEN_ATLAS_OPTION_KEYS: OptionKeys<OpenAtlasOptions> = {
  ...S3_OPTION_KEYS,
  atlasBucket: true,
  atlasEndpoint: true,
  resolution: true,
  cacheDir: true,
  signal: true,
};

/**
 * Opens the CCF annotation and ontology from the Allen Brain Cell Atlas bucket.
 *
 * @example
 * ```ts ignore
 * import { openAtlas } from "@spimfetch/spimfetch/cells";
 * const atlas = await openAtlas({ cacheDir: "data/cache" });
 * console.log(atlas.ontology.byAcronym.get("VISp"));
 * ```
 * @param options The bucket and endpoint, resolution, cache directory.
 * @returns The atlas.
 * @throws {NotFoundError} If a file is missing.
 * @throws {MetadataError} If a table lacks a column or the annotation is not the CCF grid.
 */
export async function openAtlas(options: OpenAtlasOptions = {}): Promise<Atlas> {
  options = checkOptions(options, OPEN_ATLAS_OPTION_KEYS, "openAtlas()");
  const bucket = options.atlasBucket ?? ATLAS_BUCKET;
  const store = atlasStore(options);
  try {
    const key = ATLAS_KEYS.annotation(options.resolution ?? 25);
    const [{ ontology, structureOfIndex }, bytes] = await Promise.all([
      readOntology(store, options.signal),
      store.get(`/${key}`, { signal: options.signal }),
    ]);
    if (!bytes) throw new NotFoundError("object", formatS3Uri(bucket, key));
    const { voxels, size, resolution } = decodeAnnotation(bytes, formatS3Uri(bucket, key));
    return {
      ontology,
      structureOfIndex,
      annotation: voxels,
      size,
      resolution,
      uris: [formatS3Uri(bucket, key), formatS3Uri(bucket, ATLAS_KEYS.metadata)],
    };
  } finally {
    store.close();
  }
}

/**
 * The ids of a structure and its ancestors, up to the root.
 * @param ontology The tree.
 * @param id A structure id.
 * @returns `[id, parent, ..., root]`, or `[]` for an unknown id.
 */
export function ancestorsOf(ontology: Ontology, id: number): number[] {
  const out: number[] = [];
  for (let s = ontology.structures.get(id); s && out.length < 64; s = ontology.structures.get(s.parentId!)) {
    // A cycle in the tables must not count a cell twice.
    if (out.includes(s.id)) break;
    out.push(s.id);
    if (s.parentId === undefined) break;
  }
  return out;
}
