/**
 * The pipeline LS space: the LS anatomical header of level 0 with the
 * corrections that AIND's registration capsule made without recording them,
 * chosen by the capsule's version (the `code_version` of the "Image
 * importing" process in `processing.json`).
 *
 * Each rule names its source in `AllenNeuralDynamics/aind-zarr-utils` (AZU)
 * or `AllenNeuralDynamics/aind-smartspim-ccf-registration` (REG).
 *
 * @module
 */
import type { ImageGeometry } from "../core/volume.ts";

type Vec3 = [number, number, number];

/** A parsed PEP 440 version (release numbers and an optional pre-release). */
interface Version {
  release: number[];
  /** [rank, number]: dev −3, a −2, b −1, rc 0, final 1; post-releases compare after. */
  pre: [number, number];
  post: number;
  text: string;
}

const VERSION_PATTERN =
  /^\s*v?(\d+(?:\.\d+)*)(?:[-_.]?(a|alpha|b|beta|c|rc|pre|preview)[-_.]?(\d*))?(?:[-_.]?(?:post|rev|r)[-_.]?(\d*))?(?:[-_.]?dev[-_.]?(\d*))?(?:\+[a-z0-9.]+)?\s*$/i;
const PRE_RANK: Record<string, number> = {
  a: -2,
  alpha: -2,
  b: -1,
  beta: -1,
  c: 0,
  rc: 0,
  pre: 0,
  preview: 0,
};

/**
 * Parses a PEP 440 version such as `0.0.31`, `0.0.32rc1` or `0.0.18.dev0`.
 * @param text The version.
 * @returns The parsed version, or `undefined` if it is not one.
 */
function parseVersion(text: string): Version | undefined {
  const m = VERSION_PATTERN.exec(text);
  if (!m) return undefined;
  const release = m[1].split(".").map(Number);
  let pre: [number, number] = [1, 0];
  if (m[2]) pre = [PRE_RANK[m[2].toLowerCase()], Number(m[3] || 0)];
  else if (m[5] !== undefined) pre = [-3, Number(m[5] || 0)];
  return { release, pre, post: m[4] !== undefined ? Number(m[4] || 0) : -1, text };
}

