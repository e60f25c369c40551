// Over 400 lines on purpose: one job (orientation codes in five conventions), and about half the file is
// the conventions table and runnable examples that document it; the code itself is about 220 lines.
/**
 * Orientation names in every convention spimfetch meets, and conversion
 * between them. Tools disagree on what three letters mean; this module holds
 * one meaning internally and spells it each tool's way.
 *
 * ## The one internal representation
 *
 * {@linkcode AnatomicalAxes}: for each index axis in ITK/NIfTI order
 * (i, j, k = x, y, z, x fastest in memory), the anatomical direction toward
 * which the index *increases*. The reference acquisition (Zarr dimension 2
 * `Left_to_right`, 1 `Posterior_to_anterior`, 0 `Superior_to_inferior`) is
 * `["right", "anterior", "inferior"]`; the Allen CCF template in NIfTI form
 * is `["posterior", "inferior", "right"]`.
 *
 * ## The conventions
 *
 * | convention | letters or words name | axis order | reference data | Allen CCF (PIR) |
 * |---|---|---|---|---|
 * | `nibabel` (`nib.aff2axcodes`, FSL-style "to") | where the index increases **to** | i, j, k | `RAI` | `PIR` |
 * | `itk` (legacy `SpatialOrientation`, ITK 5.4 `NegativeEnum`) | where the index comes **from** | i, j, k | `LPS` | `ASL` |
 * | `brainglobe` (brainglobe-space "origin") | where index **0 lies** | NumPy order of the C-order array: k, j, i (plane, row, column) | `spl` | `lsa` |
 * | `aind` (`acquisition.json` `direction`) | `From_to_to` per axis | Zarr dimension 0, 1, 2 = k, j, i | `Superior_to_inferior`, `Posterior_to_anterior`, `Left_to_right` | `Left_to_right`, `Superior_to_inferior`, `Anterior_to_posterior` |
 * | `ngff` (OME-NGFF RFC-4 `orientation.value`) | `from-to-to` per axis | NGFF `axes` order (z, y, x) = k, j, i | `superior-to-inferior`, `posterior-to-anterior`, `left-to-right` | `left-to-right`, `superior-to-inferior`, `anterior-to-posterior` |
 *
 * Worked example, the reference acquisition: its x index runs left to right,
 * so nibabel writes `R` for it (it points to the right), ITK's legacy code
 * writes `L` (it comes from the left), and BrainGlobe, which lists the axes
 * slowest first, puts `l` last (index 0 is at the left). Its z index runs
 * superior to inferior: nibabel `I`, ITK `S`, BrainGlobe `s` first. Hence
 * `RAI` = ITK `LPS` = BrainGlobe `spl`. ITK's own `RAI` is therefore
 * nibabel's `LPS`: ITK's identity direction.
 *
 * Sources: nibabel's `aff2axcodes` ("labels for positive end of axis");
 * ITK's `itkAnatomicalOrientation.h` (`PositiveEnum` "based on the positive
 * or 'To' direction", `NegativeEnum` "based on the negative or 'From'
 * direction", the legacy `ITK_COORDINATE_ORIENTATION_*` values); the
 * brainglobe-space README ("give the directions of the stack origin
 * position ... First dimension is the one that you are slicing, the second
 * the height of the image, and the third the width"); AIND's
 * `aind-data-schema` `Direction` values; OME-NGFF RFC-4
 * (https://ngff.openmicroscopy.org/rfc/4/: values "specify the direction from
 * lowest to highest coordinates along the axis").
 *
 * BrainGlobe and NGFF name axes in array order. Here that is the order of
 * spimfetch's C-order (z, y, x) volumes, which is also the order NumPy,
 * tifffile and zarr-python show for the same data; a NumPy array loaded
 * from a NIfTI file by nibabel is indexed (i, j, k) instead, so read its
 * BrainGlobe code in reverse.
 *
 * RFC-4 also allows the quadruped words: for a brain in its standard
 * position {@linkcode parseOrientation} reads `dorsal` as superior,
 * `ventral` as inferior, `rostral` and `cranial` as anterior, `caudal` as
 * posterior. Output always uses the biped words AIND uses.
 *
 * @module
 */
