/**
 * Signals, queries and updates of the pipeline and stage workflows, with the descriptions the
 * Web UI shows in its Queries, Signal and Update dialogs.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { TrialProgressReport } from '../activities/types';
import type { Config } from '../src/domain';
import type { PipelineState, StageBudget, StageState, StopMode, TrialOutcome } from './types';

export const stopPipelineSignal = defineSignal<[{ mode?: StopMode }]>('stopPipeline');
export const pipelineStateQuery = defineQuery<PipelineState>('pipelineState');

export const stopStageSignal = defineSignal<[{ mode?: StopMode }]>('stopStage');
export const stageStateQuery = defineQuery<StageState>('stageState');
/** Sent by a trial workflow to its stage when it ends (by stage id, so it survives continue-as-new). */
export const trialFinishedSignal = defineSignal<[TrialOutcome]>('trialFinished');
/** Sent by the train activity while a trial runs (rate-limited): step, epoch, loss. */
export const trialProgressSignal = defineSignal<[TrialProgressReport]>('trialProgress');

export const setBudgetUpdate = defineUpdate<StageBudget, [Partial<StageBudget>]>('setBudget');
export const setParallelismUpdate = defineUpdate<number, [{ parallelism: number }]>('setParallelism');
export const enqueueConfigUpdate = defineUpdate<number, [{ config: Config }]>('enqueueConfig');
export const excludeValueUpdate = defineUpdate<Array<{ param: string; value: number | string }>, [{ param: string; value: number | string }]>('excludeValue');

export const DESCRIPTIONS = {
  stopPipeline: 'Stop the pipeline: {"mode":"graceful"} lets running trials finish, {"mode":"now"} cancels them; no later stage starts.',
  pipelineState: 'Stages with status, best loss, best trial and checkpoint.',
  stopStage: 'Stop this stage: {"mode":"graceful"} (no new trials, running ones finish) or {"mode":"now"} (running trials are cancelled, their processes killed). The pipeline goes on with the next stage.',
  stageState: 'Trials with config, status, loss and duration; the best so far; queued configs; budget used.',
  trialFinished: 'Internal: a trial workflow reports its outcome.',
  trialProgress: 'Internal: the train activity reports a running trial\'s step, epoch and loss.',
  setBudget: 'Change the budget: {"maxTrials"?: int, "maxGpuHours"?: number, "targetLoss"?: number}. Returns the new budget.',
  setParallelism: 'Change how many trials run at once: {"parallelism": int ≥ 1}. Returns the new value.',
  enqueueConfig: 'Run this config next: {"config": {...}} with every parameter of the search space. Returns its place in the queue.',
  excludeValue: 'Never suggest this value again, e.g. {"param":"per_device_train_batch_size","value":8}. Returns the exclusions.',
} as const;
