/**
 * loadResults(): reads finished trials from disk, in either layout.
 *
 *   ours:  <artifactRoot>/<pipeline>/<stage>/<trial>/{config.json,results.json,training.log,lora/}
 *          (+ <stage>/results_summary.json, whose per-trial status refines the trial's own)
 *   seed:  experiments/bayesopt_<stage>_<name>_<timestamp>/{config.json,results.json,training.log,lora/}
 *
 * `dir` may be a pipeline folder, a stage folder, a single trial folder or an old experiments/
 * folder. A trial folder is any folder holding results.json (or config.json with training.log);
 * it is not descended into. Missing or garbled files never throw: the trial is skipped, or the
 * doubtful value left unknown, with a warning that names the file.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Config, TrialStatus } from '../domain';
import { formatZodError } from '../space';
import { argValue } from '../trainer/argv';
import { summarizeTrainingLog, type LogSummary } from './trainingLog';
import type { LoadedStatus, LoadedTrial, LoadResult } from './types';

const MAX_DEPTH = 5;
/** Folders that never hold trials. */
const SKIP_DIRS = new Set(['lora', 'configs', 'scripts', 'logs', 'node_modules', 'analysis', 'wandb']);

const nullableNumber = z.number().nullable().optional();

/** results.json, tolerant: every field optional, unknown fields kept (seed and pipeline versions). */
export const TrialResultsFileSchema = z.looseObject({
  experiment_id: z.union([z.string(), z.number()]).optional(),
  stage: z.union([z.string(), z.number()]).nullable().optional(),
  iteration: nullableNumber,
  training_time_seconds: nullableNumber,
  final_loss: z.union([z.number(), z.string()]).nullable().optional(),
  exit_code: nullableNumber,
  config: z.record(z.string(), z.unknown()).nullable().optional(),
  status: z.string().nullable().optional(),
  failure_type: z.string().nullable().optional(),
  failure_message: z.string().nullable().optional(),
  samples_per_second: nullableNumber,
  peak_gpu_memory_mib: nullableNumber,
  oom_level: z.number().int().min(0).nullable().optional(),
  loss_curve: z.array(z.object({ step: z.number(), loss: z.number() })).nullable().optional(),
  argv: z.array(z.string()).nullable().optional(),
  finished_at: z.string().nullable().optional(),
});
type ResultsFile = z.infer<typeof TrialResultsFileSchema>;

const TRIAL_STATUSES: readonly TrialStatus[] = ['succeeded', 'infeasible', 'failed', 'too_slow', 'cancelled'];

/** A stage folder's results_summary.json (activities/artifacts.ts stageSummary): status per trial. */
const StageSummarySchema = z.looseObject({
  stage: z.string(),
  results: z.array(z.looseObject({ experiment_id: z.string(), status: z.string().optional() })),
});

interface Ctx {
  /** Name of the enclosing stage folder (our layout), when known. */
  stage?: string;
  /** Status per trial id from the enclosing stage's results_summary.json. */
  statusById?: Map<string, TrialStatus>;
}

class Loader {
  readonly trials: LoadedTrial[] = [];
  readonly warnings: string[] = [];

