/**
 * `spimfetch fetch`: one level of one channel through the export pipeline (`exportNifti` by names): any
 * format of the format table by `--out`'s suffix, with every flag (level, region, spacing, orientation,
 * caveat correction, voxel type, slab size) combining with every other, and a sidecar beside the output.
 * Options come from one mapping, `fetchPlan` in `args.ts`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { exportNifti, type LevelChoice } from "../../mod.ts";
import { FETCH_FLAGS, fetchPlan, Interrupted } from "../args.ts";
import { FETCH_HELP } from "../help.ts";

/**
 * Runs `fetch`; prints the paths written (the output, then its sidecar).
 * @param args The arguments after the command name.
 */
export async function fetch(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: FETCH_FLAGS });
  if (values.help) return console.log(FETCH_HELP);
  const { subject, channel, level, options, registration } = fetchPlan(values);
  // Ctrl-C or a TERM (a scheduler cancelling the job) cancels the requests in flight; the writer then
  // removes its staged output and the pipeline its temporary file.
  const interrupt = new AbortController();
  const onSignal = (name: string) => (): void =>
    interrupt.abort(
      new Interrupted(`${name === "SIGINT" ? "interrupted" : "terminated"}; no output was written`),
    );
  const listeners = (["SIGINT", "SIGTERM"] as const).map((name) => [name, onSignal(name)] as const);
  for (const [name, listener] of listeners) Deno.addSignalListener(name, listener);
  try {
    const result = await exportNifti(
      { subject, channel, level: level as LevelChoice | undefined },
      {
        ...options,
        ...registration,
        signal: interrupt.signal,
        // Caveats are printed even with --quiet, and before the work: they change what the output means.
        onWarning: (warning) => console.error(`warning: ${warning.message}`),
      },
    );
    if (result.retries > 0) console.error(`${result.retries} ${result.retries === 1 ? "retry" : "retries"}`);
    console.log(result.path);
    console.log(result.sidecar);
  } catch (error) {
    // Whatever a cancelled step threw, the cause is the interruption.
    throw interrupt.signal.aborted ? interrupt.signal.reason : error;
  } finally {
    for (const [name, listener] of listeners) Deno.removeSignalListener(name, listener);
  }
}
