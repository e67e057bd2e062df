/**
 * `vibeopt analyze <dir>`: the seed's analyze_results.py for either results layout. Prints a text
 * report (or the summary as JSON with --json) and writes the seed-compatible results_summary.json.
 *
 * Where the summary goes: --out if given; else <dir>/results_summary.json, unless that file is the
 * pipeline's own summary (written by the artifacts activity), which is never overwritten; then
 * <dir>/analysis/results_summary.json.
 *
 * Exit codes: 0 done; 1 no trial found; 2 bad input (no such folder, unknown stage).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { analyze, formatAnalysisText, loadResults, resultsSummaryJson, stageOrder, writeResultsSummary } from '../analysis';

export interface AnalyzeCommandOptions {
  /** A pipeline folder, a stage folder, or an old experiments/ folder. */
  dir: string;
  /** Print the summary as JSON instead of text. */
  json?: boolean;
  /** Next configs to ask the optimizer for, per stage (default 5; 0 for none). */
  suggest?: number;
  /** Where to write results_summary.json (default: see the file comment). */
  out?: string;
  /** Analyze only this stage. */
  stage?: string;
  /** Seed of the optimizer and the importance estimate (default 0). */
  seed?: number;
}

/** Default summary path: <dir>/results_summary.json unless that is a pipeline-written summary. */
export function defaultSummaryPath(dir: string): string {
  const file = path.join(dir, 'results_summary.json');
  if (!existsSync(file)) return file;
  try {
    const existing = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const pipelineWritten = existing && typeof existing === 'object' && ('pipeline' in existing || ('stage' in existing && 'results' in existing));
    if (pipelineWritten) return path.join(dir, 'analysis', 'results_summary.json');
  } catch {
    // An unreadable old summary (the seed's, or garbage) is replaced, as analyze_results.py did.
  }
  return file;
}

/** Where a command prints (tests pass their own). */
export interface CommandIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}
export const processIO: CommandIO = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
};

export async function analyzeCommand(opts: AnalyzeCommandOptions, io: CommandIO = processIO): Promise<number> {
  const err = (m: string) => io.stderr(`vibeopt analyze: ${m}\n`);
  if (opts.suggest !== undefined && (!Number.isInteger(opts.suggest) || opts.suggest < 0)) {
    err(`--suggest must be an integer ≥ 0 (got ${opts.suggest})`);
    return 2;
  }
  let loaded;
  try {
    loaded = loadResults(opts.dir);
  } catch (e) {
    err((e as Error).message);
    return 2;
  }
  if (opts.stage && !loaded.trials.some((t) => t.stage === opts.stage)) {
    const known = stageOrder(loaded.trials.map((t) => t.stage));
    err(`stage "${opts.stage}" not found under ${opts.dir} (stages: ${known.length ? known.join(', ') : 'none'})`);
    return 2;
  }
  const analysis = analyze(loaded.trials, {
    stage: opts.stage,
    suggest: opts.suggest,
    seed: opts.seed,
    sourceDir: path.resolve(opts.dir),
    warnings: loaded.warnings,
  });
  if (loaded.trials.length === 0) {
    if (opts.json) io.stdout(`${JSON.stringify(resultsSummaryJson(analysis), null, 2)}\n`);
    else io.stdout(formatAnalysisText(analysis));
    err(`no trial found under ${opts.dir} (a trial folder holds results.json)`);
    return 1;
  }
  const out = opts.out ?? defaultSummaryPath(opts.dir);
  try {
    writeResultsSummary(analysis, out);
  } catch (e) {
    err(`cannot write ${out}: ${(e as Error).message}`);
    return 2;
  }
  if (opts.json) io.stdout(`${JSON.stringify(resultsSummaryJson(analysis), null, 2)}\n`);
  else io.stdout(formatAnalysisText(analysis));
  err(`wrote ${out}`);
  return 0;
}
