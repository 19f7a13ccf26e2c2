// The latency disk on a private emulated testbed: reads that miss the page cache cost what the model says, hits cost
// no daemon round trip, k scales the service time, the delay can be switched off, sendfile and eviction work, the
// server host reads through the mount and is charged for the pages, and down leaves nothing behind.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { down, evictFromPageCache, hostCommand, loadConfig, mountServerDisk, serverCgroupStats, serverDiskDir, serverDiskStats,
  setServerDiskScale, up, type DiskStats } from "../lib/testbed.ts";
import { diskCommand, diskRunning, isMounted, readDiskState } from "../../lib/latency-disk.ts";
import { run } from "../lib/exec.ts";
import { leftovers, rejects, sleep, testHostsFile, REPO } from "./helpers.ts";

const hostsFile = testHostsFile("d", (raw) => (raw.server.memoryLimitBytes = 256 * 2 ** 20));
const cfg = loadConfig(hostsFile);
const model = cfg.server.diskModel!;
const real = mkdtempSync(join(tmpdir(), "wp-disk-real-"));
const SIZES: Record<string, number> = { "a100k": 100 * 1024, "b1m": 1 << 20, "c4m": 4 << 20, "d100k": 100 * 1024 };
const content: Record<string, Buffer> = {};
let mnt = "";
let daemonPid = 0;

test.before(async () => {
  await run(["make", "-s", "-C", join(REPO, "env/disk")]);
  for (const [name, size] of Object.entries(SIZES)) writeFileSync(join(real, name), (content[name] = randomBytes(size)));
  assert.equal(await up(cfg), "created");
});

test.after(async () => {
  await down(cfg);
  rmSync(real, { recursive: true, force: true });
  rmSync(dirname(hostsFile), { recursive: true, force: true });
});

/** The model's service time of one read, in ns (k = 1). */
const serviceNs = (bytes: number, seek: boolean) => ((seek ? model.seekMs + model.rotationMs : 0) + (bytes / (model.mbPerS * 1e6)) * 1e3) * 1e6;

// Reads files (paths relative to the mount) to the end in the server host; prints the wall time in ms and a checksum.
const PY_READ = `import os, sys, time, hashlib
h = hashlib.sha256(); t0 = time.perf_counter()
for p in sys.argv[2:]:
    fd = os.open(os.path.join(sys.argv[1], p), os.O_RDONLY)
    while True:
        b = os.read(fd, 1 << 20)
        if not b: break
        h.update(b)
    os.close(fd)
print((time.perf_counter() - t0) * 1e3, h.hexdigest())`;

/** Reads files through the mount in the server host: wall time (ms), and the daemon's counters' change. */
async function readInServer(...names: string[]): Promise<{ ms: number; d: DiskStats }> {
  const before = (await serverDiskStats(cfg))!;
  const [ms, digest] = (await run(hostCommand(cfg, "server", ["/usr/bin/python3", "-c", PY_READ, mnt, ...names]))).trim().split(" ");
  const want = await run(["sh", "-c", 'cat "$@" | sha256sum', "sh", ...names.map((n) => join(real, n))]);
  assert.is(digest, want.split(" ")[0], `the bytes of ${names} through the mount`);
  const after = (await serverDiskStats(cfg))!;
  const d = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, typeof v === "number" ? v - (before as any)[k] : v])) as unknown as DiskStats;
  return { ms: Number(ms), d };
}

