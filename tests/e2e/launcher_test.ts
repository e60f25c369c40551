import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import * as nifti from "nifti-reader-js";
import { gunzipSync } from "fflate";
import { fileURLToPath } from "node:url";
import { planPermissions } from "../../cli/permissions.ts";
import { serveDataset } from "../../testing/fixture.ts";
import { networkEnv } from "../../testing/network_env.ts";

const REPO = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");
const SPEC = {
  shape: [16, 24, 20] as [number, number, number],
  chunks: [16, 16, 16] as [number, number, number],
  levels: 1,
  channels: ["Ex_561_Em_593"],
  stitched: [{ stitchedAt: "2023-01-13_19-00-54" }],
};
const FETCH = ["fetch", "--subject", "652506", "--channel", "Ex_561_Em_593", "--level", "0", "--quiet"];

/** The flag's comma-separated values, or [] when the flag is absent. */
function granted(flags: string[], name: string): string[] {
  const flag = flags.find((f) => f.startsWith(`--allow-${name}=`));
  return flag ? flag.slice(`--allow-${name}=`.length).split(",") : [];
}

Deno.test("planPermissions() grants the output's folder, resolved against the user's directory", () => {
  const base = { cwd: "/home/me/study", packageDir: "/opt/spimfetch" };
  const absolute = planPermissions({ ...base, args: [...FETCH, "--out", "/scratch/a/brain.nii.gz"] });
  assertEquals(granted(absolute, "write"), ["/scratch/a"]);
  assertEquals(granted(absolute, "read"), ["/opt/spimfetch/lib", "/scratch/a"]);
  const relative = planPermissions({ ...base, args: [...FETCH, "--out=out/../x/b.nii"] });
  assertEquals(granted(relative, "write"), ["/home/me/study/x"]);
  const byDefault = planPermissions({ ...base, args: FETCH });
  assertEquals(granted(byDefault, "write"), ["/home/me/study/data"]);
  const cached = planPermissions({
    ...base,
    args: [...FETCH, "--out", "a.nii", "--cache-dir", "/mnt/cache"],
  });
  assertEquals(granted(cached, "write"), ["/home/me/study", "/mnt/cache"]);
  const info = planPermissions({ ...base, args: ["info", "652506"] });
  assertEquals(granted(info, "write"), []);
});

Deno.test("planPermissions() grants the network to the endpoint's host or the bucket's AWS hosts only", () => {
  const base = { cwd: "/w", packageDir: "/p" };
  assertEquals(granted(planPermissions({ ...base, args: ["list"] }), "net"), [
    "s3.us-west-2.amazonaws.com",
    "aind-open-data.s3.us-west-2.amazonaws.com",
  ]);
  assertEquals(
    granted(planPermissions({ ...base, args: ["list", "--bucket", "lab", "--region", "eu-west-1"] }), "net"),
    ["s3.eu-west-1.amazonaws.com", "lab.s3.eu-west-1.amazonaws.com"],
  );
  assertEquals(
    granted(planPermissions({ ...base, args: ["list", "--endpoint", "http://minio.lab:9000"] }), "net"),
    [
      "minio.lab:9000",
    ],
  );
  const signed = planPermissions({ ...base, home: "/home/me", args: ["list", "--signed"] });
  assert(granted(signed, "read").includes("/home/me/.aws"));
  assert(granted(signed, "net").includes("169.254.169.254"));
  assert(
    !granted(planPermissions({ ...base, home: "/home/me", args: ["list"] }), "read").includes(
      "/home/me/.aws",
    ),
  );
});

Deno.test("planPermissions() grants reading the files a command reads, and ffi only for named libraries", () => {
  const base = { cwd: "/w", packageDir: "/p" };
  const points = planPermissions({
    ...base,
    args: ["points", "--subject", "1", "--in", "cells.csv", "--out", "o/x.csv"],
  });
  assertEquals(granted(points, "read"), ["/p/lib", "/w/o", "/w/cells.csv"]);
  const summary = planPermissions({
    ...base,
    args: ["summary", "--out", "s.csv", "--json", "a.nii.gz", "/b/c.nii"],
  });
  assertEquals(granted(summary, "read"), ["/p/lib", "/w", "/b"]);
  assertEquals(granted(planPermissions({ ...base, args: ["list"] }), "ffi"), []);
  assertEquals(granted(planPermissions({ ...base, args: ["list"], ffi: ["/usr/lib/libx.so"] }), "ffi"), [
    "/usr/lib/libx.so",
  ]);
});

