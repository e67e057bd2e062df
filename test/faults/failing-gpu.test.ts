/**
 * Slow failure modes (each trial goes through Temporal's bounded retries, ~40 s):
 * - GPU workers whose trainers crash on every attempt (VIBEOPT_SIM_FAIL_RATE=1 in those worker
 *   processes only): each trial stops after its retries, and the circuit breaker keeps the stage
 *   from draining its budget, with the reason in stageState and Current Details.
 * - A trainer that hangs without output: stopped by the stall timeout (TrainerSpec.stallTimeoutSeconds),
 *   recorded as too_slow with the reason (TrainerTimeout is not retried); no process left.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DevServer } from '../../workers/devserver';
import { stageStateQuery } from '../../workflows/messages';
import { stageWorkflow } from '../../workflows/stage';
import { NON_RETRYABLE_TRAIN_ERRORS } from '../../workflows/trial';
import { simulatorTrainerSpec } from '../../src/trainer';
import { startTestServer, startWorkers } from '../helpers/env';
import { spawnWorker, stopAllStarted, type WorkerProcess } from '../helpers/processes';
import { processesMentioning, stageInput } from '../helpers/stage';
import { defaultQueueStage, NAMED, trainAttempts } from './setup';

describe('failing GPUs and hung trainers', () => {
  let server: DevServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await stopAllStarted();
    await server?.stop();
  });

  it('GPUs whose trials fail on every attempt do not drain the budget: bounded retries, then the circuit breaker', async (t) => {
    const cpu = await startWorkers(server, { gpus: 0, cpuQueue: 'cpu' });
    const gpus: WorkerProcess[] = [];
    try {
      // Broken GPU workers: the knob lives in the worker's environment (passed to its trainers).
      gpus.push(...(await Promise.all(['0', '1', '2'].map((gpu) => spawnWorker({ queue: 'gpu', gpu, address: server.address, env: { VIBEOPT_SIM_FAIL_RATE: '1' } })))));
      const input = defaultQueueStage({ pipelineId: 'brokengpu', maxTrials: 30, parallelism: 3, trainer: simulatorTrainerSpec({ timeScale: 20000 }), plan: { trialHeartbeatTimeoutSeconds: 10 } });
      const handle = await server.env.client.workflow.start(stageWorkflow, { workflowId: 'brokengpu-stage1', taskQueue: 'cpu', args: [input] });
      const result = await handle.result();

      assert.equal(result.stoppedBy, 'failing');
      // The breaker trips at the third failure in a row; trials started meanwhile in freed slots
      // finish (they are not cancelled): at most parallelism + 3 - 1 = 5 of the 30.
      t.diagnostic(`trials: ${result.trials.length} of 30, all ${[...new Set(result.trials.map((x) => x.status))].join('/')}`);
      assert.ok(result.trials.length >= 3 && result.trials.length <= 5, `${result.trials.length} trials`);
      for (const x of result.trials) {
        assert.equal(x.status, 'failed');
        assert.match(x.error ?? '', /^TrainerError: /);
      }
      const attempts = await trainAttempts(server.env.client, result.trials.map((t) => t.trialId));
      for (const [id, a] of attempts) assert.equal(Math.max(...a.attempts), 4, `${id}: the activity's retries are bounded (4 attempts)`);
      const state = await handle.query(stageStateQuery);
      assert.match(state.halted?.reason ?? '', /^3 trials in a row failed .*TrainerError/);
      const meta = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      assert.match(meta.currentDetails ?? '', /\*\*halted\*\*: 3 trials in a row failed/);
    } finally {
      await Promise.all(gpus.map((g) => g.stop()));
      await cpu.stop();
    }
    assert.deepEqual(processesMentioning('brokengpu-stage1-trial'), []);
  });

  it('a trainer that hangs without output is stopped by the stall timeout and recorded with the reason', async () => {
    // TrainerTimeout is not retried (NON_RETRYABLE_TRAIN_ERRORS): a hang is recorded at once.
    assert.ok(NON_RETRYABLE_TRAIN_ERRORS.includes('TrainerTimeout'));
    const queue = 'hang';
    const workers = await startWorkers(server, { gpus: 1, cpuQueue: queue, gpuQueue: `${queue}-gpu` });
    try {
      const input = stageInput({ pipelineId: 'hang', queue, maxTrials: 1, parallelism: 1, initialConfigs: NAMED.slice(0, 1) });
      input.trainer = simulatorTrainerSpec({ timeScale: 20000, stallTimeoutSeconds: 2, env: { VIBEOPT_SIM_HANG_AT_STEP: '3' } });
      const started = Date.now();
      const result = await server.env.client.workflow.execute(stageWorkflow, { workflowId: 'hang-stage1', taskQueue: queue, args: [input] });
      const t = result.trials[0]!;
      assert.equal(t.status, 'too_slow');
      assert.match(t.error ?? '', /printed nothing for too long and was stopped \(hung\?\)/);
      assert.equal(t.failure?.type, 'TrainerTimeout');
      assert.equal(t.failure?.reason, 'stalled');
      assert.ok(Date.now() - started < 30_000, 'stopped after ~2 s of silence, not after the 1 h time limit');
      assert.deepEqual(processesMentioning(input.artifactRoot), [], 'the hung trainer was killed');
    } finally {
      await workers.stop();
    }
  });
});
