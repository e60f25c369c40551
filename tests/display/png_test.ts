/**
 * `encodePng`, read back by an independent PNG decoder.
 *
 * @module
 */
import { assertEquals, assertThrows } from "@std/assert";
import { encodePng } from "../../lib/display/png.ts";
import { decodePng } from "../../testing/display.ts";

Deno.test("encodePng() writes a PNG that decodes back to its pixels with plain zlib", () => {
  const data = new Uint8Array([0, 255, 10, 128, 200, 7]);
  const decoded = decodePng(encodePng({ width: 3, height: 1, channels: 2, data: data.slice(0, 6) }));
  assertEquals([decoded.width, decoded.height, decoded.colorType], [3, 1, 4]);
  assertEquals([...decoded.samples], [...data]);
  assertThrows(() => encodePng({ width: 2, height: 2, channels: 1, data: new Uint8Array(3) }), RangeError);
});
