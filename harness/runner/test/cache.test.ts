// Tests the run's starting page-cache state: files ordered by request probability, filled up to a byte budget.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { popularityOrder, warmSet } from "../cache.ts";
import { fileSize } from "../../workload/specweb.ts";

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

test.run();
