/**
 * Plain-line progress from the workflows' queries: one line when a stage starts, when a trial
 * starts and when it ends. Used by the demo and by `vibeopt watch` off a terminal.
 */
import type { Client } from '@temporalio/client';
import { pipelineStateQuery, stageStateQuery } from '../../workflows/messages';
import { stageWorkflowId } from '../../workflows/pipeline';
import type { PipelineInput, StageState, TrialView } from '../../workflows/types';

/** The config in one short line: the parameters people look at first. */
export function formatConfig(c: TrialView['config']): string {
  return `lr ${Number(c.learning_rate).toExponential(2)} r ${c.lora_r} α ${c.lora_alpha} batch ${c.per_device_train_batch_size}x${c.gradient_accumulation_steps} ddpm ${c.ddpm_batch_mul}`;
}

export class ProgressPrinter {
  private seen = new Map<string, string>();
  private stagesSeen = new Set<string>();
  private busy = false;

  constructor(
    private readonly client: Client,
    private readonly input: Pick<PipelineInput, 'pipelineId'>,
    private readonly print: (line: string) => void,
  ) {}

  async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const p = await this.client.workflow.getHandle(this.input.pipelineId).query(pipelineStateQuery);
      for (const st of p.stages) {
        if (st.status === 'pending' || st.status === 'skipped') continue;
        let state: StageState;
        try {
          state = await this.client.workflow.getHandle(stageWorkflowId(this.input.pipelineId, st.name)).query(stageStateQuery);
        } catch {
          continue; // not started yet, or closed and its worker gone
        }
        this.report(state);
      }
    } catch {
      // The pipeline may not have had its first workflow task yet.
    } finally {
      this.busy = false;
    }
  }

  report(state: StageState): void {
    if (!this.stagesSeen.has(state.stage)) {
      this.stagesSeen.add(state.stage);
      this.print(`== ${state.stage}: ${state.title} (base ${state.baseModel}; ${state.budget.maxTrials} trials, ${state.parallelism} at a time)`);
    }
    for (const t of state.trials) {
      const key = `${t.state}:${t.status}`;
      if (this.seen.get(t.trialId) === key) continue;
      this.seen.set(t.trialId, key);
      if (t.state === 'running') {
        this.print(`   ${t.trialId} started (${t.source}): ${formatConfig(t.config)}`);
      } else {
        const loss = t.loss !== null ? `loss ${t.loss.toFixed(4)}` : t.status;
        const best = state.best?.trialId === t.trialId ? '  ← best so far' : '';
        this.print(`   ${t.trialId} ${t.status === 'succeeded' ? 'done' : t.status}: ${loss} in ${t.durationSeconds.toFixed(1)} s${t.error && t.status !== 'succeeded' ? ` (${t.error.slice(0, 120)})` : ''}${best}`);
      }
    }
  }
}
