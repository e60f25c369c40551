/**
 * Internal: the zarrita array behind each {@linkcode ImageLevel}, kept out of
 * the public types so that zarrita's types are not part of spimfetch's API.
 *
 * @module
 */
import type * as zarr from "zarrita";

/** Level object → its zarrita array. */
export const levelArrays: WeakMap<object, zarr.Array<zarr.DataType, zarr.AsyncReadable>> = new WeakMap();
