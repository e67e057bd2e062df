/**
 * One trial: the train activity on the GPU task queue, wrapped in the OOM ladder. Always reports
 * its outcome to the stage workflow by signal, cancelled or not, so the stage can continue-as-new
 * while trials run.
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  getExternalWorkflowHandle,
  isCancellation,
  proxyActivities,
} from '@temporalio/workflow';
import type { createTrainActivities } from '../activities/train';
import type { TrainFailureType } from '../activities/types';
import { trialFinishedSignal } from './messages';
import { halveBatch } from './oom-ladder';
import type { TrialInput, TrialOutcome } from './types';

export const GPU_TASK_QUEUE = 'gpu';

/**
 * Failure types of the train activity that Temporal must not retry: the workflow decides (OOM:
 * the ladder; a time limit: too slow). The activity also marks deterministic TrainerErrors (a bad
 * flag, NaN loss, no final dict) non-retryable itself; TrainerError from a crash is retried.
 */
export const NON_RETRYABLE_TRAIN_ERRORS: TrainFailureType[] = ['CudaOutOfMemory', 'TrainerNotFound', 'TrainerTimeout'];

export const DEFAULT_TRIAL_HEARTBEAT_TIMEOUT_SECONDS = 120;

function trainActivity(timeLimitSeconds: number, taskQueue: string, heartbeatTimeoutSeconds: number) {
  return proxyActivities<ReturnType<typeof createTrainActivities>>({
    taskQueue,
    // The activity enforces the trial time limit itself (TrainerTimeout); this is a backstop.
    startToCloseTimeout: `${Math.ceil(timeLimitSeconds * 1.1 + 600)}s`,
    // A dead GPU worker is noticed within this (default two minutes); the retry resumes from the last checkpoint.
    heartbeatTimeout: `${heartbeatTimeoutSeconds}s`,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      initialInterval: '5s',
      backoffCoefficient: 2,
      maximumInterval: '2m',
      maximumAttempts: 4,
      nonRetryableErrorTypes: NON_RETRYABLE_TRAIN_ERRORS,
    },
  }).train;
}

function failureOf(err: unknown): { type: string; message: string; reason: string | null } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const details = cause.details?.[0] as { reason?: unknown } | undefined;
    return { type: cause.type ?? 'Error', message: cause.message, reason: typeof details?.reason === 'string' ? details.reason : null };
  }
  if (cause instanceof Error) return { type: cause.name, message: cause.message, reason: null };
  return { type: 'Error', message: String(err), reason: null };
}

/** Runs one trial to an outcome; never throws for trainer failures. */
export async function trialWorkflow(input: TrialInput): Promise<TrialOutcome> {
  const train = trainActivity(input.timeLimitSeconds, input.gpuTaskQueue ?? GPU_TASK_QUEUE, input.heartbeatTimeoutSeconds ?? DEFAULT_TRIAL_HEARTBEAT_TIMEOUT_SECONDS);
  const outcome: TrialOutcome = {
    trialId: input.trialId,
    trialNumber: input.trialNumber,
    config: input.config,
    finalConfig: input.config,
    status: 'failed',
    loss: null,
    durationSeconds: 0,
    oomLevel: 0,
    checkpointPath: null,
    result: null,
    error: null,
  };
  const startedAt = Date.now();
  try {
    for (;;) {
      try {
        const result = await train({
          pipelineId: input.pipelineId,
          stage: input.stage,
          trialId: input.trialId,
          trialNumber: input.trialNumber,
          config: outcome.finalConfig,
          oomLevel: outcome.oomLevel,
          trainer: input.trainer,
          artifactRoot: input.artifactRoot,
          timeLimitSeconds: input.timeLimitSeconds,
          progressReport: { workflowId: input.stageWorkflowId, intervalSeconds: input.progressSignalSeconds ?? 60 },
        });
        Object.assign(outcome, { status: 'succeeded', loss: result.loss, checkpointPath: result.checkpointPath, result });
        break;
      } catch (err) {
        if (isCancellation(err)) throw err;
        const failure = failureOf(err);
        outcome.failure = { type: failure.type, reason: failure.reason };
        if (failure.type === 'CudaOutOfMemory') {
          const next = halveBatch(outcome.finalConfig);
          if (next) {
            outcome.finalConfig = next;
            outcome.oomLevel += 1;
            outcome.failure = null;
            continue;
          }
          Object.assign(outcome, { status: 'infeasible', error: 'CUDA out of memory at batch size 1' });
        } else if (failure.type === 'TrainerTimeout') {
          Object.assign(outcome, { status: 'too_slow', error: failure.message });
        } else {
          Object.assign(outcome, { status: 'failed', error: `${failure.type}: ${failure.message}` });
        }
        break;
      }
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    Object.assign(outcome, { status: 'cancelled', error: 'cancelled by the user' });
  }
  // GPU time of all attempts (the OOM ladder's too), as the workflow clock saw it.
  outcome.durationSeconds = (Date.now() - startedAt) / 1000;
  // Report even when cancelled: the stage is waiting for this signal.
  // (If the stage is gone — terminated by hand — there is no one to tell; the outcome is the result.)
  await CancellationScope.nonCancellable(() => getExternalWorkflowHandle(input.stageWorkflowId).signal(trialFinishedSignal, outcome)).catch(() => undefined);
  return outcome;
}
