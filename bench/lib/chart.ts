// The benchmark's medians as an SVG bar chart: one row of bars per measure, one bar per tool, each
// measure scaled to its own largest value (the numbers are printed beside the bars).
const CHARTED: [string, string][] = [
  ['initialization rows/s', 'initialization, rows/s (higher is better)'],
  ['catch-up rows/s', 'catch-up, rows/s (higher is better)'],
  ['2k tx/s p99 ms', 'p99 latency at 2,000 tx/s, ms (lower is better)'],
  ['10k rows/s p99 ms', 'p99 latency at 10,000 rows/s, ms (lower is better)'],
  ['catch-up CPU s', 'CPU seconds for the catch-up (lower is better)'],
  ['streaming peak RSS MiB', 'peak RSS while streaming, MiB (lower is better)'],
];
const COLORS = ['#2b6cb0', '#dd6b20', '#38a169'];

export function drawChart(medians: Record<string, Record<string, number>>, tools: string[]): string {
  const width = 720;
  const barHeight = 18;
  const groupHeight = 30 + tools.length * (barHeight + 4);
  const left = 110;
  const maxBar = width - left - 90;
  const parts: string[] = [];
  // What a run with fewer scenarios did not measure is left out.
  const charted = CHARTED.filter(([key]) => tools.some((t) => medians[t]?.[key] !== undefined));
  charted.forEach(([key, title], g) => {
    const top = 40 + g * groupHeight;
    const values = tools.map((t) => medians[t]?.[key] ?? 0);
    const max = Math.max(...values, 1e-9);
    parts.push(`<text x="10" y="${top}" font-weight="bold">${title}</text>`);
    values.forEach((v, i) => {
      const y = top + 8 + i * (barHeight + 4);
      const w = Math.max(1, (v / max) * maxBar);
      parts.push(`<text x="10" y="${y + 13}">${tools[i]}</text>`);
      parts.push(
        `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" fill="${COLORS[i % COLORS.length]}"/>`,
      );
      parts.push(`<text x="${left + w + 6}" y="${y + 13}">${v.toLocaleString('en-US')}</text>`);
    });
  });
  const height = 40 + charted.length * groupHeight;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="20" font-size="14" font-weight="bold">bench/streaming.ts: medians, ${tools.join(' vs ')}</text>
${parts.join('\n')}
</svg>
`;
}
