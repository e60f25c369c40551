import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { MetadataError, S3RequestError } from "../../lib/core/errors.ts";
import {
  createS3Client,
  parseS3Uri,
  type S3ClientLike,
  type S3Options,
  usesTls,
} from "../../lib/s3/client.ts";
import { S3Client } from "@aws-sdk/client-s3";
import { S3Store, type S3StoreOptions } from "../../lib/s3/store.ts";
import { etagCheckedByDefault } from "../../lib/s3/_body_checks.ts";
import { type FaultKind, type FaultProxy, startFaultProxy } from "../../testing/fault_proxy.ts";
import { startS3Server } from "../../testing/s3_server.ts";

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
    assertEquals(store.stats, { requests: 3, missing: 1, bytes: 1010, retries: 0, cacheHits: 0 });
  } finally {
    store.close();
  }
});

/** A plain HTTP server that records requests and answers with a fixed status. */
function recordingServer(status: number): { server: Deno.HttpServer; seen: Headers[]; endpoint: string } {
  const seen: Headers[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen(): void {} }, (request): Response => {
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

const OBJECT = new Uint8Array(100_000).map((_, i) => (i * 7) % 251);

/** A test server holding one object, behind a proxy that faults requests as `plan` says. */
interface FaultyStore extends AsyncDisposable {
  store: S3Store;
  proxy: FaultProxy;
}

async function faultyStore(
  plan: (request: { repeat: number; target: string }) => FaultKind | undefined,
  options: S3StoreOptions = {},
): Promise<FaultyStore> {
  const server = await startS3Server();
  await server.createBucket("bucket");
  await server.upload("bucket", [
    ["image.zarr/k", OBJECT],
    ["image.zarr/r", OBJECT],
    ["image.zarr/.zattrs", new Uint8Array(2000)],
  ]);
  const proxy = await startFaultProxy(server.endpoint, { plan, stallMs: 5000 });
  const store = new S3Store("s3://bucket/image.zarr", {
    endpoint: proxy.endpoint,
    retryBaseMs: 1,
    requestTimeoutMs: 1000,
    ...options,
  });
  return {
    store,
    proxy,
    async [Symbol.asyncDispose](): Promise<void> {
      store.close();
      await proxy.close();
      await server.close();
    },
  };
}

for (const kind of ["error500", "error503", "reset", "truncate", "corrupt", "stall"] as const) {
  Deno.test(`S3Store retries after a "${kind}" fault and returns the exact bytes`, async () => {
    // The first request for each URL is faulted.
    await using f = await faultyStore((r) => (r.repeat === 0 ? kind : undefined));
    assertEquals(await f.store.get("/k"), OBJECT);
    // A range has no checksum to check a flipped byte against: only whole objects are corrupted.
    const ranged = kind !== "corrupt";
    if (ranged) {
      assertEquals(await f.store.getRange("/r", { offset: 500, length: 70_000 }), OBJECT.slice(500, 70_500));
    }
    const faults = ranged ? 2 : 1;
    assertStrictEquals(f.proxy.stats.faults[kind], faults);
    if (kind === "reset") {
      // A connection dropped before any answer on a reused keep-alive socket is re-sent by Deno's HTTP
      // client itself, unseen by the store: each reset costs a retry or a silent re-send.
      assert(
        f.store.stats.retries >= 1 && f.store.stats.retries <= faults,
        `${f.store.stats.retries} retries`,
      );
    } else {
      assertStrictEquals(f.store.stats.retries, faults);
    }
  });
}

Deno.test("an MD5 ETag is checked over plain HTTP unless turned off, and by default not over HTTPS", async () => {
  // Over HTTP the flipped byte is caught and fetched again; with the check off it is handed on as sent.
  await using checked = await faultyStore((r) => (r.repeat === 0 ? "corrupt" : undefined));
  assertEquals(await checked.store.get("/k"), OBJECT);
  assertStrictEquals(checked.store.stats.retries, 1);
  await using unchecked = await faultyStore((r) => (r.repeat === 0 ? "corrupt" : undefined), {
    verifyEtag: false,
  });
  const body = (await unchecked.store.get("/k"))!;
  assertStrictEquals(unchecked.store.stats.retries, 0);
  assertStrictEquals(body.length, OBJECT.length);
  assert(body.some((byte, i) => byte !== OBJECT[i]), "the corrupted byte was handed on");
  // The default by transport: TLS authenticates every byte; a caller's own client of unknown transport is
  // checked.
  const tls = (options: S3Options): boolean | undefined => usesTls(createS3Client(options));
  const own = new S3Client({ region: "us-west-2" });
  assertEquals(
    [tls({ endpoint: "http://127.0.0.1:4568" }), tls({ endpoint: "https://minio.example.org" }), tls({})],
    [false, true, true],
  );
  assertEquals([tls({ client: own }), etagCheckedByDefault(undefined)], [undefined, true]);
  assertEquals([etagCheckedByDefault(false), etagCheckedByDefault(true)], [true, false]);
  own.destroy();
});

Deno.test("a body read into its announced length is whole; one shorter or longer is refused with both figures", async () => {
  // A client answering every GET with `sent` bytes in pieces of 3 while announcing `announced`: the fetch
  // handler's byte stream, read into one buffer.
  const answering = (sent: number, announced: number): S3ClientLike =>
    ({
      send: () => {
        const bytes = new Uint8Array(sent).map((_, i) => i + 1);
        let at = 0;
        const Body = new ReadableStream({
          type: "bytes",
          pull(controller): void {
            if (at < bytes.length) return controller.enqueue(bytes.slice(at, at += 3));
            // A pending BYOB read learns of the end from respond(0) after close().
            controller.close();
            controller.byobRequest?.respond(0);
          },
        });
        return Promise.resolve({ Body, ContentLength: announced, $metadata: { requestId: "r" } });
      },
      destroy: () => {},
    }) as unknown as S3ClientLike;
  const read = (sent: number, announced: number): Promise<Uint8Array | undefined> =>
    new S3Store("s3://bucket/p", { client: answering(sent, announced), maxAttempts: 1, verifyEtag: false })
      .getRange("/k", { offset: 0, length: announced });
  assertEquals(await read(10, 10), new Uint8Array(10).map((_, i) => i + 1));
  await assertRejects(() => read(10, 8), S3RequestError, "S3 sent 10 of the 8 bytes it announced");
  await assertRejects(() => read(6, 8), S3RequestError, "S3 sent 6 of the 8 bytes it announced");
});

Deno.test("S3Store gives up after maxAttempts, saying so, with the last status", async () => {
  await using f = await faultyStore(() => "error503", { maxAttempts: 3 });
  const retried: number[] = [];
  const store = new S3Store("s3://bucket/image.zarr", {
    endpoint: f.proxy.endpoint,
    retryBaseMs: 1,
    maxAttempts: 3,
    onRetry: (event) => retried.push(event.attempt),
  });
  try {
    const error = await assertRejects(() => store.get("/k"), S3RequestError, "HTTP 503 (SlowDown)");
    assertStringIncludes(error.message, "gave up after 3 attempts");
    assertStringIncludes(error.message, "s3://bucket/image.zarr/k");
    assertStrictEquals(error.status, 503);
    assertEquals(retried, [1, 2]);
    assertEquals([store.stats.requests, store.stats.retries], [3, 2]);
  } finally {
    store.close();
  }
});

Deno.test("S3Store fails at once on a permanent error (400, a missing bucket)", async () => {
  const { server, endpoint } = recordingServer(400);
  const store = new S3Store("s3://bucket/p", { endpoint, retryBaseMs: 1 });
  try {
    await assertRejects(() => store.get("/k"), S3RequestError, "HTTP 400");
    assertEquals([store.stats.requests, store.stats.retries], [1, 0]);
  } finally {
    store.close();
    await server.shutdown();
  }
  await using s3 = await startS3Server();
  const missing = new S3Store("s3://no-such-bucket/p", { endpoint: s3.endpoint, retryBaseMs: 1 });
  try {
    await assertRejects(() => missing.get("/k"), S3RequestError, 'Bucket "no-such-bucket" does not exist');
    assertEquals(missing.stats.requests, 1);
  } finally {
    missing.close();
  }
});

Deno.test("an abort while waiting to retry rejects at once with the abort's reason", async () => {
  await using f = await faultyStore(() => "error500");
  const controller = new AbortController();
  const store = new S3Store("s3://bucket/image.zarr", {
    endpoint: f.proxy.endpoint,
    // A wait long enough that the test would hang if the abort did not cut it short.
    retryBaseMs: 600_000,
    retryMaxMs: 600_000,
    onRetry: () => controller.abort(new DOMException("stop", "AbortError")),
  });
  try {
    await assertRejects(() => store.get("/k", { signal: controller.signal }), DOMException, "stop");
    assertStrictEquals(store.stats.requests, 1);
  } finally {
    store.close();
  }
});

Deno.test("a metadata document over the cap is refused before its body is read", async () => {
  await using f = await faultyStore(() => undefined, { maxMetadataBytes: 1000 });
  const error = await assertRejects(() => f.store.get("/.zattrs"), MetadataError, "2000 bytes");
  assertStringIncludes(error.message, "s3://bucket/image.zarr/.zattrs");
  assertEquals([f.store.stats.bytes, f.store.stats.retries], [0, 0]);
});

Deno.test("credentials never appear in errors from signed requests", async () => {
  const secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLESECRET";
  const { server, endpoint } = recordingServer(400);
  Deno.env.set("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
  Deno.env.set("AWS_SECRET_ACCESS_KEY", secret);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedPort = (listener.addr as Deno.NetAddr).port;
  listener.close();
  try {
    for (const target of [endpoint, `http://127.0.0.1:${closedPort}`]) {
      const store = new S3Store("s3://bucket/p", {
        endpoint: target,
        credentials: "default",
        retryBaseMs: 1,
        maxAttempts: 2,
      });
      try {
        const error = await assertRejects(() => store.get("/k"), S3RequestError);
        const everything = `${error.message}\n${error.stack}\n${Deno.inspect(error, { depth: 12 })}`;
        assert(!everything.includes(secret), "the secret key appears in the error");
        assert(!everything.includes(secret.slice(0, 20)), "part of the secret key appears in the error");
      } finally {
        store.close();
      }
    }
  } finally {
    Deno.env.delete("AWS_ACCESS_KEY_ID");
    Deno.env.delete("AWS_SECRET_ACCESS_KEY");
    await server.shutdown();
  }
});
