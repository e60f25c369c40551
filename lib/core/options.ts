/**
 * Options objects checked at run time: scripts and notebooks run without type checks, and a misspelt or
 * renamed option (`readLevel(source, 2, { region })` for `roi`) would otherwise be ignored in silence and
 * read the whole level. Every public entry function taking options checks them once, with the keys its
 * options type declares, and passes the checked object on: what it forwards inside the library carries a
 * mark, so the functions it calls do not check (and reject) each other's options again.
 *
 * @module
 */
import { closestName } from "./did_you_mean.ts";

/** Every key of an options type, as an object whose keys the compiler checks against the type. */
export type OptionKeys<T> = { readonly [K in keyof Required<T>]: true };

/** Marks an options object spimfetch has checked; spreading the object keeps the mark. */
const CHECKED: unique symbol = Symbol("spimfetch.checkedOptions");

/**
 * Marks options a library function passes on without having checked them itself (its own options are a
 * superset of the callee's), so that the callee does not reject the keys that belong to the caller.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { checkOptions, forwardOptions } from "./options.ts";
 * // An export's options, passed on to a reader that knows only `roi`.
 * const forwarded: { roi?: number[] } = forwardOptions({ roi: [0, 4], out: "a.nii" });
 * assertEquals(checkOptions(forwarded, { roi: true }, "readLevel()").roi, [0, 4]);
 * ```
 * @param options The caller's options.
 * @returns A copy carrying the mark.
 */
export function forwardOptions<T extends object>(options: T): T {
  return { ...options, [CHECKED]: true };
}

/**
 * Checks an options object's keys at run time.
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { checkOptions } from "./options.ts";
 * interface Options { roi?: [number, number]; signal?: AbortSignal }
 * const KEYS = { roi: true, signal: true } as const;
 * assertEquals(checkOptions<Options>({ roi: [0, 4] }, KEYS, "readLevel()").roi, [0, 4]);
 * assertThrows(
 *   () => checkOptions<Options>({ rio: [0, 4] } as Options, KEYS, "readLevel()"),
 *   TypeError,
 *   'readLevel() has no option "rio": did you mean "roi"?',
 * );
 * ```
 * @param options What the caller passed (`undefined` for none).
 * @param known The keys the options type declares.
 * @param where The function, for the message, e.g. `readLevel()`.
 * @param renamed Earlier names of options, each with its name now (`{ region: "roi" }`).
 * @returns The options, marked as checked: pass this object (or a spread of it) on.
 * @throws {TypeError} If the options are not an object, or have a key the type does not declare.
 */
export function checkOptions<T extends object>(
  options: T | undefined,
  known: OptionKeys<T>,
  where: string,
  renamed: Readonly<Record<string, string>> = {},
): T {
  if (options === undefined) return { [CHECKED]: true } as T;
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(
      `${where} takes an options object, got ${Array.isArray(options) ? "an array" : options}`,
    );
  }
  if ((options as Record<symbol, unknown>)[CHECKED]) return options;
  const names = Object.keys(known);
  for (const key of Object.keys(options)) {
    if (Object.hasOwn(known, key) || (options as Record<string, unknown>)[key] === undefined) continue;
    const now = renamed[key];
    const meant = now ?? closestName(key, names);
    throw new TypeError(
      `${where} has no option "${key}"` +
        (now ? `: it is called "${now}" now` : meant ? `: did you mean "${meant}"?` : "") +
        ` (its options: ${names.join(", ")})`,
    );
  }
  return { ...options, [CHECKED]: true };
}
