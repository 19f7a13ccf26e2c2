// One colour per architecture, so that every figure agrees; series of one architecture get shades and dashes.
import { architectureOf } from "./labels.js";

/** Knot in warm colours, the µserver in blues/purple, WatPipe green, the nginx peer dark grey. */
export const ARCHITECTURE_COLOURS: Record<string, string> = {
  "knot-c": "#a6611a",
  "knot-nb": "#e08214",
  "knot-b": "#d7301f",
  "userver-shared-nb": "#08519c",
  "userver-nb": "#4292c6",
  "userver-b": "#6a51a3",
  "userver-sped": "#969696",
  watpipe: "#238b45",
  nginx: "#252525",
};
const UNKNOWN_COLOUR = "#e7298a";

const DASHES: number[][] = [[], [6, 3], [2, 2], [8, 3, 2, 3], [1, 3], [12, 4]];

export interface SeriesStyle {
  colour: string;
  dash: number[];
}

function hexToHsl(hex: string): [number, number, number] {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  const max = Math.max(r, g, b), min = Math.min(r, g, b), l = (max + min) / 2, d = max - min;
  if (d === 0) return [0, 0, l];
  const s = d / (1 - Math.abs(2 * l - 1));
  const h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return [(h * 60 + 360) % 360, s, l];
}

function hslToHex(h: number, s: number, l: number): string {
  const c = (1 - Math.abs(2 * l - 1)) * s, x = c * (1 - Math.abs(((h / 60) % 2) - 1)), m = l - c / 2;
  const [r, g, b] = h < 60 ? [c, x, 0] : h < 120 ? [x, c, 0] : h < 180 ? [0, c, x] : h < 240 ? [0, x, c] : h < 300 ? [x, 0, c] : [c, 0, x];
  return "#" + [r, g, b].map((v) => Math.round((v + m) * 255).toString(16).padStart(2, "0")).join("");
}

/**
 * Styles for the series of one figure, in the given order: the architecture's colour when it has one series,
 * otherwise shades of it from dark to light, each with its own dash pattern.
 */
export function seriesStyles(labels: string[]): Map<string, SeriesStyle> {
  const byArch = new Map<string, string[]>();
  for (const l of labels) byArch.set(architectureOf(l), [...(byArch.get(architectureOf(l)) ?? []), l]);
  const styles = new Map<string, SeriesStyle>();
  for (const [arch, members] of byArch) {
    const [h, s, l] = hexToHsl(ARCHITECTURE_COLOURS[arch] ?? UNKNOWN_COLOUR);
    members.forEach((label, i) => {
      const light = members.length === 1 ? l : 0.22 + (0.5 * i) / (members.length - 1);
      styles.set(label, { colour: hslToHex(h, s, light), dash: DASHES[i % DASHES.length] });
    });
  }
  return styles;
}
