/**
 * The client-side commands: start, status, watch, stop, stop-stage and the stage updates. They talk
 * to the workflows only through their signals, queries and updates (workflows/messages.ts).
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { loadPipelineConfig, toPipelineInput } from '../config/pipeline';
import type { Config } from '../domain';
import { connectClient, type ConnectOptions } from '../../workers/connection';
import { CPU_TASK_QUEUE } from '../../workers/cpu';
import {
  enqueueConfigUpdate,
  excludeValueUpdate,
  pipelineStateQuery,
  setBudgetUpdate,
  setParallelismUpdate,
  stageStateQuery,
  stopPipelineSignal,
  stopStageSignal,
} from '../../workflows/messages';
import { pipelineWorkflow, stageWorkflowId } from '../../workflows/pipeline';
import type { TrainerProgress } from '../trainer/logParser';
import type { PipelineState, StageBudget, StageState } from '../../workflows/types';
import { formatConfig, ProgressPrinter } from './progress';

export function uiBaseUrl(address: string): string {
  if (process.env.VIBEOPT_UI_URL) return process.env.VIBEOPT_UI_URL.replace(/\/$/, '');
  const m = /^(.*):(\d+)$/.exec(address);
  const host = m?.[1] === '127.0.0.1' || !m ? 'localhost' : m[1];
  return `http://${host}:${m ? Number(m[2]) + 1000 : 8233}`;
}

export async function startCommand(opts: ConnectOptions & { config: string }): Promise<void> {
  const config = loadPipelineConfig(opts.config);
  const input = toPipelineInput(config, { baseDir: path.dirname(path.resolve(opts.config)), where: opts.config });
  const { client, namespace, connection } = await connectClient(opts);
  const running = await client.workflow
    .getHandle(input.pipelineId)
    .describe()
    .then((d) => d.status.name === 'RUNNING')
    .catch(() => false);
  // USE_EXISTING: launching again attaches to the running pipeline instead of starting another.
  const handle = await client.workflow.start(pipelineWorkflow, {
    workflowId: input.pipelineId,
    taskQueue: CPU_TASK_QUEUE,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: `vibeopt pipeline ${input.pipelineId}: ${input.stages.map((s) => s.name).join(' → ')}`,
  });
  console.log(`${running ? 'attached to running' : 'started'} pipeline ${input.pipelineId} (run ${handle.firstExecutionRunId})`);
  console.log(`Web UI: ${uiBaseUrl(connection.options.address)}/namespaces/${namespace}/workflows/${input.pipelineId}`);
  console.log(`artifacts: ${path.join(input.artifactRoot, input.pipelineId)}`);
  await connection.close();
}

/** What a running trial last reported: the train activity's heartbeat (TrainerProgress). */
type TrialProgress = Partial<TrainerProgress>;

/** Progress of a running trial: the last heartbeat of its train activity. */
async function trialProgress(client: Client, trialId: string): Promise<{ progress: TrialProgress; startedAt?: Date } | undefined> {
  try {
    const desc = await client.workflow.getHandle(trialId).describe();
    const act = desc.raw.pendingActivities?.[0];
    const payload = act?.heartbeatDetails?.payloads?.[0];
    const progress = payload ? defaultPayloadConverter.fromPayload<TrialProgress>(payload) : {};
    const started = act?.lastStartedTime?.seconds ? new Date(Number(act.lastStartedTime.seconds) * 1000) : undefined;
    return { progress: progress ?? {}, startedAt: started };
  } catch {
    return undefined;
  }
}

export interface Snapshot {
  pipeline: PipelineState;
  stages: StageState[];
  progress: Record<string, { progress: TrialProgress; etaSeconds: number | null }>;
}

