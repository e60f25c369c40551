/**
 * Native codec libraries (c-blosc, ISA-L) reached through Deno's FFI, used
 * only where they load: a library that is missing, an `--allow-ffi` that does
 * not name it, or `SPIMFETCH_NATIVE=0` in the environment all mean the pure
 * path (TypeScript and WebAssembly), silently.
 *
 * Debian names: `libblosc1` (c-blosc 1.21, the library zarr-python's Blosc
 * wraps) and `libisal2` (Intel ISA-L 2.30, whose deflate can end a segment
 * with a sync flush, which a parallel writer needs to join segments into one
 * gzip member). ISA-L is called through a shim that ships with spimfetch
 * (`native/libspimfetch_isal.so`, x86_64 Linux, built by
 * `tools/build_isal_shim.sh`) whose functions take only buffers and numbers,
 * which Deno allows under FFI granted for exact paths.
 *
 * Its examples are not run as doc tests: a loaded library stays loaded for the process, which the test
 * sanitizer reports as a leak; `tests/codecs/native_test.ts` runs the same calls.
 *
 * @module
 */

/**
 * The native libraries spimfetch can use, by short name: `isal_shim` is
 * spimfetch's own shim over `isal` (which it links).
 */
export type NativeLibraryName = "blosc" | "isal" | "isal_shim";

// Sonames, then the folders a distribution puts them in (Debian's multiarch folders first).
const SONAMES: Record<Exclude<NativeLibraryName, "isal_shim">, string[]> = {
  blosc: ["libblosc.so.1"],
  isal: ["libisal.so.2"],
};
// The shim ships beside this file, built for one platform only.
const SHIM = new URL("./native/libspimfetch_isal.so", import.meta.url);
const SHIM_PLATFORM = Deno.build.os === "linux" && Deno.build.arch === "x86_64";
const FOLDERS = [
  "/usr/lib/x86_64-linux-gnu",
  "/usr/lib/aarch64-linux-gnu",
  "/usr/lib64",
  "/usr/lib",
  "/usr/local/lib",
  "/lib/x86_64-linux-gnu",
  "/lib/aarch64-linux-gnu",
];

/** The environment variable that turns the native path off when set to `0`. */
export const NATIVE_ENV = "SPIMFETCH_NATIVE";

function granted(descriptor: Deno.PermissionDescriptor): boolean {
  try {
    return Deno.permissions.querySync(descriptor).state === "granted";
  } catch {
    return false;
  }
}

function exists(path: string): boolean | undefined {
  if (!granted({ name: "read", path })) return undefined;
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * Whether the native path is turned off, by `SPIMFETCH_NATIVE=0` (read only
 * where env access to it is granted, so no prompt appears).
 *
 * @example
 * ```ts
 * import { nativeDisabled } from "./native.ts";
 * console.log(nativeDisabled());
 * ```
 * @returns True when the environment forces the pure path.
 */
export function nativeDisabled(): boolean {
  if (!granted({ name: "env", variable: NATIVE_ENV })) return false;
  return Deno.env.get(NATIVE_ENV) === "0";
}

/**
 * The candidate paths of one library, in the order they are tried: those that
 * exist when the file system may be read, or every candidate otherwise.
 */
function candidates(name: NativeLibraryName): string[] {
  if (name === "isal_shim") {
    // Not from a file (the library imported by URL) or another platform: no shim, so no ISA-L. Without
    // libisal the shim cannot load; it is then not offered either, so that nothing is granted in vain.
    if (SHIM.protocol !== "file:" || !SHIM_PLATFORM || candidates("isal").length === 0) return [];
    const path = decodeURIComponent(SHIM.pathname);
    return exists(path) === false ? [] : [path];
  }
  const all = SONAMES[name].flatMap((soname) => FOLDERS.map((folder) => `${folder}/${soname}`));
  const found = all.filter((path) => exists(path) === true);
  return found.length > 0 || all.every((path) => exists(path) === false) ? found : all;
}

/**
 * The exact shared-library paths the native path would open: one per library
 * found on this machine (c-blosc, ISA-L and spimfetch's shim over it). A
 * launcher grants exactly these with `--allow-ffi=<path>,<path>`; nothing
 * else needs FFI.
 *
 * @example Print the flag for this machine
 * ```ts
 * import { nativeLibraryPaths } from "./native.ts";
 * const paths = nativeLibraryPaths();
 * console.log(paths.length > 0 ? `--allow-ffi=${paths.join(",")}` : "(no native libraries)");
 * ```
 * @returns Absolute paths, at most one per library (an empty array when none is installed).
 */
export function nativeLibraryPaths(): string[] {
  const names: NativeLibraryName[] = ["blosc", "isal", "isal_shim"];
  return names.flatMap((name) => candidates(name).slice(0, 1));
}

/**
 * Opens a native library with `symbols`, or returns `undefined` where it is
 * missing, FFI is not granted for its path, or the native path is turned off.
 *
 * @example
 * ```ts ignore
 * import { openNativeLibrary } from "./native.ts";
 * const lib = openNativeLibrary("blosc", { blosc_get_nthreads: { parameters: [], result: "i32" } } as const);
 * console.log(lib ? "c-blosc loaded" : "pure path");
 * ```
 * @param name The library.
 * @param symbols Its functions, as `Deno.dlopen` takes them.
 * @returns The loaded library, or `undefined`.
 */
export function openNativeLibrary<S extends Deno.ForeignLibraryInterface>(
  name: NativeLibraryName,
  symbols: S,
): Deno.DynamicLibrary<S> | undefined {
  if (nativeDisabled()) return undefined;
  return openLibraryFrom(candidates(name), symbols);
}

/**
 * Opens the first of `paths` that FFI may open and that loads, or returns `undefined`.
 *
 * @example A library that is not there
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { openLibraryFrom } from "./native.ts";
 * assertEquals(openLibraryFrom(["/nonexistent/libblosc.so.1"], {}), undefined);
 * ```
 * @param paths Candidate paths, in order.
 * @param symbols The functions, as `Deno.dlopen` takes them.
 * @returns The loaded library, or `undefined`.
 */
export function openLibraryFrom<S extends Deno.ForeignLibraryInterface>(
  paths: string[],
  symbols: S,
): Deno.DynamicLibrary<S> | undefined {
  if (typeof Deno.dlopen !== "function") return undefined;
  for (const path of paths) {
    if (!granted({ name: "ffi", path })) continue;
    try {
      return Deno.dlopen(path, symbols);
    } catch {
      // A path that is not there (or not this architecture): try the next.
    }
  }
  return undefined;
}
