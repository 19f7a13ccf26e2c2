// Black-box tests of the load generator (ASan+UBSan build) against a scriptable loopback server and nginx.
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { buildFileSet } from "../../../lib/fileset.ts";
import { fileSize, SIZE_TABLE, filePath } from "../../../lib/specweb.ts";
import { LOADGEN_DIR, build, freePort, runLoadgen, startNginx, tempDir, type RunResult } from "../launch.ts";
import { startTestServer, writeLog, type TestServer } from "./lib.ts";

const test = suite("loadgen");
let server: TestServer;
let tmp: { path: string; remove: () => void };

test.before(async () => {
  build();
  server = await startTestServer();
  tmp = tempDir();
});
test.after(async () => {
  await server.close();
  tmp.remove();
});

/** Runs against the test server; every run must exit cleanly with no sanitizer report. */
async function run(log: string, args: string[], tag: string): Promise<RunResult> {
  const path = writeLog(tmp.path, `${tag}.wsesslog`, log);
  const r = await runLoadgen(["--server", "127.0.0.1", "--port", String(server.port), "--wsesslog", path, ...args], { dir: tmp.path, tag });
  assert.is(r.code, 0, `exit code ${r.code}: ${r.stderr}`);
  assert.not.match(r.stderr, /Sanitizer|runtime error/);
  return r;
}

const errorsOf = (r: RunResult) => {
  const { total, ...classes } = r.json.errors;
  return { total, nonzero: Object.fromEntries(Object.entries(classes).filter(([, v]) => v !== 0)) };
};

test("the C unit tests pass (reply parser, timer wheel, histogram, session-log parser)", () => {
  const out = execFileSync(join(LOADGEN_DIR, "unit-tests"), { encoding: "utf8" });
  assert.match(out, /all unit checks passed/);
});

test("counts sessions, requests, replies and bytes; pipelines the rest of a burst after its first reply", async () => {
  // Session A: burst of 3 (1 then 2 pipelined), then a burst of 1. Session B: one request. Session C: a 404.
  const log = "/d/class1_3 think=0.05\n  /d/class0_0\n  /d/class2_8\n/d/class3_1\n\n/d/class0_5\n\n/missing\n";
  const r = await run(log, ["--rate", "50", "--sessions", "9"], "counts");
  const j = r.json;
  assert.equal(j.sessions, { started: 9, completed: 9, failed: 0 });
  assert.is(j.requests, 18);
  assert.is(j.replies, 18);
  assert.equal(j.status, { "1xx": 0, "2xx": 15, "3xx": 0, "4xx": 3, "5xx": 0 });
  const perRound = fileSize(1, 3) + fileSize(0, 0) + fileSize(2, 8) + fileSize(3, 1) + fileSize(0, 5) + "not found\n".length;
  assert.is(j.body_bytes, 3 * perRound);
  assert.is(errorsOf(r).total, 0);
  assert.is(j.connections.opened, 9);
  const header = `HTTP/1.1 200 OK\r\nContent-Length: ${fileSize(2, 8)}\r\n\r\n`.length;
  assert.equal(j.by_file.class2_8, { requests: 3, replies: 3, timeouts: 0, bytes: 3 * (fileSize(2, 8) + header) });
  assert.match(r.stdout, /^Total: connections 9 requests 18 replies 18 test-duration/m);
  assert.match(r.stdout, /^Errors: total 0 client-timo 0 socket-timo 0 connrefused 0 connreset 0$/m);
  assert.match(r.stdout, /^Session rate \[sess\/s\]: .* \(9\/9\)$/m);
  // Burst semantics (httperf): requests 2 and 3 go out together once request 1's reply is complete.
  const a = r.csv.filter((row) => row.session === 0);
  assert.is(a.length, 4);
  const end = (row: (typeof a)[0]) => row.start_ms! + row.response_ms! + row.transfer_ms!;
  assert.ok(a[1].start_ms! >= end(a[0]) - 0.01, "pipelined requests wait for the burst's first reply");
  assert.is(a[1].start_ms, a[2].start_ms);
  assert.ok(a.every((row) => row.outcome === "ok" && row.status === 200));
  assert.ok(a[0].connect_ms > 0 && a[1].connect_ms === 0, "connect time is attributed to the connection's first request");
});