import type { AcquisitionAxis, AnatomicalTerm } from "../metadata/acquisition.ts";
import { parseAnatomicalDirection } from "../metadata/acquisition.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/**
 * An orientation: for each index axis in ITK/NIfTI order (i, j, k), the
 * anatomical direction toward which the index increases. One term from each
 * anatomical line (left-right, anterior-posterior, superior-inferior).
 */
export type AnatomicalAxes = readonly [AnatomicalTerm, AnatomicalTerm, AnatomicalTerm];

/** The naming conventions of {@linkcode parseOrientation} and {@linkcode orientationCode}. */
export type OrientationConvention = "nibabel" | "itk" | "brainglobe" | "aind" | "ngff";

/** What {@linkcode orientationCode} returns for a convention: three letters, or one word per axis. */
export type OrientationCodeOf<C extends OrientationConvention> = C extends "aind" | "ngff" ? string[]
  : string;

/** An orientation in every convention, as {@linkcode orientationCodes} gives it. */
export interface OrientationCodes {
  /** nibabel "to" letters, index order i, j, k, e.g. `RAI`. */
  nibabel: string;
  /** ITK legacy "from" letters, index order i, j, k, e.g. `LPS`. */
  itk: string;
  /** ITK's legacy enum value (`ITK_COORDINATE_ORIENTATION_*`, ITK 5.4 `NegativeEnum`) of {@linkcode itk}. */
  itkEnum: number;
  /** BrainGlobe origin letters, array order k, j, i, e.g. `spl`. */
  brainglobe: string;
  /** AIND directions by Zarr dimension 0, 1, 2, e.g. `["Superior_to_inferior", ...]`. */
  aind: string[];
  /** OME-NGFF RFC-4 values in NGFF axes order (z, y, x), e.g. `["superior-to-inferior", ...]`. */
  ngff: string[];
}

/** An RFC-4 orientation object as it appears on an NGFF axis. */
export interface NgffOrientation {
  /** Always `anatomical` for the values this module knows. */
  type: string;
  /** E.g. `left-to-right`. */
  value: string;
}

/** nibabel's letter of each anatomical term (where an axis points): `R`, `L`, `A`, `P`, `S`, `I`. */
export const LETTER: Readonly<Record<AnatomicalTerm, string>> = {
  right: "R",
  left: "L",
  anterior: "A",
  posterior: "P",
  superior: "S",
  inferior: "I",
};
const TERM_OF_LETTER: Readonly<Record<string, AnatomicalTerm>> = {
  R: "right",
  L: "left",
  A: "anterior",
  P: "posterior",
  S: "superior",
  I: "inferior",
};
const OPPOSITE: Readonly<Record<AnatomicalTerm, AnatomicalTerm>> = {
  right: "left",
  left: "right",
  anterior: "posterior",
  posterior: "anterior",
  superior: "inferior",
  inferior: "superior",
};
const LINE: Readonly<Record<AnatomicalTerm, number>> = {
  left: 0,
  right: 0,
  anterior: 1,
  posterior: 1,
  superior: 2,
  inferior: 2,
};
const LINE_NAMES = ["left-right", "anterior-posterior", "superior-inferior"];
// ITK's CoordinateEnum numbers, keyed by the "from" term (RightToLeft = 2, as legacy ITK_COORDINATE_Right).
const ITK_FROM_NUMBER: Readonly<Record<AnatomicalTerm, number>> = {
  right: 2,
  left: 3,
  posterior: 4,
  anterior: 5,
  inferior: 8,
  superior: 9,
};
// RFC-4's quadruped words, read for a brain in its standard position.
const NGFF_SYNONYMS: Readonly<Record<string, AnatomicalTerm>> = {
  dorsal: "superior",
  ventral: "inferior",
  rostral: "anterior",
  cranial: "anterior",
  caudal: "posterior",
};
const CONVENTIONS: readonly OrientationConvention[] = ["nibabel", "itk", "brainglobe", "aind", "ngff"];

