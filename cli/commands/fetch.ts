/**
 * `spimfetch fetch`: one level of one channel to NIfTI (`exportNifti`), or, with `--orientation`,
 * `--spacing`, `--aind-orientation-fix` or an `.nrrd` output, registration-ready output with a sidecar
 * (`prepareForRegistration`). Both paths take their options from one mapping, `fetchPlan` in `args.ts`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { checkAindCaveats, exportNifti, type LevelChoice, prepareForRegistration } from "../../mod.ts";
import { FETCH_FLAGS, fetchPlan, Interrupted } from "../args.ts";
import { FETCH_HELP } from "../help.ts";

/**
 * Runs `fetch`; prints the paths written (outputs, then sidecars).
 * @param args The arguments after the command name.
 */
export async function fetch(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: FETCH_FLAGS });
  if (values.help) return console.log(FETCH_HELP);
  const { subject, channel, level, options, registration } = fetchPlan(values);
  // Ctrl-C cancels the requests in flight; the writer then removes its temporary file.
  const interrupt = new AbortController();
  const onInterrupt = (): void => interrupt.abort(new Interrupted("interrupted; no output was written"));
  Deno.addSignalListener("SIGINT", onInterrupt);
  try {
    if (registration) {
      const result = await prepareForRegistration(
        // A level choice other than an index was refused with the registration flags.
        { subject, channel, level: level as number | undefined },
        {
          ...options,
          ...registration,
          signal: interrupt.signal,
          // Caveats are printed even with --quiet: they change what the output means.
          onWarning: (warning) => console.error(`warning: ${warning.message}`),
        },
      );
      for (const file of result.files) console.log(file.path);
      for (const sidecar of result.sidecars) console.log(sidecar);
      return;
    }
    const result = await exportNifti(
      { subject, channel, level: level as LevelChoice },
      { ...options, signal: interrupt.signal },
    );
    if (result.retries > 0) console.error(`${result.retries} ${result.retries === 1 ? "retry" : "retries"}`);
    for (const warning of checkAindCaveats(result.acquisition, { asset: result.asset })) {
      console.error(`warning: ${warning.message}`);
    }
    console.log(result.path);
  } catch (error) {
    // Whatever a cancelled step threw, the cause is the interruption.
    throw interrupt.signal.aborted ? interrupt.signal.reason : error;
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
  }
}