test("think times are respected: the next burst starts its think time after the burst's last reply", async () => {
  const log = "/d/class0_1 think=0.3\n/d/class0_2 think=0.15\n/d/class0_3\n";
  const r = await run(log, ["--rate", "10", "--sessions", "3"], "think");
  assert.is(r.json.sessions.completed, 3);
  for (let s = 0; s < 3; s++) {
    const rows = r.csv.filter((row) => row.session === s);
    const gap = (i: number) => rows[i + 1].start_ms! - (rows[i].start_ms! + rows[i].response_ms! + rows[i].transfer_ms!);
    assert.ok(gap(0) >= 300 && gap(0) < 450, `gap after burst 1 ${gap(0)} ms, want 300 ms`);
    assert.ok(gap(1) >= 150 && gap(1) < 300, `gap after burst 2 ${gap(1)} ms, want 150 ms`);
  }
  // Sessions start on schedule: 100 ms apart at 10 sessions/s.
  const starts = [0, 1, 2].map((s) => r.csv.find((row) => row.session === s)!.start_ms!);
  assert.ok(Math.abs(starts[2] - starts[0] - 200) < 50, `starts ${starts}`);
});

test("a server that accepts and stalls: client-timo once the timeout passes, and only then", async () => {
  const r = await run("/d/class0_0\n/stall\n", ["--rate", "5", "--sessions", "2", "--timeout", "1"], "stall");
  assert.equal(r.json.sessions, { started: 2, completed: 0, failed: 2 });
  assert.equal(errorsOf(r), { total: 2, nonzero: { client_timo: 2 } });
  assert.is(r.json.replies, 2);
  const stalled = r.csv.filter((row) => row.uri === "/stall");
  assert.equal(stalled.map((x) => x.outcome), ["client-timo", "client-timo"]);
  // Session 2 starts at 0.2 s and times out 1 s after its request: the run lasts 1.2 s, well within 2 s.
  assert.ok(r.json.duration_s >= 1.2 && r.json.duration_s < 2.0, `duration ${r.json.duration_s}`);
  assert.match(r.stdout, /^Errors: total 2 client-timo 2 /m);
});

test("the timeout attributes a stalled file's timeouts to that file", async () => {
  const r = await run("/stall/class2_4\n", ["--rate", "20", "--sessions", "3", "--timeout", "0.5"], "byfile");
  assert.equal(r.json.by_file.class2_4, { requests: 3, replies: 0, timeouts: 3, bytes: 0 });
});

test("a reset is connreset, a closed port is connrefused, a malformed or truncated reply is other/connreset", async () => {
  const reset = await run("/reset\n", ["--rate", "20", "--sessions", "2"], "reset");
  assert.equal(errorsOf(reset), { total: 2, nonzero: { connreset: 2 } });
  const garbage = await run("/d/class0_0\n/garbage\n", ["--rate", "20", "--sessions", "2"], "garbage");
  assert.equal(errorsOf(garbage), { total: 2, nonzero: { other: 2 } });
  assert.is(garbage.json.replies, 2);
  const truncated = await run("/truncated\n", ["--rate", "20", "--sessions", "1"], "truncated");
  assert.equal(errorsOf(truncated), { total: 1, nonzero: { connreset: 1 } });
  const closed = await freePort();
  const path = writeLog(tmp.path, "refused.wsesslog", "/d/class0_0\n");
  const refused = await runLoadgen(["--server", "127.0.0.1", "--port", String(closed), "--wsesslog", path, "--rate", "50", "--sessions", "4"], { dir: tmp.path, tag: "refused" });
  assert.is(refused.code, 0);
  assert.equal(errorsOf(refused), { total: 4, nonzero: { connrefused: 4 } });
  assert.equal(refused.json.sessions, { started: 4, completed: 0, failed: 4 });
  assert.match(refused.stdout, /connrefused 4 /);
});

test("Connection: close from the server: the session goes on over a new connection, no error", async () => {
  const before = server.connections();
  const r = await run("/close/class0_0\n/d/class0_1\n/close/class0_2\n", ["--rate", "20", "--sessions", "2"], "close");
  assert.equal(r.json.sessions, { started: 2, completed: 2, failed: 0 });
  assert.is(errorsOf(r).total, 0);
  assert.is(r.json.connections.opened, 4);
  assert.is(server.connections() - before, 4);
});

