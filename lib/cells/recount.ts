/**
 * Our own count: detections mapped through the asset's CCF space (level-0
 * z, y, x → Allen µm, the transforms `lib/ccf` reads), looked up in the
 * annotation (the voxel whose centre is nearest, centres at index ×
 * resolution µm as the `ccf` step's grid), and counted per structure and
 * every ancestor, per hemisphere (left where ML < 5700 µm).
 *
 * @module
 */
import { type CcfSpace, lsPointToCcf } from "../ccf/mod.ts";
import { ancestorsOf, type Atlas, MIDLINE_UM, type Ontology } from "./atlas.ts";

/**
 * Maps level-0 voxel indices to Allen CCF µm through a registered asset's transforms.
 * @param space The asset's CCF space, opened with its transforms.
 * @param zyx `(z, y, x)` per cell.
 * @returns `(ap, dv, ml)` µm per cell.
 * @throws {TypeError} If the space has no transforms.
 */
export function mapCellsToCcf(space: CcfSpace, zyx: Float32Array): Float32Array {
  const t = space.transforms;
  if (!t) throw new TypeError("Cannot map cells: the CCF space was opened with transforms: false");
  const { origin, direction: d, spacing: s } = space.geometry;
  // index (i, j, k) = (x, y, z) → LPS: one matrix, built once.
  const m = [0, 1, 2].flatMap((r) => [d[r][0] * s[0], d[r][1] * s[1], d[r][2] * s[2], origin[r]]);
  const out = new Float32Array(zyx.length);
  const p = new Float64Array(3);
  for (let c = 0; c < zyx.length; c += 3) {
    const z = zyx[c], y = zyx[c + 1], x = zyx[c + 2];
    p[0] = m[0] * x + m[1] * y + m[2] * z + m[3];
    p[1] = m[4] * x + m[5] * y + m[6] * z + m[7];
    p[2] = m[8] * x + m[9] * y + m[10] * z + m[11];
    lsPointToCcf(t, p);
    // Allen µm from LPS mm: AP = 1000·y, DV = −1000·z, ML = −1000·x.
    out[c] = 1000 * p[1];
    out[c + 1] = -1000 * p[2];
    out[c + 2] = -1000 * p[0];
  }
  return out;
}

/** Where each cell lies in the annotation. */
export interface CellAssignments {
  /** Structure id per cell; 0 outside the brain, −1 outside the grid, −2 an index the tables do not name. */
  structure: Int32Array;
  /** 1 where the cell is in the left hemisphere (ML < 5700 µm). */
  left: Uint8Array;
  /** Cells outside the annotation grid. */
  outsideGrid: number;
  /** Cells on a voxel labelled 0 (outside the brain). */
  outsideBrain: number;
  /** Cells on a parcellation index the metadata tables do not name. */
  unknownIndex: number;
}

/**
 * Looks cells up in the annotation: the voxel whose centre is nearest.
 * @param atlas The annotation and tables.
 * @param ccf `(ap, dv, ml)` µm per cell.
 * @returns The structure and hemisphere of each cell, and counts of those left out.
 */
export function assignCells(atlas: Atlas, ccf: Float32Array): CellAssignments {
  const n = ccf.length / 3;
  const structure = new Int32Array(n);
  const left = new Uint8Array(n);
  const [na, nd, nm] = atlas.size;
  const r = atlas.resolution;
  const ann = atlas.annotation, ids = atlas.structureOfIndex;
  let outsideGrid = 0, outsideBrain = 0, unknownIndex = 0;
  for (let c = 0; c < n; c++) {
    const ap = ccf[3 * c], dv = ccf[3 * c + 1], ml = ccf[3 * c + 2];
    left[c] = ml < MIDLINE_UM ? 1 : 0;
    const i = Math.round(ap / r), j = Math.round(dv / r), k = Math.round(ml / r);
    if (!(i >= 0 && i < na && j >= 0 && j < nd && k >= 0 && k < nm)) {
      structure[c] = -1;
      outsideGrid++;
      continue;
    }
    const index = ann[i + na * (j + nd * k)];
    if (index === 0) {
      outsideBrain++;
      continue;
    }
    const id = ids[index];
    if (id === 0) {
      structure[c] = -2;
      unknownIndex++;
      continue;
    }
    structure[c] = id;
  }
  return { structure, left, outsideGrid, outsideBrain, unknownIndex };
}

/** Left and right counts (or volumes) per structure id. */
export type HemisphereTotals = Map<number, [left: number, right: number]>;

