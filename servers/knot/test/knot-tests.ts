// Black-box tests of what is particular to knot: knot-c's content cache, the worker pool (a blocked worker does not
// stop the scheduler), the two sendfile wrappers of §4.3 and the runtime's counters. Used for release and ASan builds.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { closeSync, constants, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildFileSet, fileContent, type ManifestEntry } from "../../../lib/fileset.ts";
import { Conn, fetchOnce, get, sleep, startServer, type Json, type RunningServer } from "../../test/lib.ts";

const SEED = 11;
const VARIANTS = ["c", "nb", "b"] as const;

let fileSet: { root: string; files: ManifestEntry[] } | undefined;

/** Three directories of SPECweb99 files (~15 MB, far more than a 1 MB cache) and a named pipe. */
function files(): { root: string; files: ManifestEntry[] } {
  if (!fileSet) {
    const root = mkdtempSync(join(tmpdir(), "knot-"));
    const manifest = buildFileSet({ root, dirs: 3, seed: SEED });
    execFileSync("mkfifo", [join(root, "fifo")]);
    process.on("exit", () => rmSync(root, { recursive: true, force: true }));
    fileSet = { root, files: manifest };
  }
  return fileSet;
}

const byName = (name: string) => files().files.find((f) => f.path === name)!;

function expectFile(body: Buffer, f: ManifestEntry, what: string) {
  assert.is(body.length, f.size, `${what}: length of ${f.path}`);
  assert.ok(body.equals(fileContent(SEED, f.path, f.size)), `${what}: bytes of ${f.path}`);
}

function start(bin: string, args: string[]): Promise<RunningServer> {
  return startServer(bin, ["--root", files().root, "--addr", "127.0.0.1", "--port", "0", "--max-conns", "200", ...args]);
}

/** Stops the server and checks it exited cleanly, without a sanitizer report. */
async function stopClean(srv: RunningServer): Promise<Json> {
  const { code, stats } = await srv.stop();
  assert.is(code, 0, `exit status; stderr:\n${srv.stderr()}`);
  assert.not.match(srv.stderr(), /Sanitizer|runtime error/, "sanitizer report");
  return stats!;
}

/** `n` GETs of `list` over `conns` keep-alive connections in parallel, each reply checked byte for byte. */
async function fetchAll(port: number, list: ManifestEntry[], conns: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: conns }, async () => {
      const c = await Conn.open(port);
      for (let i = next++; i < list.length; i = next++) {
        await c.send(get("/" + list[i].path));
        expectFile((await c.read()).body, list[i], "GET");
      }
      c.close();
    }),
  );
}

/** Asks for stats every 100 ms until `cond` holds (true) or `timeoutMs` passes (false). */
async function waitForStats(srv: RunningServer, cond: (s: Json) => boolean, timeoutMs = 3000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  do {
    if (cond(await srv.stats())) return true;
    await sleep(100);
  } while (Date.now() < end);
  return false;
}

