// Tests the testbed lock that keeps two runners (or a runner and a bench) off one testbed.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { lockTestbed } from "../session.ts";
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

test.run();
