/**
 * Known problems in AIND metadata, in one table with their sources, and the
 * opt-in corrections for them. spimfetch never corrects silently: by default
 * it reproduces the recorded metadata (as the reference notebook does) and
 * warns; a correction is applied only when asked for (`--aind-orientation-fix`,
 * or `aindOrientationFix: true` in `prepareForRegistration`).
 *
 * To add a caveat, add an entry to {@linkcode AIND_CAVEATS}: an id, what is
 * wrong, where that is documented, a `matches` predicate over the
 * acquisition, and a `correct` function that returns corrected axes.
 *
 * @module
 */
import type { Acquisition, AcquisitionAxis } from "./acquisition.ts";
import { type Asset, parseAssetName } from "../list/assets.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** Where a caveat is documented. */
export interface CaveatSource {
  /** A link to the exact place. */
  url: string;
  /** `owner/name` on GitHub, when the source is a repository. */
  repository?: string;
  /** The file within it. */
  path?: string;
  /** The commit the citation refers to. */
  commit?: string;
  /** What the source says or does, briefly, and what it does not say. */
  note: string;
}

/** What a caveat's predicate sees. */
export interface CaveatContext {
  /** The parsed acquisition metadata. */
  acquisition: Acquisition;
  /** Acquisition date `YYYY-MM-DD`, from the metadata or else the asset name; undefined when unknown. */
  acquiredOn: string | undefined;
  /** The asset's platform (`SmartSPIM`), when known. */
  platform: string | undefined;
}

/** One known problem in AIND metadata. */
export interface AindCaveat {
  /** A stable identifier. */
  id: string;
  /** One line: what is affected. */
  title: string;
  /** What is wrong, and what the truth is. */
  description: string;
  /** What the opt-in correction does. */
  correction: string;
  /** The option that applies the correction, as the CLI spells it. */
  flag: string;
  /** Where this is documented. */
  sources: readonly CaveatSource[];
  /** Whether an acquisition shows the problem. */
  matches(context: CaveatContext): boolean;
  /** The corrected axes (a new array; the input is not modified). */
  correct(axes: readonly AcquisitionAxis[]): AcquisitionAxis[];
}

/** A caveat that applies to one acquisition, ready to show. */
export interface CaveatWarning {
  /** The caveat's id. */
  id: string;
  /** The caveat's title. */
  title: string;
  /** The full warning for this acquisition, one paragraph. */
  message: string;
  /** The option that applies the correction. */
  flag: string;
  /** Where this is documented. */
  sources: readonly CaveatSource[];
}

/** Options for {@linkcode checkAindCaveats} and {@linkcode applyAindCaveats}. */
export interface CheckCaveatsOptions {
  /** The asset (or its name) the acquisition belongs to, for its platform and, failing the metadata, its date. */
  asset?: Asset | string;
  /** The table to check. @default {AIND_CAVEATS} */
  caveats?: readonly AindCaveat[];
}

function flipY(axes: readonly AcquisitionAxis[]): AcquisitionAxis[] {
  return axes.map((axis) =>
    axis.dimension === 1
      ? {
        ...axis,
        direction: { from: axis.direction.to, to: axis.direction.from },
        rawDirection: `${axis.direction.to[0].toUpperCase()}${
          axis.direction.to.slice(1)
        }_to_${axis.direction.from}`,
      }
      : { ...axis }
  );
}

/**
 * The table of known AIND metadata caveats. Each entry cites its sources;
 * where no source states the whole rule, the entry says so.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { AIND_CAVEATS } from "@spimfetch/spimfetch/metadata";
 * assert(AIND_CAVEATS.every((caveat) => caveat.sources.length > 0));
 * ```
 */
