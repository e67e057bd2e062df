/**
 * analyze(): what the seed's analyze_results.py did, per stage: rank trials by final loss,
 * estimate how much each hyperparameter matters (importance.ts: Sobol indices of a GP fit, not
 * best-vs-worst values), Spearman correlation of each parameter with the loss, and the
 * optimizer's next suggestions given everything observed. Pure: reads nothing, writes nothing
 * (writeResultsSummary() writes the seed-compatible results_summary.json).
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config, Observation } from '../domain';
import { seedSearchSpace, type SearchSpace } from '../space';
import { suggest, type Suggestion } from '../optimizer';
import { parameterImportance, type ImportanceResult } from './importance';
import { spearman } from './stats';
import type { LoadedStatus, LoadedTrial } from './types';

export interface AnalyzeOptions {
  /** Search space the trials were drawn from (default: the seed space). */
  space?: SearchSpace;
  /** Analyze only this stage. */
  stage?: string;
  /** How many next configs to ask the optimizer for, per stage (default 5; 0 for none). */
  suggest?: number;
  /** Seed for the optimizer and the Monte-Carlo importance estimate (default 0). */
  seed?: number;
  /** Monte-Carlo sample size of the importance estimate (default 2048). */
  importanceSamples?: number;
  /** Where the trials were read from (recorded in the summary). */
  sourceDir?: string;
  /** Loader warnings, carried into the summary. */
  warnings?: string[];
  /** Clock for the summary's timestamp (tests). */
  now?: () => Date;
}

export interface RankedTrial {
  rank: number;
  trialId: string;
  stage: string;
  finalLoss: number;
  lossSource: LoadedTrial['lossSource'];
  trainingTimeSeconds: number | null;
  samplesPerSecond: number | null;
  peakGpuMemoryMiB: number | null;
  oomLevel: number;
  config: Config;
  dir: string;
}

export interface Correlation {
  param: string;
  /** Spearman's ρ between the parameter and the final loss (negative: larger value, lower loss). */
  spearman: number | null;
  n: number;
}

export interface StageAnalysis {
  stage: string;
  counts: Record<LoadedStatus, number> & { total: number };
  /** Succeeded trials, lowest loss first. */
  ranking: RankedTrial[];
  /** Trials that did not succeed, with what is known. */
  unsuccessful: Array<Pick<LoadedTrial, 'trialId' | 'status' | 'failureType' | 'exitCode' | 'dir'>>;
  best: RankedTrial | null;
  importance: ImportanceResult | null;
  /** Why importance is null. */
  importanceNote: string | null;
  correlations: Correlation[];
  suggestions: Suggestion[];
  suggestionsNote: string | null;
  gpuHours: number;
}

export interface Analysis {
  generatedAt: string;
  sourceDir: string | null;
  stages: StageAnalysis[];
  /** All succeeded trials across the analyzed stages, lowest loss first. */
  ranking: RankedTrial[];
  warnings: string[];
}

/** A config value as a number for statistics: categoricals by their index. */
export function numericValue(space: SearchSpace, param: string, v: number | string | undefined): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  const spec = space.params[param];
  if (typeof v === 'string' && spec?.type === 'categorical') {
    const i = spec.choices.indexOf(v);
    return i < 0 ? null : i;
  }
  return null;
}

/** Keeps only the space's parameters (the optimizer compares configs by them). */
function spaceConfig(space: SearchSpace, config: Config): Config {
  const out: Config = {};
  for (const p of Object.keys(space.params)) if (config[p] !== undefined) out[p] = config[p] as number | string;
  return out;
}

