#!/usr/bin/env -S node --import tsx
// CLI of the testbed: up | down | status | report | quota | evict | run HOST -- CMD… (a thin shell over lib/testbed.ts).
import { $, fs, parseArgv } from "zx";
import { report } from "./lib/report.ts";
import { loadConfig, up, down, status, hostCommand, setServerCpuQuota, evictFromPageCache, DEFAULT_HOSTS_FILE } from "./lib/testbed.ts";

const args = parseArgv(process.argv.slice(2), { string: ["hosts", "out"], boolean: ["dry-run", "check", "help"], "--": true });
const [command, ...rest] = args._.map(String);
const usage = `usage: env/testbed.ts up|down|status|report|quota|evict|run [--hosts FILE] [--dry-run]
  up / down            bring the testbed up / tear it down (both are no-ops when already done)
  status [--check]     print what exists (JSON); with --check, exit 1 unless the testbed is fully up
  evict DIR            drop DIR's files from the page cache (before a run, so the server's memory limit sees them)
  report [--out FILE]  write the JSON report of machine and testbed (stdout without --out)
  quota FRACTION       set the server's CPU quota to FRACTION of one core
  run HOST -- CMD…     run CMD on host server|client1..N, inside its namespace and cgroups
  --hosts FILE         hosts file (default ${DEFAULT_HOSTS_FILE})
  --dry-run            up/down/quota: print every command instead of running it`;
if (args.help || !command) {
  console.log(usage);
  process.exit(command ? 0 : 2);
}

const cfg = loadConfig(args.hosts || undefined);
const opts = { dryRun: args["dry-run"] as boolean, log: (line: string) => console.log(line) };

// Ctrl-C (or SIGTERM) during up stops at the next command and tears down what was built.
const interrupt = new AbortController();
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => interrupt.abort());

try {
  switch (command) {
    case "up":
      await up(cfg, { ...opts, signal: interrupt.signal });
      break;
    case "down":
      await down(cfg, opts);
      break;
    case "status": {
      const st = await status(cfg);
      console.log(JSON.stringify(st, null, 2));
      if (args.check && !st.up) process.exitCode = 1;
      break;
    }
    case "report": {
      const json = JSON.stringify(await report(cfg), null, 2) + "\n";
      if (args.out) await fs.outputFile(args.out, json);
      else process.stdout.write(json);
      break;
    }
    case "evict":
      console.log(`dropped ${await evictFromPageCache(cfg, rest[0])} files from the page cache`);
      break;
    case "quota": {
      const got = await setServerCpuQuota(cfg, Number(rest[0]), opts);
      if (!opts.dryRun) console.log(`server CPU quota: ${got.quotaUs} µs per ${got.periodUs} µs`);
      break;
    }
    case "run": {
      const [host] = rest;
      const cmd = (args["--"] ?? []).map(String);
      const r = await $({ stdio: "inherit", nothrow: true })`${hostCommand(cfg, host, cmd)}`;
      process.exitCode = r.exitCode ?? 1;
      break;
    }
    default:
      console.error(usage);
      process.exitCode = 2;
  }
} catch (e) {
  console.error(`testbed ${command}: ${(e as Error).message}`);
  process.exitCode = interrupt.signal.aborted ? 130 : 1;
}
