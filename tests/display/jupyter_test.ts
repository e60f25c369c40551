/**
 * `show`: in a kernel and outside it.
 *
 * @module
 */
import { assertEquals } from "@std/assert";
import { Display } from "../../lib/display/display.ts";
import { show } from "../../lib/display/jupyter.ts";

Deno.test("show() displays and settles in a kernel, and prints text elsewhere", async () => {
  const seen: [unknown, { raw: boolean }][] = [];
  const jupyter = {
    display: (value: unknown, options: { raw: boolean }) => (seen.push([value, options]), Promise.resolve()),
  };
  const display = new Display({ "text/plain": "t", "text/html": "<b>t</b>" });
  await show(display, { jupyter });
  await show("plain words", { jupyter });
  // A display's bundle is made once and sent as it is (its size sets the wait after it).
  assertEquals(seen, [
    [{ "text/plain": "t", "text/html": "<b>t</b>" }, { raw: true }],
    [{ "text/plain": "plain words" }, { raw: true }],
  ]);
  const lines: string[] = [];
  await show({ a: 1 }, { log: (t) => lines.push(t) });
  await show(display, { log: (t) => lines.push(t) });
  assertEquals(lines, ["{ a: 1 }", "t"]);
});