test("mountServerDisk mounts the file set once; another root is refused; loopback keeps the real root", async () => {
  mnt = await mountServerDisk(cfg, real);
  assert.is(mnt, join(serverDiskDir(cfg), "mnt"));
  assert.ok(isMounted(mnt));
  assert.is(await mountServerDisk(cfg, real + "/"), mnt, "idempotent");
  await rejects(() => mountServerDisk(cfg, tmpdir()), /already serves/);
  assert.is(await mountServerDisk(loadConfig(join(REPO, "env/hosts/loopback.json")), real), real);
  daemonPid = readDiskState(serverDiskDir(cfg))!.pid;
  // the daemon runs on the clients' core, outside the server's cgroups
  assert.match(readFileSync(`/proc/${daemonPid}/status`, "utf8"), /^Cpus_allowed_list:\s+0$/m);
  assert.not.match(readFileSync(`/proc/${daemonPid}/cgroup`, "utf8"), new RegExp(`/${cfg.cgroupParent}/server`));
  assert.equal(readdirSync(mnt).sort(), Object.keys(SIZES).sort());
});

test("a cold read costs seek + rotation + size / bandwidth; opening and reading it again asks the daemon nothing", async () => {
  const cold = await readInServer("a100k");
  const want = serviceNs(SIZES.a100k, true);
  assert.equal([cold.d.reads, cold.d.bytes, cold.d.seeks], [1, SIZES.a100k, 1]);
  assert.ok(Math.abs(cold.d.busy_ns - want) < 1000, `busy ${cold.d.busy_ns} ns, model ${want} ns`);
  assert.ok(cold.ms >= (0.97 * want) / 1e6 && cold.ms < (1.5 * want) / 1e6 + 10, `cold read took ${cold.ms} ms, model ${want / 1e6} ms`);
  const hit = await readInServer("a100k");
  assert.equal([hit.d.reads, hit.d.bytes, hit.d.busy_ns], [0, 0, 0]);
  assert.is(hit.d.requests, 0, "open, read and close of a cached file: no OPEN, FLUSH or RELEASE round trip");
  assert.ok(hit.ms < 2, `cached read took ${hit.ms} ms`);
});

test("a sequential multi-request read pays one seek", async () => {
  const r = await readInServer("b1m");
  const want = serviceNs(SIZES.b1m, true);
  assert.ok(r.d.reads >= 8, `${r.d.reads} requests for 1 MiB (128 KiB each at most)`);
  assert.equal([r.d.bytes, r.d.seeks], [SIZES.b1m, 1]);
  assert.ok(Math.abs(r.d.busy_ns - want) < 1000 * r.d.reads, `busy ${r.d.busy_ns} ns, model ${want} ns`);
  assert.ok(r.ms >= (0.97 * want) / 1e6, `1 MiB took ${r.ms} ms, model ${want / 1e6} ms`);
});

test("scale k = 0.5 doubles the service time; delay off is fast; eviction with posix_fadvise works", async () => {
  assert.is((await setServerDiskScale(cfg, 0.5)).scale, 0.5);
  const r = await readInServer("d100k");
  const want = 2 * serviceNs(SIZES.d100k, true);
  assert.ok(Math.abs(r.d.busy_ns - want) < 1000 && r.ms >= (0.97 * want) / 1e6, `k=0.5: ${r.ms} ms, busy ${r.d.busy_ns} ns, model ${want} ns`);
  assert.is((await setServerDiskScale(cfg, null)).delay, false);
  assert.ok((await evictFromPageCache(cfg, mnt)) === Object.keys(SIZES).length);
  const off = await readInServer("b1m", "a100k");
  assert.is(off.d.bytes, SIZES.b1m + SIZES.a100k, "evicted files were read from the daemon again");
  assert.is(off.d.busy_ns, 0);
  // busy_ns = 0 is the check that no delay was modelled; wall time only guards against a hang (a loaded CI machine
  // took 22.6 ms here, close to the 34.6 ms the model would charge, so a tight bound would be noise)
  assert.ok(off.ms < 500, `1.1 MiB with the delay off took ${off.ms} ms`);
  await rejects(() => setServerDiskScale(cfg, 0), /scale must be > 0/);
  await setServerDiskScale(cfg, 1);
});

