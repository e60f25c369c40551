/**
 * Live progress in a notebook: one output, updated in place, driven by the
 * same {@linkcode ProgressEvent}s as the terminal bar. The Deno kernel shows
 * only `console.*` output and explicit displays (a script's stderr never
 * reaches the notebook), so the callback publishes displays with a
 * `display_id` and updates them. Outside the kernel it is the terminal
 * reporter.
 *
 * @module
 */
import { escapeHtml, type MimeBundle } from "./display.ts";
import { jupyterApi, type JupyterDisplayApi, settle } from "./jupyter.ts";
import { createProgressReporter, renderProgressLine } from "./progress.ts";
import type { ProgressEvent } from "../core/progress_event.ts";
import type { WriteNiftiProgress } from "../write/nifti.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

/** An `onProgress` callback that can also wait for its output to reach the notebook. */
export interface NotebookProgress {
  /** Takes a fetch/write event, or a writer's `{ bytesWritten, totalBytes }`. */
  (event: ProgressEvent | WriteNiftiProgress): void;
  /** Waits until every update has been sent, then a little longer (see `settle` in `jupyter.ts`). */
  settle(): Promise<void>;
}

/** Options for {@linkcode notebookProgress}. */
export interface NotebookProgressOptions {
  /** A heading above the bars. */
  title?: string;
  /** Shortest time between updates, in ms (the last event of a stage always shows). @default {250} */
  intervalMs?: number;
  /** The display API. @default {jupyterApi(), looked up now} */
  jupyter?: JupyterDisplayApi;
  /** The clock. @default {performance.now} */
  now?: () => number;
}

function normalize(event: ProgressEvent | WriteNiftiProgress): ProgressEvent {
  if ("stage" in event) return event;
  return { stage: "write", done: event.bytesWritten, total: event.totalBytes, bytes: event.bytesWritten };
}

/**
 * Renders the latest event of each stage as an HTML bar and a text line
 * (tested through {@linkcode notebookProgress}).
 * @param stages Each stage's latest event and the ms since it started.
 * @param title A heading.
 * @returns The MIME bundle.
 */
function renderProgressBundle(
  stages: readonly (readonly [ProgressEvent, number])[],
  title?: string,
): MimeBundle {
  const lines = stages.map(([event, elapsed]) => renderProgressLine(event, elapsed));
  const rows = stages.map(([event], i) =>
    `<div style="font-family:monospace;font-size:12px"><progress value="${event.done}" max="${
      Math.max(event.total, 1)
    }" style="width:240px;vertical-align:middle"></progress> ${escapeHtml(lines[i])}</div>`
  );
  const heading = title === undefined ? "" : `<div><b>${escapeHtml(title)}</b></div>`;
  return {
    "text/plain": [...(title === undefined ? [] : [title]), ...lines].join("\n"),
    "text/html": `<div>${heading}${rows.join("")}</div>`,
  };
}

/** The keys of {@linkcode NotebookProgressOptions}, checked at run time. */
const NOTEBOOK_PROGRESS_OPTION_KEYS: OptionKeys<NotebookProgressOptions> = {
  title: true,
  intervalMs: true,
  jupyter: true,
  now: true,
};

/**
 * Returns an `onProgress` callback for notebooks. In the Deno kernel (checked
 * when called, not at import) it shows one output per callback, updated in
 * place with chunks done/total, bytes, rate and time left for each stage;
 * elsewhere it is {@linkcode createProgressReporter}.
 *
 * @example Outside a kernel, with a stand-in display API
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { notebookProgress } from "@spimfetch/spimfetch";
 * const calls: { display_id?: string; update?: boolean }[] = [];
 * const jupyter = { display: (_bundle: unknown, options: { display_id?: string; update?: boolean }) => (calls.push(options), Promise.resolve()) };
 * const progress = notebookProgress({ jupyter, intervalMs: 0 });
 * progress({ stage: "fetch", done: 1, total: 2, bytes: 10 });
 * progress({ stage: "fetch", done: 2, total: 2, bytes: 20 });
 * await progress.settle();
 * assertEquals(calls.map((c) => c.update ?? false), [false, true]);
 * ```
 * @param options Title, update interval, and the display API.
 * @returns The callback.
 */
export function notebookProgress(options: NotebookProgressOptions = {}): NotebookProgress {
  options = checkOptions(options, NOTEBOOK_PROGRESS_OPTION_KEYS, "notebookProgress()");
  const jupyter = options.jupyter ?? jupyterApi();
  if (!jupyter) {
    const report = createProgressReporter({ now: options.now });
    return Object.assign((event: ProgressEvent | WriteNiftiProgress) => report(normalize(event)), {
      settle: () => Promise.resolve(),
    });
  }
  const now = options.now ?? (() => performance.now());
  const interval = options.intervalMs ?? 250;
  const displayId = `spimfetch-progress-${crypto.randomUUID()}`;
  const stages = new Map<string, { event: ProgressEvent; started: number }>();
  let shown = false;
  let last = -Infinity;
  // Updates are chained so they reach the kernel in order, and settle() can wait for the last.
  let chain: Promise<void> = Promise.resolve();
  const callback = (raw: ProgressEvent | WriteNiftiProgress): void => {
    const event = normalize(raw);
    const t = now();
    const stage = stages.get(event.stage);
    stages.set(event.stage, { event, started: stage?.started ?? t });
    const finished = event.done >= event.total;
    if (!finished && t - last < interval) return;
    last = t;
    const bundle = renderProgressBundle(
      [...stages.values()].map((s) => [s.event, t - s.started]),
      options.title,
    );
    const update = shown;
    shown = true;
    chain = chain.then(() => jupyter.display(bundle, { raw: true, display_id: displayId, update }))
      .catch(() => {}); // A lost progress update must never fail the read it reports on.
  };
  return Object.assign(callback, { settle: () => chain.then(() => settle()) });
}
