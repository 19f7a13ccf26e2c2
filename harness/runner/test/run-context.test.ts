// Tests the testbed lock that keeps two runners (or a runner and a bench) off one testbed, a point's session logs'
// size and seed, the refusal of a file set that fits in memory, and what makes a tree dirty for run.json.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lockTestbed, sessionsPerLog, pointSeed, prepareFileSet, calibrationMismatch, thisMachine, gitFacts, type Calibration,
  type RunContextOptions } from "../run-context.ts";
import { PAPER_SESSION_MODEL, expectedStats } from "../../workload/sessions.ts";
import type { Bed } from "../bed.ts";

const bed = { cfg: { prefix: "wp-locktest-", cgroupParent: "webarch/locktest", source: "test.json" } } as unknown as Bed;
const file = join(tmpdir(), "webarch-testbed-wp-locktest-webarch_locktest.lock");

test("a live holder keeps the lock; a dead one's lock is taken over; unlock removes it", async () => {
  const other = spawn("sleep", ["30"]);
  try {
    writeFileSync(file, String(other.pid));
    assert.throws(() => lockTestbed(bed), /in use by process/);
    other.kill();
    await new Promise((r) => other.on("exit", r));
    const unlock = lockTestbed(bed);
    assert.ok(existsSync(file));
    unlock();
    assert.not.ok(existsSync(file));
  } finally {
    other.kill();
  }
});

test("a tree counts as dirty for a changed code file, not for a changed result (a resumed run's own files)", async () => {
  const repo = mkdtempSync(join(tmpdir(), "wp-git-"));
  try {
    const git = (...a: string[]) => execFileSync("git", ["-C", repo, "-c", "user.name=t", "-c", "user.email=t@t", ...a]);
    git("init", "-q");
    mkdirSync(join(repo, "results"));
    for (const f of ["code.ts", "results/points.csv"]) writeFileSync(join(repo, f), "a\n");
    git("add", ".");
    git("commit", "-qm", "c");
    assert.is((await gitFacts(repo)).commit_dirty, false);
    writeFileSync(join(repo, "results/points.csv"), "a\nb\n");
    assert.is((await gitFacts(repo)).commit_dirty, false, "a result changed");
    writeFileSync(join(repo, "code.ts"), "b\n");
    assert.is((await gitFacts(repo)).commit_dirty, true, "code changed");
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});

test("a point's logs hold the sessions its schedule starts, with a small margin; seeds differ by point and repeat by id", () => {
  const perReq = expectedStats(PAPER_SESSION_MODEL).meanRequestsPerSession;
  for (const [rate, seconds, generators] of [[9000, 150, 4], [18000, 30, 4], [600, 7, 2]]) {
    const n = sessionsPerLog(rate, seconds, generators);
    const need = (rate / perReq / generators) * seconds;
    assert.ok(n >= need && n <= need * 1.06 + 100, `${rate} req/s, ${seconds} s, ${generators} generators: ${n} sessions each (need ${need})`);
  }
  assert.is(pointSeed(1, "fig7__a__15000"), pointSeed(1, "fig7__a__15000"));
  assert.is.not(pointSeed(1, "fig7__a__15000"), pointSeed(1, "fig7__a__20000"));
  assert.is.not(pointSeed(1, "fig7__a__15000"), pointSeed(2, "fig7__a__15000"));
});

test("a file set that fits in the server's memory is refused, naming the setting, unless the cache is left as found", () => {
  const o = { dirs: 2, prewarm: true, dataDir: "/nonexistent", seed: 1, log: () => {} } as unknown as RunContextOptions;
  assert.throws(() => prepareFileSet(o, 2 ** 31), /--dirs 2.*server\.memoryLimitBytes/);
});

test("a calibration holds only for its machine and its testbed's configuration", () => {
  const cfg = { kind: "emulated", source: "/x/emulated.json", server: { diskModel: { seekMs: 4.7 } } };
  const here = { kind: "emulated", cfg } as unknown as Bed;
  const cal: Calibration = { quota: 0.2, k: 0.6, converged: true, machine: thisMachine(), testbed: { kind: "emulated", source: cfg.source, config: cfg } };
  assert.is(calibrationMismatch(cal, here, "/r"), null);
  const changed = { kind: "emulated", cfg: { ...cfg, server: { diskModel: { seekMs: 8 } } } } as unknown as Bed;
  assert.match(calibrationMismatch(cal, changed, "/r")!, /configuration \(\/x\/emulated\.json\) changed/);
  assert.match(calibrationMismatch({ ...cal, testbed: { kind: "emulated", source: cfg.source } }, here, "/r")!, /changed/); // made before configs were recorded
  assert.match(calibrationMismatch({ ...cal, machine: { ...thisMachine(), cpus: 64 } }, here, "/r")!, /another machine/);
  assert.match(calibrationMismatch({ ...cal, converged: false }, here, "/r")!, /did not converge/);
  assert.match(calibrationMismatch(null, here, "/r")!, /no \/r\/calibration\.json/);
});

test.run();
