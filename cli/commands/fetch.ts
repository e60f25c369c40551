/**
 * `spimfetch fetch`: one level of one channel to NIfTI (`exportNifti`), or, with `--orientation`,
 * `--spacing`, `--aind-orientation-fix` or an `.nrrd` output, registration-ready output with a sidecar
 * (`prepareForRegistration`). Both paths take their options from one mapping, `fetchPlan` in `args.ts`.
 *
 * @module
 */
import { parseFlags } from "../flags.ts";
import { withCommandName } from "../command_name.ts";
import { checkAindCaveats, exportNifti, type LevelChoice, prepareForRegistration } from "../../mod.ts";
import { FETCH_FLAGS, fetchPlan } from "../args.ts";
import { untilStopped } from "../stop_signals.ts";
import { createOutputFolder } from "../output_folder.ts";
import { FETCH_HELP } from "../help.ts";

/**
 * Runs `fetch`; prints the paths written (outputs, then sidecars).
 * @param args The arguments after the command name.
 */
export async function fetch(args: string[]): Promise<void> {
  const { values } = parseFlags("fetch", args, FETCH_FLAGS);
  if (values.help) return console.log(withCommandName(FETCH_HELP));
  const { subject, channel, level, options, registration } = fetchPlan(values);
  if (options.out !== undefined) await createOutputFolder(options.out);
  // A stop signal cancels the requests in flight; the writer then removes its temporary file.
  await untilStopped(async (signal) => {
    if (registration) {
      const result = await prepareForRegistration(
        // A level choice other than an index was refused with the registration flags.
        { subject, channel, level: level as number | undefined },
        {
          ...options,
          ...registration,
          signal,
          // Caveats are printed even with --quiet: they change what the output means.
          onWarning: (warning) => console.error(`warning: ${warning.message}`),
        },
      );
      for (const file of result.files) console.log(file.path);
      for (const sidecar of result.sidecars) console.log(sidecar);
      return;
    }
    const result = await exportNifti({ subject, channel, level: level as LevelChoice }, {
      ...options,
      signal,
    });
    if (result.retries > 0) console.error(`${result.retries} ${result.retries === 1 ? "retry" : "retries"}`);
    for (const warning of checkAindCaveats(result.acquisition, { asset: result.asset })) {
      console.error(`warning: ${warning.message}`);
    }
    console.log(result.path);
  });
}
