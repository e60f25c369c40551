/**
 * The spimfetch command line (`list`, `info`, `fetch`): the entry point that `deno run cli.ts`, the
 * launcher (`spimfetch.ts`) and the tests run. The CLI itself is in `cli/`: `main.ts` (the command table
 * and exit codes), `args.ts` (flags to library options), `help.ts`, and one file per command in
 * `cli/commands/`.
 *
 * @module
 */
import { main } from "./cli/main.ts";

export { main };

if (import.meta.main) Deno.exit(await main(Deno.args));