/** Runs a command without a terminal (stdin closed) and without the test runner's INIT_CWD. */
async function run(
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const keep = ["PATH", "HOME", "DENO_DIR", "TMPDIR"];
  const base = Object.fromEntries(keep.flatMap((k) => Deno.env.get(k) ? [[k, Deno.env.get(k)!]] : []));
  const output = await new Deno.Command(command, {
    args,
    cwd,
    stdin: "null",
    clearEnv: true,
    env: { ...base, ...networkEnv(), NO_COLOR: "1", ...env },
  }).output();
  const text = new TextDecoder();
  return { code: output.code, stdout: text.decode(output.stdout), stderr: text.decode(output.stderr) };
}

/** The dimensions of a NIfTI file, read by nifti-reader-js. */
async function niftiDims(path: string): Promise<number[]> {
  const bytes = await Deno.readFile(path);
  const raw = path.endsWith(".gz") ? gunzipSync(bytes) : bytes;
  const header = nifti.readHeader(
    raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength) as ArrayBuffer,
  );
  assert(header, `${path} has no NIfTI header`);
  return header.dims.slice(1, 4);
}

Deno.test({
  name: "deno task cli and the installed command write anywhere, from any directory, without prompting",
  // Starts several Deno processes; the server listens on 127.0.0.2 to show another loopback host works.
  async fn(t): Promise<void> {
    await using fixture = await serveDataset(SPEC, [], { address: "127.0.0.2" });
    const endpoint = ["--endpoint", fixture.s3.endpoint];
    const work = await Deno.makeTempDir({ prefix: "spimfetch-launch-" });
    try {
      const sub = `${work}/study/sub`;
      await Deno.mkdir(sub, { recursive: true });
      const task = ["task", "--quiet", "--config", `${REPO}/deno.json`, "cli"];

      await t.step("an absolute --out in another folder", async () => {
        const out = `${work}/elsewhere/deep/brain.nii.gz`;
        const result = await run(Deno.execPath(), [...task, ...FETCH, ...endpoint, "--out", out], sub);
        assertEquals(result.code, 0, result.stderr);
        assertEquals(await niftiDims(out), [20, 24, 16]);
      });

      await t.step(
        "a relative --out resolves against the user's directory (INIT_CWD, as npx sets it)",
        async () => {
          const result = await run(
            Deno.execPath(),
            [...task, ...FETCH, ...endpoint, "--out", "rel/brain.nii"],
            sub,
            { INIT_CWD: sub },
          );
          assertEquals(result.code, 0, result.stderr);
          assertEquals(await niftiDims(`${sub}/rel/brain.nii`), [20, 24, 16]);
        },
      );

      await t.step("the installed command works from another directory", async () => {
        const root = `${work}/install`;
        const install = await run(Deno.execPath(), [
          "install",
          "-g",
          "-f",
          "--root",
          root,
          "-n",
          "spimfetch",
          "--config",
          `${REPO}/deno.json`,
          "--allow-read",
          "--allow-env",
          "--allow-run",
          `${REPO}/spimfetch.ts`,
        ], work);
        assertEquals(install.code, 0, install.stderr);
        const version = await run(`${root}/bin/spimfetch`, ["--version"], sub);
        assertEquals(version.stdout.trim(), JSON.parse(await Deno.readTextFile(`${REPO}/deno.json`)).version);
        const fetched = await run(`${root}/bin/spimfetch`, [...FETCH, ...endpoint], sub);
        assertEquals(fetched.code, 0, fetched.stderr);
        assertEquals(await niftiDims(`${sub}/data/input/652506/652506_Ex_561_Em_593_L0.nii.gz`), [
          20,
          24,
          16,
        ]);
        const listed = await run(`${root}/bin/spimfetch`, ["list", ...endpoint], work);
        assertStringIncludes(
          listed.stdout,
          "SmartSPIM_652506_2023-01-09_10-18-12_stitched_2023-01-13_19-00-54",
        );
      });

      await t.step("a permission still missing is one clear line naming the path", async () => {
        const out = `${work}/denied/brain.nii.gz`;
        const result = await run(Deno.execPath(), [
          "run",
          "--no-prompt",
          "--config",
          `${REPO}/deno.json`,
          "--allow-net",
          "--allow-env",
          "--allow-sys",
          `--allow-read=${REPO}/lib`,
          `${REPO}/cli.ts`,
          ...FETCH,
          ...endpoint,
          "--out",
          out,
        ], sub);
        assertEquals(result.code, 1);
        const errors = result.stderr.split("\n").filter((line) => line.startsWith("error:"));
        assertEquals(errors.length, 1, result.stderr);
        assertStringIncludes(errors[0], `no permission to read "${out}"`);
        assertStringIncludes(errors[0], "--out");
        assert(!result.stderr.includes("run again with the --allow-read flag"), result.stderr);
      });
    } finally {
      await Deno.remove(work, { recursive: true });
    }
  },
});