function compare(a: Version, b: Version): number {
  const n = Math.max(a.release.length, b.release.length);
  for (let i = 0; i < n; i++) {
    const d = (a.release[i] ?? 0) - (b.release[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  if (a.pre[0] !== b.pre[0]) return Math.sign(a.pre[0] - b.pre[0]);
  if (a.pre[1] !== b.pre[1]) return Math.sign(a.pre[1] - b.pre[1]);
  return Math.sign(a.post - b.post);
}

function sameRelease(a: Version, b: Version): boolean {
  return compare({ ...a, pre: [1, 0], post: -1 }, { ...b, pre: [1, 0], post: -1 }) === 0;
}

/**
 * Whether a version satisfies a PEP 440 specifier set such as
 * `>=0.0.18,<0.0.32` (operators `>=`, `>`, `<=`, `<`, `==`, `!=`;
 * pre-releases allowed, as AZU's selector allows them, except that `<V`
 * excludes pre-releases of V itself, as PEP 440 says).
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { versionSatisfies } from "./versions.ts";
 * assert(versionSatisfies("0.0.31", ">=0.0.18,<0.0.32"));
 * assert(!versionSatisfies("0.0.32rc1", ">=0.0.18,<0.0.32"));
 * assert(versionSatisfies("0.0.18rc1", ">=0.0.17"));
 * ```
 * @param version The version.
 * @param specifier Comma-separated clauses, all of which must hold.
 * @returns True if every clause holds.
 * @throws {SyntaxError} If the version or a clause cannot be parsed.
 */
export function versionSatisfies(version: string, specifier: string): boolean {
  const v = parseVersion(version);
  if (!v) {
    throw new SyntaxError(`Cannot parse version "${version}": expected a PEP 440 version such as 0.0.31`);
  }
  return specifier.split(",").every((clause) => {
    const m = /^\s*(>=|<=|==|!=|>|<)\s*(\S+)\s*$/.exec(clause);
    const bound = m ? parseVersion(m[2]) : undefined;
    if (!m || !bound) throw new SyntaxError(`Cannot parse version clause "${clause}" of "${specifier}"`);
    const c = compare(v, bound);
    switch (m[1]) {
      case ">=":
        return c >= 0;
      case "<=":
        return c <= 0;
      case "==":
        return c === 0;
      case "!=":
        return c !== 0;
      case ">":
        return c > 0 && !(sameRelease(v, bound) && v.post >= 0 && bound.post < 0);
      default:
        return c < 0 && !(bound.pre[0] === 1 && v.pre[0] !== 1 && sameRelease(v, bound));
    }
  });
}

/** One version correction of the pipeline LS header. */
export interface CorrectionRule {
  /** Short id, e.g. `fixed-spacing`. */
  id: string;
  /** What the rule does. */
  description: string;
  /** Capsule versions it applies to (PEP 440). */
  versions: string;
  /** Where it comes from: repository, file, and what it says. */
  source: string;
}

/** The template's origin: where AIND's capsule put the voxel centre of the LS image's RAS corner (LPS, mm). */
export const RAS_CORNER_TARGET: readonly [number, number, number] = [-1.5114, -1.5, 1.5];

/** Level-3 spacing the capsule forced, per LPS world axis (L–R, A–P, S–I), in mm. */
export const FIXED_LEVEL3_SPACING: readonly [number, number, number] = [0.0144, 0.0144, 0.016];

/** The oldest capsule version registered to the template; older ones are not supported. */
export const OLDEST_SUPPORTED_VERSION = "0.0.18";

/** The newest capsule version AZU has checked the corner anchoring against. */
export const LAST_VERIFIED_VERSION = "0.0.34";

/**
 * The version corrections, in the order they are applied.
 */
export const CORRECTION_RULES: readonly CorrectionRule[] = [
  {
    id: "fixed-spacing",
    description:
      "spacing forced to 0.0144 mm (L–R), 0.0144 mm (A–P), 0.016 mm (S–I) at level 3 (÷8 at level 0), each " +
      "world spacing given to the index axis whose direction runs along that world axis",
    versions: ">=0.0.18,<0.0.32",
    source: 'AZU src/aind_zarr_utils/domain/selector.py _base_rules(): rule "Fixed world image spacing ' +
      "(0.0144,0.0144,0.016)\", SpecifierSet('>=0.0.18,<0.0.32'), SetLpsWorldSpacingOverlay (domain/overlays.py, " +
      "scaled by 2^-3 from level 3); REG hard-coded these spacings up to 0.0.31",
  },
  {
    id: "ras-corner-anchor",
    description:
      "origin set so that the voxel centre of the corner most Right, then Anterior, then Superior lies at " +
      "LPS (-1.5114, -1.5, 1.5) mm, the template's origin (level-0 sizes and spacing)",
    versions: ">=0.0.18",
    source:
      'AZU src/aind_zarr_utils/domain/selector.py _base_rules(): rule "anchor RAS corner to recorded bug ' +
      "point\", SpecifierSet('>=0.0.18'), ForceCornerAnchorOverlayWithVersionWarning(corner_code='RAS', " +
      "target_point_labeled=(-1.5114, -1.5, 1.5), last_verified_buggy_version='0.0.34'), voxel-centre corners",
  },
];

/**
 * The correction rules that apply to a capsule version.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { correctionsFor } from "./versions.ts";
 * assertEquals(correctionsFor("0.0.31").map((r) => r.id), ["fixed-spacing", "ras-corner-anchor"]);
 * assertEquals(correctionsFor("0.0.33").map((r) => r.id), ["ras-corner-anchor"]);
 * ```
 * @param version The registration capsule's version.
 * @returns The rules, in the order they apply (none for an unparseable version).
 */
export function correctionsFor(version: string): CorrectionRule[] {
  try {
    return CORRECTION_RULES.filter((rule) => versionSatisfies(version, rule.versions));
  } catch {
    return [];
  }
}

/** What {@linkcode pipelineGeometry} produced. */
export interface PipelineGeometry {
  /** The level-0 geometry in pipeline LS space (ITK conventions, LPS mm). */
  geometry: ImageGeometry;
  /** Ids of the rules applied, in order. */
  corrections: string[];
  /** Warnings, e.g. a version newer than AZU verified. */
  warnings: string[];
}

/**
 * Applies the version corrections to a level-0 header. The direction is the
 * acquisition's; the spacing is the level's unless `fixed-spacing` applies;
 * the origin comes from `ras-corner-anchor`.
 *
 * @example Capsule 0.0.25 on the reference notebook's axes
 * ```ts
 * import { assertAlmostEquals, assertEquals } from "@std/assert";
 * import { pipelineGeometry } from "./versions.ts";
 * const direction: [[number, number, number], [number, number, number], [number, number, number]] =
 *   [[-1, 0, 0], [0, -1, 0], [0, 0, -1]];
 * const out = pipelineGeometry({ size: [8, 8, 8], spacing: [0.002, 0.002, 0.002], direction }, "0.0.25");
 * assertEquals(out.corrections, ["fixed-spacing", "ras-corner-anchor"]);
 * assertAlmostEquals(out.geometry.spacing[2], 0.002, 1e-12);
 * // x runs toward the right, so voxel 7 is the rightmost and lies at -1.5114; voxel 0 is 7 voxels left of it.
 * assertAlmostEquals(out.geometry.origin[0], -1.5114 + 7 * 0.0018, 1e-12);
 * ```
 * @param level0 Level-0 size (x, y, z), spacing (mm) and direction from the acquisition.
 * @param version The registration capsule's version ("Image importing" `code_version`).
 * @returns The corrected geometry and what was applied.
 * @throws {RangeError} If the version is older than 0.0.18 (no template-based registration) or unparseable,
 * or the direction is not a signed permutation.
 */
export function pipelineGeometry(
  level0: { size: readonly number[]; spacing: readonly number[]; direction: ImageGeometry["direction"] },
  version: string,
): PipelineGeometry {
  let supported: boolean;
  try {
    supported = versionSatisfies(version, `>=${OLDEST_SUPPORTED_VERSION}`);
  } catch (cause) {
    throw new RangeError(`Cannot use registration capsule version "${version}": not a PEP 440 version`, {
      cause,
    });
  }
  if (!supported) {
    throw new RangeError(
      `Registration capsule version ${version} is older than ${OLDEST_SUPPORTED_VERSION}: those versions did not ` +
        `register to the SmartSPIM template, so their transforms are not supported`,
    );
  }
  const d = level0.direction;
  // World axis (0 x, 1 y, 2 z) of each index axis, and whether it points toward R, A or S (−x, −y, +z).
  const world = [0, 1, 2].map((j) => {
    const column = [d[0][j], d[1][j], d[2][j]];
    const axis = column.findIndex((v) => Math.abs(v) > 0.5);
    if (axis < 0 || column.filter((v) => Math.abs(v) > 1e-6).length !== 1) {
      throw new RangeError(
        `Cannot correct an oblique direction ${JSON.stringify(d)}: expected a signed permutation`,
      );
    }
    const toward = column[axis] * (axis === 2 ? 1 : -1) > 0;
    return { axis, toward };
  });
  const corrections: string[] = [];
  const warnings: string[] = [];
  let spacing = [...level0.spacing] as Vec3;
  if (versionSatisfies(version, CORRECTION_RULES[0].versions)) {
    spacing = world.map(({ axis }) => FIXED_LEVEL3_SPACING[axis] / 8) as Vec3;
    corrections.push(CORRECTION_RULES[0].id);
  }
  const corner = world.map(({ toward }, j) => (toward ? level0.size[j] - 1 : 0));
  const origin = [0, 1, 2].map((r) =>
    RAS_CORNER_TARGET[r] - [0, 1, 2].reduce((sum, j) => sum + d[r][j] * spacing[j] * corner[j], 0)
  ) as Vec3;
  corrections.push(CORRECTION_RULES[1].id);
  if (versionSatisfies(version, `>${LAST_VERIFIED_VERSION}`)) {
    warnings.push(
      `registration capsule version ${version} is newer than ${LAST_VERIFIED_VERSION}, the last AIND's ` +
        `aind-zarr-utils verified the corner anchoring against; it is applied on the assumption that it still holds`,
    );
  }
  return {
    geometry: { spacing, origin: origin.map((v) => v + 0) as Vec3, direction: d },
    corrections,
    warnings,
  };
}
