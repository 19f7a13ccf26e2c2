// Tests the run loop with a fake point executor: the trials' random order, atomic append, resume without redoing
// points or redrawing the order, Ctrl-C cleanup.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync, readFileSync, writeFileSync, existsSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { runOrder, runPoints } from "../run.ts";
import { RunResults, POINT_COLUMNS } from "../results.ts";
import { PROFILES, runMatrix, type Profile } from "../experiments.ts";
import { start, liveProcesses } from "../../lib/proc.ts";
import type { PointOutcome, PointRun } from "../point.ts";

const profile: Profile = { ...PROFILES.quick, trials: {}, warmupS: 0, durationS: 0, idleS: 0 };
const points = runMatrix(profile, { experiments: ["fig7"], series: ["userver-nb-30K-4p", "knot-b-20K-100w"], rates: [5000, 15000] });

function fakeOutcome(r: PointRun, verdict = "pass"): PointOutcome {
  const row = Object.fromEntries(POINT_COLUMNS.map((c) => [c, null])) as unknown as PointOutcome["row"];
  Object.assign(row, { run_id: "t", figure: r.spec.figure, series: r.spec.config.label, offered_rate: r.spec.offeredRate,
    reply_rate: r.spec.offeredRate * 0.9, verdict, verdict_reason: verdict === "pass" ? "" : "wrong bytes, quoted, \"x\"" });
  return { row, profile: [], verification: {} as PointOutcome["verification"] };
}

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

