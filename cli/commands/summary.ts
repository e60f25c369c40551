/**
 * `spimfetch summary`: one table (CSV, and optionally a self-contained HTML
 * page with a maximum-intensity thumbnail per output) of many outputs.
 * Parsing and printing only; the work is `lib/cohort/`.
 *
 * @module
 */
import { OUTPUT_FORMATS } from "../../lib/export/mod.ts";
import { dirname } from "node:path";
import { parseFlags } from "../flags.ts";
import { withCommandName } from "../command_name.ts";
import {
  readSubjectInfo,
  summarizeCcfCohort,
  summarizeCohort,
  writeCcfCohort,
  writeCohortSummary,
} from "../../lib/cohort/mod.ts";
import { sidecarOf } from "../../lib/export/mod.ts";

/** The command's help text. */
export const SUMMARY_HELP: string =
  `Usage: deno task cli summary --out DIR/summary.csv [--html DIR/summary.html] OUTPUT... [INFO.json...]

One table of spimfetch outputs (.nii, .nii.gz, .nrrd, each with the sidecar <stem>.json that
--orientation, --spacing, --aind-orientation-fix and .nrrd outputs get): subject, channel, level,
size, spacing, orientation, caveats, file size, value range, acquisition and stitching dates, and
the level's own spacing. Each output is read once as it streams (memory does not grow with its
size) for its maximum-intensity projections. A .json argument is a subject's
\`spimfetch info SUBJECT --json\`: its rows then also list every channel the subject had and
AIND's registration (channel, capsule version).

  --out PATH          the CSV to write
  --html PATH         also write an HTML page with a thumbnail per output (PNG, embedded)
  --ccf-out PATH      also write the cohort in CCF as one table (CSV): the outputs of
                      \`spimfetch ccf\` among OUTPUT (their sidecar lists transforms), each with
                      its NCC against the mean of the others and against --ccf-template;
                      a brain far below the cohort's median is flagged
  --ccf-mean PATH     with --ccf-out: also write the mean of those brains (.nii or .nii.gz)
  --ccf-template PATH with --ccf-out: a template on the same grid to correlate each brain with
                      (e.g. ccf_average_template_25.nii.gz)
  --thumbnail-px N    largest side of a thumbnail in pixels (default: 256)
  --views             with --html, also an interactive view page per output (HTML_views/), linked
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
  const { values, positionals } = parseFlags("summary", args, {
    out: { type: "string" },
    html: { type: "string" },
    "thumbnail-px": { type: "string" },
    "ccf-out": { type: "string" },
    "ccf-mean": { type: "string" },
    "ccf-template": { type: "string" },
    title: { type: "string" },
    force: { type: "boolean" },
    views: { type: "boolean" },
    quiet: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  }, true);
  if (values.help) return print(withCommandName(SUMMARY_HELP));
  if (values.out === undefined || !values.out.toLowerCase().endsWith(".csv")) {
    throw context.usageError(
      `summary needs --out PATH ending in .csv, got ${JSON.stringify(values.out ?? "")}`,
    );
  }
  if (values.html !== undefined && !/\.html?$/i.test(values.html)) {
    throw context.usageError(`--html must end in .html, got "${values.html}"`);
  }
  const infos = positionals.filter((p) => /\.json$/i.test(p));
  const outputs = positionals.filter((p) => !/\.json$/i.test(p));
  if (outputs.length === 0) throw context.usageError("summary needs at least one output file");
  // Any format of the one table (spimfetch formats).
  const suffixes = OUTPUT_FORMATS.map((f) => f.suffix);
  const bad = outputs.find((p) => !suffixes.some((s) => p.toLowerCase().replace(/\/+$/, "").endsWith(s)));
  if (bad !== undefined) {
    throw context.usageError(
      `summary reads ${suffixes.join(", ")} outputs, got "${bad}" (and subjects' info as .json)`,
    );
  }
  const px = values["thumbnail-px"] === undefined ? 256 : Number(values["thumbnail-px"]);
  if (!Number.isInteger(px) || px < 32 || px > 4096) {
    throw context.usageError(
      `--thumbnail-px must be an integer from 32 to 4096, got "${values["thumbnail-px"]}"`,
    );
  }
  if (values["ccf-out"] !== undefined && !values["ccf-out"].toLowerCase().endsWith(".csv")) {
    throw context.usageError(`--ccf-out must end in .csv, got "${values["ccf-out"]}"`);
  }
  if ((values["ccf-mean"] !== undefined || values["ccf-template"] !== undefined) && !values["ccf-out"]) {
    throw context.usageError("--ccf-mean and --ccf-template need --ccf-out");
  }
  if (values["ccf-mean"] !== undefined && !/\.nii(\.gz)?$/i.test(values["ccf-mean"])) {
    throw context.usageError(`--ccf-mean must end in .nii or .nii.gz, got "${values["ccf-mean"]}"`);
  }
  // Outputs of `spimfetch ccf` carry their transforms in the sidecar: they go into the CCF table.
  const inCcf: string[] = [];
  const plain: string[] = [];
  for (const path of outputs) {
    const sidecar = await Deno.readTextFile(sidecarOf(path)).catch(() => "");
    (/"transforms"\s*:/.test(sidecar) ? inCcf : plain).push(path);
  }
  if (values["ccf-out"] !== undefined && inCcf.length === 0) {
    throw context.usageError("--ccf-out needs outputs of `spimfetch ccf` among the files given");
  }
  const subjects = await Promise.all(infos.map((path) => readSubjectInfo(path)));
  const rows = await summarizeCohort(plain, {
    subjects,
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
    views: values.views === true,
  });
  for (const path of written) print(path);
  if (values["ccf-out"] !== undefined) {
    const cohort = await summarizeCcfCohort(inCcf, { template: values["ccf-template"] });
    for (const path of [values["ccf-out"], values["ccf-mean"]]) {
      if (path !== undefined) await Deno.mkdir(dirname(path), { recursive: true });
    }
    const files = await writeCcfCohort(cohort, {
      csv: values["ccf-out"],
      mean: values["ccf-mean"],
      force: values.force === true,
    });
    for (const row of cohort.rows.filter((r) => r.flagged)) {
      console.error(`warning: ${row.subject} ${row.channel} stands out in CCF (look at its registration)`);
    }
    for (const path of files) print(path);
  }
}