export const AIND_CAVEATS: readonly AindCaveat[] = [
  {
    id: "smartspim-2022-2023-y-posterior-to-anterior",
    title: "SmartSPIM 2022-2023: Y recorded as Posterior_to_anterior",
    description:
      "SmartSPIM acquisitions recorded in 2022-2023 with Y (Zarr dimension 1) Posterior_to_anterior " +
      "are mislabelled: the true direction is Anterior_to_posterior. AIND's CCF registration code " +
      "overrides exactly this recorded pattern.",
    correction:
      "flip Y's recorded direction (Posterior_to_anterior becomes Anterior_to_posterior) before orienting",
    flag: "--aind-orientation-fix",
    sources: [
      {
        url:
          "https://github.com/AllenNeuralDynamics/aind-ccf-registration/commit/cd636b1761f41aeb7e9ad898ccbdc1604003cb02",
        repository: "AllenNeuralDynamics/aind-ccf-registration",
        path: "code/aind_ccf_reg/utils.py",
        commit: "cd636b1761f41aeb7e9ad898ccbdc1604003cb02",
        note:
          'check_orientation(), added 2023-12-31 ("Orientation Check"): "check because there was a bug that ' +
          "allowed for invalid spl orientation / all vals should be postitive so just taking absolute value of " +
          'matrix". "spl" is the recorded Superior_to_inferior, Posterior_to_anterior, Left_to_right; with that ' +
          "commit's CCF axes (left_to_right, superior_to_inferior, anterior_to_posterior) the absolute value " +
          "reads Y as Anterior_to_posterior. Still present at 89ddec16 (line 222). Note: the rule there has no " +
          "date range, and since 2024-06 the code maps X to right_to_left, so abs() also overrides X there.",
      },
      {
        url:
          "https://github.com/AllenNeuralDynamics/aind-ccf-registration/blob/89ddec16feb2e61c5a8b4ce254944ab0e556eb54/code/aind_ccf_reg/utils.py#L222",
        repository: "AllenNeuralDynamics/aind-ccf-registration",
        path: "code/aind_ccf_reg/utils.py",
        commit: "89ddec16feb2e61c5a8b4ce254944ab0e556eb54",
        note: "No AIND statement giving the 2022-2023 date range was found (searched aind-data-schema, " +
          "aind-smartspim-pipeline, aind-ccf-registration, aind-zarr-utils code, issues and docs); the " +
          "date range comes from spimfetch issue 6. Until AIND confirms it, the correction stays opt-in.",
      },
    ],
    matches: ({ acquisition, acquiredOn, platform }) => {
      const year = acquiredOn ? Number(acquiredOn.slice(0, 4)) : undefined;
      const y = acquisition.axes.find((axis) => axis.dimension === 1);
      return (platform === undefined || platform === "SmartSPIM") && (year === 2022 || year === 2023) &&
        y?.direction.from === "posterior" && y.direction.to === "anterior";
    },
    correct: flipY,
  },
];

/**
 * The acquisition date, `YYYY-MM-DD`: from `session_start_time` (schema
 * 0.x-1.x) or `acquisition_start_time` (2.x), else from the asset name.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { acquisitionDate } from "@spimfetch/spimfetch/metadata";
 * const acquisition = { schemaVersion: "0.4.3", subjectId: "652506", axes: [], raw: {} };
 * assertEquals(acquisitionDate(acquisition, "SmartSPIM_652506_2023-01-09_10-18-12"), "2023-01-09");
 * assertEquals(acquisitionDate({ ...acquisition, raw: { session_start_time: "2022-06-07T10:54:05" } }), "2022-06-07");
 * ```
 * @param acquisition The parsed acquisition.
 * @param asset The asset or its name, for the fallback.
 * @returns The date, or undefined when neither gives one.
 */
export function acquisitionDate(acquisition: Acquisition, asset?: Asset | string): string | undefined {
  const raw = acquisition.raw as Record<string, unknown> | null;
  for (const key of ["session_start_time", "acquisition_start_time"]) {
    const value = raw && typeof raw === "object" ? raw[key] : undefined;
    const match = typeof value === "string" ? /^(\d{4}-\d{2}-\d{2})/.exec(value) : null;
    if (match) return match[1];
  }
  const parsed = typeof asset === "string" ? parseAssetName(asset) : asset;
  return parsed?.acquiredAt.slice(0, 10);
}

function contextOf(acquisition: Acquisition, options: CheckCaveatsOptions): CaveatContext {
  const asset = typeof options.asset === "string" ? parseAssetName(options.asset) : options.asset;
  return { acquisition, acquiredOn: acquisitionDate(acquisition, asset), platform: asset?.platform };
}

