/**
 * `taskCommand`: the hint names a command the user's shell can run. Run in child processes, since it reads
 * `PATH` and npx's variables.
 *
 * @module
 */
import { assertEquals } from "@std/assert";
import { fileURLToPath } from "node:url";

const MODULE = fileURLToPath(new URL("../../cli/command_name.ts", import.meta.url));

async function hintWith(env: Record<string, string>): Promise<string> {
  const code = `import { taskCommand } from ${JSON.stringify(MODULE)}; console.log(taskCommand("cli"));`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-config", code],
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(out.success, true, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test("taskCommand() names npx when the user came through npx, even with npx's deno on PATH", async () => {
  const bin = await Deno.makeTempDir();
  try {
    // What npx does: its own node_modules/.bin (holding deno) goes first on the child's PATH.
    await Deno.writeTextFile(`${bin}/deno`, "#!/bin/sh\n", { mode: 0o755 });
    assertEquals(await hintWith({ PATH: bin, npm_command: "exec" }), "npx -y deno@2 task cli");
    assertEquals(await hintWith({ PATH: bin }), "deno task cli");
    assertEquals(await hintWith({ PATH: "/nonexistent" }), `${Deno.execPath()} task cli`);
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
});
