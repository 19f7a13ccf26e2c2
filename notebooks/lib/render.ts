// Renders a Vega-Lite spec to SVG headless and writes it (with a PNG made by rsvg-convert) into an output folder.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as vega from "vega";
import * as vegaLite from "vega-lite";
import type { TopLevelSpec } from "vega-lite";

/** SVG of a spec; the "none" renderer needs no canvas (TOOLCHAIN.md). */
export async function renderSvg(spec: Record<string, unknown>): Promise<string> {
  const view = new vega.View(vega.parse(vegaLite.compile(spec as unknown as TopLevelSpec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Writes `name`.svg and `name`.png into `outDir`; returns both paths. */
export function writeFigure(outDir: string, name: string, svg: string): { svg: string; png: string } {
  mkdirSync(outDir, { recursive: true });
  const paths = { svg: join(outDir, `${name}.svg`), png: join(outDir, `${name}.png`) };
  writeFileSync(paths.svg, svg);
  // A white background: the SVG is transparent, and a PNG viewer's default may be black.
  const r = spawnSync("rsvg-convert", ["--background-color=white", "--zoom=1.5", "-o", paths.png, paths.svg], { encoding: "utf8" });
  if (r.error || r.status !== 0) throw new Error(`rsvg-convert ${paths.svg}: ${r.error?.message ?? r.stderr} (install librsvg2-bin: make setup)`);
  return paths;
}
