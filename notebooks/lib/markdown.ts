// Turns the Markdown the notebooks write (claims.md, table-1.md) into HTML for the report: only the subset they use.
//
// Headings, paragraphs, "- " lists, pipe tables (with `---:` for right-aligned columns and `\|` inside a cell),
// **strong**, *emphasis* and `code`. Every piece of text is escaped; nothing the Markdown holds becomes markup
// except those constructs. Underscores are left alone: metric names such as reply_rate are full of them.

/** Text made safe for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** A heading's id: its words, lower case, joined by hyphens. */
export function slug(text: string): string {
  return text.toLowerCase().replace(/[`*]/g, "").replace(/[^\p{L}\p{N}]+/gu, "-").replace(/^-|-$/g, "");
}

/** Inline Markdown: code spans are taken literally; elsewhere **strong** and *emphasis*. */
export function inlineHtml(text: string): string {
  return text.split(/(`[^`]*`)/).map((part, i) => {
    if (i % 2) return `<code>${escapeHtml(part.slice(1, -1))}</code>`;
    return escapeHtml(part)
      .replace(/\*\*(\S(?:.*?\S)?)\*\*/g, "<strong>$1</strong>")
      .replace(/\*(\S(?:[^*]*?\S)?)\*/g, "<em>$1</em>");
  }).join("");
}

const TABLE_RULE = /^\|?(\s*:?-{3,}:?\s*\|)+\s*(:?-{3,}:?\s*)?$/;

/** A table row's cells: split on unescaped pipes, `\|` read as a pipe. */
function cells(line: string): string[] {
  return line.trim().replace(/^\|/, "").replace(/(?<!\\)\|$/, "").split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, "|"));
}

function table(lines: string[]): string {
  const right = cells(lines[1]).map((c) => c.endsWith(":"));
  const row = (line: string, tag: "th" | "td") =>
    `<tr>${cells(line).map((c, i) => `<${tag}${right[i] ? ' class="num"' : ""}>${inlineHtml(c)}</${tag}>`).join("")}</tr>`;
  return `<div class="table"><table>\n<thead>${row(lines[0], "th")}</thead>\n<tbody>\n${lines.slice(2).map((l) => row(l, "td")).join("\n")}\n</tbody>\n</table></div>`;
}

/**
 * HTML of a Markdown document. `headingShift` moves every heading down (1: `#` becomes <h2>) so that a document can
 * be a section of a page; headings get ids from their text (`slug`), made unique within the document.
 */
export function markdownToHtml(md: string, headingShift = 0): string {
  const ids = new Set<string>();
  const out: string[] = [];
  const blocks = md.replace(/\r\n?/g, "\n").split(/\n\s*\n/).map((b) => b.split("\n").filter((l) => l.trim()));
  for (let lines of blocks) {
    while (lines.length) {
      const heading = /^(#{1,6})\s+(.*)$/.exec(lines[0]);
      if (heading) {
        const level = Math.min(6, heading[1].length + headingShift);
        let id = slug(heading[2]);
        for (let i = 2; ids.has(id); i++) id = `${slug(heading[2])}-${i}`;
        ids.add(id);
        out.push(`<h${level} id="${escapeHtml(id)}">${inlineHtml(heading[2])}</h${level}>`);
        lines = lines.slice(1);
      } else if (lines[0].trimStart().startsWith("|") && lines.length > 1 && TABLE_RULE.test(lines[1].trim())) {
        const end = lines.findIndex((l, i) => i > 1 && !l.trimStart().startsWith("|"));
        out.push(table(end < 0 ? lines : lines.slice(0, end)));
        lines = end < 0 ? [] : lines.slice(end);
      } else if (/^\s*- /.test(lines[0])) {
        // an item runs on over the lines that do not start a new one
        const items: string[] = [];
        for (const l of lines) {
          if (/^\s*- /.test(l)) items.push(l.replace(/^\s*- /, ""));
          else items[items.length - 1] += ` ${l.trim()}`;
        }
        out.push(`<ul>\n${items.map((i) => `<li>${inlineHtml(i)}</li>`).join("\n")}\n</ul>`);
        lines = [];
      } else {
        // a paragraph runs until a heading, table or list starts
        const end = lines.findIndex((l, i) => i > 0 && (/^#{1,6}\s/.test(l) || /^\s*- /.test(l) || (l.trimStart().startsWith("|") && TABLE_RULE.test((lines[i + 1] ?? "").trim()))));
        const text = end < 0 ? lines : lines.slice(0, end);
        out.push(`<p>${text.map((l) => inlineHtml(l.trim())).join("\n")}</p>`);
        lines = end < 0 ? [] : lines.slice(end);
      }
    }
  }
  return out.join("\n");
}
