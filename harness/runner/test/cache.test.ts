// Tests the run's page-cache state: files ordered by request probability, filled up to a byte budget, topped up below a share.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { TOP_UP_SHARE, needsTopUp, popularityOrder, warmSet } from "../cache.ts";
import { fileSize } from "../../../lib/specweb.ts";

test("the most requested file is the first directory's class1_4; probabilities sum to 1", () => {
  const order = popularityOrder(10);
  assert.is(order.length, 360);
  assert.is(order[0].path, "dir00000/class1_4");
  assert.ok(Math.abs(order.reduce((a, f) => a + f.p, 0) - 1) < 1e-9);
  for (let i = 1; i < order.length; i++) assert.ok(order[i - 1].p >= order[i].p);
});

test("the warm set fits its budget and prefers popular files", () => {
  const budget = 5_000_000;
  const set = warmSet(680, budget);
  const bytes = set.reduce((a, p) => { const m = /class(\d)_(\d)$/.exec(p)!; return a + fileSize(Number(m[1]), Number(m[2])); }, 0);
  assert.ok(bytes <= budget && bytes > 0.9 * budget, `${bytes}`);
  assert.ok(set.includes("dir00000/class1_4"));
  assert.not.ok(set.includes("dir00679/class3_8"));
  assert.is(warmSet(2, Infinity).length, 72);
});

test("a point tops the cache up only when it fell below the share of the warmed bytes, and only when both are known", () => {
  const warmed = 1_865_576_448; // what the default testbed's warm-up left (calibration of 2026-11-26)
  assert.ok(needsTopUp(1.5 * 2 ** 30, warmed), "knot-c's squeeze leaves 1.5 GiB: read again");
  assert.not.ok(needsTopUp(warmed, warmed));
  assert.not.ok(needsTopUp(Math.ceil(TOP_UP_SHARE * warmed), warmed));
  assert.ok(needsTopUp(Math.floor(TOP_UP_SHARE * warmed) - 1, warmed));
  assert.not.ok(needsTopUp(null, warmed), "no cgroup stats (loopback testbed)");
  assert.not.ok(needsTopUp(0, null), "never warmed (--no-prewarm)");
});

test.run();
