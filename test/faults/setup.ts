/** Shared set-up of the fault tests: a stage on the default `cpu`/`gpu` queues with a slow simulator. */
import type { Client } from '@temporalio/client';
import type { Config } from '../../src/domain';
import { NAMED_INITIAL_CONFIGS } from '../../src/space';
import { simulatorTrainerSpec, type TrainerSpec } from '../../src/trainer';
import type { StageInput, StagePlan } from '../../workflows/types';
import { stageInput } from '../helpers/stage';

export const NAMED: Config[] = NAMED_INITIAL_CONFIGS.map((n) => ({ ...n.config }));

/**
 * The simulator slowed down to `stepMs` per step over a small data set (~20 steps per trial at
 * epochs 1 for the named configs), logging every 2 steps and checkpointing every `saveSteps`.
 */
export function slowSimulator(opts: { stepMs: number; saveSteps?: number; env?: Record<string, string> }): TrainerSpec {
  const spec = simulatorTrainerSpec({
    timeScale: 20000,
    env: { VIBEOPT_SIM_DATASET_SIZE: '2780', VIBEOPT_SIM_MIN_STEP_MS: String(opts.stepMs), ...opts.env },
  });
  spec.fixedArgs = spec.fixedArgs.map((a) =>
    'flag' in a && a.flag === 'save_steps' ? { ...a, value: opts.saveSteps ?? 4 } : 'flag' in a && a.flag === 'logging_steps' ? { ...a, value: 2 } : a,
  );
  return spec;
}

/** A stage on the CLI workers' default queues (`cpu` for workflows, `gpu` for the train activity). */
export function defaultQueueStage(opts: { pipelineId: string; maxTrials: number; parallelism: number; trainer: TrainerSpec; initialConfigs?: Config[]; plan?: Partial<StagePlan> }): StageInput {
  const input = stageInput({ pipelineId: opts.pipelineId, queue: 'unused', maxTrials: opts.maxTrials, parallelism: opts.parallelism, initialConfigs: opts.initialConfigs, plan: opts.plan });
  delete input.gpuTaskQueue;
  return { ...input, trainer: opts.trainer };
}

/** Per trial workflow: how many train activities completed and the attempt of each. */
export async function trainAttempts(client: Client, trialIds: string[]): Promise<Map<string, { completed: number; attempts: number[] }>> {
  const out = new Map<string, { completed: number; attempts: number[] }>();
  for (const id of trialIds) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    const rec = { completed: 0, attempts: [] as number[] };
    for (const e of history.events ?? []) {
      if (e.activityTaskStartedEventAttributes) rec.attempts.push(e.activityTaskStartedEventAttributes.attempt ?? 1);
      if (e.activityTaskCompletedEventAttributes) rec.completed++;
    }
    out.set(id, rec);
  }
  return out;
}
