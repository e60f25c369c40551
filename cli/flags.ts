/**
 * The one way commands parse their flags: `node:util`'s `parseArgs`, strict, with its messages (written for
 * programmers, about positional arguments starting with a dash) replaced by one line a user can act on,
 * with "did you mean" for a mistyped flag.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { closestName } from "../lib/core/did_you_mean.ts";
import { UsageError } from "./args.ts";

/** The flags of a command, as `parseArgs` takes them. */
export type FlagOptions = NonNullable<ParseArgsConfig["options"]>;

/** What {@linkcode parseFlags} returns: `parseArgs`'s values and positionals. */
export interface ParsedFlags<T extends FlagOptions> {
  /** The flags given, by long name. */
  values: ReturnType<typeof parseArgs<{ options: T; allowPositionals: true }>>["values"];
  /** The other arguments, in order. */
  positionals: string[];
}

/** The flag a `parseArgs` message quotes first, e.g. `--level` in "Option '--level <value>' argument missing". */
function quotedFlag(message: string): string {
  return /'(-[^' ]+)/.exec(message)?.[1] ?? "";
}

/**
 * Parses a command's arguments.
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { parseFlags } from "./flags.ts";
 * const flags = { level: { type: "string" }, force: { type: "boolean" } } as const;
 * assertEquals(parseFlags("fetch", ["--level", "3"], flags).values.level, "3");
 * assertThrows(() => parseFlags("fetch", ["--levle", "3"], flags), Error, "did you mean --level?");
 * ```
 * @param command The command's name, for messages.
 * @param args The arguments after the command's name.
 * @param options The command's flags.
 * @param allowPositionals Whether the command takes positional arguments. @default {false}
 * @returns The values and positionals.
 * @throws {UsageError} For an unknown flag, a flag without its value, a value given to a switch, or an
 * argument the command does not take.
 */
export function parseFlags<T extends FlagOptions>(
  command: string,
  args: string[],
  options: T,
  allowPositionals = false,
): ParsedFlags<T> {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true }) as ParsedFlags<T>;
  } catch (error) {
    const code = (error as { code?: string }).code ?? "";
    const message = (error as Error).message;
    const flag = quotedFlag(message);
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      const name = flag.replace(/^--?/, "").replace(/=.*$/, "");
      const shorts = Object.entries(options).flatMap(([long, o]) => o.short ? [[o.short, long]] : []);
      const short = flag.startsWith("--") ? undefined : shorts.find(([s]) => s === name)?.[1];
      const meant = short ?? closestName(name, Object.keys(options));
      throw new UsageError(
        `unknown option ${flag} for ${command}${meant ? `: did you mean --${meant}?` : ""}`,
        { cause: error },
      );
    }
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
      if (message.includes("does not take an argument")) {
        throw new UsageError(`${flag} is a switch and takes no value`, { cause: error });
      }
      const next = message.includes("ambiguous") ? args[args.indexOf(flag) + 1] : undefined;
      throw new UsageError(
        `${flag} needs a value${next === undefined ? "" : `, got the option ${next} instead`} ` +
          `(a value starting with "-" is written ${flag}=-VALUE)`,
        { cause: error },
      );
    }
    if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
      const argument = /'([^']*)'/.exec(message)?.[1] ?? "";
      throw new UsageError(`${command} takes flags only, got "${argument}"`, { cause: error });
    }
    throw error;
  }
}
