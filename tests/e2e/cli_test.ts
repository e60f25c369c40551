import { assert, assertEquals, assertStrictEquals, assertStringIncludes } from "@std/assert";
import * as nifti from "nifti-reader-js";
import { gunzipSync } from "fflate";
import { serveDataset } from "../../testing/fixture.ts";
import { listDir, runCli } from "../../testing/run_cli.ts";

const SPEC = {
  shape: [24, 40, 32] as [number, number, number],
  chunks: [16, 16, 16] as [number, number, number],
  levels: 2,
  channels: ["Ex_488_Em_525", "Ex_561_Em_593"],
  stitched: [{ stitchedAt: "2023-01-13_19-00-54" }],
};
const ASSET = "SmartSPIM_652506_2023-01-09_10-18-12_stitched_2023-01-13_19-00-54";

Deno.test("the CLI on a real S3 server", async (t) => {
  await using fixture = await serveDataset(SPEC, [
    ["SmartSPIM_652507_2023-01-09_10-18-12/acquisition.json", new Uint8Array([123])],
  ]);
  const endpoint = ["--endpoint", fixture.s3.endpoint];
  const dir = await Deno.makeTempDir();
  try {
    await t.step("list prints the assets", async () => {
      const { code, out } = await runCli(["list", ...endpoint]);
      assertStrictEquals(code, 0);
      assertStringIncludes(out, ASSET);
      assertStringIncludes(out, "3 assets in s3://aind-open-data/");
    });

    await t.step("list --json gives parsed assets", async () => {
      const { out } = await runCli(["list", "--json", "--prefix", "SmartSPIM_652506", ...endpoint]);
      assertEquals(JSON.parse(out).map((a: { process?: string }) => a.process ?? null), [null, "stitched"]);
    });

    await t.step("info shows assets, channels, levels and orientation", async () => {
      const { code, out } = await runCli(["info", "652506", "--level", "1", ...endpoint]);
      assertStrictEquals(code, 0, out);
      for (
        const text of [
          ASSET,
          "Ex_561_Em_593",
          "[32, 40, 24]",
          "[0.0288, 0.0288, 0.032]",
          "right-anterior-inferior: 525570",
        ]
      ) {
        assertStringIncludes(out, text);
      }
    });

    await t.step("fetch writes a NIfTI that an independent reader opens", async () => {
      const out = `${dir}/brain.nii.gz`;
      const result = await runCli([
        "fetch",
        "--subject",
        "652506",
        "--channel",
        "Ex_561_Em_593",
        "--level",
        "0",
        "--out",
        out,
        "--quiet",
        ...endpoint,
      ]);
      assertStrictEquals(result.code, 0, result.err);
      const bytes = gunzipSync(await Deno.readFile(out));
      const header = nifti.readHeader(bytes.buffer as ArrayBuffer)!;
      assertEquals(header.dims.slice(0, 4), [3, 32, 40, 24]);
      const voxels = new Uint16Array(nifti.readImage(header, bytes.buffer as ArrayBuffer));
      assertEquals(Array.from(voxels), Array.from(fixture.dataset.voxels(ASSET, "Ex_561_Em_593", 0).data));
    });

    const failures: [string, string[], string][] = [
      [
        "unknown subject",
        ["fetch", "--subject", "999999", "--channel", "Ex_561_Em_593"],
        'Unknown subject "999999"',
      ],
      [
        "no stitched asset",
        ["fetch", "--subject", "652507", "--channel", "Ex_561_Em_593"],
        "has raw data but no stitched asset",
      ],
      [
        "unknown channel",
        ["fetch", "--subject", "652506", "--channel", "Ex_999_Em_999"],
        "available channels are Ex_488_Em_525, Ex_561_Em_593",
      ],
      [
        "level out of range",
        ["fetch", "--subject", "652506", "--channel", "Ex_561_Em_593", "--level", "5"],
        "available levels are 0, 1",
      ],
      [
        "bad dtype",
        ["fetch", "--subject", "652506", "--channel", "Ex_561_Em_593", "--dtype", "int64"],
        "--dtype must be native or float32",
      ],
      [
        "bad gzip level",
        ["fetch", "--subject", "652506", "--channel", "Ex_561_Em_593", "--gzip-level", "12"],
        "--gzip-level must be an integer from 0 to 9",
      ],
      [
        "bad extension",
        ["fetch", "--subject", "652506", "--channel", "Ex_561_Em_593", "--out", "x.tif"],
        "--out must end in one of .nii.gz, .nii, .nrrd, .ome.zarr",
      ],
      ["missing channel flag", ["fetch", "--subject", "652506"], "fetch needs --channel"],
      [
        "unknown flag",
        ["fetch", "--subjekt", "652506"],
        "unknown option --subjekt for fetch: did you mean --subject?",
      ],
      ["unknown command", ["fletch"], 'unknown command "fletch"'],
    ];
    for (const [name, args, message] of failures) {
      await t.step(`fetch fails clearly on ${name}, leaving no file`, async () => {
        const before = await listDir(dir);
        const out = args.includes("--out") ? [] : ["--out", `${dir}/bad.nii.gz`];
        const { code, err } = await runCli([...args, ...out, ...endpoint]);
        assert(code !== 0, `exit code ${code}`);
        // Step lines may come first, and a usage hint after: the failure itself is one line.
        const errors = err.split("\n").filter((line) => line.startsWith("error: "));
        assertStrictEquals(errors.length, 1, err);
        assertStringIncludes(errors[0], message);
        assert(!err.includes("    at "), "no stack trace");
        assertEquals(await listDir(dir), before);
      });
    }

    await t.step("fetch refuses to overwrite, and replaces with --force", async () => {
      const out = `${dir}/brain.nii.gz`;
      const before = await Deno.readFile(out);
      const refused = await runCli([
        "fetch",
        "--subject",
        "652506",
        "--channel",
        "Ex_488_Em_525",
        "--level",
        "1",
        "--out",
        out,
        "--quiet",
        ...endpoint,
      ]);
      assertStrictEquals(refused.code, 1);
      assertStringIncludes(refused.err, "exists: pass force (--force)");
      assertEquals(await Deno.readFile(out), before);
      const forced = await runCli([
        "fetch",
        "--subject",
        "652506",
        "--channel",
        "Ex_488_Em_525",
        "--level",
        "1",
        "--out",
        out,
        "--quiet",
        "--force",
        ...endpoint,
      ]);
      assertStrictEquals(forced.code, 0, forced.err);
      // The file now holds the new export (the other channel, level 1: 16 x 20 x 12), not the old one.
      const bytes = gunzipSync(await Deno.readFile(out));
      const header = nifti.readHeader(bytes.buffer as ArrayBuffer)!;
      assertEquals(header.dims.slice(0, 4), [3, 16, 20, 12]);
      const voxels = Array.from(new Uint16Array(nifti.readImage(header, bytes.buffer as ArrayBuffer)));
      assertEquals(voxels, Array.from(fixture.dataset.voxels(ASSET, "Ex_488_Em_525", 1).data));
      const old = gunzipSync(before);
      const oldHeader = nifti.readHeader(old.buffer as ArrayBuffer)!;
      assertEquals(oldHeader.dims.slice(0, 4), [3, 32, 40, 24], "the old file was the level 0 export");
    });

    await t.step("fetch names an output directory it cannot write", async () => {
      await Deno.writeTextFile(`${dir}/file`, "");
      const { code, err } = await runCli([
        "fetch",
        "--subject",
        "652506",
        "--channel",
        "Ex_561_Em_593",
        "--out",
        `${dir}/file/x.nii`,
        "--quiet",
        ...endpoint,
      ]);
      assertStrictEquals(code, 1);
      assertStringIncludes(err, `${dir}/file`);
    });

    await t.step("every command has --help", async () => {
      for (const command of ["list", "info", "fetch"]) {
        const { code, out } = await runCli([command, "--help"]);
        assertStrictEquals(code, 0);
        assertStringIncludes(out, `Usage: deno task cli ${command}`);
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the CLI exits non-zero with one line when the endpoint is unreachable", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const command = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../../cli.ts", import.meta.url).pathname,
      "list",
      "--endpoint",
      `http://127.0.0.1:${port}`,
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });
  const { code, stderr } = await command.output();
  const err = new TextDecoder().decode(stderr).trim();
  assertStrictEquals(code, 1);
  assertStringIncludes(err, `error: Cannot reach S3 for s3://aind-open-data/`);
  assertStrictEquals(err.split("\n").length, 1, err);
});

Deno.test("fetch and info choose levels by resolution or size, and read regions in voxels or mm", async (t) => {
  await using fixture = await serveDataset(SPEC);
  const endpoint = ["--endpoint", fixture.s3.endpoint];
  const dir = await Deno.makeTempDir();
  const fetch = ["fetch", "--subject", "652506", "--channel", "Ex_561_Em_593", "--quiet", ...endpoint];
  const dims = async (path: string) => {
    const bytes = gunzipSync(await Deno.readFile(path));
    return nifti.readHeader(bytes.buffer as ArrayBuffer)!.dims.slice(1, 4);
  };
  try {
    await t.step("--resolution picks the coarsest level at least that fine", async () => {
      const out = `${dir}/r.nii.gz`;
      // Level 1 is 0.0288 mm in x and y and 0.032 mm in z: fine enough for 0.035, not for 0.03.
      assertStrictEquals((await runCli([...fetch, "--resolution", "0.035", "--out", out])).code, 0);
      assertEquals(await dims(out), [16, 20, 12]);
      const finer = `${dir}/r0.nii.gz`;
      assertStrictEquals((await runCli([...fetch, "--resolution", "0.03", "--out", finer])).code, 0);
      assertEquals(await dims(finer), [32, 40, 24]);
    });
    await t.step("--max-bytes picks the finest level that fits", async () => {
      const out = `${dir}/b.nii.gz`;
      // Level 0 is 61,440 bytes of uint16 (60 KiB, more than 60 kB), level 1 is 7,680.
      assertStrictEquals((await runCli([...fetch, "--max-bytes", "100KB", "--out", out])).code, 0);
      assertEquals(await dims(out), [32, 40, 24]);
      const smaller = `${dir}/b1.nii.gz`;
      assertStrictEquals((await runCli([...fetch, "--max-bytes", "60KB", "--out", smaller])).code, 0);
      assertEquals(await dims(smaller), [16, 20, 12]);
      const tooSmall = await runCli([...fetch, "--max-bytes", "1KB", "--out", `${dir}/none.nii.gz`]);
      assertStrictEquals(tooSmall.code, 1);
      assertStringIncludes(tooSmall.err, "No level");
    });
    await t.step("--roi and --roi-mm cut the same box", async () => {
      const a = `${dir}/roi.nii.gz`;
      const b = `${dir}/roimm.nii.gz`;
      assertStrictEquals(
        (await runCli([...fetch, "--level", "0", "--roi", "x=2:10,z=4:20", "--out", a])).code,
        0,
      );
      const mm = "x=0.0288:0.1296,z=0.064:0.304";
      assertStrictEquals((await runCli([...fetch, "--level", "0", "--roi-mm", mm, "--out", b])).code, 0);
      assertEquals(await dims(a), [8, 40, 16]);
      assertEquals(
        await Deno.readFile(a).then((x) => gunzipSync(x).slice(352)),
        await Deno.readFile(b).then((x) => gunzipSync(x).slice(352)),
      );
    });
    await t.step("conflicting or malformed choices are usage errors", async () => {
      for (
        const [args, message] of [
          [["--level", "1", "--resolution", "0.1"], "only one of --level, --resolution and --max-bytes"],
          [["--resolution", "0"], "--resolution must be a positive size"],
          [["--max-bytes", "lots"], "--max-bytes must be a size"],
          [["--roi", "x=1.5:3"], "whole voxels"],
          [["--roi", "x=1:3", "--roi-mm", "x=0:1"], "not both"],
        ] as const
      ) {
        const { code, err } = await runCli([...fetch, ...args, "--out", `${dir}/u.nii.gz`]);
        assertStrictEquals(code, 2, err);
        assertStringIncludes(err, message);
      }
    });
    await t.step("info shows which level a choice would read", async () => {
      const { code, out } = await runCli([
        "info",
        "652506",
        "--resolution",
        "0.035",
        "--max-bytes",
        "100KB",
        ...endpoint,
      ]);
      assertStrictEquals(code, 0);
      assertStringIncludes(out, "--resolution 0.035 reads level 1");
      assertStringIncludes(out, "--max-bytes 100KB reads level 0");
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
