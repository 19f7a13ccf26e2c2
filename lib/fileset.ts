// Generates the SPECweb99-like file set: deterministic contents from a seed, a manifest of sizes and CRC-32s.
import { createCipheriv, createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SIZE_TABLE, dirName, filePath } from "./specweb.ts";

export interface FileSetOptions {
  root: string;          // document root to fill
  dirs: number;          // number of directories (680 for the paper's 3.2 GiB set)
  seed?: number;         // contents depend only on (seed, path); default 1
  /** Called after every file; bytes count the whole set, whether written now or found complete. */
  onProgress?: (done: number, total: number, bytesDone: number, bytesTotal: number) => void;
}

export interface ManifestEntry { path: string; size: number; crc32: number }

export const MANIFEST_NAME = "MANIFEST.tsv";
/** The manifest is built here, one directory at a time, so an interrupted run keeps the checksums it computed. */
const JOURNAL_NAME = MANIFEST_NAME + ".part";
/** Names the content algorithm in the manifest header: files from another algorithm or seed are never trusted. */
const CONTENT_VERSION = "aes128ctr-sha256-v1";

const ZEROS = Buffer.alloc(Math.max(...SIZE_TABLE.map((f) => f.size)));

/** The bytes of one file: AES-128-CTR keystream keyed by SHA-256(seed:path), so any byte can be regenerated and checked. */
export function fileContent(seed: number, path: string, size: number): Buffer {
  const key = createHash("sha256").update(`${seed}:${path}`).digest().subarray(0, 16);
  const cipher = createCipheriv("aes-128-ctr", key, Buffer.alloc(16));
  return size <= ZEROS.length ? cipher.update(ZEROS.subarray(0, size)) : cipher.update(Buffer.alloc(size));
}

/** Total bytes of a set of `dirs` directories. */
export function fileSetBytes(dirs: number): number {
  return dirs * SIZE_TABLE.reduce((sum, f) => sum + f.size, 0);
}

/**
 * Writes the file set and its manifest, resuming whatever an earlier run with the same seed left. A file is kept
 * as it is when an earlier manifest or journal recorded it and its size is still right (files are written under a
 * temporary name and renamed, and journalled only once written); anything else is written afresh. Re-running over
 * a finished set therefore only stats it, and a crash costs at most the directory in progress.
 */
export function buildFileSet(opts: FileSetOptions): ManifestEntry[] {
  const seed = opts.seed ?? 1;
  if (!Number.isInteger(opts.dirs) || opts.dirs < 1 || opts.dirs > 99_999) throw new RangeError(`dirs must be an integer in 1..99999, got ${opts.dirs}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`seed must be an integer in 0..2^32-1, got ${seed}`);
  mkdirSync(opts.root, { recursive: true });
  const header = `# seed=${seed} content=${CONTENT_VERSION}`;
  const { known, journalMatches } = earlierRun(opts.root, header);
  const journal = join(opts.root, JOURNAL_NAME);
  if (!journalMatches) writeFileSync(journal, header + "\n");

  const total = opts.dirs * SIZE_TABLE.length;
  const bytesTotal = fileSetBytes(opts.dirs);
  const manifest: ManifestEntry[] = [];
  let bytesDone = 0;
  for (let d = 0; d < opts.dirs; d++) {
    mkdirSync(join(opts.root, dirName(d)), { recursive: true });
    const computed: ManifestEntry[] = [];
    for (const { cls, index, size } of SIZE_TABLE) {
      const path = filePath(d, cls, index);
      const full = join(opts.root, path);
      let crc = known.get(path);
      if (crc === undefined || sizeOf(full) !== size) {
        const body = fileContent(seed, path, size);
        crc = crc32(body);
        writeFileSync(full + ".part", body);
        renameSync(full + ".part", full); // a crash never leaves a short file under the final name
        computed.push({ path, size, crc32: crc });
      }
      manifest.push({ path, size, crc32: crc });
      bytesDone += size;
      opts.onProgress?.(manifest.length, total, bytesDone, bytesTotal);
    }
    if (computed.length > 0) appendFileSync(journal, formatEntries(computed));
  }
  const tmp = join(opts.root, MANIFEST_NAME + ".tmp");
  writeFileSync(tmp, `${header} dirs=${opts.dirs}\n` + formatEntries(manifest));
  renameSync(tmp, join(opts.root, MANIFEST_NAME));
  if (existsSync(journal)) unlinkSync(journal);
  return manifest;
}

/** Reads a manifest written by buildFileSet. */
export function readManifest(root: string): ManifestEntry[] {
  const path = join(root, MANIFEST_NAME);
  return parseEntries(readFileSync(path, "utf8"), path);
}

/**
 * Checks the set against its manifest: every file present with the right size, and with `contents` also the
 * right CRC-32 (reads every byte). Returns one line per problem; empty means the set is intact.
 */
export function verifyFileSet(root: string, opts: { contents?: boolean } = {}): string[] {
  const problems: string[] = [];
  for (const { path, size, crc32: crc } of readManifest(root)) {
    const full = join(root, path);
    const actual = sizeOf(full);
    if (actual !== size) problems.push(`${path}: size ${actual ?? "missing"}, manifest says ${size}`);
    else if (opts.contents && crc32(readFileSync(full)) !== crc) problems.push(`${path}: CRC-32 differs from the manifest`);
  }
  return problems;
}

/**
 * The checksums an earlier run with this header (seed and content version) recorded, and whether its journal can
 * be appended to. Records of another seed or content version are deleted: they no longer describe the files.
 */
function earlierRun(root: string, header: string): { known: Map<string, number>; journalMatches: boolean } {
  const known = new Map<string, number>();
  let journalMatches = false;
  for (const name of [MANIFEST_NAME, JOURNAL_NAME]) {
    const full = join(root, name);
    if (!existsSync(full)) continue;
    const text = readFileSync(full, "utf8");
    if (text.startsWith(header + " ") || text.startsWith(header + "\n")) {
      for (const e of parseEntries(text, full)) known.set(e.path, e.crc32);
      if (name === JOURNAL_NAME) journalMatches = true;
    } else {
      unlinkSync(full);
    }
  }
  return { known, journalMatches };
}

function formatEntries(entries: ReadonlyArray<ManifestEntry>): string {
  return entries.map((m) => `${m.path}\t${m.size}\t${m.crc32}\n`).join("");
}

/** Manifest lines `path TAB size TAB crc32`. A journal's last line may be cut short by a crash: lines not ended by a newline are ignored. */
function parseEntries(text: string, source: string): ManifestEntry[] {
  const lines = text.split("\n");
  lines.pop(); // whatever follows the last newline: empty, or a line a crash cut short
  const entries: ManifestEntry[] = [];
  lines.forEach((line, i) => {
    if (line === "" || line.startsWith("#")) return;
    const m = /^([^\t]+)\t(\d+)\t(\d+)$/.exec(line);
    if (!m) throw new Error(`${source}:${i + 1}: not a manifest line: ${JSON.stringify(line)}`);
    entries.push({ path: m[1], size: Number(m[2]), crc32: Number(m[3]) });
  });
  return entries;
}

function sizeOf(path: string): number | null {
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
}
