/**
 * Text from a bucket made safe to print.
 *
 * @module
 */

/**
 * Replaces control characters with visible escapes, so that text from a
 * bucket cannot drive the terminal it is printed on.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { escapeControl } from "./text.ts";
 * assertEquals(escapeControl("a\u001b[2Jb\nc"), "a\\u001b[2Jb\nc");
 * ```
 * @param text Any text.
 * @returns The text with C0 (except newline and tab), DEL, C1 and direction-override characters escaped.
 */
export function escapeControl(text: string): string {
  return text.replace(PRINT_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

// Matching control characters is the point.
// deno-lint-ignore no-control-regex
const PRINT_UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