/**
 * Adds per-leaf totals up the tree: each structure's value counts for it and every ancestor.
 * @param ontology The tree.
 * @param leaves Totals per structure (of the structure itself, not its descendants).
 * @returns Hierarchical totals.
 */
export function rollUp(ontology: Ontology, leaves: HemisphereTotals): HemisphereTotals {
  const out: HemisphereTotals = new Map();
  for (const [id, [l, r]] of leaves) {
    for (const a of ancestorsOf(ontology, id)) {
      const t = out.get(a) ?? [0, 0];
      t[0] += l;
      t[1] += r;
      out.set(a, t);
    }
  }
  return out;
}

/**
 * Counts cells per structure and hemisphere, hierarchically.
 * @param ontology The tree.
 * @param cells Assignments from {@linkcode assignCells}.
 * @returns Counts per structure id (only structures with cells).
 */
export function countCells(ontology: Ontology, cells: CellAssignments): HemisphereTotals {
  const leaves: HemisphereTotals = new Map();
  for (let c = 0; c < cells.structure.length; c++) {
    const id = cells.structure[c];
    if (id <= 0) continue;
    let t = leaves.get(id);
    if (!t) leaves.set(id, t = [0, 0]);
    t[cells.left[c] ? 0 : 1]++;
  }
  return rollUp(ontology, leaves);
}

/**
 * Each structure's volume in the annotation, per hemisphere (mm³), hierarchically.
 * @param atlas The annotation.
 * @returns Volumes per structure id.
 */
export function structureVolumes(atlas: Atlas): HemisphereTotals {
  const [na, nd, nm] = atlas.size;
  const r = atlas.resolution;
  const perIndex = new Float64Array(2 * 65536);
  const ann = atlas.annotation;
  for (let k = 0; k < nm; k++) {
    const side = k * r < MIDLINE_UM ? 0 : 1;
    const base = k * na * nd;
    for (let v = 0; v < na * nd; v++) perIndex[2 * ann[base + v] + side]++;
  }
  const voxel = (r / 1000) ** 3;
  const leaves: HemisphereTotals = new Map();
  for (let index = 1; index < 65536; index++) {
    const id = atlas.structureOfIndex[index];
    if (id === 0 || (perIndex[2 * index] === 0 && perIndex[2 * index + 1] === 0)) continue;
    const t = leaves.get(id) ?? [0, 0];
    t[0] += perIndex[2 * index] * voxel;
    t[1] += perIndex[2 * index + 1] * voxel;
    leaves.set(id, t);
  }
  return rollUp(atlas.ontology, leaves);
}

/** How far AIND's cells in CCF lie from ours. */
export interface CellDistances {
  /** Cells paired. */
  paired: number;
  /**
   * How they were paired: by `Cell ID` in both files, by AIND's `Cell ID` read as the detection's row
   * (`detected_cells.csv` has no ids), or by row order (same number of cells, no ids).
   */
  pairing: "cell id" | "cell id as row" | "row order";
  /** Median distance, µm. */
  median: number;
  /** 95th percentile, µm. */
  p95: number;
  /** Largest, µm. */
  max: number;
}

/**
 * Distances between our CCF positions and AIND's, per cell: paired by `Cell ID` where both files have it,
 * else by row order when both have the same number of cells; `undefined` when they cannot be paired.
 * @param ours `(ap, dv, ml)` µm per detection.
 * @param theirs `(ap, dv, ml)` µm per AIND transformed cell.
 * @param ids The detections' and AIND's `Cell ID`s, when present.
 * @returns The distances' summary, or `undefined`.
 */
export function compareCellPositions(
  ours: Float32Array,
  theirs: Float32Array,
  ids: { ours?: Float64Array; theirs?: Float64Array } = {},
): CellDistances | undefined {
  const pairs: [number, number][] = [];
  let pairing: CellDistances["pairing"];
  if (ids.theirs) {
    // Without ids of ours (detected_cells.csv has none), AIND's Cell ID is read as the detection's row.
    pairing = ids.ours ? "cell id" : "cell id as row";
    const at = new Map<number, number>();
    if (ids.ours) ids.ours.forEach((id, i) => Number.isFinite(id) && at.set(id, i));
    else for (let i = 0; i < ours.length / 3; i++) at.set(i, i);
    ids.theirs.forEach((id, j) => {
      const i = at.get(id);
      if (i !== undefined) pairs.push([i, j]);
    });
  } else if (ours.length === theirs.length) {
    pairing = "row order";
    for (let i = 0; i < ours.length / 3; i++) pairs.push([i, i]);
  } else return undefined;
  if (pairs.length === 0) return undefined;
  const d = new Float64Array(pairs.length);
  pairs.forEach(([i, j], n) => {
    d[n] = Math.hypot(
      ours[3 * i] - theirs[3 * j],
      ours[3 * i + 1] - theirs[3 * j + 1],
      ours[3 * i + 2] - theirs[3 * j + 2],
    );
  });
  d.sort();
  const q = (f: number): number => d[Math.min(d.length - 1, Math.max(0, Math.ceil(f * d.length) - 1))];
  return { paired: pairs.length, pairing, median: q(0.5), p95: q(0.95), max: d[d.length - 1] };
}

