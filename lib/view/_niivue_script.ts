/**
 * NiiVue's code as one classic script, for embedding in a page or a notebook output.
 *
 * NiiVue publishes its whole bundle (no imports, no workers, no fetches of its own) as a URL-encoded ES
 * module string, `@niivue/niivue/min`. A module cannot be inlined everywhere the viewer must run: a notebook's
 * HTML output runs its scripts as classic scripts, and a blob URL import is refused by some hosts' content
 * security policies. So the module's final `export {...}` becomes a `return {...}` inside a function, which
 * also keeps its top-level names out of the page's globals (a notebook with several viewers runs it twice).
 *
 * @module
 */
import { esm } from "@niivue/niivue/min";

/** The global the script defines: NiiVue's exports, once per page. */
export const NIIVUE_GLOBAL = "spimfetchNiivue";

let cached: string | undefined;

/**
 * NiiVue as a classic script that defines `globalThis.spimfetchNiivue` (once: a second copy is skipped).
 *
 * @returns The script's text (about 2.6 MB).
 * @throws {Error} If the package's bundle no longer ends with one export list (a NiiVue upgrade changed it).
 */
export function niivueScript(): string {
  if (cached) return cached;
  const code = decodeURIComponent(esm as string);
  const match = code.match(/export\s*\{([^}]*)\}\s*;?\s*$/);
  if (!match) {
    throw new Error("Cannot embed NiiVue: its bundle (@niivue/niivue/min) does not end with an export list");
  }
  const entries = match[1].split(",").map((part) => {
    const [local, exported] = part.trim().split(/\s+as\s+/);
    return `${JSON.stringify(exported ?? local)}:${local}`;
  });
  const body = code.slice(0, match.index) + `;return{${entries.join(",")}};`;
  // "</script" inside the code would end the script element early.
  const safe = body.replaceAll("</script", "<\\/script");
  cached = `if(!globalThis.${NIIVUE_GLOBAL}){globalThis.${NIIVUE_GLOBAL}=(function(){${safe}})();}`;
  return cached;
}
