// A writer stuck in a slow disk read must not stop the other writers (§6: "processing continues even when a
// thread is blocked waiting for disk I/O"). The slow disk is the testbed's latency disk (lib/latency-disk.ts)
// holding every read until the test releases it, so the stall is real (the writer sleeps in the kernel) and
// deterministic.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { buildFileSet, fileContent, type ManifestEntry } from "../../../lib/fileset.ts";
import { Conn, SERVERS_DIR, get, serverBin, startServer, type RunningServer } from "../../test/lib.ts";
import { DISK_BIN, diskCommand, startDisk, stopDisk } from "../../../lib/latency-disk.ts";

const SLOW_SIZE = 200_000;

/** The bytes of the file "slow": byte i is (7i + 3) mod 251. */
function slowContent(): Buffer {
  const b = Buffer.alloc(SLOW_SIZE);
  for (let i = 0; i < SLOW_SIZE; i++) b[i] = (i * 7 + 3) % 251;
  return b;
}

/** The modelled delay is off (scale null): reads wait only while held, so the model's numbers do not matter. */
const HELD_ONLY = { seekMs: 4.7, trackToTrackMs: 0.2, fullStrokeMs: 10, cylinders: 50_000, rotationMs: 3, mbPerS: 60,
  capacityGB: 73.4, spread: 1, deadlineMs: 500 };

interface SlowFs { dir: string; release(): Promise<unknown> }

/** Serves `slowDir` at `mountPoint` through a latency disk that holds every read until release(). */
async function mountSlowFs(mountPoint: string): Promise<SlowFs> {
  const dir = mkdtempSync(join(tmpdir(), "watpipe-disk-"));
  await startDisk({ dir, realRoot: slowDir, mountPoint, model: HELD_ONLY, scale: null, hold: true });
  return { dir, release: () => diskCommand(dir, "release") };
}

/** Waits until a read is held by the disk, i.e. a reader sleeps in the kernel. */
async function held(fs: SlowFs, timeoutMs: number): Promise<void> {
  for (const end = Date.now() + timeoutMs; (await diskCommand(fs.dir, "stats")).queued === 0; ) {
    if (Date.now() > end) throw new Error(`no read reached the disk within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function unmount(fs: SlowFs) {
  await stopDisk(fs.dir); // answers held reads, then unmounts
  rmSync(fs.dir, { recursive: true, force: true });
}

let root = "";
let slowDir = "";
let files: ManifestEntry[] = [];

test.before(() => {
  execFileSync("make", ["-s", "-C", join(SERVERS_DIR, "watpipe"), "all", "test-builds"], { stdio: "inherit" });
  execFileSync("make", ["-s", "-C", dirname(DISK_BIN)], { stdio: "inherit" });
  root = mkdtempSync(join(tmpdir(), "watpipe-stall-"));
  files = buildFileSet({ root, dirs: 1 });
  mkdirSync(join(root, "stall"));
  slowDir = mkdtempSync(join(tmpdir(), "watpipe-slow-"));
  writeFileSync(join(slowDir, "slow"), slowContent());
});

test.after(() => {
  for (const d of [root, slowDir]) if (d) rmSync(d, { recursive: true, force: true });
});

/** Starts watpipe with `writers`, sends a request for the slow file and waits until a writer is stuck in it. */
async function stallOneWriter(writers: number, variant: "" | "asan" | "tsan" = ""): Promise<{ server: RunningServer; fs: SlowFs; stuck: Conn }> {
  const fs = await mountSlowFs(join(root, "stall"));
  const server = await startServer(serverBin("watpipe", variant), ["--root", root, "--port", "0", "--writers", String(writers)]);
  const stuck = await Conn.open(server.port);
  await stuck.send(get("/stall/slow"));
  await held(fs, 5000);
  return { server, fs, stuck };
}

for (const variant of ["", "asan", "tsan"] as const) {
  test(`with 4 writers, one stuck on a slow read, the other writers keep serving byte-exact replies${variant && ` (${variant})`}`, async () => {
    const { server, fs, stuck } = await stallOneWriter(4, variant);
    try {
      // 36 files over 6 keep-alive connections, all while the stuck writer sleeps in the kernel.
      const conns = await Promise.all(Array.from({ length: 6 }, () => Conn.open(server.port)));
      await Promise.all(
        conns.map(async (c, i) => {
          for (const f of files.filter((_, j) => j % conns.length === i)) {
            await c.send(get("/" + f.path));
            const r = await c.read({ timeoutMs: 5000 });
            assert.is(r.status, 200, f.path);
            assert.ok(r.body.equals(fileContent(1, f.path, f.size)), `${f.path} byte-exact`);
          }
          c.close();
        }),
      );
      assert.ok(stuck.pending() < 200, `at most the header of the slow reply arrived before the release (${stuck.pending()} B)`);
      const during = await server.stats();
      assert.is(during.replies, files.length, "every other reply was written during the stall");
      assert.is(during.writer_jobs.length, 4, "one job count per writer");
      assert.ok(during.writer_jobs.filter((n: number) => n > 0).length >= 2, `jobs spread over writers: ${during.writer_jobs}`);
      const jobs = during.writer_jobs.reduce((a: number, b: number) => a + b, 0);
      assert.ok(jobs >= during.replies + 1, `every reply (and the stuck one) took at least one job: ${jobs} jobs, ${during.replies} replies`);

      await fs.release();
      const r = await stuck.read({ timeoutMs: 5000 });
      assert.is(r.status, 200);
      assert.ok(r.body.equals(slowContent()), "the slow reply completes byte-exact after the release");
      stuck.close();
    } finally {
      await unmount(fs);
      const { code } = await server.stop();
      assert.is(code, 0, server.stderr());
      assert.not.match(server.stderr(), /Sanitizer|runtime error/, "sanitizer report");
    }
  });
}

test("control: with 1 writer the same stall holds every other reply until the release", async () => {
  const { server, fs, stuck } = await stallOneWriter(1);
  try {
    const other = await Conn.open(server.port);
    const f = files[0];
    await other.send(get("/" + f.path));
    let early = false;
    try {
      await other.read({ timeoutMs: 1500 });
      early = true;
    } catch {
      // expected: the only writer is asleep in the slow read
    }
    assert.not.ok(early, "a reply was written while the only writer was stuck");

    await fs.release();
    const r = await other.read({ timeoutMs: 5000 });
    assert.ok(r.body.equals(fileContent(1, f.path, f.size)));
    assert.ok((await stuck.read({ timeoutMs: 5000 })).body.equals(slowContent()));
    other.close();
    stuck.close();
  } finally {
    await unmount(fs);
    const { code } = await server.stop();
    assert.is(code, 0);
  }
});

test.run();