export async function snapshot(client: Client, pipelineId: string): Promise<Snapshot> {
  const pipeline = await client.workflow.getHandle(pipelineId).query(pipelineStateQuery);
  const stages: StageState[] = [];
  const progress: Snapshot['progress'] = {};
  for (const st of pipeline.stages) {
    if (st.status === 'pending' || st.status === 'skipped') continue;
    try {
      const state = await client.workflow.getHandle(stageWorkflowId(pipelineId, st.name)).query(stageStateQuery);
      stages.push(state);
      for (const t of state.trials.filter((x) => x.state === 'running')) {
        const p = await trialProgress(client, t.trialId);
        // The fresher of the train activity's last heartbeat and the stage's last progress report.
        const pr = (p?.progress.step ?? -1) >= (t.progress?.step ?? -1) ? p?.progress : (t.progress ?? undefined);
        if (!pr) continue;
        const elapsed = (Date.now() - (p?.startedAt?.getTime() ?? t.startedAt)) / 1000;
        const { step, maxSteps } = pr;
        const eta = step && maxSteps && step > 0 ? (elapsed * (maxSteps - step)) / step : null;
        progress[t.trialId] = { progress: pr, etaSeconds: eta };
      }
    } catch {
      // a stage that has not had its first task yet
    }
  }
  return { pipeline, stages, progress };
}

function fmtDuration(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '?';
  if (s < 90) return `${s.toFixed(0)}s`;
  if (s < 5400) return `${(s / 60).toFixed(0)}m`;
  return `${(s / 3600).toFixed(1)}h`;
}

export function renderSnapshot(s: Snapshot): string {
  const lines: string[] = [];
  lines.push(`pipeline ${s.pipeline.pipelineId}: ${s.pipeline.phase}`);
  for (const st of s.pipeline.stages) {
    const best = st.bestLoss !== null ? `best ${st.bestLoss.toFixed(4)} (${st.bestTrialId})` : '';
    lines.push(`  ${st.name.padEnd(8)} ${st.status.padEnd(10)} ${st.title} ${best}`);
  }
  for (const state of s.stages) {
    if (state.phase === 'completed') continue;
    const running = state.trials.filter((t) => t.state === 'running');
    const done = state.trials.filter((t) => t.state === 'finished');
    lines.push('');
    lines.push(
      `${state.stage} (${state.phase}${state.stopMode ? `, stop ${state.stopMode}` : ''}): ${done.length} done, ${running.length} running of ${state.budget.maxTrials}; ` +
        `parallelism ${state.parallelism}; GPU-hours ${state.used.gpuHours.toFixed(2)}${state.budget.maxGpuHours ? ` / ${state.budget.maxGpuHours}` : ''}`,
    );
    if (state.best) lines.push(`  best so far: ${state.best.trialId} loss ${state.best.loss?.toFixed(4)}`);
    for (const t of running) {
      const p = s.progress[t.trialId];
      const pr = p?.progress;
      const stepText = pr?.step != null ? `step ${pr.step}/${pr.maxSteps ?? '?'} epoch ${pr.epoch != null ? Number(pr.epoch).toFixed(2) : '?'}` : 'starting';
      const loss = pr?.loss != null ? ` loss ${Number(pr.loss).toFixed(4)}` : '';
      lines.push(`  ▶ ${t.trialId}: ${stepText}${loss} ETA ${fmtDuration(p?.etaSeconds ?? null)}  ${formatConfig(t.config)}`);
    }
    if (state.queued.length) lines.push(`  queued: ${state.queued.length} config(s)`);
  }
  return lines.join('\n');
}

export async function statusCommand(opts: ConnectOptions & { pipeline: string; json?: boolean }): Promise<void> {
  const { client, connection } = await connectClient(opts);
  try {
    const s = await snapshot(client, opts.pipeline);
    console.log(opts.json ? JSON.stringify(s, null, 2) : renderSnapshot(s));
  } finally {
    await connection.close();
  }
}

