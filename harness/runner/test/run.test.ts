// Tests the run loop with a fake point executor: atomic append, resume without redoing points, Ctrl-C cleanup.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync, readFileSync, writeFileSync, existsSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { runPoints } from "../run.ts";
import { RunResults, POINT_COLUMNS } from "../results.ts";
import { PROFILES, runMatrix, type Profile } from "../experiments.ts";
import { start, liveProcesses } from "../../lib/proc.ts";
import type { PointOutcome, PointRun } from "../point.ts";

const profile: Profile = { ...PROFILES.quick, warmupS: 0, durationS: 0, idleS: 0 };
const points = runMatrix(profile, { experiments: ["fig7"], series: ["userver-nb-30K-4p", "knot-b-20K-100w"], rates: [5000, 15000] });

function fakeOutcome(r: PointRun, verdict = "pass"): PointOutcome {
  const row = Object.fromEntries(POINT_COLUMNS.map((c) => [c, null])) as PointOutcome["row"];
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
