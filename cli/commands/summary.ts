/**
 * `spimfetch summary`: one table (CSV, and optionally a self-contained HTML
 * page with a maximum-intensity thumbnail per output) of many outputs.
 * Parsing and printing only; the work is `lib/cohort/`.
 *
 * @module
 */
import { OUTPUT_FORMATS } from "../../lib/export/mod.ts";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { summarizeCohort, writeCohortSummary } from "../../lib/cohort/mod.ts";

/** The command's help text. */
export const SUMMARY_HELP: string =
  `Usage: deno task cli summary --out DIR/summary.csv [--html DIR/summary.html] OUTPUT...

One table of spimfetch outputs (.nii, .nii.gz, .nrrd, each with the sidecar <stem>.json that
--orientation, --spacing, --aind-orientation-fix and .nrrd outputs get): subject, channel, level,
size, spacing, orientation, caveats, file size, value range. Each output is read once as it
streams (memory does not grow with its size) for its maximum-intensity projections.

  --out PATH          the CSV to write
  --html PATH         also write an HTML page with a thumbnail per output (PNG, embedded)
  --thumbnail-px N    largest side of a thumbnail in pixels (default: 256)
  --title TEXT        the HTML page's title (default: spimfetch cohort summary)
  --force             replace existing files, once the new ones are complete
  --quiet             no progress output
  -h, --help          show this help`;

/** What {@linkcode summaryCommand} needs from the command line that runs it. */
export interface SummaryCommandContext {
  /** Makes the error the command line reports as a usage error (exit status 2). */
  usageError: (message: string) => Error;
  /** Prints a line to standard output. @default {console.log} */
  print?: (line: string) => void;
}

/**
 * Runs `summary` with its arguments (after the command name).
 *
 * @example
 * ```ts ignore
 * import { summaryCommand } from "./summary.ts";
 * await summaryCommand(["--out", "r/summary.csv", "--html", "r/summary.html", "r/1/1_C_ccf25.nii.gz"], {
 *   usageError: (message) => new Error(message),
 * });
 * ```
 * @param args The arguments.
 * @param context How to report usage errors and print.
 * @returns When the files are written.
 * @throws {Error} From `context.usageError` for bad arguments; library errors otherwise.
 */
export async function summaryCommand(args: string[], context: SummaryCommandContext): Promise<void> {
  const print = context.print ?? ((line: string) => console.log(line));
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: "string" },
      html: { type: "string" },
      "thumbnail-px": { type: "string" },
      title: { type: "string" },
      force: { type: "boolean" },
      quiet: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return print(SUMMARY_HELP);
  if (values.out === undefined || !values.out.toLowerCase().endsWith(".csv")) {
    throw context.usageError(
      `summary needs --out PATH ending in .csv, got ${JSON.stringify(values.out ?? "")}`,
    );
  }
  if (values.html !== undefined && !/\.html?$/i.test(values.html)) {
    throw context.usageError(`--html must end in .html, got "${values.html}"`);
  }
  if (positionals.length === 0) throw context.usageError("summary needs at least one output file");
  // Any format of the one table (spimfetch formats).
  const suffixes = OUTPUT_FORMATS.map((f) => f.suffix);
  const bad = positionals.find((p) => !suffixes.some((s) => p.toLowerCase().replace(/\/+$/, "").endsWith(s)));
  if (bad !== undefined) {
    throw context.usageError(`summary reads ${suffixes.join(", ")} outputs, got "${bad}"`);
  }
  const px = values["thumbnail-px"] === undefined ? 256 : Number(values["thumbnail-px"]);
  if (!Number.isInteger(px) || px < 32 || px > 4096) {
    throw context.usageError(
      `--thumbnail-px must be an integer from 32 to 4096, got "${values["thumbnail-px"]}"`,
    );
  }
  const rows = await summarizeCohort(positionals, {
    thumbnail: values.html === undefined ? false : { maxSize: px },
    onRow: values.quiet ? undefined : (row, index, total) => {
      console.error(`summary ${index + 1}/${total}: ${row.subject} ${row.channel} ${row.path}`);
    },
  });
  for (const path of [values.out, values.html]) {
    if (path !== undefined) await Deno.mkdir(dirname(path), { recursive: true });
  }
  const written = await writeCohortSummary(rows, {
    csv: values.out,
    html: values.html,
    title: values.title,
    force: values.force === true,
  });
  for (const path of written) print(path);
}
