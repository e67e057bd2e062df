/**
 * Names shared by every layer: a Config is one point of the search space, an Observation is what
 * a finished trial taught the optimizer. No Temporal imports here (see DESIGN.md, "Layout").
 */

/** One hyperparameter assignment: parameter name → value. Categorical values may be strings. */
export type Config = Record<string, number | string>;

/**
 * How a trial ended, as the optimizer sees it.
 * - succeeded: the trainer exited 0 with its final runtime dict; `loss` is set.
 * - infeasible: CUDA OOM even at batch size 1 (the feasibility model learns from it).
 * - failed: a trainer error that bounded retries did not fix.
 * - too_slow: stopped at the per-trial time limit.
 * - cancelled: stopped by the user (`stopStage --now`); not evidence about the config.
 */
export type TrialStatus = 'succeeded' | 'infeasible' | 'failed' | 'too_slow' | 'cancelled';

export interface Observation {
  trialId: string;
  config: Config;
  status: TrialStatus;
  /** Final loss; null unless status is 'succeeded'. Never NaN or infinite. */
  loss: number | null;
  /** Wall-clock seconds of GPU time the trial used (all attempts). */
  durationSeconds: number;
}
