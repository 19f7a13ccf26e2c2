// Done-means test: a file served in the server host reaches every client host over its own link, the server is
// confined (read back from the kernel), the report names the limits, and teardown leaves nothing behind.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { down, evictFromPageCache, hostCommand, loadConfig, serverAddress, serverCgroupStats, setServerCpuQuota, setServerDiskThrottle, status, up, namespaceOf, hosts } from "../lib/testbed.ts";
import { hostCgroupDirs } from "../lib/cgroups.ts";
import { run } from "../lib/exec.ts";
import { leftovers, rejects, sleep, testHostsFile, REPO } from "./helpers.ts";

const MEMORY = 256 * 2 ** 20;
const hostsFile = testHostsFile("a", (raw) => {
  raw.server.memoryLimitBytes = MEMORY;
  raw.server.cpuQuota = 0.5;
});
const cfg = loadConfig(hostsFile);
const docroot = mkdtempSync(join(tmpdir(), "wp-env-doc-"));
const body = randomBytes(200_000);
writeFileSync(join(docroot, "f.bin"), body);
let server: ChildProcess | null = null;
let serverLog = "";
let serverExited: Promise<unknown> = Promise.resolve();

test.after(async () => {
  if (server?.pid && server.exitCode === null) server.kill("SIGKILL");
  await down(cfg);
  rmSync(docroot, { recursive: true, force: true });
  rmSync(dirname(hostsFile), { recursive: true, force: true });
});

/** The receive (NAPI) threads in a host's cpuacct cgroup, and the CPU time they have run, ns. */
function receiveThreads(host: string): { count: number; runNs: number } {
  const pids = readFileSync(join(hostCgroupDirs(cfg, host).cpuacct!, "cgroup.procs"), "utf8").split("\n").filter(Boolean)
    .filter((p) => readFileSync(`/proc/${p}/comm`, "utf8").startsWith("napi/"));
  return { count: pids.length, runNs: pids.reduce((sum, p) => sum + Number(readFileSync(`/proc/${p}/schedstat`, "utf8").split(" ")[0]), 0) };
}

// A minimal HTTP client (Python is already a dependency of the notebooks): GET argv[1] into the file argv[2].
const PY_GET = "import sys, urllib.request\nopen(sys.argv[2], 'wb').write(urllib.request.urlopen(sys.argv[1], timeout=5).read())";

/** Fetches a URL from inside a host; returns the body. */
async function fetchOn(host: string, url: string): Promise<Buffer> {
  const out = join(docroot, `got-${host}`);
  await run(hostCommand(cfg, host, ["/usr/bin/python3", "-c", PY_GET, url, out]));
  return readFileSync(out);
}

test("up brings every host, link and cgroup into existence", async () => {
  assert.equal(await up(cfg), "created");
  const st = await status(cfg);
  assert.ok(st.up, JSON.stringify(st));
  assert.is(Object.keys(st.namespaces).length, 5);
  assert.is(Object.keys(st.links).length, 4);
});

test("a file served in the server host reaches each client host over its own link", async () => {
  const argv = hostCommand(cfg, "server", ["/usr/bin/python3", "-m", "http.server", "--bind", "0.0.0.0", "8080", "--directory", docroot]);
  server = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
  server.stderr!.on("data", (d) => (serverLog += d));
  serverExited = new Promise((r) => server!.on("exit", r));
  const url = (i: number) => `http://${serverAddress(cfg, i)}:8080/f.bin`;
  for (let t = 0; ; t++) { // wait until it listens
    try { await fetchOn("client1", url(1)); break; } catch (e) { if (t > 150) throw e; await sleep(100); }
  }
  const before = hosts(cfg).map((h) => receiveThreads(h).runNs);
  for (let i = 1; i <= 4; i++) {
    const got = await fetchOn(`client${i}`, url(i));
    assert.ok(got.equals(body), `client${i} received the exact bytes`);
  }
  // Each host received in its own threads, in its own cgroups: the server's four (one per link) run under its quota.
  hosts(cfg).forEach((h, k) => {
    const t = receiveThreads(h);
    assert.is(t.count, h === "server" ? 4 : 1, `${h}'s receive threads`);
    assert.ok(t.runNs > before[k], `${h}'s receive threads ran ${before[k]} → ${t.runNs} ns`);
  });
  // The server saw each request come from the client's own address, i.e. over link i.
  for (let i = 1; i <= 4; i++) assert.match(serverLog, new RegExp(`^198\\.18\\.${i}\\.2 - .*GET /f\\.bin`, "m"));
  // And a client cannot reach the server through another client's link: link 2's address is not routed from client 1.
  await rejects(() => fetchOn("client1", url(2)));
});

