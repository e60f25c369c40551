/**
 * Debian's nibabel (through `/usr/bin/python3`) as the independent NIfTI writer and reader of the tests.
 * Tests that need it skip locally with one line when it is missing, and fail when `CI=true` (`.ci/run`
 * installs `python3-nibabel`).
 *
 * @module
 */

/** Debian's Python, which has Debian's nibabel (a `python3` first on PATH may be another). */
export const PYTHON = "/usr/bin/python3";

/**
 * Why nibabel cannot be used, or `undefined` when it can.
 * @throws {Error} When it is missing and `CI=true`.
 */
export async function nibabelMissing(): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(PYTHON, { args: ["-c", "import nibabel, numpy"], stderr: "null" })
      .output();
    if (out.success) return undefined;
  } catch { /* no python3 */ }
  const line = "python3 with nibabel and numpy is not installed (apt-get install python3-nibabel)";
  if (Deno.env.get("CI") === "true") throw new Error(`CI=true but ${line}`);
  return line;
}

/**
 * Runs a Python script with arguments and returns what it printed.
 * @throws {Error} With the script's stderr when it fails.
 */
export async function runPython(script: string, args: string[] = []): Promise<string> {
  const out = await new Deno.Command(PYTHON, {
    args: ["-c", script, ...args],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  if (!out.success) throw new Error(`python3 failed: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}
