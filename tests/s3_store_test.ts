import { assertEquals, assertRejects, assertStrictEquals, assertThrows } from "@std/assert";
import { S3RequestError } from "../lib/errors.ts";
import { createS3Client, parseS3Uri } from "../lib/s3_client.ts";
import { S3Store } from "../lib/s3_store.ts";
import { startS3Server } from "../testing/s3_server.ts";

Deno.test("S3Store reads whole objects and ranges, and missing keys as undefined", async () => {
  await using server = await startS3Server();
  await server.createBucket("bucket");
  const bytes = new Uint8Array(1000).map((_, i) => i % 251);
  await server.upload("bucket", [["image.zarr/0/.zarray", bytes]]);
  const store = new S3Store("s3://bucket/image.zarr", { endpoint: server.endpoint });
  try {
    assertEquals(await store.get("/0/.zarray"), bytes);
    assertEquals(await store.getRange("/0/.zarray", { offset: 100, length: 10 }), bytes.slice(100, 110));
    assertStrictEquals(await store.get("/0/0/0/0"), undefined);
    assertEquals(store.stats, { requests: 3, missing: 1, bytes: 1010 });
  } finally {
    store.close();
  }
});

/** A plain HTTP server that records requests and answers with a fixed status. */
function recordingServer(status: number) {
  const seen: Headers[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    seen.push(request.headers);
    return new Response(status === 200 ? "hello" : "<Error><Code>X</Code></Error>", { status });
  });
  return { server, seen, endpoint: `http://127.0.0.1:${server.addr.port}` };
}

Deno.test("anonymous requests carry no signature; signed ones do", async () => {
  const { server, seen, endpoint } = recordingServer(200);
  try {
    const anonymous = new S3Store("s3://bucket/p", { endpoint });
    await anonymous.get("/k");
    anonymous.close();
    assertStrictEquals(seen[0].get("authorization"), null);
    const client = createS3Client({ endpoint, credentials: "default" });
    // The SDK's chain reads these variables; give it some so the test does not depend on the machine.
    Deno.env.set("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
    Deno.env.set("AWS_SECRET_ACCESS_KEY", "secret");
    const signed = new S3Store("s3://bucket/p", { client });
    await signed.get("/k");
    client.destroy();
    Deno.env.delete("AWS_ACCESS_KEY_ID");
    Deno.env.delete("AWS_SECRET_ACCESS_KEY");
    assertStrictEquals(seen[1].get("authorization")?.startsWith("AWS4-HMAC-SHA256"), true);
  } finally {
    await server.shutdown();
  }
});

Deno.test("S3Store reads 403 as missing (S3's answer when listing is not allowed)", async () => {
  const { server, endpoint } = recordingServer(403);
  const store = new S3Store("s3://bucket/p", { endpoint });
  try {
    assertStrictEquals(await store.get("/k"), undefined);
  } finally {
    store.close();
    await server.shutdown();
  }
});

Deno.test("S3Store turns other HTTP errors into S3RequestError with the status and URI", async () => {
  const { server, endpoint } = recordingServer(400);
  const store = new S3Store("s3://bucket/p", { endpoint });
  try {
    const error = await assertRejects(() => store.get("/k"), S3RequestError, "HTTP 400");
    assertStrictEquals(error.status, 400);
    assertStrictEquals(error.uri, "s3://bucket/p/k");
  } finally {
    store.close();
    await server.shutdown();
  }
});

Deno.test("parseS3Uri() and createS3Client() reject malformed input", () => {
  assertEquals(parseS3Uri("s3://aind-open-data"), { bucket: "aind-open-data", prefix: "" });
  assertThrows(() => parseS3Uri("https://aind-open-data/x"), TypeError, "expected s3://bucket/prefix");
  assertThrows(() => parseS3Uri("s3://A_B/x"), TypeError);
  assertThrows(() => createS3Client({ endpoint: "127.0.0.1:9000" }), TypeError, "expected an http(s) URL");
});
