#!/usr/bin/env -S node --import tsx
// Command line for the workload: build or verify the file set, write session logs (the logic is in the library).
import { parseArgs } from "node:util";
import { buildFileSet, fileSetBytes, verifyFileSet } from "../../lib/fileset.ts";
import { generateSessionLogs } from "./sessions.ts";

const USAGE = `usage:
  cli.ts fileset  --root DIR [--dirs 680] [--seed 1]
  cli.ts verify   --root DIR [--contents]
  cli.ts sessions --out DIR [--files 1] [--sessions-per-file 1000] [--dirs 680] [--seed 1]`;

const GiB = 2 ** 30;
const MiB = 2 ** 20;

function integer(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new RangeError(`--${name} must be a whole number, got '${value}'`);
  return Number(value);
}

function required(name: string, value: string | undefined): string {
  if (!value) throw new RangeError(`--${name} is required`);
  return value;
}

/** Progress on stderr: rewritten in place on a terminal, one line every 10 s otherwise. */
function progressPrinter(start: number): (done: number, total: number, bytes: number, bytesTotal: number) => void {
  const tty = process.stderr.isTTY;
  let last = 0;
  return (done, total, bytes, bytesTotal) => {
    const now = performance.now();
    if (done < total && now - last < (tty ? 500 : 10_000)) return;
    last = now;
    const s = (now - start) / 1000;
    const rate = bytes / MiB / Math.max(s, 1e-3);
    const eta = rate > 0 ? (bytesTotal - bytes) / MiB / rate : 0;
    const line = `fileset: ${done}/${total} files, ${(bytes / GiB).toFixed(2)}/${(bytesTotal / GiB).toFixed(2)} GiB, ${rate.toFixed(0)} MiB/s, ${s.toFixed(0)} s elapsed, ETA ${eta.toFixed(0)} s`;
    process.stderr.write(tty ? `\r${line}\x1b[K${done === total ? "\n" : ""}` : line + "\n");
  };
}

function main(argv: string[]): void {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      root: { type: "string" },
      out: { type: "string" },
      dirs: { type: "string" },
      seed: { type: "string" },
      files: { type: "string" },
      "sessions-per-file": { type: "string" },
      contents: { type: "boolean" },
    },
  });
  if (command === "fileset") {
    const root = required("root", values.root);
    const dirs = integer("dirs", values.dirs, 680);
    const start = performance.now();
    process.stderr.write(`fileset: ${dirs} directories, ${(fileSetBytes(dirs) / GiB).toFixed(2)} GiB into ${root}\n`);
    const manifest = buildFileSet({ root, dirs, seed: integer("seed", values.seed, 1), onProgress: progressPrinter(start) });
    process.stderr.write(`fileset: ${manifest.length} files done in ${((performance.now() - start) / 1000).toFixed(1)} s\n`);
  } else if (command === "verify") {
    const problems = verifyFileSet(required("root", values.root), { contents: values.contents });
    for (const p of problems) console.log(p);
    process.stderr.write(`verify: ${problems.length === 0 ? "file set intact" : `${problems.length} problems`}\n`);
    process.exitCode = problems.length === 0 ? 0 : 1;
  } else if (command === "sessions") {
    const { paths, stats } = generateSessionLogs({
      outDir: required("out", values.out),
      files: integer("files", values.files, 1),
      sessionsPerFile: integer("sessions-per-file", values["sessions-per-file"], 1000),
      dirs: integer("dirs", values.dirs, 680),
      seed: integer("seed", values.seed, 1),
    });
    for (const p of paths) console.log(p);
    process.stderr.write(`sessions: ${JSON.stringify(stats)}\n`);
  } else {
    throw new RangeError(`unknown command '${command ?? ""}'`);
  }
}

try {
  main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
  process.exit(2);
}
