/**
 * The exact Deno permissions one spimfetch command needs, computed from its arguments: read and write only
 * for the paths it names (`--out`, `--cache-dir`, `--in`, ...), network only to the S3 host it talks to.
 * The launcher (`spimfetch.ts`) runs the CLI with them, so that `deno task cli` and the installed
 * `spimfetch` write wherever the user asks and nowhere else, with no permission prompt.
 *
 * @module
 */
import { dirname, isAbsolute, join, resolve } from "node:path";

/** Flags whose value is a file the command writes (it also reads it, to refuse an overwrite). */
const WRITE_FILE_FLAGS = ["out", "html", "ccf-out", "ccf-mean"];
/** Flags whose value is a directory the command reads and writes. */
const WRITE_DIR_FLAGS = ["cache-dir", "tmp-dir"];
/** Flags whose value is a file the command only reads. */
const READ_FILE_FLAGS = ["in", "ccf-template", "overlay", "points", "labels", "subjects"];
/** Commands whose positional arguments (after the command) are files they read. */
const POSITIONAL_READS = new Set(["summary", "view"]);
/** Where `fetch` writes when no `--out` is given (relative to the user's directory). */
const DEFAULT_OUTPUT_DIR = "data";

/**
 * The AWS SDK's settings and the home directory it looks for `~/.aws` in; `SPIMFETCH_NATIVE=0` turns the
 * native codecs off; `SPIMFETCH_COMMAND` is the name the user runs spimfetch by (see `command_name.ts`).
 */
const ENV = [
  "AWS_*",
  "HOME",
  "USERPROFILE",
  "HOMEPATH",
  "HOMEDRIVE",
  "_X_AMZN_TRACE_ID",
  "SPIMFETCH_NATIVE",
  "SPIMFETCH_COMMAND",
];
/** What the SDK, the memory check and the free-space check (`statfs`) ask the system. */
const SYS = ["osRelease", "systemMemoryInfo", "statfs"];

/** What {@linkcode planPermissions} needs to know. */
export interface PermissionRequest {
  /** The command-line arguments, as the user typed them. */
  args: string[];
  /** The directory relative paths are relative to (the user's). */
  cwd: string;
  /** The checkout (or installed copy) of spimfetch whose modules the CLI loads. */
  packageDir: string;
  /** The user's home directory, for `~/.aws` with `--signed`. */
  home?: string;
  /** Shared libraries a native codec may open (granted as `--allow-ffi`). @default {[]} */
  ffi?: string[];
}

/** The value of `--flag VALUE` or `--flag=VALUE` in `args`, the last one winning as in `parseArgs`. */
function flagValue(args: string[], flag: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") break;
    if (arg === `--${flag}` && i + 1 < args.length) value = args[++i];
    else if (arg.startsWith(`--${flag}=`)) value = arg.slice(flag.length + 3);
  }
  return value;
}

/** Arguments that are neither flags nor flag values; a flag is taken to have a value unless it is boolean. */
function positionals(args: string[], booleanFlags: ReadonlySet<string>): string[] {
  const found: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") return [...found, ...args.slice(i + 1)];
    if (arg.startsWith("-")) {
      const name = arg.replace(/^--?/, "");
      if (!arg.includes("=") && !booleanFlags.has(name)) i++;
      continue;
    }
    found.push(arg);
  }
  return found;
}

/** `host[:port]` of an endpoint URL, as `--allow-net` takes it. */
function endpointHost(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    // The CLI itself refuses a malformed endpoint with a clear message; grant nothing for it here.
    return "";
  }
}

/** Flags of the CLI that take no value (so a positional after one is not its value). */
const BOOLEAN_FLAGS: ReadonlySet<string> = new Set([
  "signed",
  "help",
  "h",
  "json",
  "force",
  "views",
  "quiet",
  "aind-orientation-fix",
  "compare",
  "version",
  "recount",
  "points",
]);

/**
 * Computes the `deno run` permission flags for one spimfetch command.
 *
 * Reads and writes: the directory of each output file (the writer makes a temporary file beside it and
 * renames it into place), each cache directory, each input file; `fetch` without `--out` writes under
 * `./data`. Network: the `--endpoint` host, or the bucket's AWS hosts for `--region` (us-west-2 by default);
 * with `--signed` also AWS's credential endpoints and `~/.aws`.
 *
 * @example A fetch to /tmp from a lab MinIO
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { planPermissions } from "./permissions.ts";
 * const flags = planPermissions({
 *   args: ["fetch", "--subject", "1", "--channel", "c", "--endpoint", "http://minio.lab:9000", "--out", "/tmp/a.nii.gz"],
 *   cwd: "/home/me",
 *   packageDir: "/opt/spimfetch",
 * });
 * assertEquals(flags.find((f) => f.startsWith("--allow-net=")), "--allow-net=minio.lab:9000");
 * assertEquals(flags.find((f) => f.startsWith("--allow-write=")), "--allow-write=/tmp");
 * ```
 * @param request The arguments and where they are relative to.
 * @returns Flags for `deno run`, each of the form `--allow-X=a,b`.
 */