export function knotSuite(title: string, bin: string): void {
  const test = suite(title);

  test("knot-c: a file set bigger than the cache evicts, and replies stay byte-exact", async () => {
    const srv = await start(bin, ["--variant", "c", "--workers", "4", "--cache-mb", "1"]);
    try {
      const all = files().files;
      await fetchAll(srv.port, all, 8);
      await fetchAll(srv.port, [...all].reverse(), 8);
      const s = await srv.stats();
      assert.ok(s.content_evictions > 0, `content_evictions ${s.content_evictions}`);
      assert.ok(s.content_bytes <= 1 << 20, `content_bytes ${s.content_bytes} within 1 MB`);
      assert.ok(s.content_misses + s.content_hits >= 2 * all.length, "every body went through the content cache");
    } finally {
      await stopClean(srv);
    }
  });

  test("knot-c: concurrent requests for a file being read wait for that one read", async () => {
    const srv = await start(bin, ["--variant", "c", "--workers", "4", "--cache-mb", "8"]);
    try {
      const f = byName("dir00002/class3_8");
      const before = await srv.stats();
      const replies = await Promise.all(Array.from({ length: 20 }, () => fetchOnce(srv.port, get("/" + f.path))));
      replies.forEach((r) => expectFile(r.body, f, "concurrent GET"));
      const after = await srv.stats();
      assert.is(after.content_misses - before.content_misses, 1, "one read from disk");
      assert.is(after.content_hits - before.content_hits, 19, "the others shared it");
    } finally {
      await stopClean(srv);
    }
  });

  for (const variant of VARIANTS) {
    test(`knot-${variant}: a worker blocked in open() on a named pipe stops only itself`, async () => {
      const srv = await start(bin, ["--variant", variant, "--workers", "2", "--cache-mb", "4"]);
      let writer = -1;
      try {
        // Opening a FIFO for reading waits for a writer: a worker sits in open() until we provide one.
        const stuck = await Conn.open(srv.port);
        await stuck.send(get("/fifo"));
        assert.ok(await waitForStats(srv, (s) => s.workers_busy === 1), "one worker busy");

        // Meanwhile the scheduler keeps serving other connections with the remaining worker.
        const some = files().files.filter((_, i) => i % 3 === 0);
        await fetchAll(srv.port, some, 4);
        assert.is(stuck.pending(), 0, "the blocked request has no reply yet");
        assert.is((await srv.stats()).workers_busy, 1, "the worker is still blocked");

        writer = openSync(join(files().root, "fifo"), constants.O_WRONLY | constants.O_NONBLOCK);
        const r = await stuck.read();
        assert.is(r.status, 404, "not a regular file, once open() returned");
        stuck.close();
      } finally {
        if (writer >= 0) closeSync(writer);
        await stopClean(srv);
      }
    });
  }

  for (const variant of ["nb", "b"] as const) {
    test(`knot-${variant}: a client that stops reading holds one worker; the reply completes when it reads again`, async () => {
      const srv = await start(bin, ["--variant", variant, "--workers", "2", "--idle-timeout", "20"]);
      try {
        // 10 pipelined 900 KB replies are far more than the socket buffers hold.
        const big = byName("dir00000/class3_8");
        const slow = await Conn.open(srv.port);
        slow.socket.pause();
        await slow.send(get("/" + big.path).repeat(10));
        if (variant === "nb") {
          // The worker's sendfile found the socket full, polled it for one second, and gave up; the thread retried.
          assert.ok(await waitForStats(srv, (s) => s.worker_poll_timeouts >= 1, 5000), "a worker's one-second poll timed out");
        } else {
          // One blocking sendfile per reply: the worker simply waits inside it.
          assert.ok(await waitForStats(srv, (s) => s.workers_busy === 1), "a worker blocked in sendfile");
          assert.is((await srv.stats()).worker_polls, 0, "no polling in knot-b");
        }
        await fetchAll(srv.port, files().files.slice(0, 40), 2); // others are served meanwhile
        slow.socket.resume();
        for (let i = 0; i < 10; i++) expectFile((await slow.read({ timeoutMs: 20_000 })).body, big, `reply ${i}`);
        slow.close();
      } finally {
        await stopClean(srv);
      }
    });
  }

  test("the poll set: the listening socket once however many threads are idle, plus one entry per open connection", async () => {
    const srv = await start(bin, ["--variant", "nb", "--threads", "150", "--workers", "2"]);
    try {
      // Polls between two stats requests, as a mean set size (each SIGUSR1 wakes the scheduler's poll once).
      const meanSet = async () => {
        const a = await srv.stats();
        await sleep(200);
        const b = await srv.stats();
        return (b.event_fds_total - a.event_fds_total) / (b.event_calls - a.event_calls);
      };
      await sleep(300);
      // 150 idle threads: the listener (held by the one thread at the accept gate), the eventfd, the signalfd.
      assert.is(await meanSet(), 3);
      const open = await Promise.all(Array.from({ length: 10 }, () => Conn.open(srv.port)));
      for (const c of open) {
        await c.send(get("/" + files().files[0].path));
        await c.read();
      }
      // knot-nb's worker finishes a sendfile before its thread is back in the poll set: the client can have every
      // byte a moment earlier (CI saw one poll of 12 in this window once).
      await sleep(300);
      assert.is(await meanSet(), 13, "10 connections waiting for their next request");
      open.forEach((c) => c.close());
    } finally {
      await stopClean(srv);
    }
  });

  test("out of descriptors: accept waits instead of failing, and every connection is served once others close", async () => {
    // 40 descriptors for 100 threads: accept hits EMFILE while 60 clients are connected.
    const srv = await startServer("prlimit", ["--nofile=40", bin, "--root", files().root, "--addr", "127.0.0.1",
      "--port", "0", "--threads", "100", "--max-conns", "100", "--cache-fds", "4", "--workers", "2"]);
    try {
      const f = files().files[7];
      expectFile((await fetchOnce(srv.port, get("/" + f.path))).body, f, "first GET"); // now its fd is cached
      const conns = await Promise.all(Array.from({ length: 60 }, () => Conn.open(srv.port)));
      const replies = conns.map(async (c) => {
        await c.send(get("/" + f.path));
        const r = await c.read({ timeoutMs: 15_000 });
        c.close(); // frees the server's descriptor for a waiting client
        return r;
      });
      (await Promise.all(replies)).forEach((r) => expectFile(r.body, f, "GET"));
      const s = await srv.stats();
      assert.ok(s.accept_starved >= 1, `accept_starved ${s.accept_starved}`);
      assert.is(s.accepted, 61);
    } finally {
      await stopClean(srv);
    }
  });

  test("a descriptor table full of cached files: the cache closes unpinned entries for new opens instead of a 503", async () => {
    // 48 descriptors and room for 1,000 cached files: the fd cache outgrows the table after ~35 of the 108 files.
    for (const variant of VARIANTS) {
      const srv = await startServer("prlimit", ["--nofile=48", bin, "--root", files().root, "--addr", "127.0.0.1",
        "--port", "0", "--threads", "4", "--max-conns", "4", "--cache-fds", "1000", "--workers", "2", "--variant", variant]);
      try {
        await fetchAll(srv.port, files().files, 1);
        const s = await srv.stats();
        assert.ok(s.cache_shed >= 50, `knot-${variant}: cache_shed ${s.cache_shed}`);
        assert.is(s.status_5xx, 0, `knot-${variant}`);
      } finally {
        await stopClean(srv);
      }
    }
  });

  test("knot-b: one open and one sendfile per reply of a new file; switches, polls and poll sets are counted", async () => {
    const srv = await start(bin, ["--variant", "b", "--workers", "4"]);
    try {
      const list = files().files.filter((f) => f.path.startsWith("dir00001/"));
      const before = await srv.stats();
      await fetchAll(srv.port, list, 1);
      const s = await srv.stats();
      const replies = s.replies - before.replies;
      assert.is(replies, list.length);
      assert.is(s.worker_jobs - before.worker_jobs, 2 * list.length, "worker jobs = opens + sendfiles");
      assert.ok(s.user_ctx_switches - before.user_ctx_switches >= 3 * replies, "a request read, an open and a sendfile each resume the thread");
      assert.ok(s.event_calls > before.event_calls, "poll calls");
      assert.ok(s.event_fds_total >= 2 * s.event_calls, "the eventfd and the signalfd are always in the poll set");
      assert.is(s.worker_queue_max >= 1 && s.workers_busy_max >= 1, true);
    } finally {
      await stopClean(srv);
    }
  });

  test.run();
}
