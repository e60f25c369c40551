/**
 * Test helper: a test that needs a tool from Debian is skipped locally with
 * one line saying so when the tool is missing, and fails when `CI=true`
 * (`.ci/run` installs what the tests need).
 *
 * @module
 */

/**
 * Whether a command runs and exits 0.
 * @param command The program.
 * @param args Its arguments (e.g. `--version`).
 * @returns True when it ran successfully.
 */
export async function commandWorks(command: string, args: string[]): Promise<boolean> {
  try {
    return (await new Deno.Command(command, { args, stdout: "null", stderr: "null" }).output()).success;
  } catch {
    return false;
  }
}

/**
 * The name and `ignore` flag of a test that needs something: with it
 * missing, locally a skip announced on one line; in CI a failing test of its
 * own, registered here.
 * @param name The test's name.
 * @param missing What is missing, or `undefined` when all is there.
 * @returns Fields to spread into `Deno.test`'s definition.
 */
export function requirement(name: string, missing: string | undefined): { name: string; ignore: boolean } {
  if (missing && Deno.env.get("CI") === "true") {
    Deno.test(`${name} (CI): ${missing}`, () => {
      throw new Error(`Cannot run "${name}" in CI: ${missing}; .ci/run should have installed it`);
    });
  } else if (missing) console.warn(`WARNING: "${name}" SKIPPED: ${missing}; .ci/run installs it.`);
  return { name: missing ? `${name} (SKIPPED: ${missing})` : name, ignore: missing !== undefined };
}