  readJson(file: string): { ok: true; value: unknown } | { ok: false; error: string } {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      return { ok: false, error: `cannot read: ${(err as Error).message}` };
    }
    try {
      return { ok: true, value: JSON.parse(text) };
    } catch (err) {
      return { ok: false, error: `not valid JSON: ${(err as Error).message}` };
    }
  }

  visit(dir: string, depth: number, ctx: Ctx): void {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (err) {
      this.warnings.push(`${dir}: cannot list folder: ${(err as Error).message}`);
      return;
    }
    const has = (n: string) => names.includes(n);
    if (has('results.json') || (has('config.json') && has('training.log'))) {
      this.loadTrial(dir, ctx);
      return;
    }
    const childCtx: Ctx = { ...ctx };
    if (has('results_summary.json')) {
      const file = path.join(dir, 'results_summary.json');
      const r = this.readJson(file);
      if (!r.ok) this.warnings.push(`${file}: ${r.error} (ignored)`);
      else {
        const s = StageSummarySchema.safeParse(r.value);
        if (s.success) {
          childCtx.stage = s.data.stage;
          childCtx.statusById = new Map();
          for (const row of s.data.results) {
            if (row.status && (TRIAL_STATUSES as readonly string[]).includes(row.status)) childCtx.statusById.set(row.experiment_id, row.status as TrialStatus);
          }
        }
      }
    }
    if (depth >= MAX_DEPTH) return;
    for (const name of names.sort()) {
      if (name.startsWith('.') || SKIP_DIRS.has(name) || /^checkpoint-\d+$/.test(name)) continue;
      const child = path.join(dir, name);
      let isDir: boolean;
      try {
        isDir = statSync(child).isDirectory();
      } catch {
        continue; // a dangling link
      }
      if (!isDir) continue;
      // In our layout a stage folder holds trial folders; remember its name for trials without `stage`.
      this.visit(child, depth + 1, childCtx.stage ? childCtx : { ...childCtx, stage: depth >= 1 ? path.basename(dir) : undefined });
    }
  }

  loadTrial(dir: string, ctx: Ctx): void {
    const folder = path.basename(dir);
    const resultsFile = path.join(dir, 'results.json');
    const raw = this.readJson(resultsFile);
    if (!raw.ok) {
      const missing = raw.error.startsWith('cannot read') && raw.error.includes('ENOENT');
      this.warnings.push(missing ? `${resultsFile}: missing (trial still running, or killed before writing it); trial ${folder} skipped` : `${resultsFile}: ${raw.error}; trial ${folder} skipped`);
      return;
    }
    const parsed = TrialResultsFileSchema.safeParse(raw.value);
    if (!parsed.success) {
      this.warnings.push(`${resultsFile}: ${formatZodError(parsed.error)}; trial ${folder} skipped`);
      return;
    }
    const results: ResultsFile = parsed.data;

    // The config: results.json's, else config.json's.
    let config = results.config ? toConfig(results.config) : null;
    if (!config || Object.keys(config).length === 0) {
      const cfgFile = path.join(dir, 'config.json');
      const c = this.readJson(cfgFile);
      if (c.ok && c.value && typeof c.value === 'object' && !Array.isArray(c.value)) config = toConfig(c.value as Record<string, unknown>);
      else {
        this.warnings.push(`${resultsFile}: no "config" field, and ${cfgFile} ${c.ok ? 'is not a JSON object' : c.error}; trial ${folder} skipped`);
        return;
      }
    }

    // training.log: for a missing loss, a missing curve, throughput, and OOM evidence.
    const logFile = path.join(dir, 'training.log');
    let log: LogSummary | null;
    const loggingSteps = Number(argValue(results.argv ?? [], 'logging_steps') ?? 10) || 10;
    try {
      log = summarizeTrainingLog(readFileSync(logFile, 'utf8'), loggingSteps);
    } catch {
      log = null; // no log: fine for our layout, which records the curve in results.json
    }

    let finalLoss: number | null = null;
    let lossSource: LoadedTrial['lossSource'] = null;
    const fl = results.final_loss;
    const flNum = typeof fl === 'string' ? Number(fl) : fl;
    if (typeof flNum === 'number' && Number.isFinite(flNum)) {
      finalLoss = flNum;
      lossSource = 'results.json';
    } else if (typeof fl === 'string' && fl.trim() !== '' && !/^[+-]?(nan|inf(inity)?)$/i.test(fl.trim())) {
      this.warnings.push(`${resultsFile}: final_loss ${JSON.stringify(fl)} is not a number; treated as unknown`);
    }

    const exitCode = typeof results.exit_code === 'number' ? results.exit_code : null;
    let failureType = results.failure_type ?? null;
    const layout: LoadedTrial['layout'] = folder.startsWith('bayesopt_') || results.status == null ? 'seed' : 'pipeline';
    const trialId = results.experiment_id !== undefined ? String(results.experiment_id) : folder;

    let status: LoadedStatus;
    const fromSummary = ctx.statusById?.get(trialId);
    const ran = results.status === 'succeeded' || (results.status == null && exitCode === 0);
    if (finalLoss === null && log?.finalLoss != null && (ran || (results.status == null && exitCode === null))) {
      finalLoss = log.finalLoss;
      lossSource = 'training.log';
    }
    if (fromSummary) status = fromSummary;
    else if (results.status === 'succeeded') status = 'succeeded';
    else if (results.status === 'failed') status = failureStatus(failureType);
    else if (results.status != null && (TRIAL_STATUSES as readonly string[]).includes(results.status)) status = results.status as TrialStatus;
    else if (exitCode !== null && exitCode !== 0) {
      if (log?.cudaOom) {
        status = 'infeasible';
        failureType = failureType ?? 'CudaOutOfMemory';
      } else status = failureStatus(failureType);
    } else status = finalLoss !== null ? 'succeeded' : 'unknown';
    if ((status === 'succeeded' && finalLoss === null) || status === 'unknown') {
      this.warnings.push(`${resultsFile}: final_loss is null and ${log ? `${logFile} has no train_loss/loss line` : `${logFile} is missing`}; loss unknown, trial ${folder} left out of the ranking`);
      status = 'unknown';
    }
    if (status !== 'succeeded') {
      // A loss of a failed run is not evidence of the config's quality.
      if (lossSource === 'training.log') {
        finalLoss = null;
        lossSource = null;
      }
    }

    let lossCurve = (results.loss_curve ?? []).filter((p) => Number.isFinite(p.loss) && Number.isFinite(p.step));
    let lossCurveSource: LoadedTrial['lossCurveSource'] = lossCurve.length > 0 ? 'results.json' : null;
    if (lossCurve.length === 0 && log && log.lossCurve.length > 0) {
      lossCurve = log.lossCurve;
      lossCurveSource = 'training.log';
    }

    let finishedAt = results.finished_at ?? null;
    if (!finishedAt) {
      try {
        finishedAt = statSync(resultsFile).mtime.toISOString();
      } catch {
        finishedAt = null;
      }
    }

    const seedStage = /^bayesopt_(stage\d+)_/.exec(folder)?.[1];
    this.trials.push({
      trialId,
      stage: results.stage != null ? String(results.stage) : (seedStage ?? ctx.stage ?? 'stage1'),
      iteration: typeof results.iteration === 'number' ? results.iteration : null,
      dir,
      layout,
      config,
      status,
      finalLoss,
      lossSource,
      trainingTimeSeconds: results.training_time_seconds ?? log?.trainRuntime ?? null,
      exitCode,
      failureType,
      failureMessage: results.failure_message ?? null,
      samplesPerSecond: results.samples_per_second ?? log?.samplesPerSecond ?? null,
      peakGpuMemoryMiB: results.peak_gpu_memory_mib ?? null,
      oomLevel: results.oom_level ?? 0,
      lossCurve,
      lossCurveSource,
      finishedAt,
    });
  }
}

