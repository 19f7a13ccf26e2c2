// Tests the measured-window reduction of a per-request CSV, vmstat parsing and /proc readers.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { windowStats, percentile, halfRates, sumBySecond } from "../window.ts";
import { parseVmstat, vmstatInterval, coreTimes, treeCounters, statFields, kernelWaits, tcpExtCounters, lockedBytes } from "../../../lib/procfs.ts";
import { start, stop, type Proc } from "../proc.ts";

const CSV = `start_ms,session,uri,size_class,status,bytes,connect_ms,response_ms,transfer_ms,outcome
500.0,1,"/dir00000/class1_4",class1_4,200,5120,1.0,2.0,1.0,ok
1500.0,1,"/dir00000/class1_4",class1_4,200,5120,0,2.0,1.0,ok
1600.0,2,"/dir00001/class0_0",class0_0,200,102,4.0,10.0,0.0,ok
1700.0,3,"/dir00001/class3_8",class3_8,0,0,1.0,,,client-timo
1800.0,3,"/dir00001/class3_0",class3_0,0,0,0,,,aborted
2995.0,2,"/a,""b""",class0_1,200,204,0,10.0,0.0,ok
3200.0,4,"/dir00000/class0_0",class0_0,200,102,1.0,1.0,0.0,ok
,5,"/dir00000/class0_0",class0_0,0,0,0,,,connrefused
`;

