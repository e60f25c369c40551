/**
 * Test helper: gzip files checked by an inflater that shares no code with
 * spimfetch's compressors, Python's zlib (through `python3`).
 *
 * @module
 */
import { assert } from "@std/assert";

/**
 * Whether `python3` with its zlib module runs here.
 * @returns `undefined` when it does, else what is missing.
 */
export async function pythonZlibMissing(): Promise<string | undefined> {
  try {
    const { success } = await new Deno.Command("python3", {
      args: ["-c", "import zlib, hashlib"],
      stdout: "null",
    })
      .output();
    return success ? undefined : "python3's zlib does not load";
  } catch {
    return "python3 is missing";
  }
}

/**
 * The SHA-256 (hex) of bytes, by the Web Crypto API.
 * @param bytes The bytes.
 * @returns 64 hex digits.
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Inflates each file with Python's zlib, insisting on exactly one gzip member
 * that ends at the file's end (no second member, no trailing bytes), and
 * returns the SHA-256 of each content, in order.
 *
 * @param files gzip files' bytes.
 * @returns The contents' SHA-256 (hex).
 * @throws {AssertionError} If Python fails on any of them.
 */
export async function pythonGunzipSha256(files: Uint8Array[]): Promise<string[]> {
  const dir = await Deno.makeTempDir();
  try {
    const paths = await Promise.all(files.map(async (file, i) => {
      const path = `${dir}/${i}.gz`;
      await Deno.writeFile(path, file);
      return path;
    }));
    const script = "import hashlib, sys, zlib\n" +
      "for path in sys.argv[1:]:\n" +
      "    data = open(path, 'rb').read()\n" +
      "    d = zlib.decompressobj(31)\n" +
      "    out = d.decompress(data) + d.flush()\n" +
      "    assert d.eof and d.unused_data == b'', path + ': not exactly one gzip member'\n" +
      "    print(hashlib.sha256(out).hexdigest())\n";
    const output = await new Deno.Command("python3", {
      args: ["-c", script, ...paths],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(output.success, new TextDecoder().decode(output.stderr));
    return new TextDecoder().decode(output.stdout).trim().split("\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
