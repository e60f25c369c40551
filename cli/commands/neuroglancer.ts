/**
 * `spimfetch neuroglancer`: a Neuroglancer link (and with `--json` its state) for a subject's stitched
 * asset. Parsing and printing only; the work is `lib/view/neuroglancer.ts`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { assetNeuroglancer } from "../../lib/view/mod.ts";
import { S3_FLAGS, s3Options } from "../args.ts";

/** The command's help text. */
export const NEUROGLANCER_HELP: string =
  `Usage: deno task cli neuroglancer --subject S [--asset NAME] [--json] [--base-url URL]

Prints a Neuroglancer link for a subject's stitched asset (the newest, or --asset): every channel as
an image layer read from its OME-Zarr on S3 (zarr://s3://...), voxel sizes in metres from the level-0
metadata, contrast from the 1st and 99.5th percentiles of the coarsest level, colour by emission
wavelength; plus the cell and CCF layers of AIND's neuroglancer_config.json when the asset has one.

  --subject S         the subject id
  --asset NAME        the stitched asset's full name (default: the subject's newest)
  --json              print the state (JSON) instead of the link
  --base-url URL      the Neuroglancer to link to (default: https://neuroglancer-demo.appspot.com)
  --endpoint URL      an S3-compatible endpoint instead of AWS
  --bucket NAME       the bucket (default: aind-open-data)
  -h, --help          show this help`;

/** What {@linkcode neuroglancerCommand} needs from the command line that runs it. */
export interface NeuroglancerCommandContext {
  /** Makes the error the command line reports as a usage error (exit status 2). */
  usageError: (message: string) => Error;
  /** Prints a line to standard output. @default {console.log} */
  print?: (line: string) => void;
}

/**
 * Runs `neuroglancer` with its arguments (after the command name).
 *
 * @example
 * ```ts ignore
 * import { neuroglancerCommand } from "./neuroglancer.ts";
 * await neuroglancerCommand(["--subject", "652506"], { usageError: (m) => new Error(m) });
 * ```
 * @param args The arguments.
 * @param context How to report usage errors and print.
 * @returns When the link is printed.
 * @throws {Error} From `context.usageError` for bad arguments; library errors otherwise.
 */
export async function neuroglancerCommand(
  args: string[],
  context: NeuroglancerCommandContext,
): Promise<void> {
  const print = context.print ?? ((line: string) => console.log(line));
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...S3_FLAGS,
      subject: { type: "string" },
      asset: { type: "string" },
      json: { type: "boolean" },
      "base-url": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return print(NEUROGLANCER_HELP);
  const subject = values.subject ?? positionals[0];
  if (subject === undefined && values.asset === undefined) {
    throw context.usageError("neuroglancer needs --subject S (or --asset NAME)");
  }
  if (values["base-url"] !== undefined && !/^https?:\/\//.test(values["base-url"])) {
    throw context.usageError(`--base-url must be an http(s) URL, got "${values["base-url"]}"`);
  }
  const made = await assetNeuroglancer(subject ?? values.asset!, {
    ...s3Options(values),
    asset: values.asset,
    baseUrl: values["base-url"],
  });
  for (const note of made.notes) console.error(note);
  print(values.json ? JSON.stringify(made.state, null, 2) : made.url);
}
