import { assertEquals, assertStrictEquals, assertThrows } from "@std/assert";
import { formatOf, OUTPUT_FORMATS, sidecarOf } from "../../lib/export/formats.ts";
import { runCli } from "../../testing/run_cli.ts";

Deno.test("spimfetch formats --json prints the one format table, which the Snakefile reads", async () => {
  const run = await runCli(["formats", "--json"]);
  assertStrictEquals(run.code, 0, run.err);
  const rows = JSON.parse(run.out) as { suffix: string; directory: boolean; sidecar: string }[];
  assertEquals(rows.map((r) => r.suffix), [".nii.gz", ".nii", ".nrrd", ".ome.zarr"]);
  assertEquals(rows.map((r) => r.directory), [false, false, false, true]);
  assertEquals(new Set(rows.map((r) => r.sidecar)), new Set(["<stem>.json"]));
});

Deno.test("formatOf() and sidecarOf() follow the suffix, longest first, any case, a store's trailing slash", () => {
  assertStrictEquals(formatOf("a/b.nii.gz").suffix, ".nii.gz");
  assertStrictEquals(formatOf("a/b.NII").suffix, ".nii");
  assertStrictEquals(formatOf("a/b.ome.zarr/").name, "ome-zarr");
  assertEquals(
    ["x.nii.gz", "x.nii", "x.nrrd", "x.ome.zarr", "x.ome.zarr/"].map(sidecarOf),
    ["x.json", "x.json", "x.json", "x.json", "x.json"],
  );
  assertThrows(() => formatOf("brain.tif"), TypeError, OUTPUT_FORMATS.map((f) => f.suffix).join(", "));
});

Deno.test("fetch refuses an unknown suffix naming every format, before any request", async () => {
  const run = await runCli([
    "fetch",
    "--subject",
    "1",
    "--channel",
    "c",
    "--out",
    "b.tif",
    "--endpoint",
    "http://127.0.0.1:9",
  ]);
  assertStrictEquals(run.code, 2);
  assertEquals(run.err.includes(".nii.gz, .nii, .nrrd, .ome.zarr"), true, run.err);
});
