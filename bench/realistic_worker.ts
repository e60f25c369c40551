/**
 * A worker of {@linkcode buildRealisticLevel}: generates and encodes one chunk per message, so building a
 * level uses every core. Keeps one {@linkcode RealisticLevel} per shape (its texture tables take a while).
 *
 * @module
 */
import { CHUNK, encodeChunk, RealisticLevel } from "./realistic_level3.ts";

let level: RealisticLevel | undefined;
const chunk = new Uint16Array(CHUNK ** 3);

// deno-lint-ignore no-explicit-any
const scope = self as any;
scope.onmessage = (
  event: MessageEvent<{ shape: [number, number, number]; cz: number; cy: number; cx: number }>,
) => {
  const { shape, cz, cy, cx } = event.data;
  if (!level || level.shape.join() !== shape.join()) level = new RealisticLevel(shape);
  level.fill(cz, cy, cx, chunk);
  const bytes = encodeChunk(chunk);
  const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
  scope.postMessage(own, [own.buffer]);
};
