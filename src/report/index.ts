/**
 * `vibeopt report`: one offline HTML page about a results folder (either layout): optimization
 * history, loss curves, parallel coordinates, importance, the OOM/feasibility map and per-stage
 * tables. Plots are Plotly figures (figures.ts); the page is assembled in html.ts.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { analyze, loadResults, resultsSummaryJson, type Analysis } from '../analysis';
import { seedSearchSpace, type SearchSpace } from '../space';
import { feasibilityFigure, historyFigure, importanceFigure, lossCurvesFigure, parallelCoordinatesFigure } from './figures';
import { renderReportHtml, type ReportPage } from './html';

export * from './figures';
export { renderReportHtml, escapeHtml, jsonForScript, inlineScript } from './html';
export type { ReportPage, ReportPlot } from './html';

/** Ids of the plot containers, in page order (the screenshot test checks each one). */
export const REPORT_PLOT_IDS = ['plot-history', 'plot-loss-curves', 'plot-parcoords', 'plot-importance', 'plot-feasibility'] as const;

export interface BuildReportOptions {
  dir: string;
  space?: SearchSpace;
  title?: string;
  /** Seed of the importance estimate and the suggestions. */
  seed?: number;
  now?: () => Date;
}

export function buildReport(opts: BuildReportOptions): { html: string; page: ReportPage; analysis: Analysis } {
  const space = opts.space ?? seedSearchSpace();
  const { trials, warnings } = loadResults(opts.dir);
  const sourceDir = path.resolve(opts.dir);
  const analysis = analyze(trials, { space, seed: opts.seed, sourceDir, warnings, now: opts.now });
  const [history, curves, parcoords, importance, feasibility] = REPORT_PLOT_IDS;
  const page: ReportPage = {
    title: opts.title ?? `vibeopt report: ${path.basename(sourceDir)}`,
    sourceDir,
    generatedAt: analysis.generatedAt,
    analysis,
    summary: resultsSummaryJson(analysis),
    warnings,
    plots: [
      { id: history, title: 'Optimization history', caption: 'Final loss of each trial in the order trials finished, per stage; the step line is the best loss so far. Crosses above the points are infeasible (OOM) or failed trials.', figure: historyFigure(trials) },
      { id: curves, title: 'Loss curves', caption: 'Training loss per step of every trial (from results.json, or parsed from training.log when missing); the best trial of each stage is drawn thick.', figure: lossCurvesFigure(trials, analysis) },
      { id: parcoords, title: 'Configurations', caption: 'Each line is a succeeded trial\'s config; colour is its final loss (dark = low). Drag along an axis to filter. learning_rate is on a log axis.', figure: parallelCoordinatesFigure(trials, space) },
      { id: importance, title: 'Hyperparameter importance', caption: 'Share of the loss variance explained by each parameter alone: first-order Sobol indices of a Gaussian-process fit to the succeeded trials, estimated by Monte Carlo over the search space (fANOVA-style). Rough with few trials.', figure: importanceFigure(analysis) },
      { id: feasibility, title: 'OOM / feasibility map', caption: 'Trials per (per_device_train_batch_size, ddpm_batch_mul): succeeded vs CUDA out of memory, including the larger batches the OOM ladder tried before halving.', figure: feasibilityFigure(trials) },
    ],
  };
  return { html: renderReportHtml(page), page, analysis };
}

/** Builds the report and writes it to `out` (atomically); returns the path and the trial count. */
export function writeReport(opts: BuildReportOptions & { out: string }): { out: string; trials: number } {
  const { html, analysis } = buildReport(opts);
  mkdirSync(path.dirname(path.resolve(opts.out)), { recursive: true });
  const tmp = `${opts.out}.tmp-${process.pid}`;
  writeFileSync(tmp, html);
  renameSync(tmp, opts.out);
  return { out: opts.out, trials: analysis.stages.reduce((n, s) => n + s.counts.total, 0) };
}
