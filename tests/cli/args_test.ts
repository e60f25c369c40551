import { assertEquals, assertStrictEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { fetchPlan, UsageError } from "../../cli/args.ts";
import { COMMANDS } from "../../cli/main.ts";
import { runCli } from "../../testing/run_cli.ts";

const BASE = { subject: "652506", channel: "Ex_561_Em_593", quiet: true };
const MiB = 2 ** 20;

Deno.test("fetchPlan() gives the plain and the registration-ready fetch the same options and defaults", () => {
  const plain = fetchPlan(BASE);
  const registration = fetchPlan({ ...BASE, orientation: "PIR" });
  assertStrictEquals(plain.registration, undefined);
  assertEquals(registration.registration, {
    orientation: "PIR",
    spacing: undefined,
    aindOrientationFix: false,
  });
  // The defaults the help text documents, written out by hand.
  const expected = {
    bucket: "aind-open-data",
    endpoint: undefined,
    region: undefined,
    credentials: "anonymous",
    roi: undefined,
    roiMm: undefined,
    maxSlabBytes: undefined,
    cacheDir: undefined,
    tmpDir: undefined,
    omeZarr: undefined,
    out: undefined,
    dtype: "native",
    gzipLevel: undefined,
    force: false,
    cacheBytes: 128 * MiB,
    concurrency: 16,
    log: undefined,
    onProgress: undefined,
  };
  assertEquals(plain.options, expected);
  assertEquals(registration.options, expected);
  assertEquals([plain.level, registration.level], [3, 3]);
});

Deno.test("fetchPlan() maps every shared flag the same way on both paths", () => {
  const flags = {
    ...BASE,
    asset: "SmartSPIM_652506_2023-01-09_10-18-12_stitched_2023-01-13_19-00-54",
    level: "2",
    roi: "x=0:8,z=4:12",
    out: "/tmp/a.nii.gz",
    dtype: "float32",
    "gzip-level": "6",
    force: true,
    "cache-mb": "64",
    "cache-dir": "/tmp/cache",
    concurrency: "4",
    endpoint: "http://127.0.0.1:4568",
    signed: true,
  };
  const plain = fetchPlan(flags);
  const registration = fetchPlan({ ...flags, "aind-orientation-fix": true });
  assertEquals(registration.options, plain.options);
  assertEquals(plain.subject, flags.asset);
  assertEquals(plain.level, 2);
  assertEquals(plain.options.roi, { x: [0, 8], z: [4, 12] });
  assertEquals(
    [plain.options.dtype, plain.options.gzipLevel, plain.options.cacheBytes, plain.options.concurrency],
    ["float32", 6, 64 * MiB, 4],
  );
  assertEquals([plain.options.credentials, plain.options.endpoint], ["default", "http://127.0.0.1:4568"]);
});

Deno.test("fetchPlan() keeps 256 MiB of chunks with --max-slab-mb, whose slabs read a chunk row again", () => {
  const plan = fetchPlan({ ...BASE, "max-slab-mb": "8" });
  assertEquals([plan.options.maxSlabBytes, plan.options.cacheBytes], [8 * MiB, 256 * MiB]);
  assertEquals(fetchPlan({ ...BASE, "max-slab-mb": "8", "cache-mb": "0" }).options.cacheBytes, 0);
});

Deno.test("fetchPlan() leaves the level to --spacing unless --level is given", () => {
  assertStrictEquals(fetchPlan({ ...BASE, spacing: "0.025" }).level, undefined);
  assertEquals(fetchPlan({ ...BASE, spacing: "0.025", level: "1" }).level, 1);
  assertEquals(fetchPlan({ ...BASE, spacing: "0.01,0.02,0.03" }).registration?.spacing, [0.01, 0.02, 0.03]);
});

Deno.test("fetchPlan() combines every flag with the optional steps (one pipeline)", () => {
  for (const flag of ["resolution", "max-bytes", "roi-mm", "max-slab-mb"]) {
    const value = flag === "roi-mm" ? "x=0:1" : flag === "max-bytes" ? "1GB" : "1";
    const plan = fetchPlan({ ...BASE, out: "a.nrrd", orientation: "PIR", spacing: "0.05", [flag]: value });
    assertEquals(plan.registration?.orientation, "PIR");
  }
  assertThrows(() => fetchPlan({ ...BASE, out: "a.nii.gz", "ngff-version": "0.5" }), UsageError, ".ome.zarr");
  assertEquals(fetchPlan({ ...BASE, out: "a.ome.zarr", chunk: "64,64,32" }).options.omeZarr?.chunkShape, [
    64,
    64,
    32,
  ]);
});

Deno.test("the main help lists every command of the table, and an unknown command lists them", async () => {
  const help = await runCli(["--help"]);
  assertStrictEquals(help.code, 0);
  for (const [name, command] of Object.entries(COMMANDS)) {
    assertStringIncludes(
      help.out.split("\n").map((line) => line.replace(/ {2,}/g, "  ")).join("\n"),
      `\n  ${name}  ${command.summary}\n`,
    );
  }
  // A name every object has must not pass for a command.
  for (const name of ["nope", "constructor", "toString"]) {
    const run = await runCli([name]);
    assertStrictEquals(run.code, 2);
    assertStringIncludes(run.err, `unknown command "${name}": expected list, info`);
  }
});