/**
 * The opposite end of an anatomical line.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { oppositeTerm } from "@spimfetch/spimfetch/orient";
 * assertEquals(oppositeTerm("anterior"), "posterior");
 * ```
 * @param term A direction.
 * @returns The direction opposite to it.
 */
export function oppositeTerm(term: AnatomicalTerm): AnatomicalTerm {
  return OPPOSITE[term];
}

/**
 * Checks that three directions cover each anatomical line once
 * (tested through {@linkcode parseOrientation}).
 *
 * @param terms Three directions, index order i, j, k.
 * @param what The text they came from, for the message.
 * @returns The same directions, typed as {@linkcode AnatomicalAxes}.
 * @throws {SyntaxError} If there are not three, or two lie on the same line.
 */
function checkAnatomicalAxes(terms: readonly AnatomicalTerm[], what: string): AnatomicalAxes {
  if (terms.length !== 3) {
    throw new SyntaxError(`Cannot parse orientation "${what}": expected 3 axes, got ${terms.length}`);
  }
  for (let a = 0; a < 3; a++) {
    for (let b = a + 1; b < 3; b++) {
      if (LINE[terms[a]] === LINE[terms[b]]) {
        throw new SyntaxError(
          `Cannot parse orientation "${what}": ${terms[a]} and ${terms[b]} both lie on the ${
            LINE_NAMES[LINE[terms[a]]]
          } line; expected one axis along each of left-right, anterior-posterior, superior-inferior`,
        );
      }
    }
  }
  return [terms[0], terms[1], terms[2]];
}

function letters(value: string, convention: OrientationConvention): AnatomicalTerm[] {
  const text = value.trim();
  if (!/^[RLAPSI]{3}$/i.test(text)) {
    throw new SyntaxError(
      `Cannot parse ${convention} orientation "${value}": expected three of the letters R/L, A/P, S/I, e.g. ${
        convention === "brainglobe" ? '"asr"' : '"RAS"'
      }`,
    );
  }
  return Array.from(text.toUpperCase(), (ch) => TERM_OF_LETTER[ch]);
}

function words(value: string | readonly (string | NgffOrientation)[], convention: "aind" | "ngff"): string[] {
  const list = typeof value === "string" ? value.split(/[\s,]+/).filter((w) => w !== "") : [...value];
  return list.map((entry) => {
    if (typeof entry === "string") return entry;
    if (entry && typeof entry === "object" && typeof entry.value === "string") {
      if (entry.type !== "anatomical") {
        throw new SyntaxError(
          `Cannot parse ${convention} orientation: type "${entry.type}" is not "anatomical"`,
        );
      }
      return entry.value;
    }
    throw new SyntaxError(
      `Cannot parse ${convention} orientation: ${JSON.stringify(entry)} is not a direction`,
    );
  });
}

function direction(word: string, convention: "aind" | "ngff"): { from: AnatomicalTerm; to: AnatomicalTerm } {
  const text = convention === "ngff"
    ? word.trim().toLowerCase().split("-to-").map((p) =>
      Object.hasOwn(NGFF_SYNONYMS, p) ? NGFF_SYNONYMS[p] : p
    )
      .join("-to-")
    : word;
  const parsed = parseAnatomicalDirection(text);
  if (!parsed) {
    const example = convention === "aind" ? "Left_to_right" : "left-to-right";
    throw new SyntaxError(
      `Cannot parse ${convention} orientation: "${word}" is not a direction such as "${example}"`,
    );
  }
  return parsed;
}

