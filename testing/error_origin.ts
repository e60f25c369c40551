/**
 * Tells a deliberate failure from a crash, for fuzz tests.
 *
 * A library that wraps every exception into its own error type makes a crash
 * (`Cannot read properties of undefined`, `Offset is outside the bounds of the
 * DataView`) look like a clean refusal. What separates them is who made the
 * error object:
 *
 * - a deliberate check constructs it: its stack's top frame is a `new
 *   …Error(` (or `…Exception(`) expression in some source, be it the
 *   project, zarrita, numcodecs or Deno's own runtime modules (`ext:`);
 *   a parser's `SyntaxError` (`JSON.parse`) is a decoder refusing its input;
 * - the engine makes it at a faulting operation: the top frame is the
 *   property read, the call of a non-function, a built-in such as
 *   `DataView.prototype.getUint32` or `new Uint8Array`, or WebAssembly code
 *   that trapped.
 *
 * Every error in the `cause` chain must be deliberate, and none may carry an
 * engine's message (which catches a wrapper that copied a crash's message but
 * dropped its cause). The stack's positions are read back from the source
 * files, which must lie inside the repository (its `node_modules` included).
 *
 * @module
 */

/** Messages only the engine writes; a deliberate error that repeats one has swallowed a crash. */
const ENGINE_MESSAGES =
  /Maximum call stack|Cannot read properties|Cannot set properties|is not a function|is not iterable|is not a constructor|undefined \(reading|Offset is outside the bounds|outside the bounds of the buffer|Invalid typed array length|Invalid array length|should be a multiple of|Cannot convert|Cannot destructure|memory access out of bounds|unreachable/;

const ROOT = new URL("../", import.meta.url);
const sources = new Map<string, string[] | undefined>();

function sourceLines(url: string): string[] | undefined {
  if (!sources.has(url)) {
    let lines: string[] | undefined;
    // Only files of this repository are read (tests never read outside it).
    if (url.startsWith(ROOT.href)) {
      try {
        lines = Deno.readTextFileSync(new URL(url)).split("\n");
      } catch {
        lines = undefined;
      }
    }
    sources.set(url, lines);
  }
  return sources.get(url);
}

/** The top frame of a V8 stack: the function name (if any) and its location. */
function topFrame(stack: string): { name: string; location: string } | undefined {
  const line = stack.split("\n").find((l) => /^\s+at /.test(l));
  if (!line) return undefined;
  const text = line.trim().slice(3);
  const m = /^(.*?) \((.*)\)$/.exec(text);
  return m ? { name: m[1], location: m[2] } : { name: "", location: text };
}

/**
 * Why one error (not its causes) was made by the engine rather than by a
 * deliberate check, or `undefined` when it was deliberate.
 */
function engineOrigin(error: unknown): string | undefined {
  if (!(error instanceof Error)) return `a thrown ${typeof error} (${String(error).slice(0, 100)})`;
  const what = `${error.name}: ${error.message.slice(0, 200)}`;
  if (ENGINE_MESSAGES.test(error.message)) return `${what} (an engine's message)`;
  if (error instanceof SyntaxError) return undefined; // JSON.parse and other parsers refusing their input
  const frame = typeof error.stack === "string" ? topFrame(error.stack) : undefined;
  if (!frame) return `${what} (no stack to tell where it was made)`;
  if (frame.location.startsWith("ext:")) return undefined; // Deno's runtime modules (node:zlib's errors)
  if (frame.location === "<anonymous>" || frame.location === "native") {
    return `${what} (made by the built-in ${frame.name})`;
  }
  if (frame.location.startsWith("wasm")) return `${what} (a WebAssembly trap at ${frame.location})`;
  const m = /^(.*):(\d+):(\d+)$/.exec(frame.location);
  const lines = m ? sourceLines(m[1]) : undefined;
  const code = m && lines ? lines[Number(m[2]) - 1]?.slice(Number(m[3]) - 1) : undefined;
  if (code === undefined) return `${what} (made at ${frame.location}, whose source cannot be read)`;
  if (/^new\s+[\w$.]*(Error|Exception)\b/.test(code)) return undefined;
  return `${what} (made by the engine at ${frame.location}: ${code.trim().slice(0, 80)})`;
}

/**
 * Describes the first error in `error`'s cause chain that the engine made (a
 * crash), or returns `undefined` when every error in the chain was
 * constructed deliberately.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { engineErrorIn } from "./error_origin.ts";
 * const thrown = (f: () => unknown): unknown => { try { f(); } catch (e) { return e; } };
 * const crash = thrown(() => (undefined as unknown as { a: number }).a);
 * assert(engineErrorIn(crash)?.startsWith("TypeError: Cannot read properties of undefined"));
 * // A parser refusing its input is deliberate. (A `new Error(...)` is too, but telling so needs the
 * // source it was made in, which a doc test does not have as a file.)
 * assert(engineErrorIn(thrown(() => JSON.parse("{"))) === undefined);
 * ```
 * @param error What was thrown.
 * @returns The description, or `undefined`.
 */
export function engineErrorIn(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  for (let link: unknown = error; link !== undefined && !seen.has(link); link = (link as Error).cause) {
    seen.add(link);
    const origin = engineOrigin(link);
    if (origin) return link === error ? origin : `caused by ${origin}`;
  }
  return undefined;
}
