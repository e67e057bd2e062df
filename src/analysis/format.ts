/** The readable text form of an Analysis (what `vibeopt analyze` prints without --json). */
import type { Config } from '../domain';
import type { Analysis, StageAnalysis } from './analyze';

function fmtNum(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e6)) return v.toExponential(2);
  return Number(v.toPrecision(digits)).toString();
}

function fmtHours(seconds: number | null): string {
  return seconds === null ? '-' : `${(seconds / 3600).toFixed(2)} h`;
}

function table(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

function configLine(c: Config): string {
  return Object.entries(c)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? fmtNum(v, 6) : v}`)
    .join(' ');
}

function stageText(s: StageAnalysis): string[] {
  const c = s.counts;
  const out = [
    `== ${s.stage} ==`,
    `trials: ${c.total} (succeeded ${c.succeeded}, infeasible/OOM ${c.infeasible}, failed ${c.failed}, too slow ${c.too_slow}, cancelled ${c.cancelled}, unknown ${c.unknown}); ${s.gpuHours.toFixed(2)} GPU-hours`,
    '',
    'Ranking by final loss:',
  ];
  if (s.ranking.length === 0) out.push('  (no succeeded trial with a known loss)');
  else {
    out.push(
      ...table(
        ['rank', 'trial', 'final loss', 'time', 'samples/s', 'peak MiB', 'loss from'],
        s.ranking.map((r) => [
          String(r.rank), r.trialId, fmtNum(r.finalLoss), fmtHours(r.trainingTimeSeconds), fmtNum(r.samplesPerSecond, 3),
          r.peakGpuMemoryMiB === null ? '-' : String(Math.round(r.peakGpuMemoryMiB)), r.lossSource ?? '-',
        ]),
      ).map((l) => `  ${l}`),
    );
  }
  if (s.unsuccessful.length > 0) {
    out.push('', 'Did not succeed:');
    for (const u of s.unsuccessful) out.push(`  ${u.trialId}: ${u.status}${u.failureType ? ` (${u.failureType})` : ''}${u.exitCode !== null ? `, exit ${u.exitCode}` : ''}`);
  }
  if (s.best) out.push('', `Best: ${s.best.trialId}, loss ${fmtNum(s.best.finalLoss)}`, `  ${configLine(s.best.config)}`);
  out.push('', 'Hyperparameter importance:');
  if (!s.importance) out.push(`  (not estimated: ${s.importanceNote})`);
  else {
    out.push(`  method: ${s.importance.method}; ${s.importance.points} trials`);
    if (s.importance.points < 2 * s.importance.params.length) out.push(`  caution: ${s.importance.points} trials for ${s.importance.params.length} varying parameters; the GP is mostly prior and the shares are rough`);
    out.push(
      ...table(
        ['parameter', 'importance', 'S_i', 'ST_i', 'lengthscale'],
        s.importance.params.map((p) => [p.param, `${(p.importance * 100).toFixed(1)}%`, fmtNum(p.firstOrder, 3), fmtNum(p.totalEffect, 3), fmtNum(p.lengthscale, 3)]),
      ).map((l) => `  ${l}`),
    );
    if (s.importance.constant.length > 0) out.push(`  constant in the data (no evidence): ${s.importance.constant.join(', ')}`);
  }
  out.push('', 'Spearman correlation with final loss (negative: larger value, lower loss):');
  out.push(
    ...table(
      ['parameter', 'rho', 'n'],
      s.correlations.map((c) => [c.param, c.spearman === null ? '-' : c.spearman.toFixed(3), String(c.n)]),
    ).map((l) => `  ${l}`),
  );
  out.push('', 'Suggested next configs:');
  if (s.suggestionsNote) out.push(`  (${s.suggestionsNote})`);
  else if (s.suggestions.length === 0) out.push('  (none requested)');
  s.suggestions.forEach((sg, i) => out.push(`  ${i + 1}. [${sg.source}] ${configLine(sg.config)}`));
  return out;
}

export function formatAnalysisText(a: Analysis): string {
  const out: string[] = [`vibeopt analyze: ${a.sourceDir ?? ''}`.trimEnd(), ''];
  if (a.stages.length === 0) out.push('No trials found.');
  for (const s of a.stages) out.push(...stageText(s), '');
  if (a.warnings.length > 0) {
    out.push(`Warnings (${a.warnings.length}):`);
    for (const w of a.warnings) out.push(`  - ${w}`);
  }
  return `${out.join('\n').trimEnd()}\n`;
}
