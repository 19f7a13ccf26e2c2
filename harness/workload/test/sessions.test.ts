// Tests the session-log generator: the written logs against the paper's access and think-time targets.
// Mix checks use per-cell z-scores: |z| < 4.5 passes a correct generator (about 1 in 150,000 per cell by chance);
// each check is also run against a plausible wrong target to show that the tolerance would catch it.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLASS_MIX, FILE_MIX } from "../../../lib/specweb.ts";
import { PAPER_SESSION_MODEL, SessionSampler, generateSessionLogs, sessionLengthPmf, type SessionLogResult } from "../sessions.ts";
import { Rng, paretoMedian, weibullMedian } from "../random.ts";
import { parseSessionLog, type LogSession } from "../wsesslog.ts";

const Z_LIMIT = 4.5;
const FILES = 20;
const DIRS = 200;
const tmp = mkdtempSync(join(tmpdir(), "wl-sessions-"));
let result: SessionLogResult;
let sessions: LogSession[] = [];

/** Largest |z| of observed counts against target probabilities (normalised). */
function maxZ(counts: ReadonlyArray<number>, weights: ReadonlyArray<number>): number {
  const n = counts.reduce((a, b) => a + b, 0);
  const total = weights.reduce((a, b) => a + b, 0);
  return Math.max(...counts.map((c, i) => {
    const p = weights[i] / total;
    return Math.abs(c - n * p) / Math.sqrt(n * p * (1 - p));
  }));
}

function assertMix(what: string, counts: number[], target: ReadonlyArray<number>, wrong: ReadonlyArray<number>): void {
  const z = maxZ(counts, target);
  assert.ok(z < Z_LIMIT, `${what}: max |z| = ${z.toFixed(2)} against the target (counts ${counts.join(" ")})`);
  const zWrong = maxZ(counts, wrong);
  assert.ok(zWrong > Z_LIMIT, `${what}: a wrong mix [${wrong.join(" ")}] would have passed (max |z| ${zWrong.toFixed(2)})`);
}

const URI = /^\/dir(\d{5})\/class([0-3])_([0-8])$/;
const requestsOf = () => sessions.flatMap((s) => s.bursts.flatMap((b) => b.requests.map((r) => URI.exec(r.uri)!)));

test.before(() => {
  result = generateSessionLogs({ outDir: tmp, files: FILES, sessionsPerFile: 1000, dirs: DIRS, seed: 7 });
  sessions = result.paths.flatMap((p) => parseSessionLog(readFileSync(p, "utf8"), p));
});
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test("format: 1,000 sessions a file, one request per burst, valid URIs, think= on all but a session's last burst", () => {
  assert.is(result.paths.length, FILES);
  for (const p of result.paths) assert.is(parseSessionLog(readFileSync(p, "utf8"), p).length, 1000);
  for (const s of sessions) {
    s.bursts.forEach((b, i) => {
      assert.is(b.requests.length, 1);
      assert.is(b.requests[0].method, "GET");
      assert.ok(URI.test(b.requests[0].uri), b.requests[0].uri);
      assert.is(b.thinkS === null, i === s.bursts.length - 1);
    });
  }
  for (const m of requestsOf()) assert.ok(Number(m[1]) < DIRS);
});

test("header comment lists every parameter and the seed", () => {
  const header = readFileSync(result.paths[3], "utf8").split("\n").filter((l) => l.startsWith("#")).join("\n");
  for (const expected of [
    "seed=7", "file=3", `dirs=${DIRS}`, "Zipf alpha=1", "0.35 0.5 0.14 0.01", "3.9 5.9 8.8 17.7 35.3 11.8 7.1 5 4.4",
    "p=0.3", "5..15", "Pareto(k=1, alpha=2.43)", "Weibull(shape=1.46, scale=0.382)", "Pareto(k=1, alpha=1.5)",
  ]) assert.ok(header.includes(expected), `header lacks '${expected}':\n${header}`);
});

test("session lengths: 30% one request, 70% uniform over 5..15", () => {
  const pmf = sessionLengthPmf(PAPER_SESSION_MODEL);
  const counts = pmf.map(([n]) => sessions.filter((s) => s.bursts.length === n).length);
  assert.is(counts.reduce((a, b) => a + b, 0), sessions.length, "a length outside {1, 5..15}");
  const wrong = pmf.map(([n]) => (n === 1 ? 0.25 : 0.75 / 11)); // 25% single-request sessions
  assertMix("session lengths", counts, pmf.map(([, p]) => p), wrong);
});

