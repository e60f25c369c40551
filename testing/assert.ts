/**
 * The subset of `@std/assert` this project uses, over `node:assert/strict`.
 *
 * `jsr:@std/assert` cannot be installed where this project is developed (jsr
 * is unreachable), so `deno.json` maps `@std/assert` here. The names and
 * argument orders are std's, so switching back is a one-line change.
 *
 * @module
 */
import nodeAssert from "node:assert/strict";

/** Asserts that `condition` is truthy. */
export function assert(condition: unknown, message?: string): asserts condition {
  nodeAssert.ok(condition, message);
}

/** Asserts deep equality (structural, strict). */
export function assertEquals<T>(actual: unknown, expected: T, message?: string): asserts actual is T {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

/** Asserts deep inequality. */
export function assertNotEquals(actual: unknown, expected: unknown, message?: string): void {
  nodeAssert.notDeepStrictEqual(actual, expected, message);
}

/** Asserts `Object.is` equality. */
export function assertStrictEquals<T>(actual: unknown, expected: T, message?: string): asserts actual is T {
  nodeAssert.strictEqual(actual, expected, message);
}

/** Asserts that two numbers differ by at most `tolerance` (default 1e-7). */
export function assertAlmostEquals(
  actual: number,
  expected: number,
  tolerance = 1e-7,
  message?: string,
): void {
  if (!(Math.abs(actual - expected) <= tolerance)) {
    throw new nodeAssert.AssertionError({
      message: message ?? `Expected ${actual} to be within ${tolerance} of ${expected}`,
      actual,
      expected,
    });
  }
}

/** Asserts that `value` is neither `null` nor `undefined`. */
export function assertExists<T>(value: T, message?: string): asserts value is NonNullable<T> {
  nodeAssert.ok(value !== null && value !== undefined, message ?? "Expected a value, got null or undefined");
}

/** Asserts that `value` matches `pattern`. */
export function assertMatch(value: string, pattern: RegExp, message?: string): void {
  nodeAssert.match(value, pattern, message);
}

/** Asserts that `value` contains `expected`. */
export function assertStringIncludes(value: string, expected: string, message?: string): void {
  nodeAssert.ok(
    value.includes(expected),
    message ?? `Expected ${JSON.stringify(value)} to include ${JSON.stringify(expected)}`,
  );
}

// deno-lint-ignore no-explicit-any
type Constructor<T> = new (...args: any[]) => T;

/** Asserts that `value` is an instance of `type`. */
export function assertInstanceOf<T>(
  value: unknown,
  type: Constructor<T>,
  message?: string,
): asserts value is T {
  nodeAssert.ok(
    value instanceof type,
    message ?? `Expected an instance of ${type.name}, got ${String(value)}`,
  );
}

function checkError<E extends Error>(error: unknown, type?: Constructor<E>, includes?: string): E {
  if (type && !(error instanceof type)) {
    throw new nodeAssert.AssertionError({
      message: `Expected error to be an instance of ${type.name}, got ${String(error)}`,
    });
  }
  if (includes !== undefined && !(error instanceof Error && error.message.includes(includes))) {
    throw new nodeAssert.AssertionError({
      message: `Expected error message to include ${JSON.stringify(includes)}, got ${String(error)}`,
    });
  }
  return error as E;
}

/** Asserts that `fn` throws, optionally an instance of `type` whose message includes `includes`. */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  type?: Constructor<E>,
  includes?: string,
): E {
  try {
    fn();
  } catch (error) {
    return checkError(error, type, includes);
  }
  throw new nodeAssert.AssertionError({ message: "Expected function to throw" });
}

/** Asserts that `fn` rejects, optionally with an instance of `type` whose message includes `includes`. */
export async function assertRejects<E extends Error = Error>(
  fn: () => PromiseLike<unknown>,
  type?: Constructor<E>,
  includes?: string,
): Promise<E> {
  try {
    await fn();
  } catch (error) {
    return checkError(error, type, includes);
  }
  throw new nodeAssert.AssertionError({ message: "Expected promise to reject" });
}
