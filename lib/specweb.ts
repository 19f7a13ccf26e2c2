// The SPECweb99 static file-set layout (§3.2): 36 files per directory in four classes of nine sizes each.

/** Bytes of file `index` (0..8) of class `cls` (0..3): ⌊102.4·i⌋, 1 KiB·i, 10 KiB·i, 100 KiB·i for i = index+1. */
export function fileSize(cls: number, index: number): number {
  if (!Number.isInteger(cls) || cls < 0 || cls > 3) throw new RangeError(`class must be 0..3, got ${cls}`);
  if (!Number.isInteger(index) || index < 0 || index > 8) throw new RangeError(`file index must be 0..8, got ${index}`);
  const i = index + 1;
  return cls === 0 ? Math.floor(102.4 * i) : 1024 * 10 ** (cls - 1) * i;
}

/** Directory name of directory number `d`: dir00000, dir00001, … */
export function dirName(d: number): string {
  return `dir${String(d).padStart(5, "0")}`;
}

/** Path of a file relative to the document root, e.g. dir00042/class2_5 (no leading slash). */
export function filePath(dir: number, cls: number, index: number): string {
  return `${dirName(dir)}/class${cls}_${index}`;
}

/** Bytes of the file a path or URI ending in classC_F names (e.g. /dir00042/class2_5), or null for any other path. */
export function pathSize(path: string): number | null {
  const m = /class([0-3])_([0-8])$/.exec(path);
  return m ? fileSize(Number(m[1]), Number(m[2])) : null;
}

/** The 36 (class, index, size) triples of one directory, in class-major order. */
export const SIZE_TABLE: ReadonlyArray<{ cls: number; index: number; size: number }> = [0, 1, 2, 3].flatMap((cls) =>
  [0, 1, 2, 3, 4, 5, 6, 7, 8].map((index) => ({ cls, index, size: fileSize(cls, index) })),
);

/** SPECweb99 static access mix: probability of each class (0..3), i.e. 35/50/14/1 %. */
export const CLASS_MIX: ReadonlyArray<number> = [0.35, 0.5, 0.14, 0.01];

/**
 * SPECweb99 probability of file index 0..8 within a class, in percent as the benchmark states them. They sum to
 * 99.9 %; samplers normalise, so each index gets its stated share of the 99.9.
 */
export const FILE_MIX: ReadonlyArray<number> = [3.9, 5.9, 8.8, 17.7, 35.3, 11.8, 7.1, 5.0, 4.4];

/** Expected reply body size (bytes) of one request when classes and files are drawn with these (relative) weights. */
export function meanRequestBytes(classMix: ReadonlyArray<number> = CLASS_MIX, fileMix: ReadonlyArray<number> = FILE_MIX): number {
  const classTotal = classMix.reduce((a, b) => a + b, 0);
  const fileTotal = fileMix.reduce((a, b) => a + b, 0);
  return SIZE_TABLE.reduce((sum, { cls, index, size }) => sum + (classMix[cls] / classTotal) * (fileMix[index] / fileTotal) * size, 0);
}
