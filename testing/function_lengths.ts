/**
 * The length in lines of every function of a TypeScript module, found through Deno's own parser (the
 * `Deno.lint.runPlugin` API, available under `deno test`), so that arrow functions, methods and functions
 * nested in others are all counted as the type checker sees them.
 *
 * @module
 */

/** One function of a module and its length. */
export interface FunctionLength {
  /** The function's name: its declaration's, its variable's, its property's or method's; `(anonymous)` else. */
  name: string;
  /** The line its text starts on (1-based). */
  line: number;
  /** Lines from its first to its last, both included (a nested function's lines count in its parent too). */
  lines: number;
}

/** A node of Deno's lint AST, as far as naming a function needs it. */
interface NamedNode {
  range: [number, number];
  id?: { name?: string } | null;
  parent?: { type: string; id?: { name?: string }; key?: { name?: string; value?: unknown } };
}

function nameOf(node: NamedNode): string {
  if (node.id?.name) return node.id.name;
  const parent = node.parent;
  if (parent?.type === "VariableDeclarator" && parent.id?.name) return parent.id.name;
  if (parent?.type === "MethodDefinition" || parent?.type === "Property") {
    return parent.key?.name ?? String(parent.key?.value ?? "(anonymous)");
  }
  return "(anonymous)";
}

/**
 * Every function of a module with its length in lines.
 *
 * @param file The module's path (names it in parse errors).
 * @param source The module's text.
 * @returns The functions, in the order the parser meets them.
 */
export function functionLengths(file: string, source: string): FunctionLength[] {
  const lineStarts = [0];
  for (let i = 0; i < source.length; i++) if (source[i] === "\n") lineStarts.push(i + 1);
  const lineOf = (offset: number): number => {
    let lo = 0, hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const found: FunctionLength[] = [];
  const plugin: Deno.lint.Plugin = {
    name: "function-lengths",
    rules: {
      measure: {
        create(): Deno.lint.LintVisitor {
          const visit = (node: unknown): void => {
            const named = node as NamedNode;
            // The end offset is one past the closing brace.
            const [start, end] = named.range;
            const line = lineOf(start);
            found.push({ name: nameOf(named), line, lines: lineOf(end - 1) - line + 1 });
          };
          return { FunctionDeclaration: visit, FunctionExpression: visit, ArrowFunctionExpression: visit };
        },
      },
    },
  };
  Deno.lint.runPlugin(plugin, file, source);
  return found;
}
