/**
 * Byte counts as text, with binary units: {@linkcode formatBytes} for tables
 * and progress lines (`1.5 KiB`), {@linkcode describeBytes} for error
 * messages, which also give the exact count (`1.5 GiB (1610612736 bytes)`).
 *
 * @module
 */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

/**
 * A byte count with a binary unit.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { formatBytes } from "@spimfetch/spimfetch/display";
 * assert(formatBytes(1536) === "1.5 KiB");
 * assert(formatBytes(512) === "512 B");
 * ```
 * @param bytes The count.
 * @returns E.g. `1.1 GiB`; counts under 1 KiB as they are (`512 B`).
 */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${UNITS[unit]}`;
}

/**
 * A byte count for messages: {@linkcode formatBytes} followed by the exact
 * count, so that a figure in an error can be checked against the metadata.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { describeBytes } from "./bytes.ts";
 * assertEquals(describeBytes(3 * 2 ** 30), "3.0 GiB (3221225472 bytes)");
 * assertEquals(describeBytes(100), "100 bytes");
 * ```
 * @param bytes The count.
 * @returns The text; counts under 1 KiB as `N bytes` alone.
 */
export function describeBytes(bytes: number): string {
  const exact = Number.isSafeInteger(bytes) ? `${bytes} bytes` : `${bytes.toExponential(3)} bytes`;
  return bytes >= 1024 ? `${formatBytes(bytes)} (${exact})` : exact;
}