test("fd-unavail when the descriptor limit is reached; every session is still accounted for", async () => {
  // 40 sessions that stall, with 16 descriptors: a few are stdio, epoll and output files, the rest sockets.
  const r = await run("/stall\n", ["--rate", "400", "--sessions", "40", "--timeout", "0.5", "--max-fds", "16"], "fds");
  const e = r.json.errors;
  assert.ok(e.fd_unavail > 0 && e.client_timo > 0, JSON.stringify(e));
  assert.is(e.fd_unavail + e.client_timo, 40);
  assert.is(r.json.sessions.failed, 40);
  assert.ok(r.json.connections.max_concurrent <= 16);
});

test("the process ends by its deadline (sessions/rate + timeout + grace), leaving sessions unfinished", async () => {
  const r = await run("/d/class0_0 think=60\n/d/class0_1\n", ["--rate", "10", "--sessions", "5", "--timeout", "1", "--grace", "0.5"], "deadline");
  // Deadline: 5 / 10 s + 1 s + 0.5 s = 2 s after the start.
  assert.ok(r.elapsedS < 3, `ran ${r.elapsedS} s`);
  assert.ok(r.json.duration_s >= 2 && r.json.duration_s < 2.5, `duration ${r.json.duration_s}`);
  assert.equal(r.json.sessions, { started: 5, completed: 0, failed: 0 });
  assert.equal(r.json.unfinished, { sessions: 5, requests: 0 });
  assert.is(errorsOf(r).total, 0);
});

test("--drain: once the last session has started, thinking sessions end at once and requests in flight still finish or time out", async () => {
  const r = await run("/d/class0_0 think=60\n/d/class0_1\n", ["--rate", "10", "--sessions", "5", "--timeout", "1", "--drain"], "drain");
  // The last session starts at 0.4 s; its first reply ends it. Without --drain this run lasts 3.4 s (the test above).
  assert.ok(r.json.duration_s >= 0.4 && r.json.duration_s < 0.9, `duration ${r.json.duration_s}`);
  assert.equal(r.json.sessions, { started: 5, completed: 0, failed: 0 });
  assert.equal(r.json.unfinished, { sessions: 5, requests: 0 });
  assert.is(r.json.replies, 5);
  const stalled = await run("/stall\n", ["--rate", "10", "--sessions", "2", "--timeout", "1", "--drain"], "drain-stall");
  assert.equal(errorsOf(stalled), { total: 2, nonzero: { client_timo: 2 } });
  assert.ok(stalled.json.duration_s >= 1.1, `duration ${stalled.json.duration_s}: a request in flight is not abandoned`);
});

test("SIGTERM stops the run early and still writes the summary", async () => {
  const path = writeLog(tmp.path, "sigterm.wsesslog", "/d/class0_0 think=30\n/d/class0_1\n");
  const r = await runLoadgen(["--server", "127.0.0.1", "--port", String(server.port), "--wsesslog", path, "--rate", "10", "--sessions", "100"], { dir: tmp.path, tag: "sigterm", sigtermAfterMs: 700 });
  assert.is(r.code, 0, r.stderr);
  assert.ok(r.elapsedS < 3, `ran ${r.elapsedS} s`);
  assert.is(r.json.interrupted, true);
  assert.ok(r.json.sessions.started >= 3 && r.json.sessions.started < 100);
  assert.is(r.json.unfinished.sessions, r.json.sessions.started);
  assert.match(r.stdout, /\(interrupted\)/);
});

test("--duration sets the number of sessions; --start-at delays the start to an agreed wall-clock time", async () => {
  const startAt = Date.now() + 1500;
  const [a, b] = await Promise.all([
    run("/d/class0_0\n", ["--rate", "20", "--duration", "0.5", "--start-at", String(startAt)], "startA"),
    run("/d/class0_0\n", ["--rate", "20", "--duration", "0.5", "--start-at", String(startAt)], "startB"),
  ]);
  for (const r of [a, b]) {
    assert.is(r.json.sessions.started, 10);
    assert.ok(r.json.start_unix_ms >= startAt - 1 && r.json.start_unix_ms - startAt < 50, `started at ${r.json.start_unix_ms}, agreed ${startAt}`);
    assert.ok(r.csv[0].start_ms! >= 0 && r.csv[0].start_ms! < 100);
  }
});

