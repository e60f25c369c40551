/**
 * `settingsFromEnv`.
 *
 * @module
 */
import { assertEquals, assertThrows } from "@std/assert";
import { settingsFromEnv } from "../../lib/display/notebook_settings.ts";

Deno.test("settingsFromEnv() rejects an endpoint that is not a URL", () => {
  assertThrows(
    () => settingsFromEnv({ get: (n) => (n === "SPIMFETCH_S3_ENDPOINT" ? "localhost:9000" : undefined) }),
    TypeError,
  );
  assertEquals(settingsFromEnv({ get: (n) => (n === "SPIMFETCH_BUCKET" ? " other " : "") }).s3, {
    bucket: "other",
  });
});
