/**
 * Types of the train activity, importable by workflows with `import type` (no runtime code here).
 * Nothing in these types ever carries a secret: the trainer's secrets are read from the GPU
 * worker's environment by name (TrainerSpec.passEnv).
 */
import type { Config } from '../src/domain';
import type { TrainerProgress } from '../src/trainer/logParser';
import type { TrainerSpec } from '../src/trainer/spec';

export type { TrainerSpec } from '../src/trainer/spec';

export interface TrainStage {
  name: string;
  index: number;
  datasetName: string;
  /** Hub id or a previous stage's `lora/` path. */
  baseModel: string;
  epochs: number;
}

export interface TrainInput {
  pipelineId: string;
  stage: TrainStage;
  trialId: string;
  /** The seed's "iteration": the trial's number within its stage. */
  trialNumber: number;
  /** The config as run (after any OOM halving). */
  config: Config;
  /** How many times the batch was halved for OOM (0 = as suggested). */
  oomLevel: number;
  trainer: TrainerSpec;
  artifactRoot: string;
  /** Stop the trainer after this many seconds of this trial (all attempts at this OOM level). */
  timeLimitSeconds?: number;
  /** Signal progress to this workflow (the stage) every `intervalSeconds` and at each new checkpoint. */
  progressReport?: { workflowId: string; intervalSeconds: number };
}

/** What the train activity signals to the stage while a trial runs (the stage's `trialProgress`). */
export interface TrialProgressReport extends TrainerProgress {
  trialId: string;
}

export interface TrainMetrics {
  samplesPerSecond: number | null;
  totalSteps: number;
  peakGpuMemoryMiB: number | null;
  /** ≤ 200 points, the whole trial (including steps before a resume when trainer_state.json has them). */
  lossCurve: Array<{ step: number; loss: number }>;
  resumedFromStep: number | null;
  /** The final dict's train_runtime (seconds of training as the trainer measured it), if printed. */
  trainRuntimeSeconds: number | null;
}

export interface TrainResult {
  trialId: string;
  loss: number;
  /** Wall-clock seconds across the attempts that produced this result (a resumed attempt adds the earlier ones). */
  durationSeconds: number;
  /** The `lora/` directory: the artifact the next stage starts from. */
  checkpointPath: string;
  outputDir: string;
  metrics: TrainMetrics;
}

/** Heartbeat details of the train activity (also what a retried attempt reads to resume). */
export interface TrainHeartbeat extends TrainerProgress {
  attempt: number;
  oomLevel: number;
}

/** ApplicationFailure types thrown by the train activity. */
export type TrainFailureType = 'CudaOutOfMemory' | 'HostOutOfMemory' | 'TrainerError' | 'TrainerTimeout' | 'TrainerNotFound';

/** The first element of `ApplicationFailure.details` for every train failure. */
export interface TrainFailureDetails {
  /** Finer reason: bad_flag, nan_loss, exit_code, no_final_dict, no_metric, no_artifact, spawn_failed, time_limit, stalled, ... */
  reason: string;
  /** Last lines of training.log (secret values redacted). */
  logTail: string;
  exitCode: number | null;
  signal: string | null;
  outputDir: string;
  step: number | null;
  maxSteps: number | null;
  oomLevel: number;
  durationSeconds: number;
}
