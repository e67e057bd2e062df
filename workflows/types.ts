/**
 * Inputs, results and query views of the pipeline, stage and trial workflows. Plain data only:
 * everything here travels through Temporal's history, so no secrets and no checkpoint payloads
 * (checkpoints travel as paths under the artifact root).
 */
import type { Config, TrialStatus } from '../src/domain';
import type { SearchSpace } from '../src/space';
import type { TrainerSpec } from '../src/trainer';
import type { TrainResult, TrialProgressReport } from '../activities/types';

export interface StageBudget {
  /** Trials to start in this stage (including warm-start and enqueued configs). */
  maxTrials: number;
  /** Stop starting trials once this much GPU time is used (running trials count as they go). */
  maxGpuHours?: number;
  /** End the stage early once a trial reaches this loss or lower. */
  targetLoss?: number;
}

/** One stage of the plan, as the validated pipeline config describes it. */
export interface StagePlan {
  name: string;
  title: string;
  /** Hugging Face dataset id; a stage without one stops the pipeline before anything runs. */
  datasetName: string | null;
  epochs: number;
  /** Base model of the first stage; later stages start from the previous stage's best checkpoint. */
  baseModel?: string;
  space: SearchSpace;
  /** Configs run first (stage 1: the seed's five named configs). */
  initialConfigs: Config[];
  /** How many of the previous stage's best configs are run first (warm start). */
  warmStartTopK: number;
  budget: StageBudget;
  /** Trials running at once: one per GPU. */
  parallelism: number;
  /** A trial running longer is stopped and recorded as too slow. */
  trialTimeLimitSeconds: number;
  /** Make the acquisition improvement per GPU-hour. */
  costAware: boolean;
  /** How often a running trial signals its progress to the stage (default 60 s; also at each checkpoint). */
  progressSignalSeconds?: number;
  /**
   * Heartbeat timeout of the train activity: how long a dead GPU worker goes unnoticed before the
   * trial is retried (resuming from its last checkpoint). Default 120.
   */
  trialHeartbeatTimeoutSeconds?: number;
  /**
   * Circuit breaker: after this many trials in a row fail (trainer crashes, missing binary, garbage
   * output; not OOM, NaN loss or time limits) the stage starts no new trial and ends with
   * stoppedBy 'failing' and the reason in its state. Default 3; 0 turns it off.
   */
  maxConsecutiveFailures?: number;
}

export interface PublishSpec {
  enabled: boolean;
  /** Argument array; `{checkpoint}`, `{repo}` and `{stage}` are replaced in each element. */
  command: string[];
  /** Repo name pattern, e.g. `heiertech/vibevoice-7b-nob-qlora-{stage}-bayesopt`. */
  repoPattern: string;
  /** Start the next stage from the published repo id instead of the local path. */
  nextStageFromPublished: boolean;
}

export interface PipelineInput {
  /** Also the workflow id: launching the same name again attaches to the running pipeline. */
  pipelineId: string;
  artifactRoot: string;
  seed: number;
  trainer: TrainerSpec;
  stages: StagePlan[];
  publish?: PublishSpec;
  /** Task queue of the GPU workers (default `gpu`): separate pools, or isolated tests. */
  gpuTaskQueue?: string;
}

export interface StageInput {
  pipelineId: string;
  artifactRoot: string;
  seed: number;
  trainer: TrainerSpec;
  plan: StagePlan;
  index: number;
  baseModel: string;
  /** Previous stage's best configs, run first. */
  warmStart: Config[];
  gpuTaskQueue?: string;
}

export interface TrialInput {
  pipelineId: string;
  /** The stage workflow to report to (by id, so the newest run after continue-as-new gets it). */
  stageWorkflowId: string;
  artifactRoot: string;
  trainer: TrainerSpec;
  stage: { name: string; index: number; datasetName: string; baseModel: string; epochs: number };
  trialId: string;
  trialNumber: number;
  config: Config;
  timeLimitSeconds: number;
  gpuTaskQueue?: string;
  progressSignalSeconds?: number;
  /** Heartbeat timeout of the train activity (default 120 s). */
  heartbeatTimeoutSeconds?: number;
}

export interface TrialOutcome {
  trialId: string;
  trialNumber: number;
  /** The config the optimizer suggested. */
  config: Config;
  /** The config that last ran (batch halved by the OOM ladder). */
  finalConfig: Config;
  status: TrialStatus;
  loss: number | null;
  durationSeconds: number;
  oomLevel: number;
  checkpointPath: string | null;
  result: TrainResult | null;
  error: string | null;
  /** Failure type and finer reason of the last attempt (e.g. TrainerError / nan_loss), when it failed. */
  failure?: { type: string; reason: string | null } | null;
}

export type TrialView = Pick<TrialOutcome, 'trialId' | 'trialNumber' | 'config' | 'status' | 'loss' | 'durationSeconds' | 'error'> & {
  /** 'running' until the trial reports. */
  state: 'running' | 'finished';
  startedAt: number;
  source: string;
  /** The last progress a running trial reported (step, epoch, loss, samples/s). */
  progress: Omit<TrialProgressReport, 'trialId'> | null;
};

export interface StageState {
  stage: string;
  title: string;
  phase: 'running' | 'stopping' | 'completed';
  stopMode: StopMode | null;
  parallelism: number;
  budget: StageBudget;
  used: { trialsStarted: number; trialsFinished: number; gpuHours: number };
  trials: TrialView[];
  best: TrialView | null;
  /** Configs queued to run next (enqueued by a user, warm start). */
  queued: Config[];
  excluded: Array<{ param: string; value: number | string }>;
  baseModel: string;
  /** Set when the circuit breaker stopped the stage from starting trials: why. */
  halted: { reason: string } | null;
}

export interface StageResult {
  stage: string;
  title: string;
  best: TrialOutcome | null;
  /** Best configs first, for warm-starting the next stage. */
  topConfigs: Config[];
  trials: TrialOutcome[];
  gpuHours: number;
  /** 'failing': the circuit breaker (see StagePlan.maxConsecutiveFailures and `halted`). */
  stoppedBy: 'budget' | 'target' | 'user' | 'exhausted' | 'failing';
  /** The circuit breaker's reason, when stoppedBy is 'failing'. */
  halted?: { reason: string } | null;
  /** The model the next stage starts from: the published repo id or the best checkpoint path. */
  nextBaseModel: string | null;
}

export interface PipelineResult {
  pipelineId: string;
  stages: StageResult[];
  stopped: boolean;
}

export type StopMode = 'graceful' | 'now';

export interface PipelineState {
  pipelineId: string;
  phase: 'running' | 'stopping' | 'completed' | 'failed';
  currentStage: string | null;
  stages: Array<{ name: string; title: string; status: 'pending' | 'running' | 'completed' | 'skipped'; bestLoss: number | null; bestTrialId: string | null; checkpointPath: string | null }>;
}
