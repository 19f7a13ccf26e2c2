// Tests §3.4 verification and the client-bound check on hand-made load generator summaries.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { verifyPoint, RULES, type ClientResult } from "../verify.ts";
import type { LoadgenSummary, FileCounts } from "../../lib/loadgen-summary.ts";

/** A client summary: 36 sizes × `requests` requests each, `timeouts(name)` timeouts per size. */
function client(host: string, requests: number, timeouts: (name: string) => number, extra: Partial<LoadgenSummary> = {}): ClientResult {
  const by_file: Record<string, FileCounts> = {};
  for (let c = 0; c < 4; c++) for (let f = 0; f < 9; f++) {
    const name = `class${c}_${f}`;
    by_file[name] = { requests, timeouts: timeouts(name), replies: requests - timeouts(name), bytes: 1000 };
  }
  const summary = {
    sessions: { started: 100, completed: 100, failed: 0 }, requests: requests * 36, replies: 0, bytes: 0, status: {},
    errors: { client_timo: 0, socket_timo: 0, connrefused: 0, connreset: 0, fd_unavail: 0, addrunavail: 0, other: 0 },
    reply_time_ms: { mean: 1, median: 1, p90: 2, max: 3 }, connect_time_ms: { mean: 0.1 }, response_time_ms: { mean: 1 },
    reply_rate: { min: 0, avg: 0, max: 0, stddev: 0, samples: 0 }, duration_s: 10, cpu: { user_s: 1, sys_s: 1, pct: 20 },
    lateness_ms: { mean: 1, p99: 5, max: 9 }, by_file, ...extra,
  } as LoadgenSummary;
  return { host, summary };
}

test("no timeouts passes", () => {
  const v = verifyPoint([client("c1", 100, () => 0), client("c2", 100, () => 0)]);
  assert.is(v.verdict, "pass");
  assert.is(v.timeoutPct, 0);
});

test("evenly spread timeouts under 10% pass; one size 2 points above the mean fails", () => {
  assert.is(verifyPoint([client("c1", 100, () => 5)]).verdict, "pass");
  const v = verifyPoint([client("c1", 100, (n) => (n === "class3_8" ? 9 : 5))]);
  assert.is(v.verdict, "fail-timeouts");
  assert.match(v.reasons.join(), "class3_8");
  assert.is(v.maxFileTimeoutPct, 9);
});

test("a maximum above 10% fails even when even", () => {
  const v = verifyPoint([client("c1", 100, () => 11)]);
  assert.is(v.verdict, "fail-timeouts");
  assert.match(v.reasons.join(), "> 10%");
});

test("rare sizes are skipped, not judged", () => {
  const v = verifyPoint([client("c1", RULES.minRequestsPerFile - 1, () => 10)]);
  assert.is(v.verdict, "pass");
  assert.is(v.skippedFiles.length, 36);
});

test("a client host with a disproportionate share of timeouts fails", () => {
  const v = verifyPoint([client("c1", 100, () => 0), client("c2", 100, () => 0), client("c3", 100, () => 6)]);
  assert.is(v.verdict, "fail-timeouts");
  assert.match(v.reasons.join(), "c3 timeouts");
});

test("wrong bytes → fail-bytes; error replies → fail-errors; a saturated or late client → invalid-client; server failure wins", () => {
  assert.is(verifyPoint([client("c1", 100, () => 0, { verify: { checked: 50, mismatches: 1 } })]).verdict, "fail-bytes");
  const declined = verifyPoint([client("c1", 100, () => 0, { verify: { checked: 50, mismatches: 0, errors: 3 }, status: { "2xx": 47, "5xx": 3 } })]);
  assert.is(declined.verdict, "fail-errors");
  assert.equal(declined.reasons, ["c1: 3 of 50 replies were HTTP errors (4xx 0, 5xx 3)"]);
  assert.is(verifyPoint([client("c1", 100, () => 0, { verify: { checked: 50, mismatches: 1, errors: 3 } })]).verdict, "fail-bytes");
  assert.is(verifyPoint([client("c1", 100, () => 0, { verify: { checked: 50, mismatches: 0 } })]).verdict, "pass");
  assert.is(verifyPoint([client("c1", 100, () => 0, { cpu: { user_s: 9, sys_s: 1, pct: 97 } })]).verdict, "invalid-client");
  assert.is(verifyPoint([client("c1", 100, () => 0, { lateness_ms: { mean: 400, p99: 900, max: 2000 } })]).verdict, "invalid-client");
  const four = [1, 2, 3, 4].map((i) => client(`c${i}`, 100, () => 0, { cpu: { user_s: 2, sys_s: 1, pct: 24 } }));
  assert.is(verifyPoint(four).verdict, "pass");
  assert.is(verifyPoint(four, undefined, 1).verdict, "invalid-client"); // 4 × 24% of one shared core
  const behind = client("c1", 100, () => 0);
  behind.expectedSessions = 200;
  assert.is(verifyPoint([behind]).verdict, "invalid-client");
  // a generator that left no summary: the others' numbers are short of the load, never a pass
  const short = verifyPoint([client("c1", 100, () => 0)], undefined, 1, ["client2-0: no summary (exit 2)"]);
  assert.equal([short.verdict, short.reasons], ["invalid-client", ["client2-0: no summary (exit 2)"]]);
  assert.is(verifyPoint([], undefined, 1, ["client1-0: no summary (exit 2)"]).verdict, "invalid-client");
  const v = verifyPoint([], "server crashed mid-point");
  assert.is(v.verdict, "server-failed");
  assert.equal(v.reasons, ["server crashed mid-point"]);
});

test.run();
