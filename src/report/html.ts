/**
 * The report page: one self-contained HTML file that opens offline. Plotly (plotly.js-dist-min) is
 * inlined; the figures and the analysis summary are embedded as JSON in
 * `<script type="application/json">`, escaped so no `</script>` or `<!--` in the data can end or
 * confuse the script element. Tables are HTML built with every value escaped.
 */
import { readFileSync } from 'node:fs';
import type { Config } from '../domain';
import type { Analysis, RankedTrial, StageAnalysis } from '../analysis';
import type { MaybeFigure } from './figures';

export interface ReportPlot {
  id: string;
  title: string;
  /** What the plot shows, one or two sentences under its title. */
  caption: string;
  figure: MaybeFigure;
}

export interface ReportPage {
  title: string;
  sourceDir: string;
  generatedAt: string;
  plots: ReportPlot[];
  analysis: Analysis;
  /** The seed-compatible summary, embedded for anyone who wants the numbers. */
  summary: unknown;
  warnings: string[];
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * JSON safe inside a <script> element: `<`, `>`, `&`, U+2028 and U+2029 become \u escapes, which
 * JSON.parse turns back into the same characters.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Third-party script text made safe to inline: `</script` and `<!--` only occur inside its string literals. */
export function inlineScript(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

let plotlyCache: string | null = null;
/** The minified Plotly bundle from node_modules. */
export function plotlySource(): string {
  if (plotlyCache === null) {
    let file: string;
    try {
      file = require.resolve('plotly.js-dist-min/plotly.min.js');
    } catch (err) {
      throw new Error('plotly.js-dist-min is not installed; run `npm ci` in the project root', { cause: err });
    }
    plotlyCache = inlineScript(readFileSync(file, 'utf8'));
  }
  return plotlyCache;
}

function fmt(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e6)) return v.toExponential(2);
  return String(Number(v.toPrecision(digits)));
}
const hours = (s: number | null) => (s === null ? '–' : `${(s / 3600).toFixed(2)} h`);

function configTable(c: Config): string {
  const rows = Object.entries(c)
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(typeof v === 'number' ? fmt(v, 6) : v)}</td></tr>`)
    .join('');
  return `<table class="kv">${rows}</table>`;
}

function rankingTable(rows: RankedTrial[]): string {
  const head = '<tr><th>#</th><th>trial</th><th>final loss</th><th>time</th><th>samples/s</th><th>peak GPU MiB</th><th>OOM halvings</th></tr>';
  const body = rows
    .map((r) => `<tr><td>${r.rank}</td><td>${escapeHtml(r.trialId)}</td><td>${fmt(r.finalLoss)}${r.lossSource === 'training.log' ? ' <span class="muted">(from log)</span>' : ''}</td><td>${hours(r.trainingTimeSeconds)}</td><td>${fmt(r.samplesPerSecond, 3)}</td><td>${r.peakGpuMemoryMiB === null ? '–' : Math.round(r.peakGpuMemoryMiB)}</td><td>${r.oomLevel}</td></tr>`)
    .join('');
  return `<table class="grid">${head}${body}</table>`;
}

function stageSection(s: StageAnalysis): string {
  const c = s.counts;
  const b = s.best;
  const summary = `<table class="grid summary">
<tr><th>trials</th><th>succeeded</th><th>infeasible / OOM</th><th>failed</th><th>too slow</th><th>cancelled</th><th>unknown</th><th>GPU-hours</th></tr>
<tr><td>${c.total}</td><td>${c.succeeded}</td><td>${c.infeasible}</td><td>${c.failed}</td><td>${c.too_slow}</td><td>${c.cancelled}</td><td>${c.unknown}</td><td>${s.gpuHours.toFixed(2)}</td></tr></table>`;
  const best = b
    ? `<div class="best"><div><h4>Best: ${escapeHtml(b.trialId)}</h4>
<table class="kv"><tr><th>final loss</th><td>${fmt(b.finalLoss)}</td></tr><tr><th>training time</th><td>${hours(b.trainingTimeSeconds)}</td></tr>
<tr><th>throughput</th><td>${b.samplesPerSecond === null ? '–' : `${fmt(b.samplesPerSecond, 3)} samples/s`}</td></tr>
<tr><th>peak GPU memory</th><td>${b.peakGpuMemoryMiB === null ? '–' : `${Math.round(b.peakGpuMemoryMiB)} MiB`}</td></tr>
<tr><th>folder</th><td><code>${escapeHtml(b.dir)}</code></td></tr></table></div>
<div><h4>Best config</h4>${configTable(b.config)}</div></div>`
    : '<p class="muted">No succeeded trial with a known loss.</p>';
  const corr = s.correlations
    .filter((x) => x.spearman !== null)
    .map((x) => `<tr><td>${escapeHtml(x.param)}</td><td>${(x.spearman as number).toFixed(3)}</td><td>${x.n}</td></tr>`)
    .join('');
  const failed = s.unsuccessful.length
    ? `<h4>Did not succeed</h4><ul>${s.unsuccessful.map((u) => `<li>${escapeHtml(u.trialId)}: ${escapeHtml(u.status)}${u.failureType ? ` (${escapeHtml(u.failureType)})` : ''}</li>`).join('')}</ul>`
    : '';
  const sugg = s.suggestions.length
    ? `<h4>Next suggestions (${escapeHtml([...new Set(s.suggestions.map((x) => x.source))].join(', '))})</h4><ol class="sugg">${s.suggestions.map((x) => `<li><code>${escapeHtml(Object.entries(x.config).map(([k, v]) => `${k}=${typeof v === 'number' ? fmt(v, 4) : v}`).join('  '))}</code></li>`).join('')}</ol>`
    : '';
  return `<section class="stage" id="stage-${escapeHtml(s.stage)}"><h3>${escapeHtml(s.stage)}</h3>${summary}${best}