test("a malformed session log is refused with file:line and a non-zero exit", async () => {
  const cases: Array<[string, RegExp]> = [
    ["/ok\n\n/x think=abc\n", /bad\.wsesslog:3: bad think time/],
    ["/ok method=FETCH\n", /bad\.wsesslog:1: unknown method/],
    ["/ok colour=red\n", /bad\.wsesslog:1: unknown argument/],
    ["relative/uri\n", /bad\.wsesslog:1: bad URI/],
    ["# nothing\n", /bad\.wsesslog:1: no sessions/],
  ];
  for (const [text, want] of cases) {
    const path = writeLog(tmp.path, "bad.wsesslog", text);
    const r = await runLoadgen(["--server", "127.0.0.1", "--port", String(server.port), "--wsesslog", path, "--rate", "1", "--sessions", "1"], { dir: tmp.path, tag: "bad" });
    assert.is(r.code, 1, text);
    assert.match(r.stderr, want);
  }
  const usage = await runLoadgen(["--server", "127.0.0.1", "--wsesslog", "x", "--rate", "1"], { dir: tmp.path, tag: "usage" });
  assert.is(usage.code, 2);
  assert.match(usage.stderr, /exactly one of --sessions and --duration/);
});

test("--verify checks every body against the manifest: a corrupted file is a mismatch, a missing one an error (nginx)", async () => {
  const root = join(tmp.path, "root");
  buildFileSet({ root, dirs: 1 });
  const victim = join(root, filePath(0, 2, 3));
  const bytes = readFileSync(victim);
  bytes[bytes.length >> 1] ^= 0xff; // same size, different contents
  writeFileSync(victim, bytes);
  rmSync(join(root, filePath(0, 1, 4))); // in the manifest, so checked: nginx answers 404
  const nginxDir = tempDir("loadgen-nginx-");
  const nginx = await startNginx({ dir: nginxDir.path, root });
  try {
    const log = SIZE_TABLE.map(({ cls, index }) => `/${filePath(0, cls, index)}\n`).join("") + "/dir00000/nonexistent\n";
    const path = writeLog(tmp.path, "verify.wsesslog", log);
    const r = await runLoadgen(["--server", "127.0.0.1", "--port", String(nginx.port), "--wsesslog", path, "--rate", "20", "--sessions", "2", "--verify", root], { dir: tmp.path, tag: "verify" });
    assert.is(r.code, 0, r.stderr);
    assert.equal(r.json.verify, { checked: 72, mismatches: 2, errors: 2 });
    assert.is(r.json.replies, 74);
    assert.is(r.json.status["4xx"], 4);
    assert.match(r.stdout, /^Verify: checked 72 mismatches 2 errors 2$/m);
  } finally {
    await nginx.stop();
    nginxDir.remove();
  }
});

test("holds thousands of think-time connections at once without errors (nginx)", async () => {
  const root = join(tmp.path, "root-scale");
  buildFileSet({ root, dirs: 1 });
  const nginxDir = tempDir("loadgen-nginx-");
  const nginx = await startNginx({ dir: nginxDir.path, root });
  try {
    // 4,000 sessions in 2 s, each thinking 2 s between its two requests: ~4,000 connections open together.
    const path = writeLog(tmp.path, "scale.wsesslog", "/dir00000/class0_0 think=2\n/dir00000/class1_0\n");
    const r = await runLoadgen(["--server", "127.0.0.1", "--port", String(nginx.port), "--wsesslog", path, "--rate", "2000", "--sessions", "4000"], { dir: tmp.path, tag: "scale" });
    assert.is(r.code, 0, r.stderr);
    assert.not.match(r.stderr, /Sanitizer|runtime error/);
    assert.equal(r.json.sessions, { started: 4000, completed: 4000, failed: 0 });
    assert.is(r.json.replies, 8000);
    assert.is(r.json.errors.total, 0);
    assert.ok(r.json.connections.max_concurrent >= 3000, `max concurrent ${r.json.connections.max_concurrent}`);
  } finally {
    await nginx.stop();
    nginxDir.remove();
  }
});

test.run();