test("sendfile from a file on the mount sends the right bytes (with the delay on)", async () => {
  await evictFromPageCache(cfg, mnt);
  const out = join(real, "..", `wp-disk-sendfile-${process.pid}`);
  const py = "import os, sys\nsrc = os.open(sys.argv[1], os.O_RDONLY); dst = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)\n" +
    "off = 0\nwhile True:\n    n = os.sendfile(dst, src, off, 1 << 20)\n    if n == 0: break\n    off += n\nprint(off)";
  const before = (await serverDiskStats(cfg))!;
  try {
    assert.is(Number(await run(hostCommand(cfg, "server", ["/usr/bin/python3", "-c", py, join(mnt, "b1m"), out]))), SIZES.b1m);
    assert.ok(readFileSync(out).equals(content.b1m));
  } finally {
    rmSync(out, { force: true });
  }
  assert.is((await serverDiskStats(cfg))!.bytes - before.bytes, SIZES.b1m, "sendfile read through the daemon");
});

test("pages read through the mount in the server host are charged to the server's memory cgroup", async () => {
  const before = await serverCgroupStats(cfg);
  const r = await readInServer("c4m");
  const after = await serverCgroupStats(cfg);
  assert.is(r.d.bytes, SIZES.c4m);
  assert.ok(after.pageCacheBytes - before.pageCacheBytes >= SIZES.c4m, `server cache grew by ${after.pageCacheBytes - before.pageCacheBytes}`);
});

test("a reader killed while its read is queued: the daemon answers, keeps serving and leaks no descriptor", async () => {
  const fds = () => readdirSync(`/proc/${daemonPid}/fd`).length;
  const fdsBefore = fds();
  await evictFromPageCache(cfg, mnt);
  await diskCommand(serverDiskDir(cfg), "hold");
  const argv = hostCommand(cfg, "server", ["/usr/bin/python3", "-c", PY_READ, mnt, "c4m"]);
  const reader = spawn(argv[0], argv.slice(1), { stdio: "ignore" });
  const exited = new Promise((r) => reader.on("exit", r));
  for (let t = 0; (await serverDiskStats(cfg))!.queued === 0; t++) {
    if (t > 250) assert.unreachable("the reader's read never reached the disk");
    await sleep(20);
  }
  reader.kill("SIGKILL");
  await sleep(100);
  const released = await diskCommand(serverDiskDir(cfg), "release");
  assert.is(released.held, false);
  await Promise.race([exited, sleep(5000).then(() => assert.unreachable("the killed reader never exited"))]);
  const again = await readInServer("c4m");
  assert.ok(again.d.bytes > 0 && again.d.bytes <= SIZES.c4m);
  assert.ok((await serverDiskStats(cfg))!.max_queue >= 1);
  assert.is(fds(), fdsBefore, "descriptors of the daemon");
});

test("the daemon reads /dev/fuse without blocking, so a request withdrawn after ppoll cannot stall every queued read", () => {
  // The race (a killed reader's pending request withdrawn between ppoll and read) left a knot server unkillable for
  // 20 minutes in a standard run; it cannot be provoked on demand, so this checks the descriptor's mode.
  const fd = readdirSync(`/proc/${daemonPid}/fd`).find((f) => {
    try { return readlinkSync(`/proc/${daemonPid}/fd/${f}`) === "/dev/fuse"; } catch { return false; }
  });
  assert.ok(fd, "the daemon holds /dev/fuse");
  const flags = parseInt(/^flags:\s+(\d+)/m.exec(readFileSync(`/proc/${daemonPid}/fdinfo/${fd}`, "utf8"))![1], 8);
  assert.ok(flags & 0o4000, `O_NONBLOCK in flags ${flags.toString(8)}`);
});

test("down stops the daemon and unmounts; nothing of the testbed is left", async () => {
  assert.equal(await down(cfg), "removed");
  assert.not.ok(isMounted(mnt));
  assert.not.ok(diskRunning(daemonPid));
  assert.not.ok(existsSync(serverDiskDir(cfg)));
  assert.equal(await leftovers(cfg), []);
  assert.is(await serverDiskStats(cfg), null);
});

test.run();
