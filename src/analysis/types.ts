/** Types shared by the analysis modules (loading, statistics, importance, the report). */
import type { Config, TrialStatus } from '../domain';

/** A trial's status as far as the files tell; 'unknown' when nothing says how it ended. */
export type LoadedStatus = TrialStatus | 'unknown';

export interface LossPoint {
  step: number;
  loss: number;
}

/** One trial read from disk, in either layout (our pipeline's or the seed's experiments/ folder). */
export interface LoadedTrial {
  /** results.json experiment_id, else the folder name. */
  trialId: string;
  stage: string;
  iteration: number | null;
  /** The trial's folder. */
  dir: string;
  layout: 'pipeline' | 'seed';
  /** The config that ran (hyperparameters only: numbers and strings). */
  config: Config;
  status: LoadedStatus;
  /** Final loss; finite or null. */
  finalLoss: number | null;
  /** Where finalLoss came from: results.json, or recovered from training.log. */
  lossSource: 'results.json' | 'training.log' | null;
  trainingTimeSeconds: number | null;
  exitCode: number | null;
  /** e.g. 'CudaOutOfMemory'. */
  failureType: string | null;
  failureMessage: string | null;
  samplesPerSecond: number | null;
  peakGpuMemoryMiB: number | null;
  /** How many times the OOM ladder halved the batch before the config that ran. */
  oomLevel: number;
  /** Loss per step: results.json loss_curve, else parsed from training.log; may be empty. */
  lossCurve: LossPoint[];
  lossCurveSource: 'results.json' | 'training.log' | null;
  /** ISO time the trial finished, when known (orders the optimization history). */
  finishedAt: string | null;
}

export interface LoadResult {
  trials: LoadedTrial[];
  /** One line per skipped or doubtful file, naming the file. */
  warnings: string[];
}
