// Tests the page-cache preparation's length: several characteristic times of a cache as large as the server's memory,
// or enough to reach every file when the set fits.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { PREFIX_CHARACTERISTIC_TIMES, prefixRequests } from "../page-cache.ts";
import { characteristicRequests } from "../../workload/footprint.ts";

test("the prefix spans several characteristic times of the server's memory, longer for more memory", () => {
  const gib = 2 ** 30;
  assert.is(prefixRequests(680, 2 * gib), Math.ceil(PREFIX_CHARACTERISTIC_TIMES * characteristicRequests(680, 2 * gib)));
  assert.ok(prefixRequests(680, 1 * gib) < prefixRequests(680, 2 * gib));
  assert.ok(prefixRequests(680, 2 * gib) > 5e6, "millions of requests: a few thousand would leave the cache's start in place");
});

test("with no memory limit, or a set that fits, the prefix reaches every file many times over", () => {
  assert.is(prefixRequests(2, null), 100 * 72);
  assert.is(prefixRequests(2, 2 ** 31), 100 * 72);
});

test.run();
