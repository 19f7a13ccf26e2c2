// Tests the testbed lock that keeps two runners (or a runner and a bench) off one testbed, and the session logs' size.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { lockTestbed, sessionsPerLog, calibrationMismatch, thisMachine, type Calibration } from "../session.ts";
import { AXIS_TOP } from "../experiments.ts";
import { MAX_K } from "../scale.ts";
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

test("session logs hold enough sessions that none repeats within a point at the top rate, and at least httperf's 1,000", () => {
  const perS = (AXIS_TOP * MAX_K) / expectedStats(PAPER_SESSION_MODEL).meanRequestsPerSession;
  for (const [seconds, generators] of [[30, 4], [150, 4], [300, 8], [45, 1]]) {
    const n = sessionsPerLog(seconds, generators);
    assert.ok(n * generators >= perS * seconds, `${seconds} s, ${generators} generators: ${n} sessions each`);
    assert.ok(n * generators < perS * seconds + 1000 * generators, `${seconds} s: ${n} each is more than rounding up`);
    assert.is(n % 1000, 0);
  }
  assert.is(sessionsPerLog(1, 4), 1000);
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
