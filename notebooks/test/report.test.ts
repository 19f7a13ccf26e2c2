// Tests the HTML report as a reviewer sees it: built from the fixture with its real figures, checked as HTML, and
// where chromium is installed rendered headless and read back from the DOM.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { figure } from "../lib/figures.ts";
import { TABLE1_CONFIGS } from "../lib/paper.ts";
import { renderSvg } from "../lib/render.ts";
import { reportHtml, writeReport } from "../lib/report.ts";
import { fixture } from "./helpers.ts";

const base = fixture();
const svgs = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((n) => renderSvg(figure(base, n).spec)));

/** An output folder as the notebooks leave it (figure-N.svg for every figure), with its index.html written. */
function outputFolder(): { dir: string; html: string } {
  const dir = mkdtempSync(join(tmpdir(), "report-"));
  const since = Date.now() - 1000;
  svgs.forEach((svg, i) => writeFileSync(join(dir, `figure-${i + 1}.svg`), svg));
  return { dir, html: readFileSync(writeReport(base, dir, since), "utf8") };
}

const withoutSvgs = (html: string) => html.replace(/<svg[\s\S]*?<\/svg>/g, "");

test("the page: provenance once, eight inline figures, Table 1, the claims and the fidelity section", () => {
  const { dir, html } = outputFolder();
  try {
    assert.match(html, /^<!doctype html>\n<html lang="en">/);
    const text = withoutSvgs(html); // each figure's own caption states the run too
    assert.is(text.match(/Ours: FIXTURE-hand-made/g)!.length, 1, "the provenance is stated once, at the top");
    assert.match(text, /<div class="provenance">\n<p>Ours: FIXTURE-hand-made \(profile fixture, status complete, commit 0000000000\), k = 0\.1/);
    assert.match(text, /<p>Calibration: [^<]*target_reply_rate=10122[^<]*<\/p>\n<p>Testbed: [^<]*<\/p>\n<p>Machine: not recorded\.<\/p>/);
    for (let n = 1; n <= 8; n++) assert.match(html, new RegExp(`<figure id="figure-${n}" aria-label="Figure ${n}: [^"]+">\\n<svg [\\s\\S]*?</svg>\\n</figure>`));
    assert.not.match(html, /class="warning"/);
    const table1 = /<section id="table-1">[\s\S]*?<\/section>/.exec(html)![0];
    assert.match(table1, new RegExp(`<thead><tr><th>metric</th>${TABLE1_CONFIGS.map((c) => `<th class="num">${c.label}</th>`).join("")}</tr></thead>`));
    assert.match(table1, /<tr><td>reply_rate \(result\)<\/td><td class="num">8,987 \/ 8,394<\/td>/);
    const claims = /<section id="claims">[\s\S]*?<\/section>/.exec(html)![0];
    assert.match(claims, /<thead><tr><th>id<\/th><th>where<\/th><th>claim<\/th><th>paper<\/th><th>ours<\/th><th>verdict<\/th><\/tr><\/thead>/);
    assert.match(claims, /<tr><td>C10<\/td>.*<td><strong>[a-z ]+[^<]*<\/strong><\/td><\/tr>/);
    assert.match(claims, /<h3 id="fidelity-the-testbed-beside-the-paper-s-operating-points">Fidelity: [^<]*<\/h3>\n<p><em>A description of the testbed, not a score to tune\.<\/em><\/p>/);
    assert.match(claims, /<tr><td>userver-nb-30K-4p<\/td><td>reply_rate \(replies\/s\)<\/td><td class="num">12,000<\/td><td>§7, Table 1<\/td><td><strong>fitted<\/strong><\/td>/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("offline and whole: no script, stylesheet link or remote address; every link points at an id on the page", () => {
  const { dir, html } = outputFolder();
  try {
    assert.not.match(html, /<script|<link|<iframe|@import|url\(/i);
    assert.not.match(html, /(?:src|href)\s*=\s*["']?(?:[a-z]+:)?\/\//i);
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    assert.equal(ids.filter((id, i) => ids.indexOf(id) !== i), [], "ids are unique");
    const refs = [...html.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
    assert.ok(refs.length >= 4, "the contents links");
    for (const ref of refs) assert.ok(ref.startsWith("#") && ids.includes(ref.slice(1)), `${ref} points at nothing on the page`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("text from run.json is escaped wherever the page shows it", () => {
  const hostile = { ...base, run: { ...base.run, run_id: `<script>alert("x")</script> & <b>`, calibration: "<img src=x onerror=alert(1)>" } };
  const html = reportHtml(hostile, []);
  assert.not.match(html, /<script|<b>|<img/);
  assert.match(html, /<p>Calibration: &lt;img src=x onerror=alert\(1\)&gt;\.<\/p>/);
  assert.match(html, /<title>Web server architectures, replicated: &lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt; &amp; &lt;b&gt;<\/title>/);
  assert.match(html, /<p>Ours: &lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt; &amp; &lt;b&gt; \(profile fixture/);
});

test("a figure this run did not draw is marked; a missing or broken one says so instead of showing", () => {
  const { dir } = outputFolder();
  try {
    utimesSync(join(dir, "figure-2.svg"), new Date(2020, 0, 1), new Date(2020, 0, 1));
    rmSync(join(dir, "figure-5.svg"));
    writeFileSync(join(dir, "figure-6.svg"), "<html>not a drawing</html>");
    const html = readFileSync(writeReport(base, dir, Date.now() - 60_000), "utf8");
    assert.match(html, /<figure id="figure-2" [^>]*>\n<p class="warning">figure-2\.svg predates this run of the notebooks[^<]*<\/p>\n<svg /);
    assert.match(html, /<figure id="figure-5" [^>]*>\n<p class="warning">Figure 5: Tuning the µserver – blocking sendfile was not drawn: its notebook failed or did not run\.<\/p>\n<\/figure>/);
    assert.match(html, /<figure id="figure-6" [^>]*>\n<p class="warning">Figure 6: Tuning WatPipe: figure-6\.svg is not an SVG drawing; it is not shown\.<\/p>\n<\/figure>/);
    assert.not.match(html, /not a drawing/);
    assert.is(html.match(/class="warning"/g)!.length, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Reads the rendered page back: a script appended to a copy of it (the report itself has none) writes what the
 *  browser laid out into the DOM, which --dump-dom prints once the page has loaded. */
const PROBE = `<script>
// on load: images have then loaded or failed
addEventListener("load", () => {
  const figures = [...document.querySelectorAll("figure")];
  const drawn = figures.filter((f) => { const g = f.querySelector("svg, img"); const b = g && g.getBoundingClientRect(); return b && b.width > 300 && b.height > 200; });
  const heads = [...document.querySelectorAll("table")].map((t) => [...t.rows[0].cells].map((c) => c.textContent.trim()).join("|"));
  const out = document.createElement("pre");
  out.id = "probe";
  out.textContent = [
    "figures=" + figures.length, "drawn=" + drawn.length, "images=" + document.images.length,
    "broken=" + [...document.images].filter((i) => !i.complete || i.naturalWidth === 0).length,
    "table1=" + heads.filter((h) => h.startsWith("metric|knot-c-20K-100w-1000MB|")).length,
    "claims=" + heads.filter((h) => h === "id|where|claim|paper|ours|verdict").length,
    "fidelity=" + heads.filter((h) => h.includes("|ours − paper|")).length,
    "pageWidth=" + document.documentElement.scrollWidth,
  ].join(" ");
  document.body.append(out);
});
</script>`;

const chromium = (process.env.PATH ?? "").split(delimiter).map((dir) => join(dir, "chromium")).find((path) => existsSync(path));

test("rendered in headless chromium: eight drawn figures, no broken image, Table 1, the claims and fidelity tables", () => {
  if (!chromium) {
    console.log("report.test: chromium is not on PATH (make setup installs it): the rendered check is skipped; the HTML was checked above.");
    return;
  }
  const { dir, html } = outputFolder();
  const profile = mkdtempSync(join(tmpdir(), "chromium-profile-"));
  try {
    const probe = join(dir, "probe.html");
    writeFileSync(probe, html.replace("</body>", `${PROBE}\n</body>`));
    const r = spawnSync(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", `--user-data-dir=${profile}`,
      "--window-size=1280,900", "--virtual-time-budget=5000", "--dump-dom", pathToFileURL(probe).href], { encoding: "utf8", timeout: 180_000 });
    const found = /<pre id="probe">([^<]*)<\/pre>/.exec(r.stdout ?? "");
    assert.ok(found, `chromium printed no probe (status ${r.status}, ${r.error?.message ?? ""}):\n${(r.stderr ?? "").slice(-2000)}`);
    const seen = Object.fromEntries(found![1].split(" ").map((kv) => kv.split("=")).map(([k, v]) => [k, Number(v)]));
    assert.equal({ ...seen, pageWidth: undefined }, { figures: 8, drawn: 8, images: 0, broken: 0, table1: 1, claims: 1, fidelity: 6, pageWidth: undefined });
    assert.ok(seen.pageWidth <= 1280, `the page scrolls sideways (${seen.pageWidth}px): a wide table or figure escapes its box`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  }
});

test.run();
