/**
 * Stopping a command cleanly: Ctrl-C (SIGINT), SIGTERM (what SLURM, `timeout` and `kill` send) and SIGHUP (a
 * closed terminal) all cancel the work in flight, so that writers remove their temporary files, and end the
 * command with 128 + the signal's number, as shells expect of a command a signal stopped.
 *
 * No imports: the launcher (`spimfetch.ts`) loads this file too, and `deno install` caches what the
 * launcher imports.
 *
 * @module
 */
/** The signals that stop a command, with their numbers (POSIX, the same on Linux and macOS). */
export const STOP_SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;

/** One of {@linkcode STOP_SIGNALS}. */
export type StopSignal = keyof typeof STOP_SIGNALS;

/**
 * Stopped by a signal: Ctrl-C exits with 130 (128 + SIGINT), SIGTERM with 143 and SIGHUP with 129, as shells
 * expect of a command a signal stopped.
 */
export class Interrupted extends Error {
  /** The class name. */
  override name = "Interrupted";
  /** The signal that stopped the command. */
  readonly signal: StopSignal;
  /** 128 + the signal's number. */
  readonly exitCode: number;
  /**
   * Creates the error.
   * @param message What happened, e.g. "interrupted; no output was written".
   * @param options The signal (SIGINT unless given).
   */
  constructor(message: string, options: { signal?: StopSignal } = {}) {
    super(message);
    this.signal = options.signal ?? "SIGINT";
    this.exitCode = 128 + STOP_SIGNALS[this.signal];
  }
}

/**
 * Runs work that a stop signal cancels: the signal aborts `signal`, and whatever the cancelled work throws,
 * the command ends with {@linkcode Interrupted} for that signal.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { untilStopped } from "./stop_signals.ts";
 * assertEquals(await untilStopped(async (signal) => signal.aborted), false);
 * ```
 * @param work The work, given the signal to pass to every library call.
 * @returns What the work returned.
 * @throws {Interrupted} After a stop signal.
 */
export async function untilStopped<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const listeners = (Object.keys(STOP_SIGNALS) as StopSignal[]).map((name) => {
    const listener = (): void => {
      const what = name === "SIGINT" ? "interrupted" : `stopped by ${name}`;
      controller.abort(new Interrupted(`${what}; no output was written`, { signal: name }));
    };
    Deno.addSignalListener(name, listener);
    return [name, listener] as const;
  });
  try {
    return await work(controller.signal);
  } catch (error) {
    // Whatever a cancelled step threw, the cause is the signal.
    throw controller.signal.aborted ? controller.signal.reason : error;
  } finally {
    for (const [name, listener] of listeners) Deno.removeSignalListener(name, listener);
  }
}