test("the server process is confined to its namespace, core, CPU quota and memory limit (read back from the kernel)", async () => {
  const pid = server!.pid as number;
  const cgroups = readFileSync(`/proc/${pid}/cgroup`, "utf8");
  for (const c of ["cpuset", "cpu", "cpuacct", "memory", "blkio"]) {
    assert.match(cgroups, new RegExp(`:${c}:/${cfg.cgroupParent}/server$`, "m"), `${c} cgroup`);
  }
  assert.match(readFileSync(`/proc/${pid}/status`, "utf8"), /^Cpus_allowed_list:\s+1$/m);
  assert.is(readlinkSync(`/proc/${pid}/ns/net`), `net:[${statSync(join("/run/netns", namespaceOf(cfg, "server"))).ino}]`);
  const d = hostCgroupDirs(cfg, "server");
  assert.is(Number(readFileSync(join(d.memory!, "memory.limit_in_bytes"), "utf8")), MEMORY);
  assert.is(readFileSync(join(d.cpu!, "cpu.cfs_quota_us"), "utf8").trim(), String(0.5 * cfg.server.cpuPeriodUs));
  assert.is(readFileSync(join(d.cpu!, "cpu.cfs_period_us"), "utf8").trim(), String(cfg.server.cpuPeriodUs));
  const stats = await serverCgroupStats(cfg);
  assert.ok(stats.cpuUsageNs > 0 && stats.memoryUsageBytes > 0 && stats.memoryUsageBytes <= MEMORY, JSON.stringify(stats));
  assert.is(stats.oomKills, 0);
  // A client host runs on core 0, in its own cgroups.
  const clientCpus = (await run(hostCommand(cfg, "client2", ["sh", "-c", "grep Cpus_allowed_list /proc/self/status; cat /proc/self/cgroup"])));
  assert.match(clientCpus, /Cpus_allowed_list:\s+0$/m);
  assert.match(clientCpus, new RegExp(`:cpuset:/${cfg.cgroupParent}/client2$`, "m"));
});

test("page cache is charged to the server: an evicted file read by the server grows its cgroup's cache", async () => {
  const big = randomBytes(8 << 20);
  writeFileSync(join(docroot, "big.bin"), big);
  const resident = async () => Number((await run(["fincore", "-nbo", "RES", join(docroot, "big.bin")])).trim());
  assert.ok((await resident()) > 0, "just written, so cached");
  assert.ok((await evictFromPageCache(cfg, docroot)) >= 2);
  assert.is(await resident(), 0);
  const before = await serverCgroupStats(cfg);
  assert.ok((await fetchOn("client3", `http://${serverAddress(cfg, 3)}:8080/big.bin`)).equals(big));
  const after = await serverCgroupStats(cfg);
  assert.ok(after.pageCacheBytes - before.pageCacheBytes >= big.length, `cache grew by ${after.pageCacheBytes - before.pageCacheBytes}`);
  assert.ok(after.cpuUsageNs > before.cpuUsageNs);
});

