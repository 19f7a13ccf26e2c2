// The black-box tests every server configuration must pass (HTTP behaviour, overload, faults, descriptor hygiene).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildFileSet, fileContent, type ManifestEntry } from "../../lib/fileset.ts";
import { Conn, countFds, fetchOnce, get, sleep, startServer, waitFor, type FdCounts, type RunningServer } from "./lib.ts";

export interface ConformanceOptions {
  /** Server binary. */
  bin: string;
  /** Configuration flags (mode, processes, ...); the suite adds --root, --addr, --port, --max-conns, --idle-timeout. */
  args: string[];
  /** Concurrent connections of the "many connections at once" test (default 2000). */
  concurrency?: number;
}

const SEED = 7;
const DIRS = 2;

let fileSet: { root: string; files: ManifestEntry[] } | undefined;

/** The file set (2 directories of the 36 SPECweb99 sizes) plus two symlinks leading out of the root; built once per process. */
function files(): { root: string; files: ManifestEntry[] } {
  if (!fileSet) {
    const root = mkdtempSync(join(tmpdir(), "conformance-"));
    const manifest = buildFileSet({ root, dirs: DIRS, seed: SEED });
    symlinkSync("/etc/hostname", join(root, "escape"));
    symlinkSync("/etc", join(root, "outside"));
    process.on("exit", () => rmSync(root, { recursive: true, force: true }));
    fileSet = { root, files: manifest };
  }
  return fileSet;
}

function expectFile(body: Buffer, f: ManifestEntry, what: string) {
  assert.is(body.length, f.size, `${what}: length of ${f.path}`);
  assert.ok(body.equals(fileContent(SEED, f.path, f.size)), `${what}: bytes of ${f.path}`);
}

/** Error requests and the status each must get (each on its own connection, which the server must then close). */
const ERROR_CASES: Array<[string, string, number]> = [
  ["missing file", get("/dir00000/class9_9"), 404],
  ["directory", get("/dir00000"), 404],
  ["document root itself", get("/"), 404],
  ["POST", get("/dir00000/class0_0", { method: "POST", headers: { "Content-Length": "0" } }), 405],
  ["DELETE", get("/dir00000/class0_0", { method: "DELETE" }), 405],
  ["unknown method", get("/dir00000/class0_0", { method: "BREW" }), 501],
  ["lower-case method", get("/dir00000/class0_0", { method: "get" }), 501],
  ["garbage request line", "GARBAGE\r\n\r\n", 400],
  ["binary garbage", "\x00\x01\x02\x03\r\n\r\n", 400],
  ["malformed header", "GET /dir00000/class0_0 HTTP/1.1\r\nNo colon here\r\n\r\n", 400],
  ["space in target", "GET /dir00000/class 0_0 HTTP/1.1\r\n\r\n", 400],
  ["bad percent escape", get("/dir00000/class0_%zz"), 400],
  ["NUL byte in path", get("/dir00000/class0_0%00.html"), 400],
  ["HTTP/2.0 request line", get("/dir00000/class0_0", { version: "2.0" }), 505],
  ["URI too long", get("/" + "a".repeat(5000)), 414],
  ["headers too large", get("/dir00000/class0_0", { headers: { "X-Big": "b".repeat(20_000) } }), 431],
  ["too many headers", get("/dir00000/class0_0", { headers: Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`X-H${i}`, "v".repeat(20)])) }), 431],
  ["large request body", get("/dir00000/class0_0", { headers: { "Content-Length": "100000" } }), 413],
  ["chunked request body", get("/dir00000/class0_0", { headers: { "Transfer-Encoding": "chunked" } }) + "5\r\nhello\r\n0\r\n\r\n", 413],
  ["dot-dot", get("/../etc/passwd"), 403],
  ["dot-dot inside", get("/dir00000/../../etc/passwd"), 403],
  ["encoded dot-dot", get("/%2e%2e/etc/passwd"), 403],
  ["encoded dot-dot and slash", get("/dir00000/%2E%2E%2F%2E%2E%2Fetc/passwd"), 403],
  ["dot-dot in absolute-form target", get("http://localhost/../etc/passwd"), 403],
  ["symlink to a file outside", get("/escape"), 403],
  ["symlink to a directory outside", get("/outside/hostname"), 403],
  ["absolute path stays under the root", get("//etc/passwd"), 404],
];

