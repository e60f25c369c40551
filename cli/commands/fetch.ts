/**
 * `spimfetch fetch`: one level of one channel through the export pipeline (`exportNifti` by names): any
 * format of the format table by `--out`'s suffix, with every flag (level, region, spacing, orientation,
 * caveat correction, voxel type, slab size) combining with every other, and a sidecar beside the output.
 * Options come from one mapping, `fetchPlan` in `args.ts`.
 *
 * @module
 */
import { parseFlags } from "../flags.ts";
import { withCommandName } from "../command_name.ts";
import { exportNifti, type LevelChoice } from "../../mod.ts";
import { FETCH_FLAGS, fetchPlan } from "../args.ts";
import { untilStopped } from "../stop_signals.ts";
import { createOutputFolder } from "../output_folder.ts";
import { FETCH_HELP } from "../help.ts";

/**
 * Runs `fetch`; prints the paths written (the output, then its sidecar).
 * @param args The arguments after the command name.
 */
export async function fetch(args: string[]): Promise<void> {
  const { values } = parseFlags("fetch", args, FETCH_FLAGS);
  if (values.help) return console.log(withCommandName(FETCH_HELP));
  const { subject, channel, level, options, registration } = fetchPlan(values);
  if (options.out !== undefined) await createOutputFolder(options.out);
  // Ctrl-C or a TERM (a scheduler cancelling the job) cancels the requests in flight; the writer then
  // removes its staged output and the pipeline its temporary file.
  await untilStopped(async (signal) => {
    const result = await exportNifti(
      { subject, channel, level: level as LevelChoice | undefined },
      {
        ...options,
        ...registration,
        signal,
        // Caveats are printed even with --quiet, and before the work: they change what the output means.
        onWarning: (warning) => console.error(`warning: ${warning.message}`),
      },
    );
    if (result.retries > 0) console.error(`${result.retries} ${result.retries === 1 ? "retry" : "retries"}`);
    console.log(result.path);
    console.log(result.sidecar);
  });
}
