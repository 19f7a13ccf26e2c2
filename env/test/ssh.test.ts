// The ssh backend, exercised through the CLI's --dry-run: every command is printed, quoted so the remote shell
// sees exactly the intended argv, and nothing runs on this machine.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { run } from "../lib/exec.ts";
import { REPO } from "./helpers.ts";

const SSH_HOSTS = join(REPO, "env/hosts/ssh-example.json");
const cli = (...args: string[]) => run(["node", "--import", "tsx", join(REPO, "env/testbed.ts"), ...args]);

/** The argv a POSIX shell makes of a command line (so quoting is checked by a real shell, not by us). */
async function shellWords(line: string): Promise<string[]> {
  const out = await run(["sh", "-c", `words() { for a; do printf '%s\\0' "$a"; done; }; words ${line}`]);
  return out.split("\0").slice(0, -1);
}

/** Commands of a dry run: [why, ssh argv, remote argv] per command. */
async function dryRun(...args: string[]): Promise<{ why: string; ssh: string[]; remote: string[] }[]> {
  const lines = (await cli(...args, "--hosts", SSH_HOSTS, "--dry-run")).trim().split("\n");
  const cmds = [];
  for (let i = 0; i < lines.length; i += 2) {
    assert.match(lines[i], /^# /, `line ${i} is a comment saying why`);
    const ssh = await shellWords(lines[i + 1]);
    cmds.push({ why: lines[i].slice(2), ssh, remote: await shellWords(ssh[ssh.length - 1]) });
  }
  return cmds;
}

test("up --dry-run prints every command as an ssh call to the right machine, and runs none of them", async () => {
  const cmds = await dryRun("up");
  assert.ok(cmds.length >= 10);
  for (const c of cmds) {
    assert.equal(c.ssh.slice(0, 5), ["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10"]);
    assert.match(c.ssh[5], /^bench@(server|client[1-4])\.example$/);
    assert.is(c.ssh[6], "--");
    assert.equal(c.remote.slice(0, 2), ["sudo", "-n"]);
  }
  const on = (target: string) => cmds.filter((c) => c.ssh[5] === target).map((c) => c.remote.slice(2));
  // The server: pinned, quota'd, sysctls set; memory limit is null in the example, so never written.
  const server = on("bench@server.example");
  assert.ok(server.some((a) => a.at(-2) === "0" && a.at(-1) === "/sys/fs/cgroup/cpuset/webarch/server/cpuset.cpus"));
  assert.ok(server.some((a) => a.at(-2) === "10000" && a.at(-1) === "/sys/fs/cgroup/cpu/webarch/server/cpu.cfs_quota_us"));
  assert.not.ok(server.some((a) => a.join(" ").includes("memory.limit_in_bytes")));
  assert.ok(server.some((a) => a.join(" ") === "sysctl -q -w net.core.somaxconn=65535 net.ipv4.tcp_max_syn_backlog=65535 net.ipv4.tcp_fin_timeout=15"));
  for (let i = 1; i <= 4; i++) {
    const client = on(`bench@client${i}.example`);
    assert.ok(client.some((a) => a.at(-2) === "0-1" && a.at(-1) === `/sys/fs/cgroup/cpuset/webarch/client${i}/cpuset.cpus`), `client${i} pinned`);
    assert.ok(client.some((a) => a.join(" ") === "sysctl -q -w net.ipv4.ip_local_port_range=1024 65535 net.ipv4.tcp_tw_reuse=1"), `client${i} tuned`);
  }
  // A dry run of a real testbed touches nothing here.
  assert.not.ok(existsSync("/sys/fs/cgroup/cpuset/webarch/client1"));
});

test("down --dry-run ends processes and removes cgroups on every machine", async () => {
  const cmds = await dryRun("down");
  for (const host of ["server", "client1", "client2", "client3", "client4"]) {
    const mine = cmds.filter((c) => c.ssh[5] === `bench@${host}.example`);
    assert.ok(mine.some((c) => c.why === `end the processes left on ${host}` && c.remote.includes(`/sys/fs/cgroup/cpuset/webarch/${host}/cgroup.procs`)), `${host}: kill`);
    assert.ok(mine.some((c) => c.why === `remove the cgroups of ${host}`), `${host}: rmdir`);
  }
});

test("quota --dry-run prints the two writes of the new quota", async () => {
  const cmds = await dryRun("quota", "0.3");
  assert.equal(cmds.map((c) => c.remote.slice(-2)), [["10000", "/sys/fs/cgroup/cpu/webarch/server/cpu.cfs_period_us"], ["3000", "/sys/fs/cgroup/cpu/webarch/server/cpu.cfs_quota_us"]]);
});

test("the emulated up --dry-run prints local commands and creates nothing", async () => {
  const out = await cli("up", "--dry-run");
  assert.match(out, /^ip netns add wp-server$/m);
  assert.match(out, /^ip -n wp-server link add wp-s4 type veth peer name wp-c4 netns wp-client4$/m);
  assert.not.match(await run(["ip", "netns", "list"]), /^wp-server\b/m);
});

test.run();
