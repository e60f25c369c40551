/**
 * `spimfetch view`: one self-contained HTML page with an interactive viewer (NiiVue) of output files, an
 * overlay and markers. Parsing and printing only; the work is `lib/view/`.
 *
 * @module
 */
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { describeViewerVolume, writeViewerPage } from "../../lib/view/mod.ts";

/** The command's help text. */
export const VIEW_HELP: string =
  `Usage: deno task cli view FILE... [--overlay FILE] [--points CSV] [--labels CSV] --html OUT.html

One self-contained HTML page (viewer code and data embedded: it works offline and from file://) with
three orthogonal slices and a 3-D render of FILE (.nii, .nii.gz, .nrrd), the crosshair's RAS position
and voxel value, contrast and colormaps. Further FILEs and --overlay are drawn on top, with an opacity
slider. Images over the budget are shown at every n-th voxel, as the page says.

  --html PATH         the page to write
  --overlay FILE      an image drawn on top (e.g. the CCF template or annotation for a brain in CCF)
  --points CSV        markers: z,y,x voxel indices of FILE, or ap,dv,ml Allen CCF um (spimfetch points)
  --points-columns C  zyx or ccf: which columns of --points to use (default: zyx when present)
  --labels CSV        names of the overlay's values (id and name or acronym columns), under the crosshair
  --budget-mib N      largest voxel data per image, MiB (default: 64)
  --title TEXT        the page's title (default: the first file's name)
  --force             replace an existing page, once the new one is complete
  -h, --help          show this help`;

/** What {@linkcode viewCommand} needs from the command line that runs it. */
export interface ViewCommandContext {
  /** Makes the error the command line reports as a usage error (exit status 2). */
  usageError: (message: string) => Error;
  /** Prints a line to standard output. @default {console.log} */
  print?: (line: string) => void;
}

/**
 * Runs `view` with its arguments (after the command name).
 *
 * @example
 * ```ts ignore
 * import { viewCommand } from "./view.ts";
 * await viewCommand(["out/brain.nii.gz", "--html", "brain.html"], { usageError: (m) => new Error(m) });
 * ```
 * @param args The arguments.
 * @param context How to report usage errors and print.
 * @returns When the page is written.
 * @throws {Error} From `context.usageError` for bad arguments; library errors otherwise.
 */
export async function viewCommand(args: string[], context: ViewCommandContext): Promise<void> {
  const print = context.print ?? ((line: string) => console.log(line));
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      html: { type: "string" },
      overlay: { type: "string" },
      points: { type: "string" },
      "points-columns": { type: "string" },
      labels: { type: "string" },
      "budget-mib": { type: "string" },
      title: { type: "string" },
      force: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return print(VIEW_HELP);
  if (values.html === undefined || !/\.html?$/i.test(values.html)) {
    throw context.usageError(
      `view needs --html PATH ending in .html, got ${JSON.stringify(values.html ?? "")}`,
    );
  }
  if (positionals.length === 0) throw context.usageError("view needs at least one image file");
  const images = [...positionals, ...(values.overlay ? [values.overlay] : [])];
  const bad = images.find((p) => !/\.(nii(\.gz)?|nrrd)$/i.test(p));
  if (bad !== undefined) throw context.usageError(`view reads .nii, .nii.gz and .nrrd files, got "${bad}"`);
  const columns = values["points-columns"];
  if (columns !== undefined && columns !== "zyx" && columns !== "ccf") {
    throw context.usageError(`--points-columns must be zyx or ccf, got "${columns}"`);
  }
  const mib = values["budget-mib"] === undefined ? 64 : Number(values["budget-mib"]);
  if (!(mib > 0 && mib <= 1024)) {
    throw context.usageError(
      `--budget-mib must be a number above 0 and at most 1024, got "${values["budget-mib"]}"`,
    );
  }
  await Deno.mkdir(dirname(values.html), { recursive: true });
  const written = await writeViewerPage(values.html, images[0], {
    overlay: images.slice(1),
    points: values.points === undefined ? undefined : await readFlagFile("--points", values.points),
    pointsColumns: columns as "zyx" | "ccf" | undefined,
    labels: values.labels === undefined ? undefined : await readFlagFile("--labels", values.labels),
    budgetBytes: mib * 2 ** 20,
    title: values.title,
    force: values.force === true,
  });
  for (const image of written.images) console.error(describeViewerVolume(image));
  if (written.points.length) console.error(`${written.points.length} markers`);
  print(values.html);
}

async function readFlagFile(flag: string, path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (cause) {
    const why = cause instanceof Deno.errors.NotFound ? "it does not exist" : (cause as Error).message;
    throw new Error(`Cannot read ${flag} ${path}: ${why}`, { cause });
  }
}
