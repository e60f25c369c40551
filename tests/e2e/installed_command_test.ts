/**
 * The installed command on a machine whose only Deno came from npm (`npx -y deno@2 task install`): it must
 * start with no `deno` on PATH, export as `deno task cli` does, and name itself (`spimfetch`) in usage
 * lines and hints.
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { fileURLToPath } from "node:url";
import { serveDataset } from "../../testing/fixture.ts";
import { networkEnv } from "../../testing/network_env.ts";

const REPO = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");
/** A PATH with no deno on it (nor anything else: the command's script needs only /bin/sh). */
const NO_DENO_PATH = "/nonexistent-spimfetch-test";

/**
 * Runs a program with only HOME, DENO_DIR, the network settings (a proxy's certificate authority) and the
 * given PATH in its environment, without a terminal.
 */
async function run(
  command: string,
  args: string[],
  cwd: string,
  path = NO_DENO_PATH,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const keep = ["HOME", "DENO_DIR"];
  const env = Object.fromEntries(keep.flatMap((k) => Deno.env.get(k) ? [[k, Deno.env.get(k)!]] : []));
  const output = await new Deno.Command(command, {
    args,
    cwd,
    stdin: "null",
    clearEnv: true,
    env: { ...env, ...networkEnv(), PATH: path, NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder();
  return { code: output.code, stdout: text.decode(output.stdout), stderr: text.decode(output.stderr) };
}

Deno.test({
  name: "the command `deno task install` writes starts with no deno on PATH and names itself",
  async fn(t): Promise<void> {
    await using fixture = await serveDataset({
      shape: [16, 24, 20],
      chunks: [16, 16, 16],
      levels: 1,
      channels: ["Ex_561_Em_593"],
      stitched: [{ stitchedAt: "2023-01-13_19-00-54" }],
    });
    const work = await Deno.makeTempDir({ prefix: "spimfetch-install-" });
    try {
      const root = `${work}/root`;
      const command = `${root}/bin/spimfetch`;
      await t.step("deno task install writes the command, itself with no deno on PATH", async () => {
        const installed = await run(
          Deno.execPath(),
          ["task", "--quiet", "--config", `${REPO}/deno.json`, "install", "--root", root],
          work,
        );
        assertEquals(installed.code, 0, installed.stderr);
        assertEquals(installed.stdout.trim(), command);
        assert(((await Deno.stat(command)).mode! & 0o111) !== 0, "the command is executable");
      });

      await t.step("the command runs: its version and an export", async () => {
        const version = await run(command, ["--version"], work);
        assertEquals(version.code, 0, version.stderr);
        assertEquals(version.stdout.trim(), JSON.parse(await Deno.readTextFile(`${REPO}/deno.json`)).version);
        const out = `${work}/brain.nii`;
        const fetched = await run(command, [
          "fetch",
          "--subject",
          "652506",
          "--channel",
          "Ex_561_Em_593",
          "--level",
          "0",
          "--quiet",
          "--endpoint",
          fixture.s3.endpoint,
          "--out",
          out,
        ], work);
        assertEquals(fetched.code, 0, fetched.stderr);
        // A NIfTI-1 header: sizeof_hdr 348, then dims (x, y, z) = (20, 24, 16) at byte 42.
        const header = new DataView((await Deno.readFile(out)).buffer);
        assertEquals(header.getInt32(0, true), 348);
        assertEquals([1, 2, 3].map((i) => header.getInt16(40 + 2 * i, true)), [20, 24, 16]);
      });

      await t.step("usage lines and hints name `spimfetch`, not `deno task cli`", async () => {
        const help = await run(command, ["fetch", "--help"], work);
        assert(help.stdout.startsWith("Usage: spimfetch fetch "), help.stdout);
        assert(!help.stdout.includes("deno task cli"), help.stdout);
        const typo = await run(command, ["fecth"], work);
        assertEquals(typo.code, 2);
        assertStringIncludes(typo.stderr, 'did you mean "fetch"?');
        assertStringIncludes(typo.stderr, "Run 'spimfetch --help' for usage.");
        const main = await run(command, ["--help"], work);
        assertStringIncludes(main.stdout, "Usage: spimfetch <command> [options]");
      });

      await t.step("`deno install`'s own script, by contrast, needs deno on PATH", async () => {
        const other = `${work}/other`;
        const installed = await run(
          Deno.execPath(),
          [
            "install",
            "-g",
            "-f",
            "--root",
            other,
            "-n",
            "spimfetch",
            "--config",
            `${REPO}/deno.json`,
            "--allow-read",
            "--allow-env",
            "--allow-run",
            `${REPO}/spimfetch.ts`,
          ],
          work,
          Deno.env.get("PATH") ?? "",
        );
        assertEquals(installed.code, 0, installed.stderr);
        const failed = await run(`${other}/bin/spimfetch`, ["--version"], work);
        assertEquals(failed.code, 127, "exec deno: not found");
      });

      await t.step(
        "a re-install replaces the command; a file that is not one is kept without --force",
        async () => {
          const again = await run(
            Deno.execPath(),
            ["task", "--quiet", "--config", `${REPO}/deno.json`, "install", "--root", root],
            work,
          );
          assertEquals(again.code, 0, again.stderr);
          await Deno.writeTextFile(`${root}/bin/mine`, "#!/bin/sh\necho mine\n");
          const refused = await run(
            Deno.execPath(),
            ["task", "--quiet", "--config", `${REPO}/deno.json`, "install", "--root", root, "--name", "mine"],
            work,
          );
          assertEquals(refused.code, 1);
          assertStringIncludes(refused.stderr, "is not a spimfetch command; add --force to replace it");
          assertEquals(await Deno.readTextFile(`${root}/bin/mine`), "#!/bin/sh\necho mine\n");
        },
      );
    } finally {
      await Deno.remove(work, { recursive: true });
    }
  },
});
