/**
 * The Temporal dev server stopped mid-stage and started again on the same SQLite file and port:
 * the worker processes reconnect by themselves, the pipeline completes, and no trial is lost or
 * run twice.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { startDevServer, type DevServer } from '../../workers/devserver';
import { pipelineWorkflow } from '../../workflows/pipeline';
import { checkpointSteps, freePort, spawnWorker, stopAllStarted, trainerOutputDirOf, waitFor, type WorkerProcess } from '../helpers/processes';
import { smallPipeline } from '../helpers/pipeline';
import { processesMentioning } from '../helpers/stage';
import { tempDir } from '../helpers/tmp';
import { slowSimulator, trainAttempts } from './setup';

describe('dev server restart mid-stage', () => {
  let server: DevServer | undefined;
  after(async () => {
    await stopAllStarted();
    await server?.stop();
  });

  it('the pipeline completes after the server comes back on the same SQLite file; no trial lost or run twice', async (t) => {
    const dbFilename = path.join(tempDir('vibeopt-restart-'), 'temporal.sqlite');
    const port = await freePort();
    server = await startDevServer({ dbFilename, port });
    const address = server.address;
    const procs: WorkerProcess[] = [];
    try {
      procs.push(
        ...(await Promise.all([
          spawnWorker({ queue: 'cpu', address }),
          spawnWorker({ queue: 'gpu', gpu: '0', address }),
          spawnWorker({ queue: 'gpu', gpu: '1', address }),
        ])),
      );
      const gpus = procs.slice(1);
      const input = smallPipeline('restart', { trials: [4, 1, 1], parallelism: 2, queue: 'unused' });
      delete input.gpuTaskQueue;
      input.trainer = slowSimulator({ stepMs: 100 });
      input.stages.forEach((st) => (st.trialHeartbeatTimeoutSeconds = 10));
      const handle = await server.env.client.workflow.start(pipelineWorkflow, { workflowId: input.pipelineId, taskQueue: 'cpu', args: [input] });

      // Stop the server while both GPUs train stage 1 and a checkpoint exists.
      await waitFor(
        'two stage-1 trainers running, one with a checkpoint',
        () => {
          const dirs = gpus.map((g) => trainerOutputDirOf(g.pid));
          return dirs.every((d) => d?.includes('stage1')) && dirs.some((d) => checkpointSteps(d!).length > 0);
        },
        90_000,
        50,
      );
      const downAt = Date.now();
      await server.stop();
      server = undefined;
      // Down for a few seconds: trials keep training; heartbeats and completions cannot reach the server.
      await new Promise((r) => setTimeout(r, 3000));
      server = await startDevServer({ dbFilename, port });
      t.diagnostic(`server down for ${((Date.now() - downAt) / 1000).toFixed(1)} s; worker processes alive afterwards: ${procs.filter((p) => p.child.exitCode === null && p.child.signalCode === null).length}/3`);
      // The workers are expected to reconnect by themselves (the SDK's core retries its polls).
      assert.ok(procs.every((p) => p.child.exitCode === null && p.child.signalCode === null), `every worker process survived the restart:\n${procs.map((p) => p.output().slice(-2000)).join('\n')}`);

      const result = await server.env.client.workflow.getHandle<typeof pipelineWorkflow>(handle.workflowId).result();
      assert.deepEqual(result.stages.map((s) => s.trials.length), [4, 1, 1]);
      const stage1 = result.stages[0]!;
      assert.deepEqual(stage1.trials.map((x) => x.trialNumber), [1, 2, 3, 4]);
      assert.ok(result.stages.every((s) => s.trials.every((x) => x.status === 'succeeded')), JSON.stringify(result.stages.map((s) => s.trials.map((x) => `${x.status} ${x.error}`))));
      const ids = result.stages.flatMap((s) => s.trials.map((x) => x.trialId));
      assert.equal(new Set(ids).size, 6);
      const attempts = await trainAttempts(server.env.client, ids);
      for (const [id, a] of attempts) assert.equal(a.completed, 1, `${id} trained to completion once`);
      t.diagnostic(`train attempts per trial: ${[...attempts].map(([id, a]) => `${id.replace('restart-', '')}:${a.attempts.join('/')}`).join(', ')}`);
    } finally {
      await Promise.all(procs.map((p) => p.stop()));
    }
    await waitFor('no trainer process left', () => processesMentioning('restart-stage').length === 0, 15_000);
  });
});