test("setServerCpuQuota changes what the kernel holds; the emulated disk is no blkio throttle", async () => {
  await rejects(() => setServerDiskThrottle(cfg, { readIops: 100, readBps: null }), /no blkio throttle/);
  assert.is(readFileSync(join(hostCgroupDirs(cfg, "server").blkio!, "blkio.throttle.read_iops_device"), "utf8").trim(), "");
  const period = cfg.server.cpuPeriodUs;
  assert.equal(await setServerCpuQuota(cfg, 0.25), { quotaUs: Math.round(0.25 * period), periodUs: period });
  await rejects(() => setServerCpuQuota(cfg, 0.05), /1000 µs/);
  await rejects(() => setServerCpuQuota(cfg, 1.5), /\(0, 1\]/);
});

test("the limits hold: CPU quota and memory limit", async () => {
  const busy = "import time\nt0 = time.time(); c0 = time.process_time()\nwhile time.time() - t0 < 2: pass\nprint((time.process_time() - c0) / (time.time() - t0))";
  const share = Number(await run(hostCommand(cfg, "server", ["/usr/bin/python3", "-c", busy])));
  assert.ok(share > 0.02 && share <= 0.25 * 1.1, `busy loop got ${share} of a core under a 0.25 quota`);
  // A process that touches more memory than the limit is killed by the cgroup's OOM killer, not served by the host.
  const before = (await serverCgroupStats(cfg)).oomKills;
  const hog = "b = bytearray(320 << 20)\nfor i in range(0, len(b), 4096): b[i] = 1";
  await rejects(() => run(hostCommand(cfg, "server", ["/usr/bin/python3", "-c", hog])));
  assert.is((await serverCgroupStats(cfg)).oomKills, before + 1);
});

test("the report (CLI, --out) names CPU quota, memory limit, disk model, cores and sysctls", async () => {
  const out = join(docroot, "report.json");
  await run(["node", "--import", "tsx", join(REPO, "env/testbed.ts"), "report", "--hosts", hostsFile, "--out", out]);
  const r = JSON.parse(readFileSync(out, "utf8"));
  const s = r.testbed.server;
  assert.equal(s.cpuQuota, { quotaUs: 0.25 * cfg.server.cpuPeriodUs, periodUs: cfg.server.cpuPeriodUs, fractionOfCore: 0.25 });
  assert.is(s.memoryLimitBytes, MEMORY);
  assert.is(s.diskThrottle, null);
  assert.equal(s.latencyDisk, { model: { seekMs: 4.7, trackToTrackMs: 0.2, fullStrokeMs: 10, cylinders: 50000, rotationMs: 3, mbPerS: 60,
    capacityGB: 73.4, spread: 1, deadlineMs: 500 }, daemon: null });
  assert.is(s.cores, "1");
  assert.is(r.testbed.client3.cores, "0");
  assert.is(s.sysctls["net.core.somaxconn"], "65535");
  assert.is(s.sysctls["net.ipv4.tcp_congestion_control"], "reno");
  assert.is(r.testbed.client1.sysctls["net.ipv4.ip_local_port_range"], "1024 65535");
  assert.is(s.rlimits["Max open files"].hard, readFileSync("/proc/self/limits", "utf8").match(/Max open files\s+\S+\s+(\S+)/)![1]);
  const rx = r.testbed.receive.ends[`${cfg.prefix}s1`];
  assert.equal([rx.threaded, rx.rpsCpus, rx.gro, rx.tso], ["1", "0", "on", "off"]);
  assert.is(r.testbed.receive.threads.server.length, 4);
  assert.is(r.testbed.receive.threads.client2.length, 1);
  assert.ok(r.machine.cpu.cores >= 2 && r.machine.memory.totalBytes > 0 && r.machine.kernelRelease);
});

test("down ends the server and leaves no namespace, link or cgroup behind", async () => {
  assert.equal(await down(cfg), "removed");
  await Promise.race([serverExited, sleep(2000).then(() => assert.unreachable("the server process outlived down"))]);
  assert.equal(await leftovers(cfg), []);
  const ns = await run(["ip", "netns", "list"]);
  assert.not.match(ns, cfg.prefix);
});

test.run();
