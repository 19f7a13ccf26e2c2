// userver-specific behaviour: processes of each mode, the shared fd table, event statistics, memory over rounds, start-up errors, a dying process.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildServer, Conn, fetchOnce, get, processTree, serverBin, sleep, startServer, waitFor } from "../../test/lib.ts";

buildServer("userver");

const BIN = serverBin("userver");
const root = mkdtempSync(join(tmpdir(), "userver-test-"));
mkdirSync(join(root, "d"));
for (let i = 0; i < 20; i++) writeFileSync(join(root, "d", `f${i}`), Buffer.alloc(1000 + i, i));
process.on("exit", () => rmSync(root, { recursive: true, force: true }));

const start = (args: string[]) => startServer(BIN, ["--root", root, "--addr", "127.0.0.1", "--port", "0", ...args]);

/** Targets of a process's regular-file descriptors (the cache's open files), sorted. */
function fileFds(pid: number): string[] {
  return readdirSync(`/proc/${pid}/fd`)
    .map((fd) => { try { return readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { return ""; } })
    .filter((t) => t.startsWith(join(root, "d")))
    .sort();
}

test("SPED is one process; SYMPED and shared-SYMPED have N serving processes under a supervisor", async () => {
  for (const [args, n] of [[["--mode", "sped"], 1], [["--mode", "symped", "--procs", "3"], 4], [["--mode", "shared", "--procs", "5"], 6]] as const) {
    const s = await start([...args]);
    try {
      assert.ok(await waitFor(() => processTree(s.pid).length === n, 3000), `${args.join(" ")}: ${processTree(s.pid).length} processes`);
      assert.is(s.ready.config.mode, args[1]);
    } finally {
      assert.is((await s.stop()).code, 0);
    }
  }
});

test("shared-SYMPED processes share one fd table and cache; SYMPED processes do not", async () => {
  for (const mode of ["shared", "symped"]) {
    const s = await start(["--mode", mode, "--procs", "3"]);
    try {
      // Many short connections, so that every process most likely serves some.
      for (let round = 0; round < 3; round++)
        await Promise.all(Array.from({ length: 20 }, (_, i) => fetchOnce(s.port, get(`/d/f${i}`))));
      const children = processTree(s.pid).filter((p) => p !== s.pid);
      const tables = children.map(fileFds);
      if (mode === "shared") {
        // One table: every process (and the supervisor) sees the same 20 cached files, each opened once.
        for (const t of [fileFds(s.pid), ...tables]) assert.is(t.length, 20, `${mode}: ${t.length} cached files`);
      } else {
        // Private tables and caches: the supervisor holds none, each process only what it served, together ≥ 20.
        assert.is(fileFds(s.pid).length, 0);
        assert.ok(tables.every((t) => t.length <= 20) && tables.flat().length >= 20, `symped tables: ${tables.map((t) => t.length)}`);
      }
    } finally {
      assert.is((await s.stop()).code, 0);
    }
  }
});

test("event statistics: poll's interest set holds every open connection", async () => {
  for (const events of ["poll", "select", "epoll"]) {
    const s = await start(["--mode", "sped", "--events", events]);
    const idle = await Promise.all(Array.from({ length: 100 }, () => Conn.open(s.port)));
    try {
      let before = await s.stats();
      for (let i = 0; i < 50 && before.open_conns < 100; i++) before = await s.stats(); // until all are accepted
      assert.is(before.open_conns, 100);
      const c = await Conn.open(s.port);
      for (let i = 0; i < 30; i++) {
        await c.send(get("/d/f1"));
        await c.read();
      }
      c.close();
      const after = await s.stats();
      const calls = after.event_calls - before.event_calls;
      const mean = (after.event_fds_total - before.event_fds_total) / calls;
      assert.ok(calls >= 30, `${events}: ${calls} calls for 30 requests`);
      // 100 idle connections + the listening socket + the active one.
      assert.ok(mean >= 101 && mean <= 103, `${events}: mean interest set ${mean}`);
      assert.is(after.events, events);
    } finally {
      idle.forEach((c) => c.close());
      assert.is((await s.stop()).code, 0);
    }
  }
});

test("memory does not grow over repeated rounds of 2,000 connections", async () => {
  const s = await start(["--mode", "sped", "--events", "epoll"]);
  const rssKb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${s.pid}/status`, "utf8"))![1]);
  const round = async () => {
    const conns = await Promise.all(Array.from({ length: 2000 }, () => Conn.open(s.port, "127.0.0.1", 15_000)));
    await Promise.all(conns.map((c, i) => c.send(get(`/d/f${i % 20}`))));
    await Promise.all(conns.map((c) => c.read({ timeoutMs: 30_000 })));
    conns.forEach((c) => c.close());
    await sleep(300); // let the server see the closes
    return rssKb();
  };
  try {
    const first = await round();
    await round();
    const third = await round();
    assert.ok(third <= first + 2048, `RSS ${first} kB after the first round, ${third} kB after the third`);
    assert.is((await s.stats()).open_conns, 0);
  } finally {
    assert.is((await s.stop()).code, 0);
  }
});

test("bad flags and start-up failures exit non-zero with a reason", async () => {
  const run = (args: string[]) => spawnSync(BIN, args, { encoding: "utf8", timeout: 5000 });
  for (const args of [[], ["--root", root, "--events", "kqueue"], ["--root", root, "--port", "70000"], ["--root", root, "--bogus", "1"]]) {
    const r = run(args);
    assert.is(r.status, 2, `${args.join(" ")}: status ${r.status}`);
    assert.match(r.stderr, /usage/);
  }
  let r = run(["--root", root, "--mode", "sped", "--procs", "4"]);
  assert.is(r.status, 2);
  assert.match(r.stderr, /--mode symped or shared/);
  r = run(["--root", join(root, "missing"), "--port", "0"]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /open\(.*missing\)/);
  const s = await start(["--mode", "sped"]);
  r = run(["--root", root, "--addr", "127.0.0.1", "--port", String(s.port)]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /bind\(127\.0\.0\.1:\d+\): Address already in use/);
  await s.stop();
});

test("a serving process that dies stops the server with status 1", async () => {
  const s = await start(["--mode", "symped", "--procs", "3"]);
  await waitFor(() => processTree(s.pid).length === 4, 3000);
  const victim = processTree(s.pid).find((p) => p !== s.pid)!;
  process.kill(victim, "SIGKILL");
  const exit = await new Promise<number | null>((res) => s.proc.on("exit", (code) => res(code)));
  assert.is(exit, 1);
  assert.match(s.stderr(), new RegExp(`process ${victim} ended`));
  assert.ok(s.lines.some((l) => l.event === "stats"), "final stats line");
});

test.run();
