/**
 * `spimfetch formats`: the output formats `fetch --out` (and `ccf --out`) accept, from the one format
 * table; `--json` for programs (the cohort workflow's Snakefile asks it rather than keep its own list).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { describeFormats } from "../../lib/export/mod.ts";

const HELP = `spimfetch formats [--json]

The output formats: suffix, what it is, its sidecar, who reads it and its options.
  --json   one JSON array (suffix, name, description, directory, readers, options, sidecar)`;

/**
 * Runs `formats`.
 * @param args The arguments after the command name.
 */
export function formats(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { json: { type: "boolean" }, help: { type: "boolean" } } });
  if (values.help) return Promise.resolve(console.log(HELP));
  const rows = describeFormats();
  if (values.json) return Promise.resolve(console.log(JSON.stringify(rows)));
  const width = Math.max(...rows.map((r) => r.suffix.length));
  for (const row of rows) {
    console.log(
      `${row.suffix.padEnd(width)}  ${row.description}; sidecar ${row.sidecar}; read by ${
        row.readers.join(", ")
      }`,
    );
  }
  return Promise.resolve();
}
