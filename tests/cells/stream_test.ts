/**
 * Reading an object a piece at a time through the S3 store (ranged GETs), on
 * a local S3 server: every piece size, including one that divides the object
 * exactly (the last request then starts at its end), and the disk cache.
 */
import { assertEquals, assertRejects } from "@std/assert";
import { NotFoundError } from "../../lib/core/errors.ts";
import { S3Store } from "../../lib/s3/store.ts";
import { startS3Server } from "../../testing/s3_server.ts";
import { openOntology } from "../../lib/cells/mod.ts";
import { atlasObjects } from "../../testing/cells_dataset.ts";
// The private helper is this folder's test subject; the public readers all go through it.
import { objectPieces, readLines } from "../../lib/cells/_stream.ts";

Deno.test("objectPieces() returns the object's bytes in order for every piece size", async () => {
  const server = await startS3Server();
  try {
    await server.createBucket("bench-bucket");
    const bytes = new Uint8Array(4096).map((_, i) => (i * 7) % 251);
    await server.upload("bench-bucket", new Map([["k/file.bin", bytes]]));
    const store = new S3Store("s3://bench-bucket", { endpoint: server.endpoint });
    try {
      for (const size of [1000, 1024, 4096, 5000]) {
        const parts = await Array.fromAsync(objectPieces(store, "k/file.bin", { pieceBytes: size }));
        const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let at = 0;
        for (const p of parts) {
          joined.set(p, at);
          at += p.length;
        }
        assertEquals(joined, bytes, `piece size ${size}`);
        assertEquals(parts.length, Math.ceil(4096 / size), `piece size ${size}`);
      }
      await assertRejects(() => Array.fromAsync(objectPieces(store, "k/none.bin")), NotFoundError);
      const lines = readLines(objectPieces(store, "k/file.bin", { pieceBytes: 100 }));
      let n = 0;
      for await (const _ of lines.lines) n++;
      assertEquals(n > 0, true);
    } finally {
      store.close();
    }
  } finally {
    await server.close();
  }
});

Deno.test("openOntology() reads the atlas tables once, then from the disk cache", async () => {
  const server = await startS3Server();
  const cacheDir = await Deno.makeTempDir();
  try {
    await server.createBucket("allen-brain-cell-atlas");
    await server.upload("allen-brain-cell-atlas", atlasObjects());
    const options = { atlasEndpoint: server.endpoint, cacheDir };
    const first = await openOntology(options);
    // The server gone, the cache answers.
    await server.close();
    const second = await openOntology(options);
    assertEquals([...second.structures.keys()].sort(), [...first.structures.keys()].sort());
    assertEquals(second.byAcronym.get("VISp4")?.id, 721);
  } finally {
    await server.close().catch(() => {});
    await Deno.remove(cacheDir, { recursive: true });
  }
});