function failureStatus(failureType: string | null): TrialStatus {
  if (!failureType) return 'failed';
  if (/OutOfMemory|OOM/i.test(failureType)) return 'infeasible';
  if (/time.?limit|too.?slow/i.test(failureType)) return 'too_slow';
  if (/cancel/i.test(failureType)) return 'cancelled';
  return 'failed';
}

/** Keeps numbers and strings (numeric strings become numbers); drops nested values and booleans. */
function toConfig(raw: Record<string, unknown>): Config {
  const out: Config = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
    else if (typeof v === 'string') {
      const n = Number(v);
      out[k] = v.trim() !== '' && Number.isFinite(n) ? n : v;
    }
  }
  return out;
}

/**
 * Loads every trial under `dir` (see the file comment for the layouts). Throws only when `dir`
 * itself is not a readable folder; everything below it degrades to warnings.
 */
export function loadResults(dir: string): LoadResult {
  let st;
  try {
    st = statSync(dir);
  } catch (err) {
    throw new Error(`${dir}: cannot read results folder: ${(err as Error).message}`, { cause: err });
  }
  if (!st.isDirectory()) throw new Error(`${dir}: not a folder; pass a pipeline, stage or experiments/ folder`);
  const loader = new Loader();
  loader.visit(path.resolve(dir), 0, {});
  loader.trials.sort((a, b) => (a.finishedAt ?? '').localeCompare(b.finishedAt ?? '') || a.trialId.localeCompare(b.trialId));
  return { trials: loader.trials, warnings: loader.warnings };
}
