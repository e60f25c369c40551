/**
 * Progress events and their renderers: a bar on a terminal, plain log lines
 * elsewhere. Rendering is pure; only {@linkcode createProgressReporter} writes.
 *
 * @module
 */
import { formatBytes } from "../core/bytes.ts";
import type { ProgressEvent } from "../core/progress_event.ts";
import { checkOptions, type OptionKeys } from "../core/options.ts";

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "--";
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}

/**
 * One line describing progress: done/total, bytes, rate and time left.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { renderProgressLine } from "@spimfetch/spimfetch/display";
 * const line = renderProgressLine({ stage: "fetch", done: 40, total: 80, bytes: 2 ** 20 }, 2000);
 * assert(line === "fetch 40/80 chunks (50%), 1.0 MiB, 512.0 KiB/s, 2s left");
 * ```
 * @param event The latest event.
 * @param elapsedMs Time since the stage started.
 * @returns The line, without a newline.
 */
export function renderProgressLine(event: ProgressEvent, elapsedMs: number): string {
  const unit = event.stage === "fetch" ? " chunks" : " bytes";
  const percent = event.total > 0 ? Math.floor((100 * event.done) / event.total) : 100;
  const seconds = elapsedMs / 1000;
  // Under 50 ms a rate says more about timer resolution than about the transfer.
  const rate = seconds >= 0.05 ? `${formatBytes(event.bytes / seconds)}/s` : "-/s";
  const finished = event.total > 0 && event.done >= event.total;
  const left = event.done > 0 ? (seconds * (event.total - event.done)) / event.done : Infinity;
  const counts = event.stage === "fetch"
    ? `${event.done}/${event.total}${unit}`
    : `${formatBytes(event.done)}/${formatBytes(event.total)}`;
  const time = finished ? `done in ${formatDuration(seconds)}` : `${formatDuration(left)} left`;
  return `${event.stage} ${counts} (${percent}%), ${formatBytes(event.bytes)}, ${rate}, ${time}`;
}

/**
 * A progress bar of `width` cells followed by {@linkcode renderProgressLine}.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { renderProgressBar } from "@spimfetch/spimfetch/display";
 * const bar = renderProgressBar({ stage: "write", done: 1, total: 4, bytes: 1 }, 1000, { width: 8 });
 * assert(bar.startsWith("[##......]"));
 * ```
 * @param event The latest event.
 * @param elapsedMs Time since the stage started.
 * @param options The bar's width in cells.
 * @returns The bar, without a newline.
 */
export function renderProgressBar(
  event: ProgressEvent,
  elapsedMs: number,
  options: { width?: number } = {},
): string {
  const width = options.width ?? 24;
  const fraction = event.total > 0 ? Math.min(1, event.done / event.total) : 1;
  const filled = Math.round(fraction * width);
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${renderProgressLine(event, elapsedMs)}`;
}

/** Options for {@linkcode createProgressReporter}. */
export interface ProgressReporterOptions {
  /** Where to write. @default {Deno.stderr} */
  writer?: { writeSync(bytes: Uint8Array): number; isTerminal(): boolean };
  /** Shortest time between plain lines, in ms (a bar redraws at most every 100 ms). @default {2000} */
  intervalMs?: number;
  /** The clock. @default {performance.now} */
  now?: () => number;
}

/** The keys of {@linkcode ProgressReporterOptions}, checked at run time. */
const PROGRESS_REPORTER_OPTION_KEYS: OptionKeys<ProgressReporterOptions> = {
  writer: true,
  intervalMs: true,
  now: true,
};

/**
 * Returns an `onProgress` callback that draws a bar in place on a terminal,
 * and prints a plain line now and then (and at the end of each stage) otherwise.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { createProgressReporter } from "@spimfetch/spimfetch/display";
 * const lines: string[] = [];
 * const writer = { writeSync: (b: Uint8Array) => (lines.push(new TextDecoder().decode(b)), b.length), isTerminal: () => false };
 * const report = createProgressReporter({ writer });
 * report({ stage: "fetch", done: 2, total: 2, bytes: 10 });
 * assert(lines.length === 1 && lines[0].startsWith("fetch 2/2 chunks (100%)"));
 * ```
 * @param options Where to write and how often.
 * @returns The callback.
 */
export function createProgressReporter(
  options: ProgressReporterOptions = {},
): (event: ProgressEvent) => void {
  options = checkOptions(options, PROGRESS_REPORTER_OPTION_KEYS, "createProgressReporter()");
  const writer = options.writer ?? Deno.stderr;
  const now = options.now ?? (() => performance.now());
  const tty = writer.isTerminal();
  const interval = tty ? 100 : options.intervalMs ?? 2000;
  const encoder = new TextEncoder();
  const started = new Map<string, number>();
  let last = -Infinity;
  return (event: ProgressEvent): void => {
    const t = now();
    if (!started.has(event.stage)) started.set(event.stage, t);
    const finished = event.done >= event.total;
    if (!finished && t - last < interval) return;
    last = t;
    const elapsed = t - started.get(event.stage)!;
    const text = tty
      ? `\r\x1b[2K${renderProgressBar(event, elapsed)}${finished ? "\n" : ""}`
      : `${renderProgressLine(event, elapsed)}\n`;
    writer.writeSync(encoder.encode(text));
  };
}