export function planPermissions(request: PermissionRequest): string[] {
  const { args, cwd, packageDir } = request;
  const at = (path: string): string => isAbsolute(path) ? resolve(path) : resolve(cwd, path);
  const command = args.find((arg) => !arg.startsWith("-"));
  const reads = new Set<string>([join(packageDir, "lib")]);
  const writes = new Set<string>();
  for (const flag of WRITE_FILE_FLAGS) {
    const value = flagValue(args, flag);
    if (value) {
      reads.add(dirname(at(value)));
      writes.add(dirname(at(value)));
    }
  }
  for (const flag of WRITE_DIR_FLAGS) {
    const value = flagValue(args, flag);
    if (value) {
      reads.add(at(value));
      writes.add(at(value));
    }
  }
  for (const flag of READ_FILE_FLAGS) {
    const value = flagValue(args, flag);
    if (value) reads.add(at(value));
  }
  if (command && POSITIONAL_READS.has(command)) {
    // Each output's folder: its sidecar (`<stem>.json`) is read beside it.
    for (const path of positionals(args, BOOLEAN_FLAGS).slice(1)) reads.add(dirname(at(path)));
  }
  // `fetch` and `ccf` without --out write under ./data.
  if ((command === "fetch" || command === "ccf") && flagValue(args, "out") === undefined) {
    reads.add(at(DEFAULT_OUTPUT_DIR));
    writes.add(at(DEFAULT_OUTPUT_DIR));
  }

  const net = new Set<string>();
  const endpoint = flagValue(args, "endpoint");
  const region = flagValue(args, "region") ?? "us-west-2";
  const signed = args.includes("--signed");
  if (endpoint !== undefined) {
    const host = endpointHost(endpoint);
    if (host) net.add(host);
  } else {
    const bucket = flagValue(args, "bucket") ?? "aind-open-data";
    net.add(`s3.${region}.amazonaws.com`);
    net.add(`${bucket}.s3.${region}.amazonaws.com`);
  }
  // `cells` also reads the Allen CCF annotation and tables from the Allen Brain Cell Atlas bucket (us-west-2).
  if (command === "cells") {
    const atlasEndpoint = flagValue(args, "atlas-endpoint");
    if (atlasEndpoint !== undefined) {
      const host = endpointHost(atlasEndpoint);
      if (host) net.add(host);
    } else {
      const atlasBucket = flagValue(args, "atlas-bucket") ?? "allen-brain-cell-atlas";
      net.add("s3.us-west-2.amazonaws.com");
      net.add(`${atlasBucket}.s3.us-west-2.amazonaws.com`);
    }
  }
  if (signed) {
    // The SDK's credential chain: STS for assumed roles, the EC2 and ECS metadata services, ~/.aws.
    net.add(`sts.${region}.amazonaws.com`);
    net.add("169.254.169.254");
    net.add("169.254.170.2");
    if (request.home) reads.add(join(request.home, ".aws"));
  }

  const flags = [
    `--allow-read=${[...reads].join(",")}`,
    `--allow-env=${ENV.join(",")}`,
    `--allow-sys=${SYS.join(",")}`,
  ];
  if (writes.size) flags.push(`--allow-write=${[...writes].join(",")}`);
  if (net.size) flags.push(`--allow-net=${[...net].join(",")}`);
  if (request.ffi?.length) flags.push(`--allow-ffi=${request.ffi.join(",")}`);
  return flags;
}

/**
 * Turns Deno's message for a missing permission into one line that names the path and how to grant it.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { explainPermissionError } from "./permissions.ts";
 * const line = explainPermissionError('Requires write access to "/x/a.nii", run again with the --allow-write flag');
 * assertEquals(line?.startsWith('no permission to write "/x/a.nii"'), true);
 * ```
 * @param message The error's message.
 * @returns The line, or `undefined` if the message is not a permission error.
 */
export function explainPermissionError(message: string): string | undefined {
  const match = /^Requires (\w+) access to "?([^",]+)"?/.exec(message);
  if (!match) return undefined;
  const [, kind, target] = match;
  const how: Record<string, string> = {
    read: "name the file with --in or the folder with --out/--cache-dir",
    write: "name it with --out or --cache-dir",
    net: "name its server with --endpoint",
  };
  return `no permission to ${kind === "net" ? "connect to" : kind} "${target}": spimfetch is granted only ` +
    `what its arguments name (${how[kind] ?? "see 'Permissions' in the README"}), ` +
    `or run it with all permissions: deno run -A cli.ts ...`;
}
