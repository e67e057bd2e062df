/**
 * Recovers what a training.log says when results.json does not: the final loss and the loss curve.
 *
 * The seed's scripts grepped the W&B key `train/loss`, which never reaches the console, so their
 * results.json has `final_loss: null` (TRAINER.md, "What it prints"). The console does carry the
 * Hugging Face Trainer's dict lines, plain (`{'loss': 0.73}`) or quoted (`{'loss': '0.73'}`); they
 * are parsed with the trainer's tokenizer (src/trainer/logParser.ts), never with eval.
 */
import { CUDA_OOM_RE, parsePythonDict, type PyDict } from '../trainer/logParser';
import type { LossPoint } from './types';

export interface LogSummary {
  /** `train_loss` of the last final-runtime dict, else the last logged `loss`; finite or null. */
  finalLoss: number | null;
  /** Every logged `loss` (eval dicts excluded), stepped by `loggingSteps` unless the dict has `step`. */
  lossCurve: LossPoint[];
  /** `train_samples_per_second` of the final dict. */
  samplesPerSecond: number | null;
  /** `train_runtime` of the final dict, seconds. */
  trainRuntime: number | null;
  /** The log mentions CUDA out of memory. */
  cudaOom: boolean;
}

function finiteNumber(v: PyDict[string] | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Parses a training.log's text (stdout and stderr interleaved; `\r` redraws tolerated). */
export function summarizeTrainingLog(text: string, loggingSteps = 10): LogSummary {
  let lastTrainLoss: number | null = null;
  let lastLoss: number | null = null;
  let samplesPerSecond: number | null = null;
  let trainRuntime: number | null = null;
  const lossCurve: LossPoint[] = [];
  let logCalls = 0;
  let cudaOom = false;
  for (const line of text.split(/\r\n|\n|\r/)) {
    if (!cudaOom && CUDA_OOM_RE.test(line)) cudaOom = true;
    if (!line.includes('{')) continue;
    const d = parsePythonDict(line);
    if (!d) continue;
    if ('train_loss' in d || 'train_runtime' in d) {
      const tl = finiteNumber(d.train_loss);
      if (tl !== null) lastTrainLoss = tl;
      samplesPerSecond = finiteNumber(d.train_samples_per_second) ?? samplesPerSecond;
      trainRuntime = finiteNumber(d.train_runtime) ?? trainRuntime;
      continue;
    }
    if ('eval_loss' in d || !('loss' in d)) continue;
    logCalls++;
    const loss = finiteNumber(d.loss);
    if (loss === null) continue; // nan/inf: a diverged step, not a point on the curve
    lastLoss = loss;
    const step = finiteNumber(d.step);
    lossCurve.push({ step: step ?? logCalls * loggingSteps, loss });
  }
  return { finalLoss: lastTrainLoss ?? lastLoss, lossCurve, samplesPerSecond, trainRuntime, cudaOom };
}