/**
 * Parses an orientation written in any convention (see the module
 * documentation for what each one means).
 *
 * @example The reference acquisition, five ways
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseOrientation } from "@spimfetch/spimfetch";
 * const expected = ["right", "anterior", "inferior"];
 * assertEquals(parseOrientation("RAI", "nibabel"), expected);
 * assertEquals(parseOrientation("LPS", "itk"), expected);
 * assertEquals(parseOrientation("spl", "brainglobe"), expected);
 * assertEquals(parseOrientation(["Superior_to_inferior", "Posterior_to_anterior", "Left_to_right"], "aind"), expected);
 * assertEquals(parseOrientation("superior-to-inferior, posterior-to-anterior, left-to-right", "ngff"), expected);
 * ```
 * @param value Three letters (`nibabel`, `itk`, `brainglobe`; any case), or three directions (`aind`,
 * `ngff`) as a list or one string separated by commas or spaces; `ngff` also takes RFC-4 objects
 * `{ type: "anatomical", value }`.
 * @param convention How to read it.
 * @returns The orientation, index order i, j, k.
 * @throws {SyntaxError} If the value is not three directions, or two lie on the same anatomical line.
 * @throws {TypeError} If the convention is unknown.
 */
export function parseOrientation(
  value: string | readonly (string | NgffOrientation)[],
  convention: OrientationConvention,
): AnatomicalAxes {
  const what = typeof value === "string" ? value : JSON.stringify(value);
  switch (convention) {
    case "nibabel":
      return checkAnatomicalAxes(letters(String(value), convention), what);
    case "itk":
      return checkAnatomicalAxes(letters(String(value), convention).map((t) => OPPOSITE[t]), what);
    case "brainglobe":
      return checkAnatomicalAxes(letters(String(value), convention).map((t) => OPPOSITE[t]).reverse(), what);
    case "aind":
    case "ngff":
      return checkAnatomicalAxes(
        words(value, convention).map((w) => direction(w, convention).to).reverse(),
        what,
      );
    default:
      throw new TypeError(
        `Unknown orientation convention "${convention}": expected one of ${CONVENTIONS.join(", ")}`,
      );
  }
}

function titleCase(term: string): string {
  return term[0].toUpperCase() + term.slice(1);
}

/**
 * Writes an orientation in one convention.
 *
 * @example The Allen CCF template (PIR)
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { orientationCode } from "@spimfetch/spimfetch/orient";
 * const ccf = ["posterior", "inferior", "right"] as const;
 * assertEquals(orientationCode(ccf, "itk"), "ASL");
 * assertEquals(orientationCode(ccf, "brainglobe"), "lsa");
 * assertEquals(orientationCode(ccf, "aind"), ["Left_to_right", "Superior_to_inferior", "Anterior_to_posterior"]);
 * ```
 * @param axes The orientation, index order i, j, k.
 * @param convention How to write it.
 * @returns Three letters, or (`aind`, `ngff`) one direction per axis in array order (k, j, i).
 * @throws {TypeError} If the convention is unknown.
 */
export function orientationCode<C extends OrientationConvention>(
  axes: AnatomicalAxes,
  convention: C,
): OrientationCodeOf<C> {
  const reversed = [...axes].reverse();
  let code: string | string[];
  switch (convention as OrientationConvention) {
    case "nibabel":
      code = axes.map((t) => LETTER[t]).join("");
      break;
    case "itk":
      code = axes.map((t) => LETTER[OPPOSITE[t]]).join("");
      break;
    case "brainglobe":
      code = reversed.map((t) => LETTER[OPPOSITE[t]].toLowerCase()).join("");
      break;
    case "aind":
      code = reversed.map((t) => `${titleCase(OPPOSITE[t])}_to_${t}`);
      break;
    case "ngff":
      code = reversed.map((t) => `${OPPOSITE[t]}-to-${t}`);
      break;
    default:
      throw new TypeError(
        `Unknown orientation convention "${convention}": expected one of ${CONVENTIONS.join(", ")}`,
      );
  }
  return code as OrientationCodeOf<C>;
}

/**
 * An orientation in every convention at once, plus ITK's legacy enum number.
 *
 * @example The reference acquisition
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { orientationCodes } from "@spimfetch/spimfetch/orient";
 * const codes = orientationCodes(["right", "anterior", "inferior"]);
 * assertEquals([codes.nibabel, codes.itk, codes.brainglobe], ["RAI", "LPS", "spl"]);
 * // ITK_COORDINATE_ORIENTATION_LPS; the reference notebook's 525570 is ITK's RAI, i.e. nibabel's LPS.
 * assertEquals(codes.itkEnum, 3 + (4 << 8) + (9 << 16));
 * ```
 * @param axes The orientation, index order i, j, k.
 * @returns Its codes.
 */
