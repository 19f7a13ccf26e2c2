// Tests the Markdown-to-HTML converter on each construct the reports use, on escaping, and on the real claims report.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { claimsMarkdown } from "../lib/claims.ts";
import { escapeHtml, inlineHtml, markdownToHtml, slug } from "../lib/markdown.ts";
import { table1Markdown } from "../lib/table1.ts";
import { fixture } from "./helpers.ts";

test("escaping: every character that could open markup or end an attribute", () => {
  assert.is(escapeHtml(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
});

test("inline: strong, emphasis, code taken literally, underscores and lone asterisks left alone", () => {
  assert.is(inlineHtml("**reproduced** and *ours / paper*"), "<strong>reproduced</strong> and <em>ours / paper</em>");
  assert.is(inlineHtml("`notebooks/lib/*.ts` <b>"), "<code>notebooks/lib/*.ts</code> &lt;b&gt;");
  assert.is(inlineHtml("reply_rate and ctx_switches_per_s_user"), "reply_rate and ctx_switches_per_s_user");
  assert.is(inlineHtml("2 * 3 * 4"), "2 * 3 * 4");
  assert.is(inlineHtml("`<script>`"), "<code>&lt;script&gt;</code>");
});

test("headings shift and get unique ids; paragraphs join their lines; lists; text escaped", () => {
  const html = markdownToHtml("# Title <x>\n\nline one\nline *two*\n\n## Part\n\n- a **b**\n- c & d\n\n## Part\n", 1);
  assert.is(html, [
    '<h2 id="title-x">Title &lt;x&gt;</h2>',
    "<p>line one\nline <em>two</em></p>",
    '<h3 id="part">Part</h3>',
    "<ul>\n<li>a <strong>b</strong></li>\n<li>c &amp; d</li>\n</ul>",
    '<h3 id="part-2">Part</h3>',
  ].join("\n"));
  assert.is(slug("C9 — partly reproduced"), "c9-partly-reproduced");
  assert.is(slug("Fidelity: the testbed beside the paper's operating points"), "fidelity-the-testbed-beside-the-paper-s-operating-points");
});

test("pipe tables: header, right-aligned columns, escaped pipes, inline markup in cells", () => {
  const html = markdownToHtml("| id | n | text |\n|---|---:|---|\n| C1 | 3 | a \\| b |\n| C2 | 1,000 | **undecided** |\nafter");
  assert.is(html, [
    '<div class="table"><table>',
    '<thead><tr><th>id</th><th class="num">n</th><th>text</th></tr></thead>',
    "<tbody>",
    '<tr><td>C1</td><td class="num">3</td><td>a | b</td></tr>',
    '<tr><td>C2</td><td class="num">1,000</td><td><strong>undecided</strong></td></tr>',
    "</tbody>",
    "</table></div>",
    "<p>after</p>",
  ].join("\n"));
  // a line that merely starts with a pipe, without the rule below it, is text
  assert.is(markdownToHtml("| not a table"), "<p>| not a table</p>");
});

test("the claims report and Table 1 convert whole: every table row, every claim, nothing left as Markdown", () => {
  for (const md of [claimsMarkdown(fixture()), table1Markdown(fixture())]) {
    const html = markdownToHtml(md, 1);
    const tableRows = md.split("\n").filter((l) => l.startsWith("|") && !/^\|(-|:)/.test(l)).length;
    assert.is(html.match(/<tr>/g)!.length, tableRows);
    assert.not.match(html, /\*\*|^#|^\| /m);
  }
  const claims = markdownToHtml(claimsMarkdown(fixture()), 1);
  for (let c = 1; c <= 18; c++) assert.match(claims, new RegExp(`<tr><td>C${c}</td>`));
  assert.match(claims, /<h4 id="c9-partly-reproduced">C9 — partly reproduced<\/h4>/);
  assert.match(claims, /<li>userver-shared-nb-30K-10p vs knot-b-20K-100w at 15K: ours .*→ <strong>/);
});

test.run();
