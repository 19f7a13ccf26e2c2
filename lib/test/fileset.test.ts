// Tests the file set: sizes, manifest and CRCs, regenerable contents, resuming after damage or a crash, bad input.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { MANIFEST_NAME, buildFileSet, fileContent, fileSetBytes, readManifest, verifyFileSet } from "../fileset.ts";
import { SIZE_TABLE, fileSize, filePath, pathSize } from "../specweb.ts";

const tmp = mkdtempSync(join(tmpdir(), "wl-fileset-"));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test("SPECweb99 sizes: ⌊102.4·i⌋, 1 KiB·i, 10 KiB·i, 100 KiB·i; 680 directories hold the paper's 3.2 GB (3.24 GiB)", () => {
  assert.equal([0, 1, 2, 3].map((c) => [fileSize(c, 0), fileSize(c, 8)]), [[102, 921], [1024, 9216], [10240, 92160], [102400, 921600]]);
  assert.is(fileSize(0, 4), 512);
  assert.is(SIZE_TABLE.length, 36);
  assert.is(fileSetBytes(1), 4604 + 46080 + 460800 + 4608000);
  assert.is(fileSetBytes(680), 3_481_249_120);
  assert.throws(() => fileSize(4, 0), /class must be 0\.\.3/);
  assert.throws(() => fileSize(0, 9), /file index must be 0\.\.8/);
});

test("a path or URI names its file's size; anything else has none", () => {
  assert.is(pathSize(filePath(42, 2, 5)), fileSize(2, 5));
  assert.is(pathSize("/dir00000/class3_8"), 921_600);
  assert.is(pathSize("/dir00000/class4_0"), null);
  assert.is(pathSize("/stall"), null);
});

test("builds files of the right sizes, a manifest whose CRCs match the bytes, and regenerable contents", () => {
  const root = join(tmp, "basic");
  const progress: number[] = [];
  const manifest = buildFileSet({ root, dirs: 2, seed: 5, onProgress: (done, total, bytes, bytesTotal) => {
    progress.push(done);
    assert.is(total, 72);
    assert.is(bytesTotal, fileSetBytes(2));
    if (done === total) assert.is(bytes, bytesTotal);
  } });
  assert.equal(progress, Array.from({ length: 72 }, (_, i) => i + 1));
  assert.equal(readManifest(root), manifest);
  assert.is(manifest.length, 72);
  for (const { path, size, crc32: crc } of manifest) {
    const body = readFileSync(join(root, path));
    assert.is(body.length, size);
    assert.is(crc32(body), crc);
    assert.ok(fileContent(5, path, size).equals(body));
  }
  assert.equal(verifyFileSet(root, { contents: true }), []);
  // Contents depend on seed and path: another seed or another directory gives other bytes.
  const p = filePath(1, 2, 3);
  assert.not.ok(fileContent(6, p, 100).equals(fileContent(5, p, 100)));
  assert.not.ok(fileContent(5, filePath(0, 2, 3), 100).equals(fileContent(5, p, 100)));
  // Known answer: changing the content algorithm must come with a new CONTENT_VERSION in fileset.ts.
  assert.is(crc32(fileContent(1, filePath(0, 0, 0), 102)), 2381334521);
});

test("resumes: rewrites missing and short files, keeps complete ones untouched, and verify finds same-size damage", () => {
  const root = join(tmp, "resume");
  buildFileSet({ root, dirs: 2 });
  const untouched = join(root, filePath(1, 3, 8));
  const mtime = statSync(untouched).mtimeMs;
  unlinkSync(join(root, filePath(0, 1, 1)));
  truncateSync(join(root, filePath(1, 2, 2)), 7);
  const damaged = join(root, filePath(0, 3, 0));
  const bytes = readFileSync(damaged);
  bytes[1000] ^= 0xff;
  writeFileSync(damaged, bytes);
  assert.equal(verifyFileSet(root).length, 2, "size check sees the missing and the short file");

  const manifest = buildFileSet({ root, dirs: 2 });
  assert.is(statSync(untouched).mtimeMs, mtime);
  assert.is(readFileSync(join(root, filePath(0, 1, 1))).length, fileSize(1, 1));
  assert.is(readFileSync(join(root, filePath(1, 2, 2))).length, fileSize(2, 2));
  // A recorded file of the right size is taken as complete (that is what makes resuming cheap); only the
  // contents check catches same-size damage.
  assert.equal(verifyFileSet(root), []);
  assert.equal(verifyFileSet(root, { contents: true }), [`${filePath(0, 3, 0)}: CRC-32 differs from the manifest`]);
  assert.is(manifest.find((e) => e.path === filePath(0, 3, 0))!.crc32, crc32(fileContent(1, filePath(0, 3, 0), fileSize(3, 0))));
});

test("an interrupted run leaves a journal; the next run finishes with the same manifest as an uninterrupted one", () => {
  const root = join(tmp, "crash");
  assert.throws(() => buildFileSet({ root, dirs: 3, onProgress: (done) => {
    if (done === 50) throw new Error("simulated crash");
  } }), /simulated crash/);
  assert.not.ok(existsSync(join(root, MANIFEST_NAME)));
  const journal = join(root, MANIFEST_NAME + ".part");
  assert.is(readFileSync(journal, "utf8").trim().split("\n").length, 1 + 36, "header and the first directory");
  appendFileSync(journal, `${filePath(1, 0, 0)}\t102\t12`); // a line cut short by the crash: ignored
  const resumed = buildFileSet({ root, dirs: 3 });
  assert.not.ok(existsSync(journal));
  const clean = buildFileSet({ root: join(tmp, "clean"), dirs: 3 });
  assert.equal(resumed, clean);
  assert.equal(verifyFileSet(root, { contents: true }), []);
});

test("grows from fewer directories, and rewrites everything when the seed changes, even across a crash", () => {
  const root = join(tmp, "grow");
  buildFileSet({ root, dirs: 1, seed: 3 });
  assert.is(buildFileSet({ root, dirs: 2, seed: 3 }).length, 72);
  assert.equal(verifyFileSet(root, { contents: true }), []);
  assert.throws(() => buildFileSet({ root, dirs: 2, seed: 4, onProgress: (done) => {
    if (done === 40) throw new Error("simulated crash");
  } }), /simulated crash/);
  buildFileSet({ root, dirs: 2, seed: 4 });
  assert.ok(readFileSync(join(root, MANIFEST_NAME), "utf8").startsWith("# seed=4 "));
  for (const { path, size } of readManifest(root)) assert.ok(readFileSync(join(root, path)).equals(fileContent(4, path, size)), path);
});

test("malformed parameters and manifests are refused", () => {
  assert.throws(() => buildFileSet({ root: join(tmp, "bad"), dirs: 0 }), /dirs must be an integer/);
  assert.throws(() => buildFileSet({ root: join(tmp, "bad"), dirs: 2.5 }), /dirs must be an integer/);
  assert.throws(() => buildFileSet({ root: join(tmp, "bad"), dirs: 1, seed: -3 }), /seed must be/);
  const root = join(tmp, "badmanifest");
  buildFileSet({ root, dirs: 1 });
  appendFileSync(join(root, MANIFEST_NAME), "dir00000/class0_0 102\n");
  assert.throws(() => readManifest(root), /MANIFEST\.tsv:38: not a manifest line/);
});

test.run();