<h4>Ranking</h4>${s.ranking.length ? rankingTable(s.ranking.slice(0, 15)) : '<p class="muted">none</p>'}${s.ranking.length > 15 ? `<p class="muted">… ${s.ranking.length - 15} more in results_summary.json</p>` : ''}
${failed}
<h4>Spearman correlation with final loss</h4>${corr ? `<table class="grid corr"><tr><th>parameter</th><th>ρ</th><th>n</th></tr>${corr}</table>` : '<p class="muted">fewer than 3 succeeded trials</p>'}
${s.importance ? '' : `<p class="muted">Importance not estimated: ${escapeHtml(s.importanceNote ?? '')}</p>`}
${sugg}</section>`;
}

const CSS = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;background:#f5f6f8}
header{background:#1d2330;color:#fff;padding:18px 28px}header h1{margin:0 0 4px;font-size:22px}header p{margin:0;color:#b8bfcc;font-size:13px}
main{max-width:1200px;margin:0 auto;padding:18px 24px}
.card{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:14px 18px;margin:0 0 18px}
.card h2{font-size:17px;margin:0 0 4px}.caption{color:#5a6273;font-size:13px;margin:0 0 8px}
.plot{min-height:300px}.empty{color:#8a92a3;font-style:italic;padding:24px 0}
table{border-collapse:collapse;font-size:13px;margin:4px 0 10px}.grid th,.grid td{border:1px solid #e1e4ea;padding:4px 8px;text-align:right}
.grid th{background:#f0f2f5}.grid td:nth-child(2){text-align:left}.corr td:first-child{text-align:left}.corr td:nth-child(2){text-align:right}.kv th{text-align:left;padding:2px 12px 2px 0;font-weight:600}.kv td{padding:2px 0}
.best{display:flex;gap:40px;flex-wrap:wrap}.muted{color:#8a92a3}code{font-size:12px}.sugg li{margin:2px 0;overflow-wrap:anywhere}
.warnings li{font-family:monospace;font-size:12px}
`;

/** Runs in the page: draws every figure, then sets data-rendered on each container and window.__reportReady. */
const CLIENT_JS = `
(function () {
  var payload = JSON.parse(document.getElementById('report-data').textContent);
  var jobs = payload.plots.map(function (p) {
    var el = document.getElementById(p.id);
    if (!el || !p.figure.figure) return Promise.resolve();
    var f = p.figure.figure;
    return Plotly.newPlot(el, f.data, f.layout, { responsive: true, displaylogo: false }).then(function () {
      el.setAttribute('data-rendered', 'true');
    }, function (err) {
      el.setAttribute('data-error', String(err));
      el.textContent = 'Could not draw this plot: ' + err;
    });
  });
  Promise.all(jobs).then(function () { window.__reportReady = true; });
})();
`;

export function renderReportHtml(page: ReportPage): string {
  const plotsHtml = page.plots
    .map((p) => {
      const body = 'figure' in p.figure
        ? `<div class="plot" id="${escapeHtml(p.id)}" data-plot="${escapeHtml(p.id)}"></div>`
        : `<div class="empty" data-empty="${escapeHtml(p.id)}">Nothing to plot: ${escapeHtml(p.figure.reason)}</div>`;
      return `<section class="card"><h2>${escapeHtml(p.title)}</h2><p class="caption">${escapeHtml(p.caption)}</p>${body}</section>`;
    })
    .join('\n');
  const stages = page.analysis.stages.map(stageSection).join('\n');
  const warnings = page.warnings.length
    ? `<section class="card"><h2>Warnings (${page.warnings.length})</h2><ul class="warnings">${page.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul></section>`
    : '';
  const payload = { plots: page.plots.map((p) => ({ id: p.id, figure: p.figure })), summary: page.summary };
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<style>${CSS}</style>
<script>${plotlySource()}</script>
</head><body>
<header><h1>${escapeHtml(page.title)}</h1><p>${escapeHtml(page.sourceDir)} · generated ${escapeHtml(page.generatedAt)} · ${page.analysis.stages.reduce((s, x) => s + x.counts.total, 0)} trials in ${page.analysis.stages.length} stage(s)</p></header>
<main>
${plotsHtml}
<section class="card"><h2>Per-stage summary</h2>${stages || '<p class="muted">No trials.</p>'}</section>
${warnings}
</main>
<script type="application/json" id="report-data">${jsonForScript(payload)}</script>
<script>${CLIENT_JS}</script>
</body></html>
`;
}
