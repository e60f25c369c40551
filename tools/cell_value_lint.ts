/**
 * A `deno lint` plugin for `tools/check_notebooks.ts`: in a file holding one notebook cell, it reports the
 * cell's last statement when that is an expression, with the expression's range (UTF-16 offsets, as
 * JavaScript strings count) as the message. The check then asks the type checker whether that expression
 * has a value: the kernel would show one as the cell's result, which headless runs can lose.
 *
 * @module
 */

/** The plugin, with its one rule `notebook-cell/last-expression`. */
const plugin: Deno.lint.Plugin = {
  name: "notebook-cell",
  rules: {
    "last-expression": {
      create(context): Deno.lint.LintVisitor {
        return {
          Program(node): void {
            const last = node.body.at(-1);
            if (last?.type === "ExpressionStatement") {
              context.report({ node: last, message: JSON.stringify(last.expression.range) });
            }
          },
        };
      },
    },
  },
};

export default plugin;
