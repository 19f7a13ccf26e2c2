// Done-means check of issue 3: our load generator and Debian's httperf replay the same session log against
// nginx (one process, sendfile) and must agree on sessions, requests, replies, bytes and mean reply time.
//
// Two choices keep the comparison about measurement rather than clocks and time:
//   - think times are the paper's divided by 10 (same distributions), so 240 sessions finish in seconds;
//   - nginx limits each reply to 200 KB/s (limit_rate). On loopback a reply takes ~0.2 ms, below httperf's clock
//     resolution (it reads the clock once per select() loop and reports 1-2 ms for such replies); with the limit,
//     large files take tens to thousands of ms, a reply time both clients can measure.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { buildFileSet } from "../../../lib/fileset.ts";
import { PAPER_SESSION_MODEL, generateSessionLogs } from "../../workload/sessions.ts";
import { pathSize } from "../../../lib/specweb.ts";
import { parseSessionLog } from "../../workload/wsesslog.ts";
import { build, runLoadgen, startNginx, tempDir } from "../launch.ts";

const SESSIONS = 240;
const RATE = 40;
// nginx on core 1 and the clients on core 0, as in the paper's setup, when the machine has two cores.
const PIN = availableParallelism() >= 2;
const onCore0 = (argv: string[]) => (PIN ? ["taskset", "-c", "0", ...argv] : argv);

const test = suite("loadgen vs httperf");

/** The numbers httperf prints that the comparison needs. */
function parseHttperf(out: string) {
  const grab = (re: RegExp) => {
    const m = re.exec(out);
    if (!m) throw new Error(`httperf output lacks ${re}:\n${out}`);
    return m.slice(1).map(Number);
  };
  const [conns, requests, replies] = grab(/^Total: connections (\d+) requests (\d+) replies (\d+)/m);
  const [concurrent] = grab(/<=(\d+) concurrent connections/);
  const [response, transfer] = grab(/^Reply time \[ms\]: response ([\d.]+) transfer ([\d.]+)/m);
  const [, content] = grab(/^Reply size \[B\]: header ([\d.]+) content ([\d.]+)/m);
  const [errors] = grab(/^Errors: total (\d+)/m);
  const [completed, started] = grab(/^Session rate \[sess\/s\]: .*\((\d+)\/(\d+)\)$/m);
  return { conns, requests, replies, concurrent, replyMs: response + transfer, content, errors, completed, started };
}

test("same sessions, requests, replies and bytes, and mean reply time within 20%", async () => {
  build();
  const tmp = tempDir("loadgen-compare-");
  const root = join(tmp.path, "root");
  buildFileSet({ root, dirs: 3 });
  const model = {
    ...PAPER_SESSION_MODEL,
    activeOff: { ...PAPER_SESSION_MODEL.activeOff, scale: PAPER_SESSION_MODEL.activeOff.scale / 10 },
    inactiveOff: { ...PAPER_SESSION_MODEL.inactiveOff, k: PAPER_SESSION_MODEL.inactiveOff.k / 10 },
  };
  const { paths } = generateSessionLogs({ outDir: join(tmp.path, "logs"), files: 1, sessionsPerFile: SESSIONS, dirs: 3, seed: 11, model });
  const log = paths[0];
  const sessions = parseSessionLog(readFileSync(log, "utf8"), log);
  const uris = sessions.flatMap((s) => s.bursts.flatMap((b) => b.requests.map((r) => r.uri)));
  const expectedBody = uris.reduce((sum, uri) => sum + pathSize(uri)!, 0);
  // Long enough for the longest session to finish after the last one starts (replies add well under 10 s).
  const longestThinkS = Math.max(...sessions.map((s) => s.bursts.reduce((t, b) => t + (b.thinkS ?? 0), 0)));
  const grace = String(Math.ceil(longestThinkS) + 10);

  const nginxDir = tempDir("loadgen-nginx-");
  const nginx = await startNginx({ dir: nginxDir.path, root, extra: "limit_rate 200k;", cpu: PIN ? 1 : undefined });
  try {
    const ours = await runLoadgen(
      ["--server", "127.0.0.1", "--port", String(nginx.port), "--wsesslog", log, "--rate", String(RATE),
        "--sessions", String(SESSIONS), "--timeout", "15", "--grace", grace, "--verify", root],
      { dir: tmp.path, asan: false, tag: "ours", bin: onCore0([]) },
    );
    assert.is(ours.code, 0, ours.stderr);
    const httperf = onCore0(["httperf", "--server", "127.0.0.1", "--port", String(nginx.port),
      "--wsesslog", `${SESSIONS},0,${log}`, "--rate", String(RATE), "--timeout", "15"]);
    const h = spawnSync(httperf[0], httperf.slice(1), { encoding: "utf8", timeout: 120_000 });
    assert.is(h.status, 0, h.stderr);
    const theirs = parseHttperf(h.stdout);
    const j = ours.json;

    assert.ok(theirs.concurrent <= 800, `httperf held ${theirs.concurrent} connections, beyond its limits`);
    assert.equal([theirs.started, theirs.completed, theirs.errors], [SESSIONS, SESSIONS, 0], h.stdout);
    assert.equal([j.sessions.started, j.sessions.completed, j.errors.total], [SESSIONS, SESSIONS, 0]);
    assert.is(j.requests, theirs.requests);
    assert.is(j.replies, theirs.replies);
    assert.is(j.replies, uris.length);
    assert.is(j.connections.opened, theirs.conns);
    // Bytes: ours exactly; httperf prints the mean body size truncated to whole bytes (integer division).
    assert.is(j.body_bytes, expectedBody);
    assert.is(theirs.content, Math.floor(expectedBody / theirs.replies));
    assert.equal(j.verify, { checked: uris.length, mismatches: 0, errors: 0 });
    const a = j.reply_time_ms.mean, b = theirs.replyMs;
    assert.ok(Math.abs(a - b) / Math.max(a, b) <= 0.2, `mean reply time: ours ${a.toFixed(1)} ms, httperf ${b.toFixed(1)} ms`);
    console.log(`  loadgen vs httperf: ${j.replies} replies each, mean reply time ${a.toFixed(1)} vs ${b.toFixed(1)} ms`);
  } finally {
    await nginx.stop();
    nginxDir.remove();
    tmp.remove();
  }
});

test.run();