test("window: replies completed in it, requests started in it, timeouts per size, connect time shared", async () => {
  const dir = mkdtempSync(join(tmpdir(), "win-"));
  try {
    const f = join(dir, "r.csv");
    writeFileSync(f, CSV);
    const w = await windowStats(f, 1000, 3000);
    assert.is(w.requests, 5);                 // starts at 1500, 1600, 1700, 1800, 2995
    assert.is(w.sessions, 2);                 // sessions 2 and 3 began in the window (1 began before it)
    assert.is(w.replies, 2);                  // 1503 and 1610 end inside; 3005 ends after
    assert.is(w.bytes, 5120 + 102);
    assert.equal(w.errors, { "client-timo": 1 });
    assert.is(w.byFile.class3_8.timeouts, 1);
    assert.is(w.byFile.class1_4.requests, 1);
    // session 1: connect 1 ms over its 2 replies, one in the window → 0.5; session 2: 4 ms over 2 replies, 1 in → 2
    assert.ok(Math.abs(w.responseMs.mean - (3 + 10 + 0.5 + 2) / 2) < 1e-9, String(w.responseMs.mean));
    assert.is(w.responseMs.median, 3);
    // by completion second of the run up to the window's end: 503 | 1503, 1610 | none (3005 and 3201 end after it)
    assert.equal(w.repliesPerSecond, [1, 2, 0]);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test("halfRates: replies per second in each half of the window, summed over generators", () => {
  assert.equal(halfRates([[1, 2, 3, 4], [1, 1, 1, 1]], 0, 4), [2.5, 4.5]);
  // an odd window: the first half is the shorter; seconds before the window (warm-up) are left out
  assert.equal(halfRates([[9, 2, 3, 4]], 1, 4), [2, 3.5]);
  // generators whose series end at different seconds
  assert.equal(sumBySecond([[1, 2, 3], [4, 5]]), [5, 7, 3]);
  assert.equal(sumBySecond([]), []);
});

test("tcpExtCounters: the TcpExt header line's names with the next line's values", () => {
  const text = "TcpExt: SyncookiesSent ListenOverflows ListenDrops\nTcpExt: 0 151062 151063\nIpExt: InNoRoutes\nIpExt: 4\n";
  assert.equal(tcpExtCounters(text), { SyncookiesSent: 0, ListenOverflows: 151062, ListenDrops: 151063 });
  assert.equal(tcpExtCounters("IpExt: InNoRoutes\nIpExt: 4\n"), {});
});

test("percentile is nearest-rank", () => {
  assert.is(percentile([1, 2, 3, 4], 50), 2);
  assert.is(percentile([1, 2, 3, 4], 90), 4);
  assert.ok(Number.isNaN(percentile([], 50)));
});

test("vmstat: columns by name, the since-boot line dropped", () => {
  const text = `procs -----------memory---------- ---swap-- -----io---- -system-- -------cpu-------
 r  b   swpd   free   buff  cache   si   so    bi    bo   in   cs us sy id wa st gu
 1  0      0 100000  2000 300000    0    0     5     6   70  120  1  2 97  0  0  0
 2  1      0  90000  2000 310000    0    0   500    60 9000 4000 20 30 40 10  0  0
`;
  const s = vmstatInterval(parseVmstat(text));
  assert.equal(s, [{ r: 2, b: 1, cache_kb: 310000, cs: 4000, us: 20, sy: 30, id: 40, wa: 10, st: 0 }]);
});

test("/proc readers: a core's times and this process's counters", () => {
  const c = coreTimes(0, "cpu  1 2 3 4 5 6 7 8 0 0\ncpu0 10 0 5 80 5 0 0 0 0 0\n");
  assert.equal(c, { busy: 15, iowait: 5, total: 100 });
  assert.is(coreTimes(7, "cpu0 1 1 1 1 1 1 1 1\n"), null);
  const me = treeCounters(process.pid);
  assert.ok(me.tids.includes(process.pid) && me.ctxSwitches > 0);
});

test("/proc/<pid>/stat fields start after the command name, whatever it holds; a process's threads' kernel waits", () => {
  const line = "4242 (we) ird (name)) S 1 4242 4242 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 1 0";
  const f = statFields(line);
  assert.is(f[0], "S");
  assert.is(f[1], "1");
  assert.is(Number(f[11]) + Number(f[12]), 10);
  assert.match(kernelWaits(process.pid), /^[RSD] \S+ ×\d+/);
  assert.is(kernelWaits(2 ** 22 + 1), "unknown");
});

test("lockedBytes: a process's mlocked memory (VmLck), 0 when it locks nothing, null once it is gone", async () => {
  const py = "import ctypes, time\nb = ctypes.create_string_buffer(1 << 20)\n" +
    "assert ctypes.CDLL(None).mlock(b, 1 << 20) == 0\nprint('locked', flush=True)\ntime.sleep(30)";
  const locker = start("locker", ["python3", "-c", py]);
  await new Promise<void>((done) => locker.onLine(() => done()));
  const locked = lockedBytes(locker.pid)!;
  await stop(locker, 2000);
  assert.ok(locked >= 1 << 20 && locked <= (1 << 20) + 2 * 4096, `locked ${locked}`);
  assert.is(lockedBytes(process.pid), 0);
  assert.is(lockedBytes(2 ** 22 + 1), null);
});

test("stop: SIGTERM, then SIGKILL; a process that outlives SIGKILL is an error, not a hang", async () => {
  const polite = start("sleep", ["sleep", "30"]);
  assert.equal(await stop(polite, 2000), { status: "SIGTERM", killed: false });
  const stubborn = start("stubborn", ["sh", "-c", 'trap "" TERM; echo ready; sleep 30 & wait']);
  await new Promise<void>((r) => stubborn.onLine(() => r()));
  const killed = await stop(stubborn, 200);
  assert.equal([killed.status, killed.killed], ["SIGKILL", true]);
  // what held it, the shell and its child sleep alike: a multi-process server's every process is named
  const threads = [...(killed.waits ?? "").matchAll(/×(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
  assert.is(threads, 2, killed.waits);
  // A process stuck in the kernel never reports its exit: stand-in with an exit that never comes.
  const stuck = { name: "stuck", pid: 2 ** 22 + 1, exitStatus: null, exited: new Promise(() => {}) } as unknown as Proc;
  try {
    await stop(stuck, 10, 50);
    assert.unreachable("stop returned for a process that never exited");
  } catch (e) {
    assert.match((e as Error).message, /stuck \(pid 4194305\) did not exit 0\.05 s after SIGKILL/);
  }
});

test.run();