export function orientationCodes(axes: AnatomicalAxes): OrientationCodes {
  return {
    nibabel: orientationCode(axes, "nibabel"),
    itk: orientationCode(axes, "itk"),
    itkEnum: axes.reduce((code, t, j) => code + (ITK_FROM_NUMBER[OPPOSITE[t]] << (8 * j)), 0),
    brainglobe: orientationCode(axes, "brainglobe"),
    aind: orientationCode(axes, "aind"),
    ngff: orientationCode(axes, "ngff"),
  };
}

/** Options for {@linkcode convertOrientation}. */
export interface ConvertOrientationOptions<C extends OrientationConvention> {
  /** The convention the value is written in. */
  from: OrientationConvention;
  /** The convention to write it in. */
  to: C;
}

/** The keys of `convertOrientation()`'s options, checked at run time. */
const CONVERT_ORIENTATION_OPTION_KEYS: OptionKeys<ConvertOrientationOptions<OrientationConvention>> = {
  from: true,
  to: true,
};

/**
 * Rewrites an orientation from one convention in another.
 *
 * @example BrainGlobe's "asr" in nibabel's letters
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { convertOrientation } from "@spimfetch/spimfetch/orient";
 * // An array in C order (z, y, x) whose first voxel is anterior, superior, right:
 * // x points left, y inferior, z posterior.
 * assertEquals(convertOrientation("asr", { from: "brainglobe", to: "nibabel" }), "LIP");
 * assertEquals(convertOrientation("RAI", { from: "itk", to: "nibabel" }), "LPS");
 * ```
 * @param value The orientation, as {@linkcode parseOrientation} takes it.
 * @param options The two conventions.
 * @returns The orientation as {@linkcode orientationCode} writes it.
 * @throws {SyntaxError} If the value cannot be parsed in the `from` convention.
 * @throws {TypeError} If a convention is unknown.
 */
export function convertOrientation<C extends OrientationConvention>(
  value: string | readonly (string | NgffOrientation)[],
  options: ConvertOrientationOptions<C>,
): OrientationCodeOf<C> {
  options = checkOptions<ConvertOrientationOptions<C>>(
    options,
    CONVERT_ORIENTATION_OPTION_KEYS,
    "convertOrientation()",
  );
  return orientationCode(parseOrientation(value, options.from), options.to);
}

/**
 * The orientation an AIND acquisition records: each ITK index axis `j` takes
 * the "to" term of the axis whose Zarr `dimension` is `2 − j`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { orientationOfAcquisition } from "@spimfetch/spimfetch/orient";
 * import { parseAcquisition } from "@spimfetch/spimfetch/metadata";
 * const { axes } = parseAcquisition({ axes: [
 *   { name: "X", dimension: 2, direction: "Left_to_right" },
 *   { name: "Y", dimension: 1, direction: "Posterior_to_anterior" },
 *   { name: "Z", dimension: 0, direction: "Superior_to_inferior" },
 * ] }, { source: "acquisition.json" });
 * assertEquals(orientationOfAcquisition(axes), ["right", "anterior", "inferior"]);
 * ```
 * @param axes The acquisition's three axes, any order, as {@linkcode parseAcquisition} gives them.
 * @returns The orientation, index order i, j, k.
 * @throws {SyntaxError} If the axes do not give one direction per Zarr dimension and anatomical line.
 */
export function orientationOfAcquisition(axes: readonly AcquisitionAxis[]): AnatomicalAxes {
  const byDimension = [2, 1, 0].map((d) => axes.filter((a) => a.dimension === d));
  const what = axes.map((a) => `${a.dimension}: ${a.rawDirection}`).join(", ");
  if (byDimension.some((found) => found.length !== 1)) {
    throw new SyntaxError(`Cannot parse orientation "${what}": expected one axis per Zarr dimension 0, 1, 2`);
  }
  return checkAnatomicalAxes(byDimension.map((found) => found[0].direction.to), what);
}
