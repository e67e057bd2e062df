/**
 * kill -9 of GPU worker processes in the middle of trials, several times during one pipeline: each
 * trial is noticed by the heartbeat timeout, retried on a new worker, resumes from its last
 * checkpoint (not step 0), finishes once, and every stage records every trial exactly once, as
 * many as an undisturbed run; no trainer process is left behind.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DevServer } from '../../workers/devserver';
import { stageStateQuery } from '../../workflows/messages';
import { pipelineWorkflow } from '../../workflows/pipeline';
import { startTestServer, startWorkers } from '../helpers/env';
import { checkpointSteps, spawnWorker, stopAllStarted, trainerOutputDirOf, waitFor, type WorkerProcess } from '../helpers/processes';
import { smallPipeline } from '../helpers/pipeline';
import { processesMentioning } from '../helpers/stage';
import { NAMED, slowSimulator, trainAttempts } from './setup';

describe('kill -9 of GPU workers mid-trial, during one pipeline', () => {
  let server: DevServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await stopAllStarted();
    await server?.stop();
  });

  it('each killed trial resumes from its checkpoint on a new worker and is recorded once; no trial lost or duplicated', async (t) => {
    const cpu = await startWorkers(server, { gpus: 0, cpuQueue: 'cpu' });
    const workers: WorkerProcess[] = [];
    try {
      workers.push(...(await Promise.all(['0', '1'].map((gpu) => spawnWorker({ queue: 'gpu', gpu, address: server.address })))));
      // Three stages of 4, 1 and 1 trials (stage 1: the named configs); ~20 steps of 350 ms per
      // trial, a checkpoint every 4 steps; a dead worker is noticed in 3 s.
      const input = smallPipeline('kill9', { trials: [4, 1, 1], parallelism: 2, queue: 'unused' });
      delete input.gpuTaskQueue;
      input.trainer = slowSimulator({ stepMs: 350 });
      input.stages.forEach((st) => Object.assign(st, { epochs: 1, trialHeartbeatTimeoutSeconds: 3 }));
      const handle = await server.env.client.workflow.start(pipelineWorkflow, { workflowId: input.pipelineId, taskQueue: 'cpu', args: [input] });
      let done = false;
      void handle.result().finally(() => (done = true)).catch(() => undefined);

      // Three kills: each time a worker whose trainer has written a checkpoint, in a trial not killed before.
      const killed: Array<{ trialDir: string; step: number }> = [];
      for (let k = 0; k < 3 && !done; k++) {
        const victim = await waitFor(
          `a GPU worker whose trial has a checkpoint (kill ${k + 1})`,
          () => {
            if (done) return { w: null, dir: '', step: 0 };
            for (const w of workers) {
              const dir = trainerOutputDirOf(w.pid);
              const steps = dir ? checkpointSteps(dir) : [];
              if (dir && steps.length > 0 && !killed.some((x) => x.trialDir === dir)) return { w, dir, step: steps.at(-1)! };
            }
            return null;
          },
          60_000,
          50,
        );
        if (!victim.w) break;
        await victim.w.kill9();
        killed.push({ trialDir: victim.dir, step: victim.step });
        workers.splice(workers.indexOf(victim.w), 1, await spawnWorker({ queue: 'gpu', gpu: victim.w.gpu, address: server.address }));
      }
      const pipeline = await handle.result();
      const trials = pipeline.stages.flatMap((st) => st.trials);
      t.diagnostic(`killed workers at checkpoints: ${killed.map((x) => `${path.basename(x.trialDir)}@${x.step}`).join(', ')}; resumed from: ${trials.map((x) => x.result?.metrics.resumedFromStep ?? '-').join(', ')}`);
      assert.ok(killed.length >= 2, `at least two workers were killed mid-trial (${killed.length})`);

      // Every trial exactly once, as many as an undisturbed run; stage 1 ran the four named configs in order.
      assert.deepEqual(pipeline.stages.map((st) => st.trials.length), [4, 1, 1]);
      assert.equal(new Set(trials.map((x) => x.trialId)).size, 6);
      assert.ok(trials.every((x) => x.status === 'succeeded'), `statuses: ${trials.map((x) => `${x.trialId} ${x.status} ${x.error}`).join('; ')}`);
      const result = pipeline.stages[0]!;
      assert.deepEqual(result.trials.map((t) => t.trialNumber), [1, 2, 3, 4]);
      assert.equal(new Set(result.trials.map((t) => t.trialId)).size, 4);
      assert.deepEqual(result.trials.map((t) => t.config), NAMED.slice(0, 4));
      assert.ok(result.trials.every((t) => t.status === 'succeeded'), `statuses: ${result.trials.map((t) => `${t.trialId} ${t.status} ${t.error}`).join('; ')}`);
      const state = await server.env.client.workflow.getHandle('kill9-stage1').query(stageStateQuery);
      assert.equal(state.trials.length, 4);
      assert.equal(state.used.trialsFinished, 4);

      const attempts = await trainAttempts(server.env.client, trials.map((x) => x.trialId));
      for (const { trialDir, step } of killed) {
        const trialId = path.basename(trialDir);
        const tr = trials.find((x) => x.trialId === trialId);
        assert.ok(tr, `killed trial ${trialId} is in the result`);
        const resumed = tr.result?.metrics.resumedFromStep ?? 0;
        assert.ok(resumed >= step, `${trialId} resumed from step ${resumed}, not from 0 (a checkpoint at ${step} existed when its worker died)`);
        const results = JSON.parse(readFileSync(path.join(trialDir, 'results.json'), 'utf8')) as { resumed_from_step: number; attempt: number };
        assert.ok(results.resumed_from_step > 0 && results.attempt >= 2, `results.json: ${JSON.stringify({ resumed: results.resumed_from_step, attempt: results.attempt })}`);
        const a = attempts.get(trialId)!;
        assert.equal(a.completed, 1, `${trialId}: one completed train activity`);
        assert.ok(Math.max(...a.attempts) >= 2, `${trialId}: the completing attempt was a retry (${a.attempts})`);
      }
      for (const [id, a] of attempts) assert.equal(a.completed, 1, `${id} trained to completion once`);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
      await cpu.stop();
    }
    // The killed workers' trainers were orphans in their own process groups: all gone now.
    await waitFor('no trainer process left', () => processesMentioning('kill9-stage').length === 0, 15_000);
  });
});
