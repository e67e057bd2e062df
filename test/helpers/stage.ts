/** Building stage inputs and reading what really ran from workflow histories and /proc. */
import { readdirSync, readFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import type { Config } from '../../src/domain';
import { seedSearchSpace } from '../../src/space';
import { simulatorTrainerSpec } from '../../src/trainer';
import type { StageInput, StagePlan } from '../../workflows/types';
import { tempDir } from './tmp';

export function stageInput(opts: {
  pipelineId: string;
  queue: string;
  maxTrials: number;
  parallelism: number;
  initialConfigs?: Config[];
  timeScale?: number;
  gpuGb?: number;
  plan?: Partial<StagePlan>;
}): StageInput {
  return {
    pipelineId: opts.pipelineId,
    artifactRoot: tempDir(),
    seed: 1,
    trainer: simulatorTrainerSpec({ timeScale: opts.timeScale ?? 20000, gpuGb: opts.gpuGb }),
    index: 0,
    baseModel: 'marksverdhai/vibevoice-7b-bnb-8bit',
    warmStart: [],
    gpuTaskQueue: `${opts.queue}-gpu`,
    plan: {
      name: 'stage1',
      title: 'test stage',
      datasetName: 'heiertech/vibevoice-mcv-scripted-no-v24',
      epochs: 1,
      space: seedSearchSpace(),
      initialConfigs: opts.initialConfigs ?? [],
      warmStartTopK: 0,
      budget: { maxTrials: opts.maxTrials },
      parallelism: opts.parallelism,
      trialTimeLimitSeconds: 3600,
      costAware: false,
      ...opts.plan,
    },
  };
}

/** [start, end] of every train activity attempt of the given trial workflows, from their histories. */
export async function trainIntervals(client: Client, trialIds: string[]): Promise<Array<[number, number]>> {
  const out: Array<[number, number]> = [];
  for (const id of trialIds) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    const started = new Map<string, number>();
    for (const e of history.events ?? []) {
      const t = Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
      if (e.activityTaskStartedEventAttributes) started.set(String(e.activityTaskStartedEventAttributes.scheduledEventId), t);
      const done = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskCanceledEventAttributes;
      if (done) {
        const s = started.get(String(done.scheduledEventId));
        if (s !== undefined) out.push([s, t]);
      }
    }
  }
  return out;
}

export function maxOverlap(intervals: Array<[number, number]>): number {
  const events = intervals.flatMap(([s, e]) => [
    [s, 1],
    [e, -1],
  ]);
  events.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let cur = 0;
  let max = 0;
  for (const [, d] of events) {
    cur += d!;
    max = Math.max(max, cur);
  }
  return max;
}

/** Pids of live processes whose command line contains `needle` (e.g. a trial's output dir). */
export function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (cmd.includes(needle) && !/\) Z /.test(stat)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}
