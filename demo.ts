/**
 * `deno task demo`: the reference notebook's job from the command line.
 *
 * With network access it runs against the real `aind-open-data` bucket
 * (subject 652506, channel Ex_561_Em_593, level 3, as the reference notebook does). Without
 * it (or with `--local`) it generates a synthetic SmartSPIM dataset with AIND's
 * names and layout, serves it from a real S3-protocol server (s3rver) on a
 * free loopback port, and runs the same steps against that.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  AIND_BUCKET,
  computeOrientation,
  defaultOutputPath,
  exportNifti,
  listAssets,
  listChannels,
  openImage,
  readAcquisition,
  selectAsset,
} from "./mod.ts";
import {
  createProgressReporter,
  formatChannels,
  formatLevels,
  formatOrientation,
} from "./lib/display/mod.ts";
import { startS3Server } from "./testing/s3_server.ts";
import { buildSmartSpimDataset } from "./testing/smartspim_dataset.ts";
import { buildCcfDataset, DEFAULT_REGISTERED_ASSETS } from "./testing/ccf_dataset.ts";
import { taskCommand } from "./cli/command_name.ts";

const HELP = `Usage: deno task demo [--local | --remote] [--level N] [--out PATH] [--force] [--serve]

Runs the reference notebook's steps: list, select, read metadata, orient, read voxels, write NIfTI.

  --local       use a synthetic dataset on a local S3 server even if AWS is reachable
  --remote      use the real aind-open-data bucket (fails without network)
  --level N     level to export (default: 3 remote, 1 local)
  --out PATH    output (default: data/input/652506/... remote, data/demo/... local)
  --force       replace an existing output
  --serve       local only: keep the server running after the export, for the CLI and notebooks
  -h, --help    this help`;

/** Demo dataset: a mouse brain's physical extent (6.9 × 8.2 × 6.7 mm, z × y × x) in coarse voxels. */
export const DEMO_DATASET = {
  subject: "652506",
  acquiredAt: "2023-01-09_10-18-12",
  stitched: [
    { stitchedAt: "2023-01-13_19-00-54", layout: "processed/OMEZarr" },
    { stitchedAt: "2023-02-02_22-28-35", layout: "image_tile_fusing/OMEZarr", cropX: 8 },
  ],
  shape: [192, 256, 208] as [number, number, number],
  chunks: [64, 64, 64] as [number, number, number],
  spacing: [36, 32, 32] as [number, number, number],
  levels: 5,
  // AIND's chunk layout (typesize 2, 128 KiB blocks), and quick to make.
  encoder: "native" as const,
};

async function awsReachable(): Promise<boolean> {
  try {
    await listAssets({ prefix: "SmartSPIM_652506", signal: AbortSignal.timeout(5000) });
    return true;
  } catch {
    return false;
  }
}

async function freePath(path: string, force: boolean): Promise<string> {
  if (force) return path;
  // The demo never replaces a file unasked: a re-run writes beside the earlier output.
  for (let run = 1;; run++) {
    const candidate = run === 1 ? path : path.replace(/(\.nii(\.gz)?)$/, `_run${run}$1`);
    try {
      await Deno.lstat(candidate);
    } catch {
      return candidate;
    }
  }
}

