/**
 * AIND's registration code and "spl" acquisitions.
 *
 * `aind-smartspim-ccf-registration` (`code/aind_ccf_reg/utils.py`,
 * `check_orientation()`) reorients the level it registers to the template's
 * axes from the acquisition's axes; when the first letters of the recorded
 * directions, by Zarr dimension, spell "spl" (Superior_to_inferior,
 * Posterior_to_anterior, Left_to_right) it takes the absolute value of the
 * orientation matrix ("there was a bug that allowed for invalid spl
 * orientation"): every axis is then read as running the template's way. With
 * the template orientations recent capsules record (`right_to_left: 0,
 * anterior_to_posterior: 1, superior_to_inferior: 2`), Y is read as
 * Anterior_to_posterior and X as Right_to_left. `aind-zarr-utils` has no such
 * rule, so by default spimfetch follows the recorded axes and warns.
 *
 * @module
 */
import { type AcquisitionAxis, parseAnatomicalDirection } from "../metadata/acquisition.ts";

/** The template orientations recorded by the capsules we have seen (747806, 784354, 805110, 839153). */
export const RECENT_TEMPLATE_ORIENTATIONS: Readonly<Record<string, number>> = {
  right_to_left: 0,
  anterior_to_posterior: 1,
  superior_to_inferior: 2,
};

/**
 * Whether the recorded axes spell "spl" by dimension, the pattern AIND's registration code overrides.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { parseAcquisition } from "../metadata/acquisition.ts";
 * import { isSplAcquisition } from "./spl_acquisition.ts";
 * const { axes } = parseAcquisition({ axes: [
 *   { name: "X", dimension: 2, direction: "Left_to_right" },
 *   { name: "Y", dimension: 1, direction: "Posterior_to_anterior" },
 *   { name: "Z", dimension: 0, direction: "Superior_to_inferior" },
 * ] }, { source: "acquisition.json" });
 * assert(isSplAcquisition(axes));
 * ```
 * @param axes The acquisition axes.
 * @returns True for "spl".
 */
export function isSplAcquisition(axes: readonly AcquisitionAxis[]): boolean {
  const letters = [0, 1, 2].map((d) =>
    axes.find((a) => a.dimension === d)?.rawDirection.trim()[0]?.toLowerCase()
  );
  return letters.join("") === "spl";
}

/**
 * The axes as AIND's registration code read an "spl" acquisition: each
 * dimension running the way of the template axis on its anatomical line.
 *
 * @param axes The recorded axes ("spl").
 * @param templateOrientations The capsule's template orientations.
 * @returns The axes with their directions replaced.
 * @throws {RangeError} If the template orientations do not cover the three anatomical lines.
 */
export function axesAsRegistered(
  axes: readonly AcquisitionAxis[],
  templateOrientations: Readonly<Record<string, number>>,
): AcquisitionAxis[] {
  const keys = Object.keys(templateOrientations).map((k) => ({
    key: k,
    direction: parseAnatomicalDirection(k),
  }));
  return axes.map((axis) => {
    const line = (t: string): string =>
      ({ left: "x", right: "x", anterior: "y", posterior: "y" } as Record<string, string>)[t] ?? "z";
    const match = keys.find((k) => k.direction && line(k.direction.to) === line(axis.direction.to));
    if (!match?.direction) {
      throw new RangeError(
        `Cannot read axis ${axis.name} the way AIND's registration did: the template orientations ` +
          `${JSON.stringify(templateOrientations)} have no axis along its line`,
      );
    }
    const raw = match.key[0].toUpperCase() + match.key.slice(1).toLowerCase();
    return { ...axis, direction: match.direction, rawDirection: raw };
  });
}
