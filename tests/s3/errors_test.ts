/**
 * An endpoint that is not S3 (a web server answering every path with an HTML page): one line saying so,
 * asked once, never the SDK's XML parser internals.
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { htmlAnswer } from "../../lib/s3/errors.ts";
import { runCli } from "../../testing/run_cli.ts";

const PAGE = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Lab  portal</title></head>` +
  `<body><h1>Welcome</h1></body></html>`;

Deno.test("htmlAnswer() tells an HTML page from S3's XML, by content type or by the body", () => {
  assertEquals(htmlAnswer({ $response: { headers: { "Content-Type": "text/html; charset=utf-8" } } }), {});
  assertEquals(htmlAnswer({ $responseBodyText: PAGE }), { title: "Lab portal" });
  assertEquals(htmlAnswer({ $responseBodyText: "<html><body>x</body></html>" }), {});
  assertEquals(
    htmlAnswer({
      $response: { headers: { "content-type": "application/xml" } },
      $responseBodyText: "<?xml version='1.0'?><Error><Code>NoSuchKey</Code></Error>",
    }),
    undefined,
  );
  assertEquals(htmlAnswer(new Error("connect ECONNREFUSED")), undefined);
});

Deno.test({
  name: "an endpoint answering HTML is one line 'not an S3 server', asked once, for listings and objects",
  async fn(): Promise<void> {
    let requests = 0;
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
      requests++;
      return new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } });
    });
    const endpoint = `http://127.0.0.1:${server.addr.port}`;
    try {
      const runs = {
        listing: ["list", "--endpoint", endpoint],
        subject: ["info", "652506", "--endpoint", endpoint],
        object: [
          "info",
          "s3://aind-open-data/SmartSPIM_1_2023-01-01_00-00-00/x.zarr",
          "--endpoint",
          endpoint,
        ],
      };
      for (const [what, args] of Object.entries(runs)) {
        requests = 0;
        const { code, err } = await runCli(args);
        assertEquals(code, 1, `${what}: ${err}`);
        const lines = err.split("\n").filter((line) => line.trim() !== "");
        assertEquals(lines.length, 1, `${what}: ${err}`);
        assertStringIncludes(lines[0], "The endpoint is not an S3 server: it answered an HTML page");
        assertStringIncludes(lines[0], '("Lab portal")');
        for (const leak of ["@aws-sdk", "XML parse error", "Deserialization", "$response", "gave up"]) {
          assert(!lines[0].includes(leak), `${what} leaks "${leak}": ${lines[0]}`);
        }
        // An image's v2 and v3 documents (.zattrs, zarr.json) are asked for together; nothing is asked again.
        assert(
          requests <= (what === "object" ? 2 : 1),
          `${what}: a web page was asked for ${requests} times`,
        );
      }
    } finally {
      await server.shutdown();
    }
  },
});