function analyzeStage(stage: string, trials: LoadedTrial[], space: SearchSpace, opts: AnalyzeOptions): StageAnalysis {
  const counts = { total: trials.length, succeeded: 0, infeasible: 0, failed: 0, too_slow: 0, cancelled: 0, unknown: 0 };
  for (const t of trials) counts[t.status]++;
  const ok = trials.filter((t): t is LoadedTrial & { finalLoss: number } => t.status === 'succeeded' && t.finalLoss !== null);
  const ranking: RankedTrial[] = [...ok]
    .sort((a, b) => a.finalLoss - b.finalLoss || a.trialId.localeCompare(b.trialId))
    .map((t, i) => ({
      rank: i + 1,
      trialId: t.trialId,
      stage: t.stage,
      finalLoss: t.finalLoss,
      lossSource: t.lossSource,
      trainingTimeSeconds: t.trainingTimeSeconds,
      samplesPerSecond: t.samplesPerSecond,
      peakGpuMemoryMiB: t.peakGpuMemoryMiB,
      oomLevel: t.oomLevel,
      config: t.config,
      dir: t.dir,
    }));

  let importance: ImportanceResult | null = null;
  let importanceNote: string | null = null;
  const imp = parameterImportance(space, ok.map((t) => ({ config: t.config, loss: t.finalLoss })), { samples: opts.importanceSamples, seed: opts.seed });
  if ('reason' in imp) importanceNote = imp.reason;
  else importance = imp;

  const correlations: Correlation[] = [];
  for (const [param, spec] of Object.entries(space.params)) {
    if (spec.type === 'fixed') continue;
    const xs: number[] = [];
    const ys: number[] = [];
    for (const t of ok) {
      const x = numericValue(space, param, t.config[param]);
      if (x === null) continue;
      xs.push(x);
      ys.push(t.finalLoss);
    }
    correlations.push({ param, spearman: spearman(xs, ys), n: xs.length });
  }
  correlations.sort((a, b) => Math.abs(b.spearman ?? 0) - Math.abs(a.spearman ?? 0));

  const observations: Observation[] = trials
    .filter((t) => t.status !== 'unknown')
    .map((t) => ({
      trialId: t.trialId,
      config: spaceConfig(space, t.config),
      status: t.status as Observation['status'],
      loss: t.status === 'succeeded' ? t.finalLoss : null,
      durationSeconds: t.trainingTimeSeconds ?? 0,
    }));
  let suggestions: Suggestion[] = [];
  let suggestionsNote: string | null = null;
  const count = opts.suggest ?? 5;
  if (count > 0) {
    try {
      suggestions = suggest({ space, observations, pending: [], count, seed: opts.seed ?? 0 });
    } catch (err) {
      suggestionsNote = `the optimizer could not suggest: ${(err as Error).message}`;
    }
  }

  return {
    stage,
    counts,
    ranking,
    unsuccessful: trials
      .filter((t) => !(t.status === 'succeeded' && t.finalLoss !== null))
      .map((t) => ({ trialId: t.trialId, status: t.status, failureType: t.failureType, exitCode: t.exitCode, dir: t.dir })),
    best: ranking[0] ?? null,
    importance,
    importanceNote,
    correlations,
    suggestions,
    suggestionsNote,
    gpuHours: trials.reduce((s, t) => s + (t.trainingTimeSeconds ?? 0), 0) / 3600,
  };
}

/** Stage names in a natural order (stage2 before stage10). */
export function stageOrder(stages: Iterable<string>): string[] {
  return [...new Set(stages)].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
}

export function analyze(trials: readonly LoadedTrial[], opts: AnalyzeOptions = {}): Analysis {
  const space = opts.space ?? seedSearchSpace();
  const selected = opts.stage ? trials.filter((t) => t.stage === opts.stage) : [...trials];
  const stages = stageOrder(selected.map((t) => t.stage)).map((s) =>
    analyzeStage(s, selected.filter((t) => t.stage === s), space, opts),
  );
  const ranking = stages
    .flatMap((s) => s.ranking)
    .sort((a, b) => a.finalLoss - b.finalLoss || a.trialId.localeCompare(b.trialId))
    .map((r, i) => ({ ...r, rank: i + 1 }));
  return {
    generatedAt: (opts.now ?? (() => new Date()))().toISOString(),
    sourceDir: opts.sourceDir ?? null,
    stages,
    ranking,
    warnings: [...(opts.warnings ?? [])],
  };
}

/**
 * The seed-compatible results_summary.json: `ranking` rows carry the seed's experiment_id,
 * final_loss, training_time_seconds and config; the rest is ours.
 */
export function resultsSummaryJson(a: Analysis) {
  const row = (r: RankedTrial) => ({
    rank: r.rank,
    experiment_id: r.trialId,
    stage: r.stage,
    final_loss: r.finalLoss,
    loss_source: r.lossSource,
    training_time_seconds: r.trainingTimeSeconds,
    samples_per_second: r.samplesPerSecond,
    peak_gpu_memory_mib: r.peakGpuMemoryMiB,
    config: r.config,
  });
  return {
    generated_by: 'vibeopt analyze',
    generated_at: a.generatedAt,
    source_dir: a.sourceDir,
    total_experiments: a.stages.reduce((s, st) => s + st.counts.total, 0),
    successful: a.ranking.length,
    best: a.ranking[0] ? row(a.ranking[0]) : null,
    ranking: a.ranking.map(row),
    stages: a.stages.map((s) => ({
      stage: s.stage,
      counts: s.counts,
      gpu_hours: s.gpuHours,
      best: s.best ? row(s.best) : null,
      unsuccessful: s.unsuccessful.map((u) => ({ experiment_id: u.trialId, status: u.status, failure_type: u.failureType, exit_code: u.exitCode })),
      importance: s.importance,
      importance_note: s.importanceNote,
      correlations: s.correlations,
      suggestions: s.suggestions,
    })),
    warnings: a.warnings,
  };
}

export function writeResultsSummary(a: Analysis, file: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(resultsSummaryJson(a), null, 2)}\n`);
  renameSync(tmp, file);
  return file;
}
