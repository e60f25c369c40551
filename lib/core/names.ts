/**
 * Checks on names and keys that come from a bucket: a name must be one
 * harmless path segment, a dataset path must stay below its image, and a
 * store key must stay below the store's root. A bucket is input like any
 * other; these refuse what could climb out of a prefix or drive a terminal.
 *
 * @module
 */

/** Longest name (one path segment) accepted, as on most file systems. */
const MAX_NAME_LENGTH = 255;

/**
 * Whether a string is a harmless name: one path segment, not `.` or `..`,
 * without `/`, `\`, control characters (C0, DEL, C1) or unicode
 * direction overrides, at most 255 characters.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { isSafeName } from "./names.ts";
 * assert(isSafeName("Ex_561_Em_593") && isSafeName("3"));
 * assert(!isSafeName("..") && !isSafeName("a/b") && !isSafeName("x\u001b[2J") && !isSafeName(""));
 * ```
 * @param name The name.
 * @returns True if it is safe to use as a key segment and to print.
 */
export function isSafeName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_NAME_LENGTH && name !== "." && name !== ".." &&
    !NAME_UNSAFE.test(name);
}

// deno-lint-ignore no-control-regex
const NAME_UNSAFE = /[\u0000-\u001f\u007f-\u009f/\\\u202a-\u202e\u2066-\u2069]/;

/**
 * Whether a string is a relative key below an image: safe names joined by
 * single slashes (`3`, `scale0/image`), so it cannot climb out with `..`,
 * start at the root, or hide control characters.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { isSafeRelativePath } from "./names.ts";
 * assert(isSafeRelativePath("0") && isSafeRelativePath("scale0/image"));
 * assert(!isSafeRelativePath("../../x") && !isSafeRelativePath("/etc") && !isSafeRelativePath("a//b"));
 * ```
 * @param path The path.
 * @returns True if every segment is a safe name.
 */
export function isSafeRelativePath(path: string): boolean {
  return path.length <= 1024 && path.split("/").every(isSafeName);
}

/**
 * Whether a store key stays below the store's root: `/` followed by
 * segments that are not empty, `.` or `..`, without `\` or control
 * characters. zarrita builds chunk keys from the array metadata (a
 * `dimension_separator` of `/../` would climb), and some HTTP stacks resolve
 * dot segments in URLs.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { isContainedKey } from "./names.ts";
 * assert(isContainedKey("/3/.zarray") && isContainedKey("/0/0/0/1/2/3") && isContainedKey("/0/0.0.1"));
 * assert(!isContainedKey("/0/../../x") && !isContainedKey("0/1") && !isContainedKey("/0//1"));
 * ```
 * @param key A key as zarrita asks for it.
 * @returns True if it cannot reach outside the root.
 */
export function isContainedKey(key: string): boolean {
  return key.startsWith("/") &&
    key.slice(1).split("/").every((s) => s !== "" && s !== "." && s !== ".." && !KEY_UNSAFE.test(s));
}

// deno-lint-ignore no-control-regex
const KEY_UNSAFE = /[\u0000-\u001f\u007f-\u009f\\]/;