test("class mix 35/50/14/1 % and file mix within classes", () => {
  const classes = [0, 0, 0, 0];
  const files = new Array(9).fill(0);
  for (const m of requestsOf()) {
    classes[Number(m[2])]++;
    files[Number(m[3])]++;
  }
  assertMix("classes", classes, CLASS_MIX, [0.36, 0.49, 0.14, 0.01]);
  const swapped = [...FILE_MIX];
  [swapped[3], swapped[4]] = [swapped[4], swapped[3]];
  assertMix("files", files, FILE_MIX, swapped);
  assertMix("files", files, FILE_MIX, new Array(9).fill(1));
});

test("directory popularity is Zipf(1): log-log slope of frequency against rank is −1 ± 0.05, dir00000 first", () => {
  const counts = new Array(DIRS).fill(0);
  for (const m of requestsOf()) counts[Number(m[1])]++;
  assert.is(Math.max(...counts), counts[0]);
  const xs = counts.map((_, d) => Math.log(d + 1));
  const ys = counts.map((c) => Math.log(c));
  const mx = xs.reduce((a, b) => a + b) / DIRS;
  const my = ys.reduce((a, b) => a + b) / DIRS;
  const slope = xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  assert.ok(Math.abs(slope + 1) < 0.05, `slope ${slope.toFixed(3)}`);
  // The same regression over ranks by observed frequency (how a trace would be analysed) agrees.
  const sorted = [...counts].sort((a, b) => b - a).map((c) => Math.log(c));
  const slopeSorted = xs.reduce((a, x, i) => a + (x - mx) * (sorted[i] - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  assert.ok(Math.abs(slopeSorted + 1) < 0.05, `slope by observed rank ${slopeSorted.toFixed(3)}`);
});

test("stats describe the written logs and agree with the model", () => {
  const { stats } = result;
  const requests = sessions.reduce((a, s) => a + s.bursts.length, 0);
  const think = sessions.reduce((a, s) => a + s.bursts.reduce((t, b) => t + (b.thinkS ?? 0), 0), 0);
  assert.is(stats.sessions, sessions.length);
  assert.is(stats.requests, requests);
  assert.is(stats.meanRequestsPerSession, requests / sessions.length);
  assert.ok(Math.abs(stats.meanSessionThinkS - think / sessions.length) < 1e-9);
  // Session length has standard deviation 4.9 requests: 4.5 standard errors at 20,000 sessions is 0.16.
  assert.ok(Math.abs(stats.meanRequestsPerSession - 7.3) < 0.16, `requests/session ${stats.meanRequestsPerSession}`);
  assert.ok(Math.abs(stats.expected.meanRequestsPerSession - 7.3) < 1e-12);
  assert.ok(Math.abs(stats.meanBytesPerRequest / stats.expected.meanBytesPerRequest - 1) < 0.05, `bytes/request ${stats.meanBytesPerRequest}`);
  // Session think time is dominated by the heavy-tailed Pareto (infinite variance): a loose bound, but far
  // from the all-active (2.2 s) or all-inactive (18.9 s) groupings.
  assert.ok(Math.abs(stats.meanSessionThinkS / stats.expected.meanSessionThinkS - 1) < 0.12, `think/session ${stats.meanSessionThinkS}`);
  assert.ok(Math.abs(stats.meanPagesPerSession / stats.expected.meanPagesPerSession - 1) < 0.02, `pages/session ${stats.meanPagesPerSession}`);
});

test("think times: active off-periods Weibull(1.46, 0.382), inactive Pareto(1, 1.5), pages per the model", () => {
  const sampler = new SessionSampler(DIRS, PAPER_SESSION_MODEL, new Rng(11));
  const active: number[] = [];
  const inactive: number[] = [];
  let pages = 0;
  const n = 20_000;
  for (let i = 0; i < n; i++) {
    const s = sampler.session();
    pages += s.pageSizes.length;
    assert.is(s.pageSizes.reduce((a, b) => a + b, 0), s.requests.length);
    for (const r of s.requests) {
      if (r.thinkKind === "active") active.push(r.thinkS!);
      if (r.thinkKind === "inactive") inactive.push(r.thinkS!);
    }
    // Inactive gaps sit exactly at page boundaries.
    const boundaries = s.pageSizes.slice(0, -1).map((_, i) => s.pageSizes.slice(0, i + 1).reduce((a, b) => a + b) - 1);
    assert.equal(s.requests.flatMap((r, i) => (r.thinkKind === "inactive" ? [i] : [])), boundaries);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const within = (what: string, actual: number, expected: number, rel: number) =>
    assert.ok(Math.abs(actual / expected - 1) < rel, `${what}: ${actual.toFixed(4)} vs ${expected.toFixed(4)}`);
  const expected = PAPER_SESSION_MODEL;
  // Weibull: sd ≈ 0.24 s, so the mean of ~80,000 draws has a standard error of 0.3%; the median separates it
  // from an exponential of the same mean (median 0.238 s).
  within("active mean", mean(active), 0.346, 0.02);
  within("active median", median(active), weibullMedian(expected.activeOff), 0.03);
  // Pareto(α=1.5): never below k = 1 s; median 1.587 s (an exponential of mean 3 has 2.08 s); the mean converges slowly.
  assert.ok(Math.min(...inactive) >= 1);
  within("inactive median", median(inactive), paretoMedian(expected.inactiveOff), 0.03);
  within("inactive mean", mean(inactive), 3.0, 0.15);
  const tail = inactive.filter((x) => x > 10).length;
  assertMix("inactive tail P(X > 10 s)", [tail, inactive.length - tail], [10 ** -1.5, 1 - 10 ** -1.5], [0.02, 0.98]);
  within("pages per session", pages / n, result.stats.expected.meanPagesPerSession, 0.02);
});

test("deterministic: same seed gives the same bytes; file f does not depend on how many files are written", () => {
  const again = generateSessionLogs({ outDir: join(tmp, "again"), files: 2, sessionsPerFile: 1000, dirs: DIRS, seed: 7 });
  assert.is(readFileSync(again.paths[1], "utf8").split("\n").slice(2).join("\n"), readFileSync(result.paths[1], "utf8").split("\n").slice(2).join("\n"));
  const other = generateSessionLogs({ outDir: join(tmp, "other"), files: 1, sessionsPerFile: 1000, dirs: DIRS, seed: 8 });
  assert.not.equal(parseSessionLog(readFileSync(other.paths[0], "utf8")), sessions.slice(0, 1000));
  assert.equal(parseSessionLog(readFileSync(again.paths[0], "utf8")), sessions.slice(0, 1000));
});

test("a log longer than httperf's 1,000 sessions says so, and starts with the shorter log's sessions", () => {
  const long = generateSessionLogs({ outDir: join(tmp, "long"), files: 1, sessionsPerFile: 2500, dirs: DIRS, seed: 7 });
  const text = readFileSync(long.paths[0], "utf8");
  assert.match(text, /^# more than httperf's 1000 sessions: for harness\/loadgen only/m);
  assert.throws(() => parseSessionLog(text, "long.log"), /httperf's limit/);
  const parsed = parseSessionLog(text, "long.log", 2500);
  assert.is(parsed.length, 2500);
  assert.equal(parsed.slice(0, 1000), sessions.slice(0, 1000));
  assert.is(long.stats.sessions, 2500);
  assert.not.match(readFileSync(result.paths[0], "utf8"), /more than httperf's/);
});

test("malformed parameters are refused with the parameter's name", () => {
  const ok = { outDir: join(tmp, "bad"), files: 1, sessionsPerFile: 10, dirs: 3, seed: 1 };
  assert.throws(() => generateSessionLogs({ ...ok, sessionsPerFile: 1_000_001 }), /sessionsPerFile must be an integer in 1\.\.1000000/);
  assert.throws(() => generateSessionLogs({ ...ok, dirs: 0 }), /dirs must be/);
  assert.throws(() => generateSessionLogs({ ...ok, files: 1.5 }), /files must be/);
  assert.throws(() => generateSessionLogs({ ...ok, seed: -1 }), /seed must be/);
  assert.throws(() => generateSessionLogs({ ...ok, model: { ...PAPER_SESSION_MODEL, classMix: [1, 1, 1] } }), /classMix needs 4/);
  assert.throws(() => generateSessionLogs({ ...ok, model: { ...PAPER_SESSION_MODEL, inactiveOff: { k: 1, alpha: 1 } } }), /must exceed 1/);
});

test.run();