/** Live view: redraws on a terminal; prints one line per event when piped (or with --plain). */
export async function watchCommand(opts: ConnectOptions & { pipeline: string; plain?: boolean; intervalMs?: number }): Promise<void> {
  const { client, connection } = await connectClient(opts);
  const tty = process.stdout.isTTY && !opts.plain;
  const printer = new ProgressPrinter(client, { pipelineId: opts.pipeline }, (l) => console.log(l));
  const handle = client.workflow.getHandle(opts.pipeline);
  try {
    for (;;) {
      const desc = await handle.describe();
      if (tty) {
        const s = await snapshot(client, opts.pipeline).catch(() => undefined);
        if (s) process.stdout.write(`\x1b[2J\x1b[H${renderSnapshot(s)}\n\n(Ctrl-C leaves the pipeline running)\n`);
      } else {
        await printer.poll();
      }
      if (desc.status.name !== 'RUNNING') {
        console.log(`pipeline ${opts.pipeline} ${desc.status.name.toLowerCase()}`);
        if (desc.status.name === 'COMPLETED') {
          const result = await handle.result();
          for (const st of result.stages) console.log(`  ${st.stage}: best ${st.best ? `${st.best.trialId} loss ${st.best.loss?.toFixed(4)} checkpoint ${st.best.checkpointPath}` : 'none'}`);
        } else process.exitCode = 1;
        return;
      }
      await sleep(opts.intervalMs ?? 1000);
    }
  } finally {
    await connection.close();
  }
}

async function currentStage(client: Client, pipelineId: string, stage?: string): Promise<string> {
  if (stage) return stageWorkflowId(pipelineId, stage);
  const p = await client.workflow.getHandle(pipelineId).query(pipelineStateQuery);
  if (!p.currentStage) throw new Error(`pipeline ${pipelineId} has no running stage (phase ${p.phase})`);
  return stageWorkflowId(pipelineId, p.currentStage);
}

export async function stopStageCommand(opts: ConnectOptions & { pipeline: string; stage?: string; now?: boolean }): Promise<void> {
  const { client, connection } = await connectClient(opts);
  try {
    const id = await currentStage(client, opts.pipeline, opts.stage);
    await client.workflow.getHandle(id).signal(stopStageSignal, { mode: opts.now ? 'now' : 'graceful' });
    console.log(`asked ${id} to stop (${opts.now ? 'now: running trials are cancelled' : 'graceful: running trials finish'})`);
  } finally {
    await connection.close();
  }
}

export async function stopPipelineCommand(opts: ConnectOptions & { pipeline: string; now?: boolean }): Promise<void> {
  const { client, connection } = await connectClient(opts);
  try {
    await client.workflow.getHandle(opts.pipeline).signal(stopPipelineSignal, { mode: opts.now ? 'now' : 'graceful' });
    console.log(`asked pipeline ${opts.pipeline} to stop (${opts.now ? 'now' : 'graceful'}); no further stage starts`);
  } finally {
    await connection.close();
  }
}

export type StageUpdate =
  | { kind: 'budget'; patch: Partial<StageBudget> }
  | { kind: 'parallelism'; parallelism: number }
  | { kind: 'enqueue'; config: Config }
  | { kind: 'exclude'; param: string; value: number | string };

export async function stageUpdateCommand(opts: ConnectOptions & { pipeline: string; stage?: string; update: StageUpdate }): Promise<void> {
  const { client, connection } = await connectClient(opts);
  try {
    const handle = client.workflow.getHandle(await currentStage(client, opts.pipeline, opts.stage));
    const u = opts.update;
    let result: unknown;
    if (u.kind === 'budget') result = await handle.executeUpdate(setBudgetUpdate, { args: [u.patch] });
    else if (u.kind === 'parallelism') result = await handle.executeUpdate(setParallelismUpdate, { args: [{ parallelism: u.parallelism }] });
    else if (u.kind === 'enqueue') result = await handle.executeUpdate(enqueueConfigUpdate, { args: [{ config: u.config }] });
    else result = await handle.executeUpdate(excludeValueUpdate, { args: [{ param: u.param, value: u.value }] });
    console.log(JSON.stringify(result));
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new Error(err.cause?.message ?? err.message, { cause: err });
    throw err;
  } finally {
    await connection.close();
  }
}
