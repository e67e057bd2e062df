/**
 * kill -9 of the CPU worker (workflows and the suggest activity) mid-stage: trials keep training
 * on the GPU workers and report by signal while it is gone; a new CPU worker replays the stage
 * from its history and goes on. Every trial once, the budget exactly spent.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DevServer } from '../../workers/devserver';
import { stageWorkflow } from '../../workflows/stage';
import { startTestServer } from '../helpers/env';
import { spawnWorker, stopAllStarted, trainerOutputDirOf, waitFor, type WorkerProcess } from '../helpers/processes';
import { processesMentioning } from '../helpers/stage';
import { defaultQueueStage, slowSimulator, trainAttempts } from './setup';

describe('kill -9 of the CPU worker mid-stage', () => {
  let server: DevServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await stopAllStarted();
    await server?.stop();
  });

  it('a new CPU worker replays the workflows and the stage goes on; no trial lost or run twice', async (t) => {
    const procs: WorkerProcess[] = [];
    try {
      const [cpu, ...gpus] = await Promise.all([
        spawnWorker({ queue: 'cpu', address: server.address }),
        spawnWorker({ queue: 'gpu', gpu: '0', address: server.address }),
        spawnWorker({ queue: 'gpu', gpu: '1', address: server.address }),
      ]);
      procs.push(...gpus);
      // Four trials of the GP (no initial configs: every config comes from the suggest activity).
      const input = defaultQueueStage({ pipelineId: 'cpukill', maxTrials: 4, parallelism: 2, trainer: slowSimulator({ stepMs: 300 }), plan: { trialHeartbeatTimeoutSeconds: 10 } });
      const handle = await server.env.client.workflow.start(stageWorkflow, { workflowId: 'cpukill-stage1', taskQueue: 'cpu', args: [input] });

      // Both GPUs training: the suggest activity is not running; kill the CPU worker now.
      await waitFor('two trainers running', () => gpus.every((g) => trainerOutputDirOf(g.pid) !== null), 60_000, 50);
      await cpu!.kill9();
      // While no CPU worker runs, the trials finish and their reports wait in the stage's history.
      await waitFor('the first trials to finish training', () => gpus.every((g) => trainerOutputDirOf(g.pid) === null), 60_000);
      const cpu2 = await spawnWorker({ queue: 'cpu', address: server.address });
      procs.push(cpu2);
      const result = await handle.result();

      assert.equal(result.trials.length, 4);
      assert.deepEqual(result.trials.map((x) => x.trialNumber), [1, 2, 3, 4]);
      assert.equal(new Set(result.trials.map((x) => x.trialId)).size, 4);
      assert.ok(result.trials.every((x) => x.status === 'succeeded'), `statuses: ${result.trials.map((x) => `${x.status} ${x.error}`).join('; ')}`);
      const attempts = await trainAttempts(server.env.client, result.trials.map((x) => x.trialId));
      for (const [id, a] of attempts) assert.equal(a.completed, 1, `${id} trained once`);
      const n = (await server.env.client.workflow.count('WorkflowId STARTS_WITH "cpukill-stage1-trial-"')).count;
      assert.ok(n <= 4, `no extra trial workflows (${n})`);

      // The stage's workflow tasks were completed by two different CPU workers: the second replayed it.
      const history = await handle.fetchHistory();
      const identities = new Set((history.events ?? []).map((e) => e.workflowTaskCompletedEventAttributes?.identity).filter(Boolean));
      t.diagnostic(`stage workflow tasks completed by: ${[...identities].join(', ')}`);
      assert.ok(identities.size >= 2, `workflow tasks completed by ${[...identities].join(', ')}`);
    } finally {
      await Promise.all(procs.map((p) => p.stop()));
    }
    assert.deepEqual(processesMentioning('cpukill-stage1-trial'), [], 'no trainer process left');
  });
});
