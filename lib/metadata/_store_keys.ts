/**
 * Wrapping a store so that the keys zarrita derives from array metadata
 * cannot reach outside the image.
 *
 * @module
 */
import { MetadataError } from "../core/errors.ts";
import { isContainedKey } from "../core/names.ts";
import { escapeControl } from "../core/text.ts";

/**
 * Wraps a store so that a key that could reach outside the image (see
 * {@linkcode isContainedKey}) is refused instead of fetched.
 *
 * @example
 * ```ts
 * import { assertRejects } from "@std/assert";
 * import { guardStoreKeys } from "./_store_keys.ts";
 * import { MetadataError } from "@spimfetch/spimfetch";
 * const inner = { get: (_key: string) => Promise.resolve<Uint8Array | undefined>(new Uint8Array(1)) };
 * const store = guardStoreKeys(inner, "s3://b/a.zarr");
 * await assertRejects(() => store.get("/0/../../../secret"), MetadataError, "outside");
 * ```
 * @param store Any store with `get` (and optionally `getRange`).
 * @param source The store's location, for messages.
 * @returns The guarded store.
 */
export function guardStoreKeys<
  S extends { get(key: string, options?: unknown): Promise<Uint8Array | undefined> },
>(
  store: S,
  source: string,
): S {
  const check = (key: string): void => {
    if (!isContainedKey(key)) {
      throw new MetadataError(
        `the metadata leads to key ${
          JSON.stringify(escapeControl(key.slice(0, 200)))
        }, which reaches outside the image`,
        { source },
      );
    }
  };
  const guarded = Object.create(store) as S & { getRange?: (key: string, ...rest: unknown[]) => unknown };
  guarded.get = (key: string, options?: unknown) => {
    try {
      check(key);
    } catch (error) {
      return Promise.reject(error);
    }
    return store.get(key, options);
  };
  const getRange = (store as { getRange?: (key: string, ...rest: unknown[]) => Promise<unknown> }).getRange;
  if (getRange) {
    guarded.getRange = (key: string, ...rest: unknown[]) => {
      try {
        check(key);
      } catch (error) {
        return Promise.reject(error);
      }
      return getRange.call(store, key, ...rest);
    };
  }
  return guarded;
}