/** Registers and runs the conformance suite for one server configuration. */
export function conformanceSuite(title: string, opts: ConformanceOptions): void {
  const test = suite(title);
  const concurrency = opts.concurrency ?? 2000;
  let srv: RunningServer;
  let limited: RunningServer; // the same configuration with --max-conns 8 --idle-timeout 1
  let baseline: FdCounts;
  let served = 0; // replies we received with status 200, for the final stats check

  const start = (maxConns: number, idle: number) =>
    startServer(opts.bin, [
      ...opts.args,
      "--root", files().root, "--addr", "127.0.0.1", "--port", "0",
      "--max-conns", String(maxConns), "--idle-timeout", String(idle),
    ]);

  test.before(async () => {
    [srv, limited] = await Promise.all([start(concurrency + 500, 30), start(8, 1)]);
    await sleep(200); // let every process of the server settle before counting its descriptors
    baseline = countFds(srv.pid);
  });

  test.after(async () => {
    await srv?.stop(2000);
    await limited?.stop(2000);
  });

  test("ready line describes the server and its configuration", () => {
    assert.type(srv.ready.server, "string");
    assert.is(srv.ready.pid, srv.pid);
    assert.ok(srv.port > 0);
    assert.is(srv.ready.config.root, files().root);
    assert.is(srv.ready.config.max_conns, concurrency + 500);
  });

  test("every file size is returned byte-exact with Content-Length and Content-Type", async () => {
    await Promise.all(
      files().files.map(async (f) => {
        const r = await fetchOnce(srv.port, get("/" + f.path));
        assert.is(r.status, 200, f.path);
        assert.is(r.headers["content-length"], String(f.size));
        assert.ok(r.headers["content-type"], "Content-Type");
        expectFile(r.body, f, "GET");
        served++;
      }),
    );
  });

  test("HEAD returns the header of GET without a body", async () => {
    const c = await Conn.open(srv.port);
    for (const f of files().files.slice(0, 36)) {
      await c.send(get("/" + f.path, { method: "HEAD" }));
      const h = await c.read({ head: true });
      assert.is(h.status, 200);
      assert.is(h.headers["content-length"], String(f.size));
      served++;
    }
    // A GET on the same connection parses cleanly only if no body bytes followed the HEAD replies.
    const f = files().files[5];
    await c.send(get("/" + f.path));
    expectFile((await c.read()).body, f, "GET after HEADs");
    served++;
    await sleep(50);
    assert.is(c.pending(), 0, "no stray bytes");
    c.close();
  });

  test("keep-alive: 100 requests on one connection", async () => {
    const c = await Conn.open(srv.port);
    const all = files().files;
    for (let i = 0; i < 100; i++) {
      const f = all[(i * 7) % all.length];
      await c.send(get("/" + f.path));
      const r = await c.read();
      assert.is(r.status, 200);
      assert.not.ok(/close/i.test(r.headers.connection ?? ""), "connection kept");
      expectFile(r.body, f, `request ${i}`);
      served++;
    }
    assert.not.ok(c.ended, "still open");
    c.close();
  });

  test("HTTP/1.0 closes unless keep-alive is asked for; Connection: close is honoured", async () => {
    const f = files().files[3];
    let c = await Conn.open(srv.port);
    await c.send(get("/" + f.path, { version: "1.0" }));
    let r = await c.read();
    expectFile(r.body, f, "HTTP/1.0");
    assert.ok(await c.closedByPeer(), "HTTP/1.0 closed");

    c = await Conn.open(srv.port);
    for (let i = 0; i < 3; i++) {
      await c.send(get("/" + f.path, { version: "1.0", headers: { Connection: "keep-alive" } }));
      r = await c.read();
      assert.match(r.headers.connection ?? "", /keep-alive/i);
      expectFile(r.body, f, "HTTP/1.0 keep-alive");
    }
    c.close();

    c = await Conn.open(srv.port);
    await c.send(get("/" + f.path, { headers: { Connection: "close" } }));
    r = await c.read();
    assert.match(r.headers.connection ?? "", /close/i);
    expectFile(r.body, f, "Connection: close");
    assert.ok(await c.closedByPeer(), "closed after Connection: close");
    served += 5;
  });

  test("pipelined requests are answered in order", async () => {
    const all = files().files;
    const picks = Array.from({ length: 30 }, (_, i) => ({ f: all[(i * 11) % all.length], head: i % 5 === 4 }));
    const c = await Conn.open(srv.port);
    await c.send(picks.map(({ f, head }) => get("/" + f.path, { method: head ? "HEAD" : "GET" })).join("") + get("/" + all[0].path, { headers: { Connection: "close" } }));
    for (const { f, head } of picks) {
      const r = await c.read({ head });
      assert.is(r.status, 200);
      assert.is(r.headers["content-length"], String(f.size));
      if (!head) expectFile(r.body, f, "pipelined");
      served++;
    }
    expectFile((await c.read()).body, all[0], "last pipelined");
    assert.ok(await c.closedByPeer(), "closed after the last request");
    served++;
  });

  test("a small request body is skipped and the connection kept", async () => {
    const f = files().files[2];
    const c = await Conn.open(srv.port);
    await c.send(get("/" + f.path, { headers: { "Content-Length": "5" } }) + "hello" + get("/" + f.path));
    expectFile((await c.read()).body, f, "GET with a body");
    expectFile((await c.read()).body, f, "GET after it");
    served += 2;
    c.close();
  });

  test("a request arriving one byte at a time", async () => {
    const f = files().files[10];
    const c = await Conn.open(srv.port);
    c.socket.setNoDelay(true);
    for (const ch of get("/" + f.path)) {
      await c.send(ch);
      await sleep(2);
    }
    expectFile((await c.read()).body, f, "byte by byte");
    served++;
    c.close();
  });

  test("error cases get their status, Connection: close, and the connection closed", async () => {
    for (const [what, request, status] of ERROR_CASES) {
      const c = await Conn.open(srv.port);
      await c.send(request).catch(() => {}); // the server may close before reading a huge request
      const r = await c.read().catch((e: Error) => {
        throw new Error(`${what}: ${e.message}`);
      });
      assert.is(r.status, status, what);
      assert.match(r.headers.connection ?? "", /close/i, `${what}: Connection: close`);
      if (status === 405) assert.match(r.headers.allow ?? "", /GET.*HEAD/, "Allow header");
      assert.ok(await c.closedByPeer(), `${what}: closed`);
      c.close();
    }
  });

  test("an error reply to HEAD has no body", async () => {
    const c = await Conn.open(srv.port);
    await c.send(get("/dir00000/class9_9", { method: "HEAD" }));
    const r = await c.read({ head: true });
    assert.is(r.status, 404);
    assert.ok(await c.closedByPeer(), "closed with no bytes after the header");
  });

  test("an error in a pipeline ends it after the replies before it", async () => {
    const f = files().files[1];
    const c = await Conn.open(srv.port);
    await c.send(get("/" + f.path) + get("/x", { method: "BREW" }) + get("/" + f.path));
    expectFile((await c.read()).body, f, "before the error");
    assert.is((await c.read()).status, 501);
    assert.ok(await c.closedByPeer(), "closed after the error");
    served++;
  });

  test(`${concurrency} concurrent connections at once`, async () => {
    const all = files().files.filter((f) => f.size <= 20_000);
    const conns = await Promise.all(Array.from({ length: concurrency }, () => Conn.open(srv.port, "127.0.0.1", 15_000)));
    try {
      await Promise.all(conns.map((c, i) => c.send(get("/" + all[i % all.length].path))));
      const replies = await Promise.all(conns.map((c) => c.read({ timeoutMs: 30_000 })));
      replies.forEach((r, i) => expectFile(r.body, all[i % all.length], `connection ${i}`));
      served += replies.length;
    } finally {
      conns.forEach((c) => c.close());
    }
  });

  test("clients that vanish mid-reply or mid-request cost nothing lasting", async () => {
    const big = files().files.find((f) => f.path.endsWith("class3_8"))!;
    const jobs: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) {
      jobs.push((async () => { // reset after the first bytes of a 900 KB reply
        const c = await Conn.open(srv.port);
        c.socket.pause();
        await c.send(get("/" + big.path));
        await sleep(20);
        c.reset();
      })());
      jobs.push((async () => { // close with a half-sent request
        const c = await Conn.open(srv.port);
        await c.send("GET /dir00000/cla");
        await sleep(10);
        c.close();
      })());
      jobs.push((async () => { // send pipelined requests and leave without reading
        const c = await Conn.open(srv.port);
        await c.send(get("/" + big.path).repeat(5));
        c.close();
      })());
    }
    await Promise.all(jobs);
    const r = await fetchOnce(srv.port, get("/" + big.path));
    expectFile(r.body, big, "after the vanishing clients");
    served++;
  });

  test("max-conns: at the cap the server stops accepting until a connection closes", async () => {
    const f = files().files[0];
    const held: Conn[] = [];
    for (let i = 0; i < 8; i++) {
      const c = await Conn.open(limited.port);
      await c.send(get("/" + f.path));
      expectFile((await c.read()).body, f, `held connection ${i}`);
      held.push(c);
    }
    const extra = await Conn.open(limited.port); // completes in the kernel's listen queue
    await extra.send(get("/" + f.path));
    const early = await extra.read({ timeoutMs: 700 }).then(() => true, () => false);
    assert.not.ok(early, "a ninth connection was served while 8 were open");
    held.pop()!.close();
    expectFile((await extra.read({ timeoutMs: 5000 })).body, f, "served once a slot freed");
    [...held, extra].forEach((c) => c.close());
  });

  test("idle connections are closed after the idle timeout", async () => {
    const opened = Date.now();
    const silent = await Conn.open(limited.port);
    const partial = await Conn.open(limited.port);
    await partial.send("GET /dir00000/class0_0 HTTP/1.1\r\nHost: x");
    const afterReply = await Conn.open(limited.port);
    await afterReply.send(get("/" + files().files[0].path));
    await afterReply.read();
    const replied = Date.now();
    const closedAt = await Promise.all([silent, partial, afterReply].map(async (c) => ((await c.closedByPeer(6000)) ? Date.now() : NaN)));
    assert.ok(closedAt.every(Number.isFinite), `closed by the server: ${closedAt.map(Number.isFinite)}`);
    // --idle-timeout 1: none closes before a second without progress has passed.
    assert.ok(closedAt[0] - opened >= 900, `silent connection closed after ${closedAt[0] - opened} ms`);
    assert.ok(closedAt[2] - replied >= 900, `idle keep-alive connection closed ${closedAt[2] - replied} ms after its reply`);
    const stats = await limited.stats();
    assert.ok(stats.timeouts_idle >= 3, `timeouts_idle = ${stats.timeouts_idle}`);
  });

  test("descriptors return to their baseline", async () => {
    const nprocs = 1 + (srv.ready.config.procs ?? 1);
    const ok = await waitFor(() => {
      const now = countFds(srv.pid);
      return now.socket === baseline.socket && now.pipe === baseline.pipe && now.other === baseline.other &&
        now.file <= baseline.file + files().files.length * nprocs;
    }, 5000);
    const now = countFds(srv.pid);
    assert.ok(ok, `fds now ${JSON.stringify(now)}, baseline ${JSON.stringify(baseline)}`);
  });

  test("SIGUSR1 and exit print cumulative stats; SIGTERM exits with status 0", async () => {
    const mid = await srv.stats();
    for (const k of ["uptime_s", "accepted", "closed", "requests", "replies", "bytes", "status_4xx", "status_5xx", "event_calls", "event_fds_total", "timeouts_idle"])
      assert.type(mid[k], "number", k);
    assert.ok(mid.replies >= served, `replies ${mid.replies} >= ${served} received`);
    assert.ok(mid.accepted >= concurrency, `accepted ${mid.accepted}`);
    assert.ok(mid.status_4xx >= ERROR_CASES.filter(([, , s]) => s < 500).length, `status_4xx ${mid.status_4xx}`);
    assert.ok(mid.event_calls > 0, "event_calls");
    const { code, stats } = await srv.stop();
    assert.is(code, 0, `exit status; stderr:\n${srv.stderr()}`);
    assert.ok(stats && stats.replies >= mid.replies, "final stats line");
    assert.not.match(srv.stderr(), /Sanitizer|runtime error/, "sanitizer report");
    const lim = await limited.stop();
    assert.is(lim.code, 0, "limited server exit status");
    assert.not.match(limited.stderr(), /Sanitizer|runtime error/, "sanitizer report");
  });

  test.run();
}
