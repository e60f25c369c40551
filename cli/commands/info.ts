/**
 * `spimfetch info`: what can be fetched for a subject, an asset or an image, and which level a
 * `--resolution` or `--max-bytes` would read.
 *
 * @module
 */
import { parseFlags } from "../flags.ts";
import { withCommandName } from "../command_name.ts";
import { chooseLevel, describeTarget, type LevelChoice, type TargetDescription } from "../../mod.ts";
import { formatAssets, formatChannels, formatLevels, formatOrientation } from "../../lib/display/mod.ts";
import { outputBytes } from "../../lib/select/mod.ts";
import { integer, levelArg, regionArgs, S3_FLAGS, s3Options, UsageError } from "../args.ts";
import { INFO_HELP } from "../help.ts";
import { describeRegistration, formatRegistration } from "./ccf.ts";

/**
 * Runs `info`.
 * @param args The arguments after the command name.
 */
export async function info(args: string[]): Promise<void> {
  const { values, positionals } = parseFlags("info", args, {
    ...S3_FLAGS,
    channel: { type: "string" },
    level: { type: "string" },
    resolution: { type: "string" },
    "max-bytes": { type: "string" },
    "roi-mm": { type: "string" },
    dtype: { type: "string" },
    json: { type: "boolean" },
  }, true);
  if (values.help) return console.log(withCommandName(INFO_HELP));
  if (positionals.length !== 1) throw new UsageError("info takes one subject, asset name or s3:// URI");
  const level = values.level === undefined ? undefined : integer(values.level, "--level", 0);
  const choices: [string, LevelChoice][] = [];
  if (values.resolution !== undefined) {
    choices.push([`--resolution ${values.resolution}`, levelArg({ resolution: values.resolution })]);
  }
  if (values["max-bytes"] !== undefined) {
    choices.push([`--max-bytes ${values["max-bytes"]}`, levelArg({ "max-bytes": values["max-bytes"] })]);
  }
  const roiMm = regionArgs({ "roi-mm": values["roi-mm"] }).mm;
  const dtype = values.dtype === "float32" ? "float32" : undefined;
  if (values.channel !== undefined && /^(s3|https?):\/\//.test(positionals[0])) {
    throw new UsageError("--channel chooses a channel of a subject or asset; an s3:// URI names one already");
  }
  const described = await describeTarget(positionals[0], {
    ...s3Options(values),
    level,
    channel: values.channel,
  });
  try {
    // AIND's registration to the Allen CCF, when the asset has one (see `spimfetch points` and `ccf`).
    const registration = described.asset
      ? await describeRegistration(described.asset.name, s3Options(values))
      : undefined;
    printDescription(
      registration && values.json ? Object.assign(described, { registration }) : described,
      values.json === true,
    );
    if (registration && !values.json) console.log(["", ...formatRegistration(registration)].join("\n"));
    for (const [flag, choice] of choices) {
      const chosen = chooseLevel(described.image, choice, { roiMm, dtype });
      const bytes = outputBytes(chosen, { roiMm, dtype });
      console.log(
        `${flag} reads level ${chosen.index}: spacing [${chosen.spacing.join(", ")}] mm, ` +
          `output ${(bytes / 2 ** 20).toFixed(1)} MiB${roiMm ? " (the --roi-mm box)" : ""}`,
      );
    }
  } finally {
    described.image.close();
  }
}

function printDescription(described: TargetDescription, json: boolean): void {
  if (json) {
    return console.log(
      JSON.stringify(described, (key, value) => (key === "array" || key === "raw" ? undefined : value), 2),
    );
  }
  if (described.assets) {
    console.log(
      `Stitched assets of subject ${described.assets[0].subjectId} (newest first; the first is the default):`,
    );
    console.log(formatAssets(described.assets));
    console.log("");
  }
  if (described.channels) {
    console.log(`Channels of ${described.asset?.name}:`);
    console.log(formatChannels(described.channels));
    console.log("");
  }
  console.log(`Levels of ${described.image.uri}:`);
  console.log(formatLevels(described.image));
  if (described.orientation) {
    console.log("");
    console.log(`Orientation of level ${described.orientationLevel} (from ${described.acquisition?.uri}):`);
    console.log(formatOrientation(described.orientation));
  } else if (described.orientationProblem) {
    console.log("");
    console.log(`Orientation unknown: ${described.orientationProblem}`);
  }
}
