/**
 * Test helpers for the command line: run it in-process and capture its output.
 *
 * @module
 */
import { main } from "../cli.ts";

/** What a CLI run printed, and its exit code. */
export interface CliRun {
  /** The exit code `main()` returned. */
  code: number;
  /** What went to `console.log`, lines joined by `\n`. */
  out: string;
  /** What went to `console.error`, lines joined by `\n`. */
  err: string;
}

/**
 * Runs the CLI in-process, capturing what it prints.
 *
 * @param args The command-line arguments.
 * @returns Exit code and output.
 */
export async function runCli(args: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => out.push(a.join(" "));
  console.error = (...a: unknown[]) => err.push(a.join(" "));
  try {
    const code = await main(args);
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

/**
 * The names in a directory, sorted.
 *
 * @param dir The directory.
 * @returns Its entries' names.
 */
export async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}
