// Generates the SPECweb99-like file set: deterministic contents from a seed, a manifest of sizes and CRC-32s.
import { createCipheriv, createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { mkdirSync, existsSync, statSync, writeFileSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { SIZE_TABLE, filePath } from "./specweb.ts";

export interface FileSetOptions {
  root: string;          // document root to fill
  dirs: number;          // number of directories (680 for the paper's 3.2 GiB set)
  seed?: number;         // contents depend only on (seed, path)
  onProgress?: (done: number, total: number) => void;
}

export interface ManifestEntry { path: string; size: number; crc32: number }

export const MANIFEST_NAME = "MANIFEST.tsv";

/** The bytes of one file: AES-128-CTR keystream keyed by SHA-256(seed:path), so any byte can be regenerated and checked. */
export function fileContent(seed: number, path: string, size: number): Buffer {
  const key = createHash("sha256").update(`${seed}:${path}`).digest().subarray(0, 16);
  const cipher = createCipheriv("aes-128-ctr", key, Buffer.alloc(16));
  return cipher.update(Buffer.alloc(size));
}

/** Writes the file set (skipping files already complete, so generation resumes) and its manifest. */
export function buildFileSet(opts: FileSetOptions): ManifestEntry[] {
  const seed = opts.seed ?? 1;
  const total = opts.dirs * SIZE_TABLE.length;
  const manifest: ManifestEntry[] = [];
  let done = 0;
  for (let d = 0; d < opts.dirs; d++) {
    mkdirSync(join(opts.root, filePath(d, 0, 0), ".."), { recursive: true });
    for (const { cls, index, size } of SIZE_TABLE) {
      const path = filePath(d, cls, index);
      const full = join(opts.root, path);
      const body = fileContent(seed, path, size);
      if (!existsSync(full) || statSync(full).size !== size) {
        writeFileSync(full + ".part", body);
        renameSync(full + ".part", full); // a crash never leaves a short file under the final name
      }
      manifest.push({ path, size, crc32: crc32(body) });
      opts.onProgress?.(++done, total);
    }
  }
  const text = manifest.map((m) => `${m.path}\t${m.size}\t${m.crc32}`).join("\n") + "\n";
  writeFileSync(join(opts.root, MANIFEST_NAME), `# seed=${seed} dirs=${opts.dirs}\n` + text);
  return manifest;
}

/** Reads a manifest written by buildFileSet. */
export function readManifest(root: string): ManifestEntry[] {
  return readFileSync(join(root, MANIFEST_NAME), "utf8")
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const [path, size, crc] = l.split("\t");
      return { path, size: Number(size), crc32: Number(crc) };
    });
}
