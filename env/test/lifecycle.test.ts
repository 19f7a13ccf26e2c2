// up and down are idempotent; an error or Ctrl-C part-way through up leaves nothing of the testbed behind.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { down, hostCommand, loadConfig, planUp, status, up, namespaceOf } from "../lib/testbed.ts";
import { hostCgroupDirs } from "../lib/cgroups.ts";
import { leftovers, rejects, sleep, testHostsFile, REPO } from "./helpers.ts";

const files: string[] = [];
function config(tag: string, patch?: (raw: any) => void) {
  const f = testHostsFile(tag, patch);
  files.push(f);
  return { file: f, cfg: loadConfig(f) };
}

test.after(async () => {
  for (const f of files) {
    await down(loadConfig(f));
    rmSync(dirname(f), { recursive: true, force: true });
  }
});

test("up twice and down twice: the second call of each changes nothing", async () => {
  const { cfg } = config("i");
  assert.is(await down(cfg), "already-down");
  assert.is(await up(cfg), "created");
  // A process on the server host must survive the second up untouched, in the same namespace and cgroup.
  const argv = hostCommand(cfg, "server", ["sleep", "30"]);
  const sleeper = spawn(argv[0], argv.slice(1), { stdio: "ignore" });
  const exited = new Promise((r) => sleeper.on("exit", r));
  const procs = join(hostCgroupDirs(cfg, "server").cpuset!, "cgroup.procs");
  for (let t = 0; !readFileSync(procs, "utf8").includes(String(sleeper.pid)); t++) { if (t > 50) assert.unreachable("sleeper never joined its cgroup"); await sleep(20); }
  const before = await status(cfg);
  assert.is(await up(cfg), "already-up");
  assert.equal(await status(cfg), before);
  assert.ok(readFileSync(procs, "utf8").includes(String(sleeper.pid)), "process still in the server cgroup after the second up");
  assert.is(sleeper.exitCode, null);
  assert.is(await down(cfg), "removed");
  await exited;
  assert.is(await down(cfg), "already-down");
  assert.equal(await leftovers(cfg), []);
});

test("two testbeds side by side: each comes and goes without touching the other", async () => {
  const a = config("x").cfg;
  const b = config("y").cfg;
  await up(a);
  await up(b);
  assert.is(await down(a), "removed");
  assert.equal(await leftovers(a), []);
  const sa = await status(a);
  assert.ok(!sa.up && !sa.partial, "a is cleanly down although b shares the webarch folder");
  assert.ok((await status(b)).up, "b is still up");
  assert.is(await down(a), "already-down");
  assert.is(await down(b), "removed");
  assert.equal(await leftovers(b), []);
});

test("an error part-way through up tears down what was already created", async () => {
  // A sysctl that does not exist fails in the last stage of up, after cgroups, namespaces and links exist.
  const { cfg } = config("e", (raw) => (raw.clients.sysctls["net.ipv4.no_such_setting"] = 1));
  const err = await rejects(() => up(cfg), /tune client1 .*no_such_setting/);
  assert.ok(err);
  assert.equal(await leftovers(cfg), []);
});

test("Ctrl-C in the middle of `env/testbed.ts up` leaves no namespace, link, cgroup or process behind", async () => {
  const { file, cfg } = config("c");
  const child = spawn("node", ["--import", "tsx", join(REPO, "env/testbed.ts"), "up", "--hosts", file], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  // Interrupt once the first namespace exists: cgroups are made, links and sysctls are still to come.
  const marker = join("/run/netns", namespaceOf(cfg, "client2"));
  for (let t = 0; !existsSync(marker); t++) {
    if (t > 5000 || child.exitCode !== null) assert.unreachable(`up never reached the namespaces: ${output}`);
    await sleep(1);
  }
  const partial = await leftovers(cfg);
  child.kill("SIGINT");
  assert.is(await exited, 130, output);
  assert.ok(partial.some((l) => l.startsWith("cgroup")) && partial.some((l) => l.startsWith("netns")), `up was interrupted mid-way: ${partial}`);
  assert.match(output, /interrupted/);
  assert.not.match(output, /testbed up: server/, output);
  assert.equal(await leftovers(cfg), []);
});

test("the plan builds cgroups before namespaces before links before sysctls (what an interrupted up may leave)", () => {
  const { cfg } = config("p");
  const whys = planUp(cfg).map((a) => a.why);
  const first = (re: RegExp) => whys.findIndex((w) => re.test(w));
  assert.ok(first(/cgroup/) < first(/create host/) && first(/create host/) < first(/^link/) && first(/^link/) < first(/tune/));
});

test.run();
