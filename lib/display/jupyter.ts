/**
 * The Deno Jupyter kernel, looked up when needed: spimfetch works the same in
 * `deno run`, where `Deno.jupyter` throws.
 *
 * {@linkcode show} exists because of a kernel quirk measured with Deno 2.9.6:
 * the kernel sometimes publishes "idle" before a cell's `execute_result` (the
 * value of its last expression): 5 cells in 30 in one measurement. Interactive
 * frontends still show the value, but headless runners (nbconvert, nbclient)
 * stop collecting at "idle": in four runs of a probe notebook, 1 to 6 of 30
 * cells ending with a value lost it, short pauses or not. An awaited display
 * followed by a ~20 ms pause arrived every time: 270 of 270 over 20 headless
 * runs of the two notebooks.
 *
 * @module
 */
import { JUPYTER_DISPLAY } from "./display.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** The part of `Deno.jupyter` spimfetch uses. */
export interface JupyterDisplayApi {
  /** Publishes (or, with `update`, replaces) an output. */
  display(bundle: unknown, options: { raw: boolean; display_id?: string; update?: boolean }): Promise<void>;
}

/**
 * `Deno.jupyter` when running in the Deno Jupyter kernel, else `undefined`.
 * `"jupyter" in Deno` is true everywhere; only reading the property tells,
 * since it throws outside the kernel.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { jupyterApi } from "./jupyter.ts";
 * assertEquals(jupyterApi(), undefined); // deno test is not a kernel
 * ```
 * @returns The kernel's API, or `undefined`.
 */
export function jupyterApi(): JupyterDisplayApi | undefined {
  try {
    return "jupyter" in Deno ? Deno.jupyter : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Turns colour off for the text outputs of the Deno Jupyter kernel. The kernel formats a cell's value with
 * ANSI colour codes unless `NO_COLOR` was set when it started (a notebook is not a terminal: the codes show
 * up as `[33m` in exported HTML and in nbconvert's outputs); it reads `Deno.noColor` when it formats, so
 * overriding that property is enough. Called when spimfetch is loaded; does nothing outside the kernel.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { plainKernelText } from "./jupyter.ts";
 * assertEquals(plainKernelText(), false); // deno test is not a kernel: nothing changes
 * ```
 * @returns Whether colour was turned off (only in the kernel).
 */
export function plainKernelText(): boolean {
  if (!jupyterApi()) return false;
  try {
    Object.defineProperty(Deno, "noColor", { get: () => true, configurable: true });
    return true;
  } catch {
    // A future kernel may freeze the property: outputs are then as the kernel makes them.
    return false;
  }
}

plainKernelText();

/**
 * Waits a moment: the Deno kernel can report a cell finished before its last
 * displays are sent, and a headless runner then drops them. Awaiting ~20 ms
 * after the last display lets them out first.
 *
 * @example
 * ```ts
 * import { settle } from "@spimfetch/spimfetch/display";
 * await settle(1);
 * ```
 * @param ms How long. @default {20}
 * @returns After `ms`.
 */
export function settle(ms = 20): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Options for {@linkcode show}. */
export interface ShowOptions {
  /** The display API. @default {jupyterApi(), looked up now} */
  jupyter?: JupyterDisplayApi;
  /** Where text goes outside the kernel. @default {console.log} */
  log?: (text: string) => void;
}

/** The keys of {@linkcode ShowOptions}, checked at run time. */
const SHOW_OPTION_KEYS: OptionKeys<ShowOptions> = {
  jupyter: true,
  log: true,
};

/**
 * Shows a value as a cell output: in the kernel, an awaited display followed
 * by {@linkcode settle}, so that it survives headless runs; elsewhere, its
 * text on the console. End notebook cells with `await show(value)`.
 *
 * @example Outside a kernel, a display prints its text
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { Display } from "@spimfetch/spimfetch/display";
 * import { show } from "@spimfetch/spimfetch";
 * const lines: string[] = [];
 * await show(new Display({ "text/plain": "3 assets" }), { log: (t) => lines.push(t) });
 * assertEquals(lines, ["3 assets"]);
 * ```
 * @param value A display (anything with a `Symbol.for("Jupyter.display")` method) or any value.
 * @param options The display API and the text sink.
 * @returns When the output has been sent.
 */
export async function show(value: unknown, options: ShowOptions = {}): Promise<void> {
  options = checkOptions(options, SHOW_OPTION_KEYS, "show()");
  const jupyter = options.jupyter ?? jupyterApi();
  const displayable = typeof value === "object" && value !== null && JUPYTER_DISPLAY in value;
  if (!jupyter) {
    const text = displayable
      ? String((value as { [JUPYTER_DISPLAY](): { "text/plain"?: string } })[JUPYTER_DISPLAY]()["text/plain"])
      : typeof value === "string"
      ? value
      : Deno.inspect(value, { colors: false, depth: 4 });
    (options.log ?? console.log)(text);
    return;
  }
  if (typeof value === "string") {
    // As text, not as a quoted string literal (what the kernel's own formatting would show).
    await jupyter.display({ "text/plain": value }, { raw: true });
    await settle();
  } else if (displayable) {
    // The bundle is made once, here, so that its size can set the wait; the kernel would make it again.
    const bundle = (value as { [JUPYTER_DISPLAY](): Record<string, unknown> })[JUPYTER_DISPLAY]();
    await jupyter.display(bundle, { raw: true });
    await settle(settleMs(bundle));
  } else {
    // The kernel formats anything else itself: Deno.inspect as text/plain.
    await jupyter.display(value, { raw: false });
    await settle(MIN_SETTLE_MS);
  }
}

/** The least wait after any display (see {@linkcode settleMs}). */
const MIN_SETTLE_MS = 200;

/**
 * How long to let a display out before the cell may end. The Deno 2.9 kernel resolves `display()` once the
 * message is queued, and sends the cell's idle status on another path: a multi-megabyte page (a viewer) can
 * still be queued when idle goes out, and a headless runner (nbclient) stops reading the cell there. The wait
 * grows with the payload: 0.25 s per MiB (a 3 MB viewer value was measured arriving 0.2 s after idle on the
 * 2-core machine under load; the margin is for heavier load), at most 5 s, on top of 0.2 s for any display (a
 * small table was lost after a 20 ms wait while the full test suite ran beside the notebooks).
 */
function settleMs(bundle: Record<string, unknown>): number {
  let chars = 0;
  for (const data of Object.values(bundle ?? {})) chars += typeof data === "string" ? data.length : 0;
  return MIN_SETTLE_MS + Math.min(5000, Math.round((chars / 2 ** 20) * 250));
}