/**
 * The caveats that apply to an acquisition, as warnings to show. Nothing is
 * changed; see {@linkcode applyAindCaveats}.
 *
 * @example The reference acquisition (2023, Y Posterior_to_anterior) is affected
 * ```ts
 * import { assertEquals, assertStringIncludes } from "@std/assert";
 * import { checkAindCaveats } from "@spimfetch/spimfetch";
 * import { parseAcquisition } from "@spimfetch/spimfetch/metadata";
 * const acquisition = parseAcquisition({ axes: [
 *   { name: "X", dimension: 2, direction: "Left_to_right" },
 *   { name: "Y", dimension: 1, direction: "Posterior_to_anterior" },
 *   { name: "Z", dimension: 0, direction: "Superior_to_inferior" },
 * ] }, { source: "acquisition.json" });
 * const warnings = checkAindCaveats(acquisition, { asset: "SmartSPIM_652506_2023-01-09_10-18-12" });
 * assertEquals(warnings.map((w) => w.id), ["smartspim-2022-2023-y-posterior-to-anterior"]);
 * assertStringIncludes(warnings[0].message, "--aind-orientation-fix");
 * ```
 * @param acquisition The parsed acquisition.
 * @param options The asset, and the table to check.
 * @returns One warning per matching caveat, in table order.
 */
export function checkAindCaveats(
  acquisition: Acquisition,
  options: CheckCaveatsOptions = {},
): CaveatWarning[] {
  options = checkOptions(options, CHECK_CAVEATS_OPTION_KEYS, "checkAindCaveats()");
  const context = contextOf(acquisition, options);
  return (options.caveats ?? AIND_CAVEATS).filter((caveat) => caveat.matches(context)).map((caveat) => ({
    id: caveat.id,
    title: caveat.title,
    flag: caveat.flag,
    sources: caveat.sources,
    message:
      `${caveat.title} (acquired ${context.acquiredOn ?? "on an unknown date"}). ${caveat.description} ` +
      `Output follows the recorded metadata; pass ${caveat.flag} to ${caveat.correction}. ` +
      `Source: ${caveat.sources[0].url}`,
  }));
}

/** What {@linkcode applyAindCaveats} did. */
export interface AppliedCaveats {
  /** The acquisition with corrected axes (the input itself when nothing applied). */
  acquisition: Acquisition;
  /** The caveats applied, as warnings. */
  applied: CaveatWarning[];
}

/** The keys of {@linkcode CheckCaveatsOptions}, checked at run time. */
const CHECK_CAVEATS_OPTION_KEYS: OptionKeys<CheckCaveatsOptions> = {
  asset: true,
  caveats: true,
};

/**
 * Applies the corrections of every caveat that matches an acquisition: the
 * explicit opt-in behind `--aind-orientation-fix`.
 *
 * @example Flip the reference acquisition's Y
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { applyAindCaveats } from "@spimfetch/spimfetch/metadata";
 * import { parseAcquisition } from "@spimfetch/spimfetch/metadata";
 * const recorded = parseAcquisition({ session_start_time: "2023-01-09T10:18:12", axes: [
 *   { name: "X", dimension: 2, direction: "Left_to_right" },
 *   { name: "Y", dimension: 1, direction: "Posterior_to_anterior" },
 *   { name: "Z", dimension: 0, direction: "Superior_to_inferior" },
 * ] }, { source: "acquisition.json" });
 * const { acquisition, applied } = applyAindCaveats(recorded);
 * assertEquals(applied.length, 1);
 * assertEquals(acquisition.axes[1].rawDirection, "Anterior_to_posterior");
 * assertEquals(recorded.axes[1].rawDirection, "Posterior_to_anterior");
 * ```
 * @param acquisition The parsed acquisition (not modified).
 * @param options The asset, and the table to apply.
 * @returns The corrected acquisition and the caveats applied.
 */
export function applyAindCaveats(
  acquisition: Acquisition,
  options: CheckCaveatsOptions = {},
): AppliedCaveats {
  options = checkOptions(options, CHECK_CAVEATS_OPTION_KEYS, "applyAindCaveats()");
  const warnings = checkAindCaveats(acquisition, options);
  const table = options.caveats ?? AIND_CAVEATS;
  let axes = acquisition.axes;
  for (const warning of warnings) axes = table.find((caveat) => caveat.id === warning.id)!.correct(axes);
  return { acquisition: warnings.length ? { ...acquisition, axes } : acquisition, applied: warnings };
}
