/**
 * `notebookProgress`: in a kernel (one output updated in place) and outside it.
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { notebookProgress } from "../../lib/display/notebook_progress.ts";
import { createProgressReporter } from "../../lib/display/progress.ts";
import type { ProgressEvent } from "../../lib/core/progress_event.ts";

Deno.test("notebookProgress() shows one output and updates it in place, throttled, with every stage", async () => {
  const calls: { bundle: { "text/plain": string }; options: { display_id?: string; update?: boolean } }[] =
    [];
  const jupyter = {
    display: (bundle: unknown, options: { raw: boolean; display_id?: string; update?: boolean }) => {
      calls.push({ bundle: bundle as { "text/plain": string }, options });
      return Promise.resolve();
    },
  };
  let t = 0;
  const progress = notebookProgress({ jupyter, title: "Level 3", intervalMs: 100, now: () => t });
  progress({ stage: "fetch", done: 1, total: 4, bytes: 100 });
  t = 50;
  progress({ stage: "fetch", done: 2, total: 4, bytes: 200 }); // within the interval: skipped
  t = 500;
  progress({ stage: "fetch", done: 4, total: 4, bytes: 400 }); // finished: always shown
  t = 600;
  progress({ bytesWritten: 10, totalBytes: 10 }); // a writer's event
  await progress.settle();
  assertEquals(calls.length, 3);
  assert(calls.every((c) => c.options.display_id === calls[0].options.display_id && c.options.display_id));
  assertEquals(calls.map((c) => c.options.update), [false, true, true]);
  assertStringIncludes(calls[1].bundle["text/plain"], "fetch 4/4 chunks (100%)");
  assertStringIncludes(calls[2].bundle["text/plain"], "write 10 B/10 B (100%)");
  assertStringIncludes(calls[2].bundle["text/plain"], "fetch 4/4"); // earlier stages stay visible
  // One HTML bar per stage, each at its stage's latest figures.
  const html = (calls[2].bundle as { "text/html"?: string })["text/html"] ?? "";
  assertStringIncludes(html, `<progress value="4" max="4"`);
  assertStringIncludes(html, `<progress value="10" max="10"`);
  assertStringIncludes(html, "<b>Level 3</b>");
});

Deno.test("notebookProgress() outside a kernel reports like the terminal reporter", async () => {
  // A fetch stage and a writer's byte counts, on a clock that steps 0, 1, 4, 5 and 7 s. Off a terminal the
  // reporter prints a line at most every 2 s, and always at the end of a stage: events 2 and 4 are skipped.
  const clock = [0, 1000, 4000, 5000, 7000];
  const events = [
    { stage: "fetch", done: 1, total: 4, bytes: 1024 },
    { stage: "fetch", done: 2, total: 4, bytes: 2048 },
    { stage: "fetch", done: 4, total: 4, bytes: 4096 },
    { bytesWritten: 512, totalBytes: 1024 },
    { bytesWritten: 1024, totalBytes: 1024 },
  ];
  // By hand: at t = 0 the rate is unknown and 1 of 4 chunks took 0 s, so 0 s are left; the fetch ends after
  // 4 s at 4096 B / 4 s = 1 KiB/s; the write starts at 5 s and ends at 7 s, 1024 B / 2 s = 512 B/s.
  const expected = [
    "fetch 1/4 chunks (25%), 1.0 KiB, -/s, 0s left",
    "fetch 4/4 chunks (100%), 4.0 KiB, 1.0 KiB/s, done in 4s",
    "write 1.0 KiB/1.0 KiB (100%), 1.0 KiB, 512 B/s, done in 2s",
  ];
  // The notebook reporter writes to the process's stderr: run it in a child (not a kernel, stderr a pipe).
  const code = `
    import { notebookProgress } from ${
    JSON.stringify(new URL("../../lib/display/notebook_progress.ts", import.meta.url).href)
  };
    const clock = ${JSON.stringify(clock)};
    let tick = 0;
    const progress = notebookProgress({ now: () => clock[tick++] });
    for (const event of ${JSON.stringify(events)}) progress(event);
    await progress.settle();
  `;
  const child = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", code],
    cwd: new URL("../..", import.meta.url),
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(child.stderr);
  assertEquals(child.code, 0, stderr);
  assertEquals(new TextDecoder().decode(child.stdout), "");
  assertEquals(stderr.split("\n"), [...expected, ""]);
  // And the terminal reporter, off a terminal, prints the same for the same events.
  const lines: string[] = [];
  let tick = 0;
  const report = createProgressReporter({
    now: () => clock[tick++],
    writer: {
      writeSync: (b) => (lines.push(new TextDecoder().decode(b)), b.length),
      isTerminal: () => false,
    },
  });
  for (const event of events) {
    report(
      "stage" in event
        ? event as ProgressEvent
        : { stage: "write", done: event.bytesWritten, total: event.totalBytes, bytes: event.bytesWritten },
    );
  }
  assertEquals(lines, expected.map((line) => `${line}\n`));
});