/**
 * Per-structure counts added batch by batch: memory holds one counter per structure with cells, whatever
 * the number of cells.
 */
export class CellTally {
  #leaves: HemisphereTotals = new Map();
  /** Cells added. */
  cells = 0;
  /** Cells outside the annotation grid. */
  outsideGrid = 0;
  /** Cells on a voxel labelled 0. */
  outsideBrain = 0;
  /** Cells on a parcellation index the tables do not name. */
  unknownIndex = 0;

  /** Adds a batch of assignments from {@linkcode assignCells}. */
  add(cells: CellAssignments): void {
    this.cells += cells.structure.length;
    this.outsideGrid += cells.outsideGrid;
    this.outsideBrain += cells.outsideBrain;
    this.unknownIndex += cells.unknownIndex;
    for (let c = 0; c < cells.structure.length; c++) {
      const id = cells.structure[c];
      if (id <= 0) continue;
      let t = this.#leaves.get(id);
      if (!t) this.#leaves.set(id, t = [0, 0]);
      t[cells.left[c] ? 0 : 1]++;
    }
  }

  /** The counts per structure and hemisphere, hierarchically (as {@linkcode countCells}). */
  counts(ontology: Ontology): HemisphereTotals {
    return rollUp(ontology, this.#leaves);
  }
}

/** Width of a bin of {@linkcode DistanceSummary}'s histogram, µm. */
export const DISTANCE_BIN_UM = 0.1;
/** Distances kept exactly before the summary switches to its histogram. */
export const EXACT_DISTANCES = 65536;
const DISTANCE_BINS = 100_000; // 0.1 µm bins up to 10 mm; beyond, an overflow count

/**
 * Median and 95th percentile of distances in bounded memory: exact (nearest rank) for up to
 * {@linkcode EXACT_DISTANCES} values; beyond, from a histogram of 0.1 µm bins up to 10 mm (the quantile
 * is its bin's centre, within 0.05 µm of the exact value; distances beyond 10 mm fall into an overflow
 * count and a quantile there reports the largest distance). The largest is always exact.
 */
export class DistanceSummary {
  #exact: Float64Array | undefined = new Float64Array(1024);
  #bins: Uint32Array | undefined;
  #overflow = 0;
  /** Distances added. */
  count = 0;
  /** The largest, µm. */
  max = 0;

  /** Adds one distance (µm). */
  add(d: number): void {
    if (d > this.max) this.max = d;
    if (this.#exact) {
      if (this.count < EXACT_DISTANCES) {
        if (this.count === this.#exact.length) {
          const grown = new Float64Array(Math.min(EXACT_DISTANCES, 2 * this.#exact.length));
          grown.set(this.#exact);
          this.#exact = grown;
        }
        this.#exact[this.count++] = d;
        return;
      }
      this.#bins = new Uint32Array(DISTANCE_BINS);
      for (const v of this.#exact) this.#bin(v);
      this.#exact = undefined;
    }
    this.#bin(d);
    this.count++;
  }

  #bin(d: number): void {
    const b = Math.floor(d / DISTANCE_BIN_UM);
    if (b < DISTANCE_BINS) this.#bins![b]++;
    else this.#overflow++;
  }

  /** Whether the quantiles are exact (few enough distances). */
  get exact(): boolean {
    return this.#exact !== undefined;
  }

  /**
   * The quantile by nearest rank (the ⌈f·n⌉-th smallest).
   * @param f The fraction, 0..1.
   * @returns The distance, µm (NaN with none).
   */
  quantile(f: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.min(this.count, Math.max(1, Math.ceil(f * this.count)));
    if (this.#exact) return this.#exact.slice(0, this.count).sort()[rank - 1];
    let seen = 0;
    for (let b = 0; b < DISTANCE_BINS; b++) {
      seen += this.#bins![b];
      if (seen >= rank) return Math.min(this.max, (b + 0.5) * DISTANCE_BIN_UM);
    }
    return this.max;
  }
}