async function runSteps(
  s3: { endpoint?: string; bucket: string },
  options: { level: number; out: string; force: boolean },
): Promise<void> {
  const say = console.log;
  say(`Zarr level will be written to ${options.out}\n`);

  say("## Query S3 for available data");
  const assets = await listAssets({ ...s3, prefix: "SmartSPIM_" });
  say(`${assets.length} SmartSPIM assets available at s3://${s3.bucket}/`);
  for (const asset of assets.slice(0, 5)) say(`  ${asset.name}`);
  say("  ...\n");

  const asset = await selectAsset(DEMO_DATASET.subject, s3);
  say(`Selected sample asset (newest stitched): ${asset.name}`);
  const channels = await listChannels(asset, s3);
  say(`Available channels:\n${formatChannels(channels)}\n`);

  say("## Read metadata");
  const channel = channels.find((c) => c.name === "Ex_561_Em_593") ?? channels[0];
  // The channel's URI names the bucket: only the endpoint is left to say.
  const image = await openImage(channel.uri, { endpoint: s3.endpoint });
  try {
    say(formatLevels(image));
    const level = image.levels[options.level];
    const axes = image.multiscales.axes;
    const dataset = image.multiscales.datasets[options.level];
    for (const [i, axis] of axes.entries()) {
      say(`${axis.name} -> ${dataset.scale[i]} ${axis.unit ?? ""}`);
    }
    const acquisition = await readAcquisition(asset, s3);
    say(`\nacquisition.json (${acquisition.uri}), schema ${acquisition.schemaVersion}:`);
    for (const axis of acquisition.axes) {
      say(`  ${axis.name}: dimension ${axis.dimension}, ${axis.rawDirection}`);
    }

    say("\n## Orientation");
    const orientation = computeOrientation(acquisition.axes, { size: level.size, spacing: level.spacing });
    say(`${orientation.itkCodeName}: ${orientation.itkCode}`);
    say(formatOrientation(orientation));
  } finally {
    image.close();
  }

  say("\n## Read voxels and write NIfTI");
  const result = await exportNifti(
    { subject: asset.name, channel: channel.name, level: options.level },
    {
      ...s3,
      out: options.out,
      force: options.force,
      onProgress: createProgressReporter({ intervalMs: 1000 }),
    },
  );
  say(`Wrote ${result.path}: ${result.bytes} bytes, ${(result.elapsedMs / 1000).toFixed(1)} s`);
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      local: { type: "boolean" },
      remote: { type: "boolean" },
      level: { type: "string" },
      out: { type: "string" },
      force: { type: "boolean" },
      serve: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP.replace("deno task demo", taskCommand("demo")));
    Deno.exit(0);
  }
  try {
    const remote = values.remote || (!values.local && await awsReachable());
    const level = values.level === undefined ? (remote ? 3 : 1) : Number(values.level);
    if (remote) {
      console.log(`Using the real bucket s3://${AIND_BUCKET}/\n`);
      const out = await freePath(
        values.out ?? defaultOutputPath("652506", "Ex_561_Em_593", level),
        !!values.force,
      );
      await runSteps({ bucket: AIND_BUCKET }, { level, out, force: !!values.force });
    } else {
      console.log("AWS is not reachable (or --local): generating a synthetic SmartSPIM dataset...");
      const dataset = await buildSmartSpimDataset(DEMO_DATASET);
      const server = await startS3Server();
      try {
        await server.createBucket(AIND_BUCKET);
        await server.upload(AIND_BUCKET, dataset.objects);
        console.log(`Serving s3://${AIND_BUCKET}/ (synthetic) at ${server.endpoint}\n`);
        const out = await freePath(
          values.out ?? `data/demo/652506_Ex_561_Em_593_L${level}.nii.gz`,
          !!values.force,
        );
        await runSteps({ endpoint: server.endpoint, bucket: AIND_BUCKET }, {
          level,
          out,
          force: !!values.force,
        });
        if (values.serve) {
          // A registered asset and the template folder, for `points`, `ccf` and notebooks/ccf_space.ipynb.
          const ccf = await buildCcfDataset({
            assets: DEFAULT_REGISTERED_ASSETS.filter((a) => a.subject === "700002"),
            templates: [{ prefix: "SmartSPIM-template_2024-05-16_11-26-14", averageTemplate: true }],
          });
          await server.upload(AIND_BUCKET, ccf.objects);
          console.log(`\nServing at ${server.endpoint} until Ctrl-C. Try:`);
          const cli = taskCommand("cli");
          console.log(`  ${cli} info 652506 --endpoint ${server.endpoint}`);
          console.log(
            `  ${cli} ccf --subject 700002 --channel Ex_639_Em_667 --endpoint ${server.endpoint} ` +
              `--out data/ccf/700002_ccf25.nii.gz`,
          );
          console.log(
            `  SPIMFETCH_S3_ENDPOINT=${server.endpoint} SPIMFETCH_CCF_SUBJECT=700002 jupyter lab notebooks/`,
          );
          await new Promise<void>((resolve) => Deno.addSignalListener("SIGINT", () => resolve()));
        }
      } finally {
        await server.close();
      }
    }
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    Deno.exit(1);
  }
}
