// Parses the paper's configuration labels (e.g. knot-c-20K-100w-1000MB, userver-nb-30K-4p) into their parts.

export interface Label {
  label: string;
  /** The server and its variant, e.g. "knot-c", "userver-shared-nb", "watpipe", "nginx". */
  server: string;
  /** Maximum simultaneous connections (Knot: threads). */
  maxConns?: number;
  /** Knot's workers (w), or processes / writer threads (p). */
  workers?: number;
  cacheMb?: number;
}

const LABEL = /^(.+?)-(\d+(?:\.\d+)?)K-(\d+)[wp](?:-(\d+)MB)?$/;

export function parseLabel(label: string): Label {
  const m = LABEL.exec(label);
  if (!m) return { label, server: label.replace(/-\d.*$/, "") };
  return {
    label,
    server: m[1],
    maxConns: Number(m[2]) * 1000,
    workers: Number(m[3]),
    cacheMb: m[4] === undefined ? undefined : Number(m[4]),
  };
}

/**
 * The architecture a label belongs to, as the style module colours it: its server and variant, except that
 * userver-nb with one process is the SPED baseline of Figure 7 (§7).
 */
export function architectureOf(label: string): string {
  const l = parseLabel(label);
  return l.server === "userver-nb" && l.workers === 1 ? "userver-sped" : l.server;
}
