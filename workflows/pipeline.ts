/**
 * The pipeline: stage 1 → stage 2 → stage 3, each a child workflow. Stage k+1 starts from stage k's
 * best checkpoint (or its published repo) and runs stage k's best configs first.
 *
 *   pipeline (id = pipeline name)
 *     ├─ <name>-stage1 ── trials <name>-stage1-trial-NNN ── train activity (gpu queue)
 *     ├─ <name>-stage2   (base model: stage 1's best lora/)
 *     └─ <name>-stage3   (base model: stage 2's best lora/)
 */
import {
  ApplicationFailure,
  executeChild,
  getExternalWorkflowHandle,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type * as artifactActivities from '../activities/artifacts';
import { DESCRIPTIONS, pipelineStateQuery, stopPipelineSignal, stopStageSignal } from './messages';
import { pipelineKey } from './search-attributes';
import { stageWorkflow } from './stage';
import type { PipelineInput, PipelineResult, PipelineState, StageResult, StopMode } from './types';
import { validateStopPayload } from './validate';

const { checkCheckpoint, writePipelineSummary, publishCheckpoint } = proxyActivities<typeof artifactActivities>({
  startToCloseTimeout: '30m',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: ['MissingCheckpoint', 'PublishFailed'] },
});

export function stageWorkflowId(pipelineId: string, stage: string): string {
  return `${pipelineId}-${stage}`;
}

export async function pipelineWorkflow(input: PipelineInput): Promise<PipelineResult> {
  // Fail before any GPU time is spent if a stage cannot run.
  const missing = input.stages.filter((st) => !st.datasetName);
  if (missing.length > 0) {
    throw ApplicationFailure.create({
      type: 'InvalidPipeline',
      nonRetryable: true,
      message: `stage ${missing.map((m) => m.name).join(', ')} has no dataset (stages[].datasetName); set it in the pipeline config before launching`,
    });
  }
  if (!input.stages[0]?.baseModel) {
    throw ApplicationFailure.create({ type: 'InvalidPipeline', nonRetryable: true, message: 'stages[0].baseModel is required: the first stage needs a base model' });
  }

  const state: PipelineState = {
    pipelineId: input.pipelineId,
    phase: 'running',
    currentStage: null,
    stages: input.stages.map((st) => ({ name: st.name, title: st.title, status: 'pending', bestLoss: null, bestTrialId: null, checkpointPath: null })),
  };
  let stopMode: StopMode | null = null;
  setHandler(pipelineStateQuery, () => state, { description: DESCRIPTIONS.pipelineState });
  setHandler(
    stopPipelineSignal,
    (payload) => {
      stopMode = validateStopPayload(payload);
      state.phase = 'stopping';
      if (state.currentStage) {
        void getExternalWorkflowHandle(stageWorkflowId(input.pipelineId, state.currentStage)).signal(stopStageSignal, { mode: stopMode }).catch(() => undefined);
      }
    },
    { description: DESCRIPTIONS.stopPipeline },
  );
  upsertSearchAttributes([{ key: pipelineKey, value: input.pipelineId }]);

  const results: StageResult[] = [];
  let baseModel = input.stages[0].baseModel;
  let warmStart: StageResult['topConfigs'] = [];
  for (const [index, plan] of input.stages.entries()) {
    const entry = state.stages[index]!;
    if (stopMode) {
      entry.status = 'skipped';
      continue;
    }
    state.currentStage = plan.name;
    entry.status = 'running';
    setCurrentDetails(`### pipeline ${input.pipelineId}\nrunning **${plan.name}** (${plan.title}) from \`${baseModel}\``);
    if (index > 0) await checkCheckpoint({ path: baseModel, stage: plan.name });
    const result = await executeChild(stageWorkflow, {
      workflowId: stageWorkflowId(input.pipelineId, plan.name),
      args: [{ pipelineId: input.pipelineId, artifactRoot: input.artifactRoot, seed: input.seed, trainer: input.trainer, plan, index, baseModel, warmStart, gpuTaskQueue: input.gpuTaskQueue }],
      staticSummary: `${plan.name}: ${plan.title}`,
      staticDetails: `dataset \`${plan.datasetName}\`, ${plan.epochs} epochs, up to ${plan.budget.maxTrials} trials, ${plan.parallelism} at a time`,
    });
    entry.status = 'completed';
    entry.bestLoss = result.best?.loss ?? null;
    entry.bestTrialId = result.best?.trialId ?? null;
    entry.checkpointPath = result.best?.checkpointPath ?? null;
    if (!result.best?.checkpointPath) {
      results.push(result);
      if (stopMode) continue;
      state.phase = 'failed';
      throw ApplicationFailure.create({
        type: 'StageHadNoSuccess',
        nonRetryable: true,
        message: `${plan.name} ended (${result.stoppedBy}) without a successful trial (${result.trials.length} trials: ${summarize(result)})${result.halted ? `: ${result.halted.reason}` : ''}; later stages need its checkpoint`,
      });
    }
    if (input.publish?.enabled) {
      const repo = await publishCheckpoint({ publish: input.publish, checkpointPath: result.best.checkpointPath, stage: plan.name, pipelineId: input.pipelineId });
      result.nextBaseModel = input.publish.nextStageFromPublished ? repo : result.best.checkpointPath;
    }
    results.push(result);
    baseModel = result.nextBaseModel ?? result.best.checkpointPath;
    warmStart = result.topConfigs.slice(0, input.stages[index + 1]?.warmStartTopK ?? 0);
  }
  state.currentStage = null;
  const final: PipelineResult = { pipelineId: input.pipelineId, stages: results, stopped: stopMode !== null };
  await writePipelineSummary({ artifactRoot: input.artifactRoot, result: final, trainer: input.trainer, plans: input.stages });
  state.phase = 'completed';
  setCurrentDetails(
    [`### pipeline ${input.pipelineId}: completed`, ...results.map((r) => `- **${r.stage}**: best ${r.best ? `${r.best.trialId}, loss ${r.best.loss?.toFixed(4)}` : 'none'} (${r.trials.length} trials)`)].join('\n'),
  );
  return final;
}

function summarize(result: StageResult): string {
  const counts: Record<string, number> = {};
  for (const t of result.trials) counts[t.status] = (counts[t.status] ?? 0) + 1;
  return Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ') || 'none';
}
