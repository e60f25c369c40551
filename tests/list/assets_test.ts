import { assertEquals, assertRejects, assertStrictEquals } from "@std/assert";
import type { S3Client } from "@aws-sdk/client-s3";
import { S3RequestError } from "../../lib/core/errors.ts";
import { listAssets, listPrefixes, parseAssetName } from "../../lib/list/assets.ts";
import { startS3Server } from "../../testing/s3_server.ts";

Deno.test("parseAssetName() reads platform, subject and both date-times", () => {
  assertEquals(parseAssetName("SmartSPIM_652506_2023-01-09_10-18-12_stitched_2023-01-13_19-00-54/"), {
    name: "SmartSPIM_652506_2023-01-09_10-18-12_stitched_2023-01-13_19-00-54",
    platform: "SmartSPIM",
    subjectId: "652506",
    acquiredAt: "2023-01-09T10:18:12",
    process: "stitched",
    processedAt: "2023-01-13T19:00:54",
    rawName: "SmartSPIM_652506_2023-01-09_10-18-12",
  });
});

Deno.test("parseAssetName() keeps non-numeric subjects and raw assets", () => {
  const asset = parseAssetName("SmartSPIM_M2501_2025-04-03_17-50-21");
  assertEquals([asset?.subjectId, asset?.process, asset?.processedAt], ["M2501", undefined, undefined]);
  assertStrictEquals(
    parseAssetName("multiplane-ophys_645814_2022-11-10_15-22-50")?.platform,
    "multiplane-ophys",
  );
});

Deno.test("parseAssetName() rejects names outside AIND's convention", () => {
  for (
    const name of [
      "README.md",
      "SmartSPIM_652506",
      "SmartSPIM_652506_2023-1-9_10-18-12",
      "_1_2023-01-09_10-18-12",
    ]
  ) {
    assertStrictEquals(parseAssetName(name), undefined, name);
  }
});

Deno.test("listPrefixes() follows continuation tokens on a real S3 server", async () => {
  await using server = await startS3Server();
  await server.createBucket("many");
  const keys = Array.from({ length: 2345 }, (_, i) => `key-${String(i).padStart(5, "0")}`);
  await server.upload("many", keys.map((k) => [k, new Uint8Array([1])]));
  const listing = await listPrefixes({ bucket: "many", endpoint: server.endpoint, pageSize: 1000 });
  assertEquals(listing.keys, keys);
  assertStrictEquals(listing.pages, 3);
});

/** A stand-in client that pages CommonPrefixes (s3rver returns them all in one page). */
function pagingClient(prefixes: string[], pageSize: number): { client: S3Client; calls: number[] } {
  const calls: number[] = [];
  const send = (
    command: { input: { ContinuationToken?: string; MaxKeys?: number; Prefix?: string } },
  ): Promise<unknown> => {
    const start = Number(command.input.ContinuationToken ?? 0);
    const size = Math.min(pageSize, command.input.MaxKeys ?? 1000);
    const matching = prefixes.filter((p) => p.startsWith(command.input.Prefix ?? ""));
    calls.push(start);
    const end = start + size;
    return Promise.resolve({
      CommonPrefixes: matching.slice(start, end).map((Prefix) => ({ Prefix })),
      IsTruncated: end < matching.length,
      NextContinuationToken: end < matching.length ? String(end) : undefined,
    });
  };
  return { client: { send, destroy(): void {} } as unknown as S3Client, calls };
}

Deno.test("listAssets() gathers thousands of prefixes across pages and sorts them", async () => {
  const names = Array.from(
    { length: 2600 },
    (_, i) => `SmartSPIM_${String(600000 + ((i * 7919) % 2600)).padStart(6, "0")}_2023-01-09_10-18-12/`,
  );
  const { client, calls } = pagingClient([...names, "not-an-asset/"], 1000);
  const assets = await listAssets({ client });
  assertStrictEquals(assets.length, 2600);
  assertEquals(calls, [0, 1000, 2000]);
  assertEquals(assets.map((a) => a.name), names.map((n) => n.slice(0, -1)).sort());
});

Deno.test("listAssets() with a prefix only returns matching assets", async () => {
  await using server = await startS3Server();
  await server.createBucket("aind-open-data");
  await server.upload("aind-open-data", [
    ["SmartSPIM_652506_2023-01-09_10-18-12/acquisition.json", new Uint8Array([1])],
    ["SmartSPIM_652506_2023-01-09_10-18-12_stitched_2023-01-13_19-00-54/x", new Uint8Array([1])],
    ["SmartSPIM_000393_2023-01-06_13-35-10/x", new Uint8Array([1])],
  ]);
  const assets = await listAssets({ endpoint: server.endpoint, prefix: "SmartSPIM_652506" });
  assertEquals(assets.map((a) => a.process), [undefined, "stitched"]);
});

Deno.test("listAssets() names the endpoint when it cannot be reached", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const error = await assertRejects(
    () => listAssets({ endpoint: `http://127.0.0.1:${port}` }),
    S3RequestError,
    "Cannot reach S3",
  );
  assertStrictEquals(error.uri, "s3://aind-open-data/");
});
