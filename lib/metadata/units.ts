/**
 * OME-NGFF length units and their conversion to millimetres.
 *
 * @module
 */

/** Millimetres per unit, for every length unit OME-NGFF 0.4/0.5 allows. */
const MM_PER_UNIT: Readonly<Record<string, number>> = {
  yoctometer: 1e-21,
  zeptometer: 1e-18,
  attometer: 1e-15,
  femtometer: 1e-12,
  picometer: 1e-9,
  angstrom: 1e-7,
  nanometer: 1e-6,
  micrometer: 1e-3,
  millimeter: 1,
  centimeter: 10,
  decimeter: 100,
  meter: 1e3,
  hectometer: 1e5,
  kilometer: 1e6,
  megameter: 1e9,
  gigameter: 1e12,
  terameter: 1e15,
  petameter: 1e18,
  exameter: 1e21,
  zettameter: 1e24,
  yottameter: 1e27,
  inch: 25.4,
  foot: 304.8,
  yard: 914.4,
  mile: 1609344,
  parsec: 3.0856775814913673e19,
};

/** Abbreviations seen in the wild (not NGFF names, but unambiguous). */
const ALIASES: Readonly<Record<string, string>> = {
  nm: "nanometer",
  um: "micrometer",
  "µm": "micrometer",
  "μm": "micrometer",
  micron: "micrometer",
  microns: "micrometer",
  mm: "millimeter",
  cm: "centimeter",
  m: "meter",
};

/** The NGFF length unit names, for messages. */
export const LENGTH_UNITS: readonly string[] = Object.keys(MM_PER_UNIT);

/**
 * Millimetres in one `unit`, or `undefined` if `unit` is not a length unit.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { millimetersPerUnit } from "@spimfetch/spimfetch/metadata";
 * assert(millimetersPerUnit("micrometer") === 1e-3);
 * assert(millimetersPerUnit("um") === 1e-3);
 * assert(millimetersPerUnit("second") === undefined);
 * ```
 * @param unit An NGFF unit name (`micrometer`) or a common abbreviation (`um`, `µm`).
 * @returns The factor, or `undefined`.
 */
export function millimetersPerUnit(unit: string): number | undefined {
  const name = ALIASES[unit] ?? unit.toLowerCase();
  return Object.hasOwn(MM_PER_UNIT, name) ? MM_PER_UNIT[name] : undefined;
}
