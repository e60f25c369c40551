/**
 * What a child Deno needs from the environment to reach the npm registry on this machine: a test that runs a
 * command in a cleared environment (to prove it needs no `deno` on PATH, no INIT_CWD, ...) keeps these, so
 * that a proxy's certificate authority (NODE_EXTRA_CA_CERTS, which Deno reads too) or a proxy setting is not
 * taken away with the rest.
 *
 * @module
 */

const NETWORK_KEYS = [
  "DENO_CERT",
  "DENO_TLS_CA_STORE",
  "NODE_EXTRA_CA_CERTS",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
  "NPM_CONFIG_REGISTRY",
];

/**
 * The network settings of this process's environment that are set.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { networkEnv } from "./network_env.ts";
 * assert(Object.keys(networkEnv()).every((k) => Deno.env.get(k) !== undefined));
 * ```
 * @returns Those variables and their values.
 */
export function networkEnv(): Record<string, string> {
  return Object.fromEntries(NETWORK_KEYS.flatMap((k) => Deno.env.get(k) ? [[k, Deno.env.get(k)!]] : []));
}
