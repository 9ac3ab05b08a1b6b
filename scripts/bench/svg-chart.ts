/**
 * A small SVG line chart: numeric x and y axes (each linear or log), one polyline with
 * markers per series, dashed series for reference lines, a legend. Enough for the
 * benchmark's charts without a plotting dependency.
 */

export interface Series {
  name: string;
  points: [number, number][];
  dashed?: boolean;
  /** A CSS colour; by default the series' place in a fixed palette. */
  color?: string;
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  logX?: boolean;
  logY?: boolean;
  /** Forces the y axis to start at 0 (linear axes only). */
  yFromZero?: boolean;
  /** Tick values for the x axis instead of computed ones (e.g. whole thread counts). */
  xTicks?: number[];
}

const WIDTH = 720;
const HEIGHT = 420;
const PAD = { left: 70, right: 190, top: 40, bottom: 55 };
const COLORS = ['#d62728', '#1f77b4', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#17becf', '#bcbd22'];

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** Round numbers for axis ticks: 1, 2, 5 × 10^k covering [min, max] with about `count` ticks. */
export function linearTicks(min: number, max: number, count = 6): number[] {
  if (max <= min) return [min];
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** Powers of ten (and 2×, 5× when the range is narrow) within [min, max]. */
export function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  const narrow = Math.log10(max / min) < 3;
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of narrow ? [1, 2, 5] : [1]) {
      const t = m * 10 ** e;
      if (t >= min * 0.999 && t <= max * 1.001) ticks.push(Number(t.toPrecision(12)));
    }
  }
  return ticks;
}

function formatTick(value: number): string {
  if (value === 0) return '0';
  if (Math.abs(value) >= 1000) return value.toLocaleString('en-US');
  return String(Number(value.toPrecision(3)));
}

interface Axis {
  toPixel: (v: number) => number;
  ticks: number[];
}

function axis(values: number[], log: boolean, fromZero: boolean, from: number, to: number): Axis {
  const positive = values.filter((v) => (log ? v > 0 : Number.isFinite(v)));
  let min = Math.min(...positive);
  let max = Math.max(...positive);
  if (log) {
    min = 10 ** (Math.floor(Math.log10(min) * 2) / 2);
    max = 10 ** (Math.ceil(Math.log10(max) * 2) / 2);
    const span = Math.log10(max) - Math.log10(min) || 1;
    return { toPixel: (v) => from + ((Math.log10(v) - Math.log10(min)) / span) * (to - from), ticks: logTicks(min, max) };
  }
  if (fromZero) min = Math.min(0, min);
  const ticks = linearTicks(min, max === min ? min + 1 : max);
  min = Math.min(min, ticks[0] as number);
  max = Math.max(max, ticks[ticks.length - 1] as number);
  const span = max - min || 1;
  return { toPixel: (v) => from + ((v - min) / span) * (to - from), ticks };
}

export function lineChartSvg(chart: LineChart): string {
  const all = chart.series.flatMap((s) => s.points);
  const x = axis(
    all.map((p) => p[0]),
    chart.logX ?? false,
    false,
    PAD.left,
    WIDTH - PAD.right,
  );
  if (chart.xTicks) x.ticks = chart.xTicks;
  const y = axis(
    all.map((p) => p[1]),
    chart.logY ?? false,
    chart.yFromZero ?? false,
    HEIGHT - PAD.bottom,
    PAD.top,
  );
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2 - PAD.right / 2 + PAD.left / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(chart.title)}</text>`,
  ];
  const [x0, x1, y0, y1] = [PAD.left, WIDTH - PAD.right, HEIGHT - PAD.bottom, PAD.top];
  for (const t of x.ticks) {
    const px = x.toPixel(t).toFixed(1);
    out.push(`<line x1="${px}" y1="${y0}" x2="${px}" y2="${y1}" stroke="#eee"/>`);
    out.push(`<text x="${px}" y="${y0 + 16}" text-anchor="middle">${formatTick(t)}</text>`);
  }
  for (const t of y.ticks) {
    const py = y.toPixel(t).toFixed(1);
    out.push(`<line x1="${x0}" y1="${py}" x2="${x1}" y2="${py}" stroke="#eee"/>`);
    out.push(`<text x="${x0 - 6}" y="${Number(py) + 4}" text-anchor="end">${formatTick(t)}</text>`);
  }
  out.push(`<rect x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${(x0 + x1) / 2}" y="${HEIGHT - 14}" text-anchor="middle">${escapeXml(chart.xLabel)}</text>`);
  out.push(
    `<text x="16" y="${(y0 + y1) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(y0 + y1) / 2})">${escapeXml(chart.yLabel)}</text>`,
  );
  chart.series.forEach((s, i) => {
    const color = s.color ?? (COLORS[i % COLORS.length] as string);
    const points = s.points.filter(([px, py]) => (!chart.logX || px > 0) && (!chart.logY || py > 0));
    const coords = points.map(([px, py]) => `${x.toPixel(px).toFixed(1)},${y.toPixel(py).toFixed(1)}`);
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    if (coords.length > 1) out.push(`<polyline points="${coords.join(' ')}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
    if (!s.dashed) for (const c of coords) out.push(`<circle cx="${c.split(',')[0]}" cy="${c.split(',')[1]}" r="3.5" fill="${color}"/>`);
    const ly = PAD.top + 10 + i * 20;
    out.push(`<line x1="${x1 + 12}" y1="${ly}" x2="${x1 + 36}" y2="${ly}" stroke="${color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${x1 + 42}" y="${ly + 4}">${escapeXml(s.name)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
