/**
 * `spimfetch list`: the assets at the top of a bucket.
 *
 * @module
 */
import { parseFlags } from "../flags.ts";
import { withCommandName } from "../command_name.ts";
import { AIND_BUCKET, listAssets } from "../../mod.ts";
import { formatAssets } from "../../lib/display/mod.ts";
import { S3_FLAGS, s3Options } from "../args.ts";
import { LIST_HELP } from "../help.ts";

/**
 * Runs `list`.
 * @param args The arguments after the command name.
 */
export async function list(args: string[]): Promise<void> {
  const { values } = parseFlags("list", args, {
    ...S3_FLAGS,
    prefix: { type: "string" },
    json: { type: "boolean" },
  });
  if (values.help) return console.log(withCommandName(LIST_HELP));
  const assets = await listAssets({ ...s3Options(values), prefix: values.prefix });
  if (values.json) return console.log(JSON.stringify(assets, null, 2));
  console.log(formatAssets(assets));
  console.log(`${assets.length} assets in s3://${values.bucket ?? AIND_BUCKET}/${values.prefix ?? ""}`);
}
