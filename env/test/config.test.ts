// Hosts files: the shipped ones load; malformed ones fail with an error naming the field; host commands per kind.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuMask, hostCommand, loadConfig, parseConfig, serverAddress, up, down, setServerCpuQuota } from "../lib/testbed.ts";
import { hardFdLimit, hostRlimits, ownRlimits, report } from "../lib/report.ts";
import { REPO, rejects } from "./helpers.ts";

const hostsDir = join(REPO, "env/hosts");
const emulated = () => JSON.parse(readFileSync(join(hostsDir, "emulated.json"), "utf8"));

test("the shipped hosts files load", () => {
  const e = loadConfig();
  assert.is(e.kind, "emulated");
  assert.is(e.clients.length, 4);
  assert.is(e.server.cpus, "1");
  assert.is(e.server.memoryLimitBytes, 2 ** 31);
  assert.equal([e.server.disk, e.server.diskModel], [null, { seekMs: 4.7, trackToTrackMs: 0.2, fullStrokeMs: 10, cylinders: 50000,
    rotationMs: 3, mbPerS: 60, capacityGB: 73.4, spread: 1, deadlineMs: 500 }]);
  assert.is(serverAddress(e, 3), "198.18.3.1");
  assert.is(e.clients[2].address, "198.18.3.2");
  assert.is(loadConfig(join(hostsDir, "ssh-example.json")).clients[1].ssh, "bench@client2.example");
  const l = loadConfig(join(hostsDir, "loopback.json"));
  assert.equal([l.server.memoryLimitBytes, l.server.disk, serverAddress(l, 4)], [null, null, "127.0.0.1"]);
});

// Each case: a change to the emulated hosts file and the field the error must name.
const malformed: [string, (raw: any) => void, string][] = [
  ["unknown kind", (r) => (r.kind = "docker"), `"kind" must be one of emulated, ssh, loopback`],
  ["quota out of range", (r) => (r.server.cpuQuota = 1.5), `"server.cpuQuota"`],
  ["quota not a number", (r) => (r.server.cpuQuota = "half"), `"server.cpuQuota"`],
  ["quota below the kernel minimum", (r) => (r.server.cpuQuota = 0.05), `"server.cpuQuota" × cpuPeriodUs must be ≥ 1000`],
  ["bad cpu list", (r) => (r.server.cpus = "one"), `"server.cpus"`],
  ["misspelt field", (r) => (r.server.memoryLimt = 1), `"server.memoryLimt" is not a known field`],
  ["tiny memory", (r) => (r.server.memoryLimitBytes = 1000), `"server.memoryLimitBytes"`],
  ["blkio throttle on the emulated testbed", (r) => (r.server.disk.readIops = 200), `"server.disk.readIops" is a blkio throttle field (ssh testbed only)`],
  ["disk model without a seek time", (r) => delete r.server.disk.seekMs, `"server.disk.seekMs" must be a number of milliseconds`],
  ["negative rotational delay", (r) => (r.server.disk.rotationMs = -3), `"server.disk.rotationMs"`],
  ["zero transfer rate", (r) => (r.server.disk.mbPerS = 0), `"server.disk.mbPerS" must be a transfer rate`],
  ["misspelt disk field", (r) => (r.server.disk.seekMS = 4), `"server.disk.seekMS" is not a known field (known: seekMs, trackToTrackMs, fullStrokeMs, cylinders, rotationMs, mbPerS, capacityGB, spread, deadlineMs)`],
  ["disk model without a full-stroke seek", (r) => delete r.server.disk.fullStrokeMs, `"server.disk.fullStrokeMs" must be a number of milliseconds`],
  ["fractional cylinders", (r) => (r.server.disk.cylinders = 5e4 + 0.5), `"server.disk.cylinders" must be an integer number of cylinders`],
  ["zero capacity", (r) => (r.server.disk.capacityGB = 0), `"server.disk.capacityGB" must be a capacity in GB`],
  ["spread beyond the disk", (r) => (r.server.disk.spread = 1.5), `"server.disk.spread" must be a fraction of the disk in (0, 1]`],
  ["no deadline", (r) => delete r.server.disk.deadlineMs, `"server.disk.deadlineMs" must be a number of milliseconds in (0, 60000]`],
  ["average seek beyond the full stroke", (r) => (r.server.disk.seekMs = 12), `"server.disk.seekMs" (the average seek) must lie between trackToTrackMs (0.2) and fullStrokeMs (10)`],
  ["zero clients", (r) => (r.clients.count = 0), `"clients.count"`],
  ["bad sysctl name", (r) => (r.clients.sysctls["not a sysctl"] = 1), `"clients.sysctls.not a sysctl"`],
  ["sysctl value an object", (r) => (r.server.sysctls["net.core.somaxconn"] = {}), `"server.sysctls.net.core.somaxconn"`],
  ["prefix too long for interface names", (r) => (r.prefix = "wp-averyverylongname-"), `"prefix"`],
  ["prefix not wp-", (r) => (r.prefix = "xx-"), `"prefix"`],
  ["cgroup parent elsewhere", (r) => (r.cgroupParent = "../system"), `"cgroupParent"`],
  ["ssh target on an emulated host", (r) => (r.server.ssh = "me@there"), `"server.ssh" is only allowed for an ssh testbed`],
  ["server not an object", (r) => (r.server = 3), `"server" must be an object`],
];
for (const [name, patch, field] of malformed) {
  test(`malformed hosts file (${name}) → error naming the field`, () => {
    const raw = emulated();
    patch(raw);
    assert.throws(() => parseConfig(raw, "x.json"), (e: Error) => e.message.startsWith("hosts file x.json: field ") && e.message.includes(field));
  });
}

