/**
 * The benchmark worker's workflows: the production ones, plus the batch-synchronous baseline
 * (the seed's "run a batch, wait for all of it, analyze, iterate"). The baseline lives here, not
 * in workflows/: it is registered only by the benchmark worker.
 */
import { executeChild, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type * as suggestActivities from '../activities/suggest';
import type { Observation } from '../src/domain';
import { trialFinishedSignal } from '../workflows/messages';
import { trialInput } from '../workflows/stage';
import { trialWorkflow } from '../workflows/trial';
import type { StageInput, TrialOutcome } from '../workflows/types';

export { pipelineWorkflow, stageWorkflow, trialWorkflow } from '../workflows';

const { suggestConfigs } = proxyActivities<typeof suggestActivities>({ startToCloseTimeout: '5m', retry: { maximumAttempts: 5 } });

/**
 * Batches of `parallelism` trials: suggest a batch, start it, wait for every trial of it, record,
 * repeat until maxTrials. The same trial workflow, train activity and suggest activity as ours.
 */
export async function batchSyncStageWorkflow(input: StageInput): Promise<TrialOutcome[]> {
  // Trials report to their stage by signal; the baseline reads their results instead.
  setHandler(trialFinishedSignal, () => undefined);
  const stageId = workflowInfo().workflowId;
  const plan = input.plan;
  const finished: TrialOutcome[] = [];
  let next = 1;
  while (finished.length < plan.budget.maxTrials) {
    const count = Math.min(plan.parallelism, plan.budget.maxTrials - finished.length);
    const observations: Observation[] = finished.map((t) => ({ trialId: t.trialId, config: t.config, status: t.status, loss: t.loss, durationSeconds: t.durationSeconds }));
    const suggestions = await suggestConfigs({ space: plan.space, observations, pending: [], count, seed: input.seed, costAware: plan.costAware });
    const batch = await Promise.all(
      suggestions.map((s) => {
        const args = trialInput(input, stageId, next++, s.config);
        return executeChild(trialWorkflow, { workflowId: args.trialId, args: [args] });
      }),
    );
    finished.push(...batch);
  }
  return finished;
}
