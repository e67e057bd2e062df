/**
 * Files per trial, compatible with the seed framework's analyze_results.py:
 *   <trial dir>/config.json, results.json, training.log, lora/
 * results.json keeps the seed's fields (experiment_id, stage, iteration, training_time_seconds,
 * final_loss, exit_code, config) and adds ours.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Config } from '../domain';

export interface TrialResultsFile {
  experiment_id: string;
  stage: string;
  iteration: number;
  training_time_seconds: number;
  /** null unless the run succeeded. */
  final_loss: number | null;
  exit_code: number | null;
  config: Config;
  // ---- richer fields
  status: 'succeeded' | 'failed';
  failure_type: string | null;
  failure_message: string | null;
  metric: string;
  samples_per_second: number | null;
  total_steps: number | null;
  peak_gpu_memory_mib: number | null;
  resumed_from_step: number | null;
  oom_level: number;
  attempt: number;
  lora_path: string | null;
  loss_curve: Array<{ step: number; loss: number }>;
  final_metrics: Record<string, unknown> | null;
  argv: string[];
  finished_at: string;
}

/** Writes JSON through a temporary file and a rename, so readers never see half a file. */
export function writeJsonAtomic(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  fs.renameSync(tmp, file);
}

export function writeTrialConfig(outputDir: string, config: Config, extra: Record<string, unknown> = {}): string {
  fs.mkdirSync(outputDir, { recursive: true });
  const file = path.join(outputDir, 'config.json');
  writeJsonAtomic(file, { ...config, ...extra });
  return file;
}

export function writeTrialResults(outputDir: string, results: TrialResultsFile): string {
  fs.mkdirSync(outputDir, { recursive: true });
  const file = path.join(outputDir, 'results.json');
  writeJsonAtomic(file, results);
  return file;
}

/** Keeps at most `max` points, evenly spaced, always including the first and the last. */
export function downsampleCurve<T>(points: readonly T[], max = 200): T[] {
  if (points.length <= max) return [...points];
  const out: T[] = [];
  for (let k = 0; k < max; k++) out.push(points[Math.round((k * (points.length - 1)) / (max - 1))] as T);
  return out;
}
