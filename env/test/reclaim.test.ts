// The VM's proactive reclaim (DAMON pageout) skips the server's memory cgroup while the testbed is up, and its
// scheme is left as it was found after down. Skipped where no DAMON pageout scheme runs.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { down, loadConfig, up } from "../lib/testbed.ts";
import { reclaimExclusions } from "../lib/reclaim.ts";
import { testHostsFile } from "./helpers.ts";

const KDAMONDS = "/sys/kernel/mm/damon/admin/kdamonds";
/** Every filter of every scheme of every running kdamond, as text, to compare before and after. */
function snapshot(): string {
  if (!existsSync(KDAMONDS)) return "";
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/filters\//.test(p)) out.push(`${p}=${readFileSync(p, "utf8").trim()}`);
    }
  };
  walk(KDAMONDS);
  return out.sort().join("\n");
}
const damonPageout = () => existsSync(KDAMONDS) && snapshot().includes("type=");

const file = testHostsFile("r");
const cfg = loadConfig(file);
test.after(async () => {
  await down(cfg);
  rmSync(dirname(file), { recursive: true, force: true });
});

test("up excludes the server's memory cgroup from DAMON pageout; down restores the scheme's filters", async () => {
  if (!damonPageout()) return console.log("  (no DAMON pageout scheme on this machine: nothing to check)");
  const before = snapshot();
  const path = `/${cfg.cgroupParent}/server`;
  assert.not.ok(reclaimExclusions().includes(path));
  await up(cfg);
  assert.ok(reclaimExclusions().includes(path), `exclusions: ${reclaimExclusions().join(", ")}`);
  assert.is(await up(cfg), "already-up");
  assert.is(reclaimExclusions().filter((p) => p === path).length, 1, "a second up adds no second filter");
  await down(cfg);
  assert.not.ok(reclaimExclusions().includes(path));
  assert.is(snapshot(), before);
});

test.run();
