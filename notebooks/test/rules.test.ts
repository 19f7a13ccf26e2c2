// Tests the verdict rules on numbers chosen to fall inside, near and outside each threshold.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { combine, effectRule, equivalentRule, levelRule, relationsRule, relative, type Measured, type Part } from "../lib/rules.ts";
import { overTrials } from "../lib/claims.ts";
import type { Point } from "../lib/results.ts";

const passing = { verdict: "pass" } as Point;
const failing = { verdict: "fail-timeouts" } as Point;
/** A number measured in three trials that agree exactly: an interval of one value, decided. */
const m = (value: number, point = passing): Measured => ({ value, ci: { lo: value, hi: value, n: 3 }, points: [point] });
/** A line's point over trials. */
const trials = (...values: number[]) => overTrials(values, values.map(() => passing));

test("effect: the intervals separate the paper's way and ours is within max(5 points, a third): reproduced", () => {
  const effect = (a: number[], b: number[]) => effectRule("x", relative(trials(...a), trials(...b)), 0.18);
  assert.is(effect([118, 120, 116], [100, 101, 99]).verdict, "reproduced"); // apart: +14.9% to +21.2%, median +18%
  assert.is(effect([130, 120, 90], [100, 101, 99]).verdict, "undecided at n = 3", "overlapping intervals decide nothing");
  assert.is(effect([90, 92, 91], [100, 101, 99]).verdict, "not reproduced", "apart, the other way");
  assert.is(effect([102, 103, 104], [100, 99, 98]).verdict, "partly reproduced", "apart the paper's way, but smaller");
  assert.is(effect([118], [100]).verdict, "undecided at n = 1", "one trial is no interval");
  assert.match(effect([118, 120, 116], [100, 101, 99]).ours, /^\+18\.0% \(\+14\.9% to \+21\.2%, n = 3\)$/);
});

test("effect on decided numbers: within max(5 points, a third) reproduced; same sign partly; opposite sign not", () => {
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

test("equivalence: only where the intervals overlap; apart, at most partly", () => {
  const eq = (a: number[], b: number[]) => equivalentRule("x", relative(trials(...a), trials(...b))).verdict;
  assert.is(eq([100, 104, 97], [101, 99, 103]), "reproduced");
  assert.is(eq([100, 108, 94], [92, 93, 101]), "partly reproduced", "overlapping, medians 7.5% apart");
  assert.is(eq([100, 130, 80], [80, 84, 101]), "undecided at n = 3", "overlapping, but too wide to call equal");
  assert.is(eq([103, 104, 103.5], [100, 100.5, 99.5]), "partly reproduced", "apart, within 5%");
  assert.is(eq([120, 121, 119], [100, 101, 99]), "not reproduced");
  assert.is(eq([100], [101]), "undecided at n = 1");
  assert.is(equivalentRule("x", m(0.2)).verdict, "not reproduced");
});

test("relations: all hold reproduced, half partly, fewer not (undecided if none fails), none measured not measured", () => {
  const rel = (holds: boolean | "undecided" | undefined) => ({ text: "r", holds, n: 3, points: [passing] });
  assert.is(relationsRule("x", [rel("undecided"), rel("undecided")], "p").verdict, "undecided at n = 3");
  assert.is(relationsRule("x", [rel(true), rel("undecided"), rel("undecided")], "p").verdict, "undecided at n = 3");
  assert.is(relationsRule("x", [rel(false), rel("undecided"), rel("undecided")], "p").verdict, "not reproduced");
  assert.is(relationsRule("x", [rel(true), rel("undecided")], "p").verdict, "partly reproduced");
  assert.is(relationsRule("x", [rel(true), rel(true)], "p").verdict, "reproduced");
  assert.is(relationsRule("x", [rel(true), rel(false)], "p").verdict, "partly reproduced");
  assert.is(relationsRule("x", [rel(true), rel(false), rel(false)], "p").verdict, "not reproduced");
  assert.is(relationsRule("x", [rel(true), rel(undefined)], "p").verdict, "partly reproduced");
  assert.is(relationsRule("x", [rel(undefined)], "p").verdict, "not measured");
  assert.is(relationsRule("x", [], "p").verdict, "not measured");
});

test("a part resting on a point that failed verification is at most partly reproduced", () => {
  const part = effectRule("x", { ...m(0.18), points: [passing, failing] }, 0.18);
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
  assert.is(combine([p("undecided at n = 3"), p("undecided at n = 2"), p("not measured")]), "undecided at n = 2");
  assert.is(combine([p("undecided at n = 3"), p("not reproduced")]), "not reproduced");
  assert.is(combine([p("undecided at n = 3"), p("reproduced")]), "partly reproduced");
});

test.run();
