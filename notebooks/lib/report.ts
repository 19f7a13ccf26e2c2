// The report a reviewer opens in a browser: one offline HTML page with the run's provenance, Figures 1–8, Table 1, the
// claims and the fidelity section, written as index.html beside the figures.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { claimsMarkdown } from "./claims.js";
import { FIDELITY_HEADING } from "./fidelity.js";
import { captionLines } from "./figures.js";
import { escapeHtml, markdownToHtml, slug } from "./markdown.js";
import { FIGURE_TITLES } from "./paper.js";
import type { Results } from "./results.js";
import { table1Markdown } from "./table1.js";

/** A figure as the report finds it in the output folder: its SVG, and whether an earlier run drew it. */
export interface ReportFigure {
  n: number;
  svg?: string;
  /** the file predates this run of the notebooks (its notebook failed or was not run) */
  stale?: boolean;
}

// Small and plain: the page must read offline, so no external stylesheet or font.
const STYLE = `
body { font: 15px/1.45 "DejaVu Sans", system-ui, sans-serif; color: #1a1a1a; max-width: 1280px; margin: 0 auto; padding: 0 24px 48px; }
h1 { font-size: 1.6em; margin: 1em 0 0.4em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; } h3 { margin-top: 1.6em; }
.provenance { background: #f4f4f4; border-left: 4px solid #888; padding: 8px 14px; font-size: 0.9em; }
.provenance p { margin: 0.3em 0; }
nav a { margin-right: 1.2em; }
figure { margin: 1.5em 0; } figure svg { max-width: 100%; height: auto; display: block; }
.warning { background: #fff4e5; border-left: 4px solid #e08a00; padding: 6px 12px; }
.table { overflow-x: auto; margin: 0.8em 0; }
table { border-collapse: collapse; font-size: 0.82em; }
th, td { border: 1px solid #d0d0d0; padding: 3px 7px; vertical-align: top; text-align: left; }
th { background: #eef0f3; } td.num, th.num { text-align: right; white-space: nowrap; }
tbody tr:nth-child(even) { background: #fafafa; }
code { background: #f0f0f0; padding: 0 3px; border-radius: 3px; }
`;

/** A Markdown report as a section of the page: the provenance the page states once at its top is left out. */
function markdownSection(id: string, md: string, results: Results): string {
  const provenance = captionLines(results.run, Infinity).map((l) => `${l}\n\n`).join("");
  return `<section id="${id}">\n${markdownToHtml(md.replace(provenance, ""), 1)}\n</section>`;
}

/** An SVG the page can hold inline: one <svg> element and nothing around it. */
const isSvg = (text: string) => /^<svg[\s>][\s\S]*<\/svg>$/.test(text.trim()) && !/<script/i.test(text);

function figureHtml(f: ReportFigure): string {
  // the drawing carries its own title; the attribute names it for readers that do not see it
  const title = escapeHtml(`Figure ${f.n}: ${FIGURE_TITLES[f.n]}`);
  const body = f.svg === undefined ? `<p class="warning">${title} was not drawn: its notebook failed or did not run.</p>`
    : !isSvg(f.svg) ? `<p class="warning">${title}: figure-${f.n}.svg is not an SVG drawing; it is not shown.</p>`
      : `${f.stale ? `<p class="warning">figure-${f.n}.svg predates this run of the notebooks (its notebook failed or did not run): it may show another run.</p>\n` : ""}${f.svg.trim()}`;
  return `<figure id="figure-${f.n}" aria-label="${title}">\n${body}\n</figure>`;
}

/** The whole page: title, provenance, contents, Figures 1–8, Table 1, the claims report with its fidelity section. */
export function reportHtml(results: Results, figures: ReportFigure[]): string {
  const runId = results.run.run_id ?? "unnamed run";
  const provenance = captionLines(results.run, Infinity).map((l) => `<p>${escapeHtml(l)}</p>`).join("\n");
  const contents = [["figures", "Figures 1–8"], ["table-1", "Table 1"], ["claims", "Claims"], [slug(FIDELITY_HEADING), "Fidelity"]]
    .map(([id, text]) => `<a href="#${id}">${escapeHtml(text)}</a>`).join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`Web server architectures, replicated: ${runId}`)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>Comparing the Performance of Web Server Architectures (EuroSys 2007), replicated</h1>
<div class="provenance">
${provenance}
</div>
<nav>
${contents}
</nav>
</header>
<section id="figures">
<h2>Figures 1–8</h2>
${Object.keys(FIGURE_TITLES).map(Number).map((n) => figureHtml(figures.find((f) => f.n === n) ?? { n })).join("\n")}
</section>
${markdownSection("table-1", table1Markdown(results), results)}
${markdownSection("claims", claimsMarkdown(results), results)}
</body>
</html>
`;
}

/** Reads figure-N.svg from the output folder (files older than `since`, ms since the epoch, are marked stale), writes
 *  index.html there and returns its path. */
export function writeReport(results: Results, outDir: string, since: number): string {
  const figures = Object.keys(FIGURE_TITLES).map(Number).map((n): ReportFigure => {
    const path = join(outDir, `figure-${n}.svg`);
    return existsSync(path) ? { n, svg: readFileSync(path, "utf8"), stale: statSync(path).mtimeMs < since } : { n };
  });
  const path = join(outDir, "index.html");
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path, reportHtml(results, figures));
  return path;
}