test("runs every point once, checks bytes on each configuration's first point, and writes the exact columns", async () => {
  const dir = mkdtempSync(join(tmpdir(), "run-"));
  try {
    const results = RunResults.open(dir, "r1");
    const calls: string[] = [];
    const s = await runPoints({ results, points, profile, correctness: true, signal: new AbortController().signal, log: () => {},
      executor: async (r) => { calls.push(`${r.spec.id}${r.verifyBytes ? "+verify" : ""}`); return fakeOutcome(r, r.verifyBytes && r.spec.config.label.startsWith("knot") ? "fail-bytes" : "pass"); } });
    assert.equal(s, { total: 4, ran: 4, skipped: 0, interrupted: false });
    assert.equal(calls, [`${points[0].id}+verify`, points[1].id, `${points[2].id}+verify`, points[3].id]);
    const text = readFileSync(results.pointsCsv, "utf8");
    assert.is(text.split("\n")[0], POINT_COLUMNS.join(","));
    const rows = results.readPoints();
    assert.equal(rows.map((r) => r.verdict), ["pass", "pass", "fail-bytes", "fail-bytes"]); // knot's correctness run failed
    assert.match(rows[3].verdict_reason, "correctness run");
    assert.is(rows[0].reply_rate, "4500");
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test("rows are never appended under another version's columns: the append and a resume's check refuse it", () => {
  const dir = mkdtempSync(join(tmpdir(), "run-"));
  try {
    const results = RunResults.open(dir, "r0");
    results.checkColumns(); // a new run has no points.csv yet
    const older = POINT_COLUMNS.filter((c) => c !== "trial" && c !== "disk_reads");
    writeFileSync(results.pointsCsv, `${older.join(",")}\n`);
    const row = fakeOutcome({ spec: points[0] } as PointRun).row;
    assert.throws(() => results.appendPoint(row), /columns are not this runner's \(it lacks trial, disk_reads\)/);
    assert.throws(() => results.checkColumns(), /run r0 cannot be resumed: .*lacks trial, disk_reads.*notebooks still read it/);
    assert.is(readFileSync(results.pointsCsv, "utf8"), `${older.join(",")}\n`); // nothing appended
    writeFileSync(results.pointsCsv, `${[...POINT_COLUMNS].reverse().join(",")}\n`);
    assert.throws(() => results.checkColumns(), /their order differs/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test("an interrupted run resumes without redoing finished points; a torn last line is dropped", async () => {
  const dir = mkdtempSync(join(tmpdir(), "run-"));
  try {
    const results = RunResults.open(dir, "r2");
    const ctl = new AbortController();
    const calls: string[] = [];
    let server = 0;
    const s1 = await runPoints({ results, points, profile, correctness: false, signal: ctl.signal, log: () => {},
      executor: async (r) => {
        calls.push(r.spec.id);
        if (calls.length === 2) {
          // the second point is "running" a server when Ctrl-C arrives
          const p = start("fake server", ["sleep", "60"]);
          server = p.pid;
          ctl.abort();
          const { stopAll } = await import("../../lib/proc.ts");
          await stopAll();
        }
        return fakeOutcome(r);
      } });
    assert.ok(s1.interrupted);
    assert.is(results.readPoints().length, 1);             // the interrupted point is not recorded
    assert.not.ok(alive(server));
    assert.is(liveProcesses().length, 0);
    appendFileSync(results.pointsCsv, "r2,fig7,torn"); // a write cut short
    calls.length = 0;
    const s2 = await runPoints({ results, points, profile, correctness: false, signal: new AbortController().signal, log: () => {},
      executor: async (r) => { calls.push(r.spec.id); return fakeOutcome(r); } });
    assert.equal(s2, { total: 4, ran: 3, skipped: 1, interrupted: false });
    assert.equal(calls, points.slice(1).map((p) => p.id));
    assert.equal(results.readPoints().map((r) => `${r.series}@${r.offered_rate}`), points.map((p) => `${p.config.label}@${p.offeredRate}`));
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

const threeTrials: Profile = { ...profile, trials: { fig7: 3 } };
const matrix = runMatrix(threeTrials, { experiments: ["fig7"], rates: [5000, 15000, 30000] }); // 8 lines × 3 rates × 3 trials

test("the order is random and seeded: trial after trial, each a fresh permutation of its points; the same seed, the same order", () => {
  const a = runOrder(matrix, 42), b = runOrder(matrix, 42), c = runOrder(matrix, 43);
  assert.equal(a.map((p) => p.id), b.map((p) => p.id));
  assert.not.equal(a.map((p) => p.id), c.map((p) => p.id));
  assert.equal([...a.map((p) => p.id)].sort(), [...matrix.map((p) => p.id)].sort(), "every point once");
  assert.equal(a.map((p) => p.trial), [...Array(24).fill(1), ...Array(24).fill(2), ...Array(24).fill(3)]);
  const trial = (t: number) => a.filter((p) => p.trial === t).map((p) => `${p.config.label}@${p.offeredRate}`);
  assert.not.equal(trial(1), trial(2), "each trial draws its own order");
  assert.not.equal(trial(1), matrix.filter((p) => p.trial === 1).map((p) => `${p.config.label}@${p.offeredRate}`), "not the matrix's order");
  assert.equal([...trial(1)].sort(), [...trial(2)].sort(), "each trial runs every configuration and rate once");
});

test("a recorded order is kept as it is; points added since are drawn after it, by trial", () => {
  const recorded = runOrder(matrix.filter((p) => p.offeredRate !== 30000), 7).map((p) => p.id);
  const again = runOrder(matrix, 99, recorded);
  assert.equal(again.slice(0, recorded.length).map((p) => p.id), recorded);
  const added = again.slice(recorded.length);
  assert.ok(added.every((p) => p.offeredRate === 30000));
  assert.equal(added.map((p) => p.trial), [...Array(8).fill(1), ...Array(8).fill(2), ...Array(8).fill(3)]);
  assert.equal(runOrder(matrix, 99, recorded).map((p) => p.id), again.map((p) => p.id), "and the same again on a second resume");
});

test("an interrupted run resumes in the recorded order; the correctness run is each configuration's first point to run", async () => {
  const dir = mkdtempSync(join(tmpdir(), "run-"));
  try {
    const results = RunResults.open(dir, "r4");
    const order = runOrder(matrix, 5);
    const calls: string[] = [], verified: string[] = [];
    const ctl = new AbortController();
    const executor = async (r: PointRun) => {
      calls.push(r.spec.id);
      if (r.verifyBytes) verified.push(r.spec.id);
      if (calls.length === 10) ctl.abort();
      return fakeOutcome(r);
    };
    await runPoints({ results, points: order, profile: threeTrials, correctness: true, signal: ctl.signal, log: () => {}, executor });
    assert.is(results.readPoints().length, 9);
    // the resume reads the order back (as the CLI does from run.json) instead of drawing it again with another seed
    const resumed = runOrder(matrix, 1234, order.map((p) => p.id));
    const s = await runPoints({ results, points: resumed, profile: threeTrials, correctness: true, signal: new AbortController().signal,
      log: () => {}, executor });
    assert.equal(s, { total: 72, ran: 63, skipped: 9, interrupted: false });
    assert.equal(calls.slice(10), order.slice(9).map((p) => p.id));
    assert.equal(results.readPoints().map((r) => `${r.figure}__${r.series}__${r.offered_rate}__t${r.trial}`), order.map((p) => p.id));
    const firstOf = new Map<string, string>();
    for (const p of order) if (!firstOf.has(p.config.label)) firstOf.set(p.config.label, p.id);
    assert.equal(verified, [...firstOf.values()]);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test("points whose server failed, or a relaunched series, can be measured again; the old ones are kept under superseded/", async () => {
  const dir = mkdtempSync(join(tmpdir(), "run-"));
  try {
    const results = RunResults.open(dir, "r5");
    const order = runOrder(matrix, 7).slice(0, 6);
    const failing = new Set([order[1].id, order[4].id]);
    const executor = async (r: PointRun) => {
      writeFileSync(join(r.rawDir, "server.stderr"), "attempt\n");
      return fakeOutcome(r, failing.has(r.spec.id) ? "server-failed" : r.spec.id === order[2].id ? "fail-timeouts" : "pass");
    };
    const go = () => runPoints({ results, points: order, profile: threeTrials, correctness: false, signal: new AbortController().signal, log: () => {}, executor });
    await go();
    const failed = (r: Record<string, string>) => r.verdict === "server-failed";
    assert.equal(results.supersede(failed, "fixed"), [order[1].id, order[4].id]);
    assert.equal([...results.donePoints()], [order[0].id, order[2].id, order[3].id, order[5].id], "a fail-timeouts point stays: it is a result");
    assert.ok(existsSync(join(results.dir, "superseded", "raw", order[1].id, "server.stderr")));
    assert.not.ok(existsSync(results.rawDir(order[1].id)));
    failing.clear();
    const s = await go();
    assert.equal([s.ran, s.skipped], [2, 4]);
    assert.equal(results.readPoints().map((r) => r.verdict), ["pass", "fail-timeouts", "pass", "pass", "pass", "pass"]);
    const kept = readFileSync(join(results.dir, "superseded", "points.csv"), "utf8").trim().split("\n");
    assert.is(kept.length, 3);
    assert.ok(kept[0].endsWith(",superseded_because") && kept[1].endsWith(",server-failed,\"wrong bytes, quoted, \"\"x\"\"\",fixed"), kept[1]);
    assert.equal(results.supersede(failed, "again"), []);
    // a series whose launch changed: every trial of it goes, whatever its verdict; a second attempt's raw folder is -2
    const series = order[1].config.label;
    const ofSeries = results.readPoints().filter((r) => r.series === series).map((r) => `${r.figure}__${r.series}__${r.offered_rate}__t${r.trial}`);
    assert.ok(ofSeries.includes(order[1].id));
    assert.equal(results.supersede((r) => r.series === series, "relaunched"), ofSeries);
    assert.ok(existsSync(join(results.dir, "superseded", "raw", `${order[1].id}-2`, "server.stderr")));
    assert.ok(results.readPoints().every((r) => r.series !== series));
    assert.is((await go()).ran, ofSeries.length);
    // superseded/points.csv written by another version of the runner: refused before any raw folder moves
    writeFileSync(join(results.dir, "superseded", "points.csv"), "run_id,series,superseded_because\n");
    assert.throws(() => results.supersede((r) => r.series === series, "once more"), /columns are not this runner's/);
    assert.ok(existsSync(results.rawDir(order[1].id)) && results.readPoints().some((r) => r.series === series));
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test("rows without a trial (older runs) are trial 1", () => {
  const dir = mkdtempSync(join(tmpdir(), "run-"));
  try {
    const results = RunResults.open(dir, "old");
    writeFileSync(results.pointsCsv, "run_id,figure,series,offered_rate,verdict\nold,fig7,knot-b-20K-100w,15000,pass\n");
    assert.equal([...results.donePoints()], ["fig7__knot-b-20K-100w__15000__t1"]);
    assert.is(results.donePoints().has(matrix.find((p) => p.config.label === "knot-b-20K-100w" && p.offeredRate === 15000)!.id), true);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test("profile rows of a re-run series replace the old ones; a series profiled at another rate keeps its own", () => {
  const dir = mkdtempSync(join(tmpdir(), "run-"));
  try {
    const results = RunResults.open(dir, "r3");
    const row = fakeOutcome({ spec: points[0], rawDir: "", warmupS: 0, durationS: 0, verifyBytes: false, clientTimeoutS: 15 }).row;
    const prof = (pct: number) => [{ run_id: "r3", series: row.series as string, section: "vmlinux", category: "networking", pct }];
    results.appendPoint(row, prof(10));
    results.appendPoint({ ...row, series: "other" }, [{ ...prof(5)[0], series: "other" }]);
    results.appendPoint(row, [{ ...prof(7)[0], series: `${row.series}@25000` }]);
    results.appendPoint(row, prof(20));
    assert.equal(results.readProfile().map((r) => `${r.series}:${r.pct}`), ["other:5", `${row.series}@25000:7`, `${row.series}:20`]);
    results.appendPoint(row, [{ ...prof(30)[0], trial: 2 }]); // another trial's profile is kept beside the first's
    assert.equal(results.readProfile().map((r) => `${r.series}/${r.trial || 1}:${r.pct}`),
      ["other/1:5", `${row.series}@25000/1:7`, `${row.series}/1:20`, `${row.series}/2:30`]);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test("Ctrl-C on a CLI-shaped run: SIGINT ends its processes, keeps finished points, exits 130", async () => {
  const dir = mkdtempSync(join(tmpdir(), "run-"));
  try {
    const script = new URL("./fixtures/interrupt-run.ts", import.meta.url).pathname;
    const child = spawn(process.execPath, ["--import", "tsx", script, dir], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    // wait until the second point's fake server is up
    const deadline = Date.now() + 15000;
    while (!/server pid (\d+)/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const pid = Number(/server pid (\d+)/.exec(out)?.[1]);
    assert.ok(pid > 0, out);
    child.kill("SIGINT");
    const code = await new Promise((r) => child.on("exit", (c) => r(c)));
    assert.is(code, 130, out);
    assert.not.ok(alive(pid), "fake server left running");
    const results = RunResults.open(dir, "cli");
    assert.is(results.readPoints().length, 1);
    assert.match(JSON.parse(readFileSync(results.runJson, "utf8")).status, "interrupted");
    assert.ok(existsSync(join(dir, "bed-down")), "testbed not brought down");
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test.run();