test("malformed ssh hosts file: a client without serverAddress, a disk without device", () => {
  const raw = JSON.parse(readFileSync(join(hostsDir, "ssh-example.json"), "utf8"));
  delete raw.clients[2].serverAddress;
  assert.throws(() => parseConfig(raw, "s.json"), /field "clients\[2\]\.serverAddress" must be an IPv4 address/);
  const raw2 = JSON.parse(readFileSync(join(hostsDir, "ssh-example.json"), "utf8"));
  raw2.server.disk = { readIops: 100 };
  assert.throws(() => parseConfig(raw2, "s.json"), /field "server\.disk\.device" must be "MAJOR:MINOR" of the server's disk \(required over ssh\)/);
  raw2.server.disk = { device: "8:0", seekMs: 4.7 };
  assert.throws(() => parseConfig(raw2, "s.json"), /field "server\.disk\.seekMs" is not a known field/);
  const raw3 = JSON.parse(readFileSync(join(hostsDir, "ssh-example.json"), "utf8"));
  assert.throws(() => parseConfig({ ...raw3, clients: [] }, "s.json"), /field "clients" must be a non-empty array/);
});

test("a hosts file that is not JSON, or missing, names the file", () => {
  const dir = mkdtempSync(join(tmpdir(), "wp-env-cfg-"));
  writeFileSync(join(dir, "bad.json"), "{ kind: emulated");
  assert.throws(() => loadConfig(join(dir, "bad.json")), /hosts file .*bad\.json: not valid JSON/);
  assert.throws(() => loadConfig(join(dir, "missing.json")), /hosts file .*missing\.json: cannot read it/);
  rmSync(dir, { recursive: true });
});

test("hostCommand: namespace + cgroups (emulated), ssh + cgroups (ssh), taskset (loopback)", () => {
  const e = hostCommand(loadConfig(), "client2", ["loadgen", "--rate", "10"]);
  assert.equal(e.slice(0, 2), ["sh", "-c"]);
  assert.equal(e.slice(3), ["wp-client2", "/sys/fs/cgroup/cpuset/webarch/client2/cgroup.procs", "/sys/fs/cgroup/cpuacct/webarch/client2/cgroup.procs", "--", "ip", "netns", "exec", "wp-client2", "loadgen", "--rate", "10"]);
  const s = hostCommand(loadConfig(join(hostsDir, "ssh-example.json")), "server", ["userver", "--root", "/srv/a b"]);
  assert.equal(s.slice(0, 7), ["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "bench@server.example", "--"]);
  assert.match(s[7], /^sudo -n sh -c .* wp-server \/sys\/fs\/cgroup\/cpuset\/webarch\/server\/cgroup\.procs .* -- userver --root '\/srv\/a b'$/);
  assert.equal(hostCommand(loadConfig(join(hostsDir, "loopback.json")), "server", ["userver"]), ["taskset", "-c", "1", "userver"]);
  assert.throws(() => hostCommand(loadConfig(), "client9", ["true"]), /unknown host "client9"/);
  assert.throws(() => serverAddress(loadConfig(), 0), /client index 0 is not in 1\.\.4/);
});

test("cpuMask turns cpu lists into rps_cpus masks", () => {
  assert.equal(["0", "1", "0-1", "0,2-3", "8"].map(cpuMask), ["1", "2", "3", "d", "100"]);
});

test("loopback: up and down do nothing, limits are refused, the report says it is less faithful", async () => {
  const l = loadConfig(join(hostsDir, "loopback.json"));
  assert.is(await up(l), "already-up");
  assert.is(await down(l), "already-down");
  await rejects(() => setServerCpuQuota(l, 0.5), /loopback testbed has no cgroups/);
  const r: any = await report(l);
  assert.is(r.faithful, false);
  assert.ok(r.caveats.some((c: string) => /no CPU quota/.test(c)));
  assert.is(r.testbed.server.pinnedWith, "taskset");
});

test("the descriptor limit: a host's and this process's read alike, what the shell says; a non-number is refused", async () => {
  const shell = Number(execFileSync("sh", ["-c", "ulimit -Hn"], { encoding: "utf8" }).trim());
  assert.is(hardFdLimit(ownRlimits()), shell);
  assert.is(hardFdLimit(await hostRlimits(loadConfig(join(hostsDir, "loopback.json")), "server")), shell);
  assert.throws(() => hardFdLimit({ "Max open files": { hard: "unlimited" } }), /descriptor limit is "unlimited", not a number/);
  assert.throws(() => hardFdLimit({}), /descriptor limit is "undefined"/);
});

test.run();
