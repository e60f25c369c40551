/**
 * The tidy table of counts: one row per (subject, channel, structure,
 * hemisphere, source), and its CSV and JSON forms.
 *
 * @module
 */
import type { Ontology } from "./atlas.ts";
import type { HemisphereTotals } from "./recount.ts";
import type { AindRegionCounts } from "./region_counts.ts";

/** One row of the counts table. */
export interface CountRow {
  /** Subject id. */
  subject: string;
  /** Channel, e.g. `Ex_639_Em_667`. */
  channel: string;
  /** Allen structure id. */
  structure_id: number;
  /** e.g. `VISp`. */
  acronym: string;
  /** Full name. */
  name: string;
  /** The parent's id (empty for the root, or where the ontology does not know the structure). */
  parent_id: number | null;
  /** Steps from the root in the ontology (null where unknown). */
  depth: number | null;
  /** `left` (ML < 5700 µm), `right`, or `both`. */
  hemisphere: "left" | "right" | "both";
  /** Cells in the structure and its descendants. */
  count: number;
  /** The structure's volume in that hemisphere, mm³ (AIND: its mesh; recount: annotation voxels). */
  volume_mm3: number | null;
  /** count / volume_mm3. */
  density_per_mm3: number | null;
  /** `aind` (their `cell_count_by_region.csv`) or `recount` (ours, from the annotation volume). */
  source: "aind" | "recount";
}

/** The columns of {@linkcode CountRow}, in order. */
export const COUNT_COLUMNS: readonly (keyof CountRow)[] = [
  "subject",
  "channel",
  "structure_id",
  "acronym",
  "name",
  "parent_id",
  "depth",
  "hemisphere",
  "count",
  "volume_mm3",
  "density_per_mm3",
  "source",
];

const density = (count: number, volume: number | null): number | null =>
  volume !== null && volume > 0 ? count / volume : null;

/**
 * Rows of AIND's region counts, three per structure (left, right, both).
 * @param subject The subject.
 * @param channel The channel.
 * @param counts The parsed file.
 * @param ontology The tree, for parent ids and depths (and names the 2023 layout lacks).
 * @returns The rows, and the ids the ontology does not know (their rows keep AIND's count, without parent).
 */
export function aindRows(
  subject: string,
  channel: string,
  counts: AindRegionCounts,
  ontology?: Ontology,
): { rows: CountRow[]; unknownIds: number[] } {
  const rows: CountRow[] = [];
  const unknownIds: number[] = [];
  for (const r of counts.rows) {
    const s = ontology?.structures.get(r.id);
    if (ontology && !s) unknownIds.push(r.id);
    // AIND's mesh volume is of one hemisphere for `hemi` structures, of both for `mid` ones.
    const v = r.volumeUm3 === undefined ? null : r.volumeUm3 / 1e9;
    const both = v === null ? null : r.structInfo === "mid" ? v : 2 * v;
    const side = v === null ? null : r.structInfo === "mid" ? v / 2 : v;
    for (
      const [hemisphere, count, volume] of [
        ["left", r.left, side],
        ["right", r.right, side],
        ["both", r.total, both],
      ] as const
    ) {
      rows.push({
        subject,
        channel,
        structure_id: r.id,
        acronym: r.acronym,
        name: r.name ?? s?.name ?? "",
        parent_id: s?.parentId ?? null,
        depth: s?.depth ?? null,
        hemisphere,
        count,
        volume_mm3: volume,
        density_per_mm3: density(count, volume),
        source: "aind",
      });
    }
  }
  return { rows, unknownIds };
}

/**
 * Rows of our count, three per structure that has cells or volume.
 * @param subject The subject.
 * @param channel The channel.
 * @param counts Hierarchical counts.
 * @param volumes Hierarchical volumes (mm³).
 * @param ontology The tree.
 * @returns The rows, in the tree's order (depth, then acronym).
 */
export function recountRows(
  subject: string,
  channel: string,
  counts: HemisphereTotals,
  volumes: HemisphereTotals,
  ontology: Ontology,
): CountRow[] {
  const ids = [...new Set([...counts.keys(), ...volumes.keys()])]
    .map((id) => ontology.structures.get(id)!)
    .filter(Boolean)
    .sort((a, b) => a.depth - b.depth || a.acronym.localeCompare(b.acronym));
  const rows: CountRow[] = [];
  for (const s of ids) {
    const [l, r] = counts.get(s.id) ?? [0, 0];
    const [vl, vr] = volumes.get(s.id) ?? [0, 0];
    for (
      const [hemisphere, count, volume] of [
        ["left", l, vl],
        ["right", r, vr],
        ["both", l + r, vl + vr],
      ] as const
    ) {
      rows.push({
        subject,
        channel,
        structure_id: s.id,
        acronym: s.acronym,
        name: s.name,
        parent_id: s.parentId ?? null,
        depth: s.depth,
        hemisphere,
        count,
        volume_mm3: volume,
        density_per_mm3: density(count, volume),
        source: "recount",
      });
    }
  }
  return rows;
}

/** Which structures to keep. */
export interface RowFilter {
  /** Structures at most this deep (root 0). */
  depth?: number;
  /** Only these acronyms. */
  regions?: readonly string[];
}

/**
 * Keeps the rows a filter asks for.
 * @param rows The rows.
 * @param filter Depth or acronyms.
 * @returns The kept rows.
 */
export function filterRows(rows: readonly CountRow[], filter: RowFilter = {}): CountRow[] {
  const regions = filter.regions ? new Set(filter.regions) : undefined;
  return rows.filter((r) =>
    (filter.depth === undefined || (r.depth !== null && r.depth <= filter.depth)) &&
    (!regions || regions.has(r.acronym))
  );
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") {
    return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(8)));
  }
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Rows as CSV with a header (empty cells for nulls).
 * @param rows The rows.
 * @param columns The columns. @default {COUNT_COLUMNS}
 * @returns The text.
 */
export function formatCsv<T extends object>(
  rows: readonly T[],
  columns: readonly (keyof T)[] = COUNT_COLUMNS as unknown as (keyof T)[],
): string {
  const lines = [columns.join(",")];
  for (const r of rows) lines.push(columns.map((c) => cell(r[c])).join(","));
  return `${lines.join("\n")}\n`;
}
