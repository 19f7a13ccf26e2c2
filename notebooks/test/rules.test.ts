// Tests the verdict rules on numbers chosen to fall inside, near and outside each threshold.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { combine, effectRule, equivalentRule, levelRule, relationsRule, type Measured, type Part } from "../lib/rules.ts";
import type { Point } from "../lib/results.ts";

const passing = { verdict: "pass" } as Point;
const failing = { verdict: "fail-timeouts" } as Point;
const m = (value: number, point = passing): Measured => ({ value, points: [point] });

test("effect: within max(5 points, a third) reproduced; same sign partly; opposite sign not", () => {
  assert.is(effectRule("x", m(0.13), 0.18).verdict, "reproduced");
  assert.is(effectRule("x", m(0.23), 0.18).verdict, "reproduced");
  assert.is(effectRule("x", m(0.02), 0.18).verdict, "partly reproduced");
  assert.is(effectRule("x", m(-0.05), 0.18).verdict, "not reproduced");
  assert.is(effectRule("x", m(0.25), 0.34).verdict, "reproduced", "a third of 34% is 11.3 points");
  assert.is(effectRule("x", m(-0.16), -0.12).verdict, "reproduced");
  assert.is(effectRule("x", m(-0.2), -0.12).verdict, "partly reproduced");
  assert.is(effectRule("x", undefined, 0.18).verdict, "not measured");
});

test("level: within tolerance reproduced, within twice partly, else not", () => {
  assert.is(levelRule("x", m(1150), 1230, 123, "Mbps").verdict, "reproduced");
  assert.is(levelRule("x", m(1050), 1230, 123, "Mbps").verdict, "partly reproduced");
  assert.is(levelRule("x", m(900), 1230, 123, "Mbps").verdict, "not reproduced");
  assert.match(levelRule("x", m(1150), 1230, 123, "Mbps").ours, /1,150 Mbps/);
});

test("equivalence: within 5% reproduced, 10% partly", () => {
  assert.is(equivalentRule("x", m(-0.04)).verdict, "reproduced");
  assert.is(equivalentRule("x", m(0.08)).verdict, "partly reproduced");
  assert.is(equivalentRule("x", m(0.2)).verdict, "not reproduced");
});

test("relations: all hold reproduced, half partly, fewer not, none measured not measured", () => {
  const rel = (holds: boolean | undefined) => ({ text: "r", holds, points: [passing] });
  assert.is(relationsRule("x", [rel(true), rel(true)], "p").verdict, "reproduced");
  assert.is(relationsRule("x", [rel(true), rel(false)], "p").verdict, "partly reproduced");
  assert.is(relationsRule("x", [rel(true), rel(false), rel(false)], "p").verdict, "not reproduced");
  assert.is(relationsRule("x", [rel(true), rel(undefined)], "p").verdict, "partly reproduced");
  assert.is(relationsRule("x", [rel(undefined)], "p").verdict, "not measured");
  assert.is(relationsRule("x", [], "p").verdict, "not measured");
});

test("a part resting on a point that failed verification is at most partly reproduced", () => {
  const part = effectRule("x", { value: 0.18, points: [passing, failing] }, 0.18);
  assert.is(part.verdict, "partly reproduced");
  assert.match(part.rule, /uses 1 point\(s\) that failed verification/);
  assert.is(effectRule("x", m(-0.1, failing), 0.18).verdict, "not reproduced");
});

test("combine: reproduced only if every part is", () => {
  const p = (verdict: Part["verdict"]): Part => ({ what: "", ours: "", paper: "", rule: "", verdict });
  assert.is(combine([p("reproduced"), p("reproduced")]), "reproduced");
  assert.is(combine([p("reproduced"), p("not measured")]), "partly reproduced");
  assert.is(combine([p("not reproduced"), p("not measured")]), "not reproduced");
  assert.is(combine([p("not reproduced"), p("partly reproduced")]), "partly reproduced");
  assert.is(combine([p("not measured")]), "not measured");
});

test.run();
