/**
 * Stop signals sent to the launcher (`spimfetch.ts`), as `kill`, SLURM and `timeout` send them to the
 * process they started: the export stops, no output and no `.partial` file is left, and the exit code is
 * 128 + the signal's number. A `.partial` or `.scratch` file that a killed writer (SIGKILL) left is removed
 * by the next write of any output in its folder, a file or an OME-Zarr store.
 *
 * The export is stopped at a known point: a proxy in front of the test S3 server holds every chunk
 * request past the first z-chunk row, so the output's temporary file exists and the export waits.
 *
 * @module
 */
import { assert, assertEquals } from "@std/assert";
import { fileURLToPath } from "node:url";
import { serveDataset } from "../../testing/fixture.ts";
import { startFaultProxy } from "../../testing/fault_proxy.ts";

const REPO = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");
const SPEC = {
  shape: [48, 24, 20] as [number, number, number],
  chunks: [16, 16, 16] as [number, number, number],
  levels: 1,
  channels: ["Ex_561_Em_593"],
  stitched: [{ stitchedAt: "2023-01-13_19-00-54" }],
};
const FETCH = ["fetch", "--subject", "652506", "--channel", "Ex_561_Em_593", "--level", "0", "--quiet"];
/** A chunk key of z-chunk row 1 or later (`.../0/<t>/<c>/<z>/<y>/<x>`). */
const LATER_ROW = /\.zarr\/0\/0\/0\/[1-9]\d*\/\d+\/\d+$/;

/** Starts the launcher as the installed command does (its own permissions), without a terminal. */
function startLauncher(args: string[], cwd: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--no-prompt",
      "--allow-read",
      "--allow-env",
      "--allow-run",
      "--config",
      `${REPO}/deno.json`,
      `${REPO}/spimfetch.ts`,
      ...args,
    ],
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
}

/** The names in a folder, sorted. */
async function names(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) found.push(entry.name);
  return found.sort();
}

/** Waits until a folder holds a `.partial` file, or fails after `ms`. */
async function untilPartial(dir: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if ((await names(dir)).some((n) => n.endsWith(".partial"))) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no .partial file appeared in ${dir} within ${ms} ms`);
}

Deno.test({
  name: "a stop signal sent to the launcher stops the export, leaves no file and exits with 128 + its number",
  async fn(t): Promise<void> {
    await using fixture = await serveDataset(SPEC);
    const work = await Deno.makeTempDir({ prefix: "spimfetch-signals-" });
    try {
      for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]] as const) {
        await t.step(`${signal} → exit ${code}`, async () => {
          await using proxy = await startFaultProxy(fixture.s3.endpoint, {
            rate: 0,
            hold: (request) => LATER_ROW.test(request.path),
          });
          const dir = `${work}/${signal}`;
          await Deno.mkdir(dir);
          const child = startLauncher(
            [...FETCH, "--endpoint", proxy.endpoint, "--out", `${dir}/brain.nii`],
            dir,
          );
          await untilPartial(dir, 60_000);
          child.kill(signal);
          // Before signals were forwarded, the export went on once the proxy let it: the exit code says so.
          const late = setTimeout(() => proxy.release(), 15_000);
          const output = await child.output();
          clearTimeout(late);
          const stderr = new TextDecoder().decode(output.stderr);
          assertEquals(output.code, code, stderr);
          assertEquals(await names(dir), [], "no output and no temporary file");
          const errors = stderr.split("\n").filter((line) => line.startsWith("error: "));
          assertEquals(errors.length, 1, stderr);
          assert(errors[0].includes("no output was written"), stderr);
        });
      }

      await t.step(
        "the next write in a folder removes a killed writer's .partial and .scratch files, of any output",
        async () => {
          const dir = `${work}/stale`;
          await Deno.mkdir(dir);
          // Nobody holds this one's lock, as after its writer was killed.
          const stale = ".other_L0.nii.gz.4194999-0a1b2c3d4e5f.partial";
          // A running writer's file, locked as writers lock it, stays.
          const live = `.running.nii.${Deno.pid}-0a1b2c3d4e5f.partial`;
          // The same for a reorientation's temporary file (a job killed over its memory limit leaves one).
          const staleScratch = ".other_L0.nii.gz.4194999-0a1b2c3d.scratch";
          const liveScratch = `.running.nii.${Deno.pid}-0a1b2c3d.scratch`;
          for (const name of [stale, live, staleScratch, liveScratch]) {
            await Deno.writeTextFile(`${dir}/${name}`, "being written, or half written");
          }
          using writer = await Deno.open(`${dir}/${live}`, { write: true });
          assert(await writer.tryLock(true), "the test holds the live file's lock");
          using reorienting = await Deno.open(`${dir}/${liveScratch}`, { read: true });
          assert(await reorienting.tryLock(true), "the test holds the live scratch file's lock");
          const child = startLauncher(
            [...FETCH, "--endpoint", fixture.s3.endpoint, "--out", `${dir}/b.nii`],
            dir,
          );
          const output = await child.output();
          assertEquals(output.code, 0, new TextDecoder().decode(output.stderr));
          // The export wrote its sidecar (b.json) beside its output.
          assertEquals(await names(dir), [live, liveScratch, "b.json", "b.nii"].sort());
          // An OME-Zarr export cleans up the same way: a killed OME-Zarr writer's rows of chunks go.
          const staleRows = ".c.ome.zarr.0.4194999-0a1b2c3d.scratch";
          await Deno.writeTextFile(`${dir}/${staleRows}`, "a row of chunks, half written");
          const zarr = await startLauncher(
            [...FETCH, "--endpoint", fixture.s3.endpoint, "--out", `${dir}/c.ome.zarr`],
            dir,
          ).output();
          assertEquals(zarr.code, 0, new TextDecoder().decode(zarr.stderr));
          assertEquals(
            await names(dir),
            [live, liveScratch, "b.json", "b.nii", "c.json", "c.ome.zarr"].sort(),
          );
        },
      );
    } finally {
      await Deno.remove(work, { recursive: true });
    }
  },
});
