/**
 * How a trainer run ended (TRAINER.md, "How it fails"). Pure: from the exit status, why we stopped
 * it (if we did), and what the log said.
 *
 * Order matters: our own stop (cancel, time limit, stall, NaN) explains a SIGTERM/SIGKILL; a CUDA
 * OOM traceback wins over any exit code; a SIGKILL we did not send is the host's OOM killer.
 */
import type { TrainerMetric } from './spec';
import type { TrainerLogState } from './logParser';

export type StopReason = 'cancelled' | 'time_limit' | 'stalled' | 'nan_loss';

export type TrainerErrorReason =
  | 'bad_flag'
  | 'nan_loss'
  | 'exit_code'
  | 'no_final_dict'
  | 'no_metric'
  | 'no_artifact'
  | 'spawn_failed';

export type TrainerOutcome =
  | { kind: 'succeeded'; loss: number }
  | { kind: 'cuda_oom'; message: string }
  | { kind: 'host_oom'; message: string }
  | { kind: 'trainer_error'; reason: TrainerErrorReason; message: string }
  | { kind: 'timeout'; reason: 'time_limit' | 'stalled'; message: string }
  | { kind: 'not_found'; message: string }
  | { kind: 'cancelled'; message: string };

export interface ClassifyInput {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Why runTrainer stopped the process, when it did. */
  stoppedBecause: StopReason | null;
  /** A spawn error (ENOENT, EACCES) — the process never ran. */
  spawnError?: NodeJS.ErrnoException | null;
  log: TrainerLogState;
  metric: TrainerMetric;
  program: string;
}

/** The configured final loss from the log, or undefined when the log does not have it. */
export function metricValue(log: TrainerLogState, metric: TrainerMetric): number | undefined {
  if (metric === 'train_loss') {
    const v = log.finalDict?.train_loss;
    return typeof v === 'number' ? v : undefined;
  }
  if (metric === 'eval_loss') return log.lastEvalLoss ?? undefined;
  return log.lastLoss ?? undefined;
}

function withHints(message: string, log: TrainerLogState): string {
  return log.hints.size > 0 ? `${message} (hint: ${[...log.hints].join('; ')})` : message;
}

export function classifyOutcome(i: ClassifyInput): TrainerOutcome {
  const { log } = i;
  if (i.spawnError) {
    const code = i.spawnError.code;
    if (code === 'ENOENT') {
      return { kind: 'not_found', message: `trainer program not found: ${i.program} (spawn ENOENT); check the TrainerSpec launcher and PATH on the GPU worker` };
    }
    if (code === 'EACCES') {
      return { kind: 'not_found', message: `trainer program not executable: ${i.program} (spawn EACCES)` };
    }
    return { kind: 'trainer_error', reason: 'spawn_failed', message: `could not start ${i.program}: ${i.spawnError.message}` };
  }
  if (i.stoppedBecause === 'cancelled') return { kind: 'cancelled', message: 'trainer stopped: trial cancelled' };
  if (log.cudaOomLine) return { kind: 'cuda_oom', message: log.cudaOomLine };
  if (i.stoppedBecause === 'nan_loss' || log.nonFiniteLoss) {
    const at = log.nonFiniteLoss?.step !== null && log.nonFiniteLoss?.step !== undefined ? ` at step ${log.nonFiniteLoss.step}` : '';
    return { kind: 'trainer_error', reason: 'nan_loss', message: `nan loss${at} (logged loss ${log.nonFiniteLoss?.raw ?? 'nan'})` };
  }
  if (i.stoppedBecause === 'time_limit') return { kind: 'timeout', reason: 'time_limit', message: 'trainer stopped at the trial time limit' };
  if (i.stoppedBecause === 'stalled') return { kind: 'timeout', reason: 'stalled', message: 'trainer printed nothing for too long and was stopped (hung?)' };
  if (i.signal === 'SIGKILL' || log.sigkillChildLine) {
    return { kind: 'host_oom', message: `trainer killed by SIGKILL (host out of memory?)${log.sigkillChildLine ? `: ${log.sigkillChildLine}` : ''}` };
  }
  if (log.badFlagLine) {
    return { kind: 'trainer_error', reason: 'bad_flag', message: withHints(`trainer rejected its arguments: ${log.badFlagLine}`, log) };
  }
  if (i.exitCode !== 0) {
    const how = i.signal ? `signal ${i.signal}` : `exit code ${i.exitCode}`;
    return { kind: 'trainer_error', reason: 'exit_code', message: withHints(`trainer failed with ${how}`, log) };
  }
  if (!log.finalDict) {
    return {
      kind: 'trainer_error',
      reason: 'no_final_dict',
      message: withHints('trainer exited 0 without the final train_runtime dict: nothing was trained (is --do_train passed?)', log),
    };
  }
  const loss = metricValue(log, i.metric);
  if (loss === undefined) {
    return { kind: 'trainer_error', reason: 'no_metric', message: `trainer succeeded but printed no ${i.metric}` };
  }
  if (!Number.isFinite(loss)) {
    return { kind: 'trainer_error', reason: 'nan_loss', message: `nan loss (final ${i.metric} is ${loss})` };
  }
  return { kind: 'succeeded', loss };
}
