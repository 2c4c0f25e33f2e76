// chart.mjs -- a dependency-free SVG bar chart of db_bench results: one group of bars per
// workload, one bar per peer, bar length relative to the fastest peer of that workload (the
// workloads differ by 30x in ops/s, so a shared axis would flatten the reads), labelled with
// the median ops/s.

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f',
  '#bcbd22', '#17becf'];

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));

export function fmtOps(v) {
  if (v == null || !Number.isFinite(v)) return '–';
  if (v >= 1e6) return (v / 1e6).toFixed(2) + 'M';
  if (v >= 1e3) return (v / 1e3).toFixed(0) + 'k';
  return v.toFixed(0);
}

// summary: { workloads: [name], peers: [name], median: {workload: {peer: opsPerSec}} }
export function renderSvg(summary, title) {
  const { workloads, peers, median } = summary;
  const barH = 16, gap = 3, groupGap = 18, left = 110, width = 760, plotW = width - left - 90;
  const legendH = 22 * Math.ceil(peers.length / 4);
  const top = 40 + legendH;
  const groupH = peers.length * (barH + gap) + groupGap;
  const height = top + workloads.length * groupH + 20;
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="10" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`);
  peers.forEach((p, i) => {
    const x = 10 + (i % 4) * 185, y = 34 + Math.floor(i / 4) * 22;
    out.push(`<rect x="${x}" y="${y}" width="14" height="14" fill="${COLORS[i % COLORS.length]}"/>`);
    out.push(`<text x="${x + 20}" y="${y + 12}">${esc(p)}</text>`);
  });
  workloads.forEach((w, wi) => {
    const y0 = top + wi * groupH;
    const vals = peers.map((p) => median[w]?.[p] ?? null);
    const best = Math.max(...vals.filter((v) => v != null), 1);
    out.push(`<text x="${left - 8}" y="${y0 + (peers.length * (barH + gap)) / 2 + 4}" text-anchor="end" font-weight="bold">${esc(w)}</text>`);
    vals.forEach((v, pi) => {
      const y = y0 + pi * (barH + gap);
      if (v == null) {
        out.push(`<text x="${left + 4}" y="${y + barH - 4}" fill="#888">${esc(peers[pi])}: not run</text>`);
        return;
      }
      const len = Math.max(1, (v / best) * plotW);
      out.push(`<rect x="${left}" y="${y}" width="${len.toFixed(1)}" height="${barH}" fill="${COLORS[pi % COLORS.length]}"><title>${esc(peers[pi])} ${esc(w)}: ${Math.round(v)} ops/s</title></rect>`);
      out.push(`<text x="${(left + len + 4).toFixed(1)}" y="${y + barH - 4}">${fmtOps(v)}/s</text>`);
    });
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
