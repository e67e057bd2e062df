/**
 * The stage workflow on a real dev server with real workers and the simulator: asynchronous
 * parallelism, the OOM ladder, stopping, updates and their validators, the state query.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { NAMED_INITIAL_CONFIGS } from '../../src/space';
import type { DevServer } from '../../workers/devserver';
import { setBudgetUpdate, setParallelismUpdate, enqueueConfigUpdate, excludeValueUpdate, stageStateQuery, stopStageSignal } from '../../workflows/messages';
import { stageWorkflow } from '../../workflows/stage';
import { startTestServer, startWorkers } from '../helpers/env';
import { waitFor } from '../helpers/processes';
import { maxOverlap, processesMentioning, stageInput, trainIntervals } from '../helpers/stage';

const conservative = NAMED_INITIAL_CONFIGS[0]!.config;

describe('stage workflow', () => {
  let server: DevServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.stop();
  });

  it('keeps exactly `parallelism` trials running: reaches 4 and never exceeds it', async () => {
    const queue = 'stage-par';
    // Six GPU workers, so any limit seen comes from the stage, not from the workers.
    const workers = await startWorkers(server, { gpus: 6, cpuQueue: queue, gpuQueue: `${queue}-gpu` });
    try {
      const input = stageInput({ pipelineId: 'par', queue, maxTrials: 10, parallelism: 4, timeScale: 4000 });
      const result = await server.env.client.workflow.execute(stageWorkflow, { workflowId: 'par-stage1', taskQueue: queue, args: [input] });
      assert.equal(result.trials.length, 10);
      assert.deepEqual(result.trials.map((t) => t.trialNumber), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      const overlap = maxOverlap(await trainIntervals(server.env.client, result.trials.map((t) => t.trialId)));
      assert.equal(overlap, 4, 'at most and at least 4 train activities ran at once');
    } finally {
      await workers.stop();
    }
  });

  it('OOM ladder: halves the batch and doubles accumulation until it fits, keeping the effective batch', async () => {
    const queue = 'stage-oom';
    const workers = await startWorkers(server, { gpus: 2, cpuQueue: queue, gpuQueue: `${queue}-gpu` });
    try {
      const big = { ...conservative, per_device_train_batch_size: 8, gradient_accumulation_steps: 32, ddpm_batch_mul: 8, lora_r: 64, lora_alpha: 128 };
      // 40 GB simulated GPU: batch 8 and 4 run out of memory, batch 2 fits.
      const input = stageInput({ pipelineId: 'oom', queue, maxTrials: 1, parallelism: 1, initialConfigs: [big], gpuGb: 40 });
      const result = await server.env.client.workflow.execute(stageWorkflow, { workflowId: 'oom-stage1', taskQueue: queue, args: [input] });
      const t = result.trials[0]!;
      assert.equal(t.status, 'succeeded');
      assert.equal(t.oomLevel, 2);
      assert.equal(t.finalConfig.per_device_train_batch_size, 2);
      assert.equal(t.finalConfig.gradient_accumulation_steps, 128);
      assert.equal(Number(t.finalConfig.per_device_train_batch_size) * Number(t.finalConfig.gradient_accumulation_steps), 8 * 32);
      assert.deepEqual(t.config, big, 'the suggested config is kept for the optimizer');

      // 20 GB: even batch 1 does not fit → infeasible, and the stage goes on.
      const input2 = stageInput({ pipelineId: 'oom2', queue, maxTrials: 2, parallelism: 1, initialConfigs: [big, conservative], gpuGb: 20 });
      const result2 = await server.env.client.workflow.execute(stageWorkflow, { workflowId: 'oom2-stage1', taskQueue: queue, args: [input2] });
      assert.equal(result2.trials[0]!.status, 'infeasible');
      assert.equal(result2.trials[0]!.finalConfig.per_device_train_batch_size, 1);
      assert.equal(result2.trials[0]!.finalConfig.gradient_accumulation_steps, 256);
      assert.equal(result2.trials.length, 2);
    } finally {
      await workers.stop();
    }
  });

  it('budgets: GPU-hours stop new trials once used up; a reached target loss ends the stage', async () => {
    const queue = 'stage-budget';
    const workers = await startWorkers(server, { gpus: 2, cpuQueue: queue, gpuQueue: `${queue}-gpu` });
    try {
      // 2 trials at a time, each ~1-3 s; 0.0004 GPU-hours (1.44 s) is spent by the first two.
      const gpu = stageInput({ pipelineId: 'gpuh', queue, maxTrials: 20, parallelism: 2, timeScale: 4000, plan: { budget: { maxTrials: 20, maxGpuHours: 0.0004 } } });
      const r1 = await server.env.client.workflow.execute(stageWorkflow, { workflowId: 'gpuh-stage1', taskQueue: queue, args: [gpu] });
      assert.equal(r1.stoppedBy, 'budget');
      assert.equal(r1.trials.length, 2);
      assert.ok(r1.gpuHours >= 0.0004);

      const target = stageInput({ pipelineId: 'target', queue, maxTrials: 20, parallelism: 1, plan: { budget: { maxTrials: 20, targetLoss: 5 } } });
      const r2 = await server.env.client.workflow.execute(stageWorkflow, { workflowId: 'target-stage1', taskQueue: queue, args: [target] });
      assert.equal(r2.stoppedBy, 'target');
      assert.equal(r2.trials.length, 1);
    } finally {
      await workers.stop();
    }
  });

  it('stopStage graceful: no new trials, running ones finish', async () => {
    const queue = 'stage-graceful';
    const workers = await startWorkers(server, { gpus: 2, cpuQueue: queue, gpuQueue: `${queue}-gpu` });
    try {
      const input = stageInput({ pipelineId: 'graceful', queue, maxTrials: 20, parallelism: 2, timeScale: 1500, plan: { progressSignalSeconds: 1 } });
      const handle = await server.env.client.workflow.start(stageWorkflow, { workflowId: 'graceful-stage1', taskQueue: queue, args: [input] });
      await waitFor('two running trials', async () => (await handle.query(stageStateQuery)).trials.filter((t) => t.state === 'running').length === 2);
      // Running trials report their progress into the stage's state (what the Web UI's query shows).
      const running = await waitFor('progress of a running trial', async () =>
        (await handle.query(stageStateQuery)).trials.find((t) => t.state === 'running' && (t.progress?.step ?? 0) > 0),
      );
      assert.ok(running.progress!.maxSteps! >= running.progress!.step!, JSON.stringify(running.progress));
      assert.ok(running.progress!.epoch === null || running.progress!.epoch >= 0, JSON.stringify(running.progress));
      await handle.signal(stopStageSignal, { mode: 'graceful' });
      const result = await handle.result();
      assert.equal(result.stoppedBy, 'user');
      assert.ok(result.trials.length < 20);
      assert.ok(result.trials.every((t) => t.status === 'succeeded'), 'running trials were allowed to finish');
    } finally {
      await workers.stop();
    }
  });

  it('stopStage now: running trials are cancelled and no trainer process is left', async () => {
    const queue = 'stage-now';
    const workers = await startWorkers(server, { gpus: 2, cpuQueue: queue, gpuQueue: `${queue}-gpu` });
    try {
      const input = stageInput({ pipelineId: 'now', queue, maxTrials: 20, parallelism: 2, timeScale: 200 });
      const handle = await server.env.client.workflow.start(stageWorkflow, { workflowId: 'now-stage1', taskQueue: queue, args: [input] });
      await waitFor('two trainer processes', async () => processesMentioning(input.artifactRoot).length >= 2);
      await handle.signal(stopStageSignal, { mode: 'now' });
      const result = await handle.result();
      assert.equal(result.stoppedBy, 'user');
      assert.equal(result.trials.length, 2);
      assert.ok(result.trials.every((t) => t.status === 'cancelled'), `statuses: ${result.trials.map((t) => t.status)}`);
      assert.deepEqual(processesMentioning(input.artifactRoot), [], 'no trainer process survives');
    } finally {
      await workers.stop();
    }
  });

  it('updates change the stage, validators reject bad values naming the field, stageState reflects reality', async () => {
    const queue = 'stage-updates';
    const workers = await startWorkers(server, { gpus: 2, cpuQueue: queue, gpuQueue: `${queue}-gpu` });
    try {
      const input = stageInput({ pipelineId: 'upd', queue, maxTrials: 3, parallelism: 1, timeScale: 1500 });
      const handle = await server.env.client.workflow.start(stageWorkflow, { workflowId: 'upd-stage1', taskQueue: queue, args: [input] });

      const rejects = async (p: Promise<unknown>, re: RegExp) =>
        assert.rejects(p, (err: Error & { cause?: Error }) => {
          assert.ok(err instanceof WorkflowUpdateFailedError, `got ${err}`);
          assert.match(err.cause?.message ?? '', re);
          return true;
        });
      await rejects(handle.executeUpdate(setParallelismUpdate, { args: [{ parallelism: 0 }] }), /setParallelism: parallelism: /);
      await rejects(handle.executeUpdate(setBudgetUpdate, { args: [{ maxTrials: 'many' as never }] }), /setBudget: maxTrials: /);
      await rejects(handle.executeUpdate(setBudgetUpdate, { args: [{ maxTrails: 5 } as never] }), /setBudget: .*maxTrails/);
      await rejects(handle.executeUpdate(enqueueConfigUpdate, { args: [{ config: { ...conservative, lora_r: 500 } }] }), /enqueueConfig: config\.lora_r/);
      await rejects(handle.executeUpdate(excludeValueUpdate, { args: [{ param: 'nope', value: 1 }] }), /excludeValue: param: unknown parameter nope/);
      await rejects(handle.executeUpdate(excludeValueUpdate, { args: [{ param: 'per_device_train_batch_size', value: 5 }] }), /value: 5 is not a value/);

      // Valid updates take effect.
      assert.equal(await handle.executeUpdate(setParallelismUpdate, { args: [{ parallelism: 2 }] }), 2);
      assert.equal((await handle.executeUpdate(setBudgetUpdate, { args: [{ maxTrials: 5 }] })).maxTrials, 5);
      await handle.executeUpdate(excludeValueUpdate, { args: [{ param: 'per_device_train_batch_size', value: 8 }] });
      const custom = { ...conservative, learning_rate: 1.7e-5 };
      await handle.executeUpdate(enqueueConfigUpdate, { args: [{ config: custom }] });

      const result = await handle.result();
      assert.equal(result.trials.length, 5);
      assert.ok(result.trials.some((t) => t.config.learning_rate === 1.7e-5), 'the enqueued config ran');
      const afterExclusion = result.trials.filter((t) => t.trialNumber > 2);
      assert.ok(afterExclusion.every((t) => t.config.per_device_train_batch_size !== 8), 'no batch 8 after the exclusion');

      const state = await handle.query(stageStateQuery);
      assert.equal(state.phase, 'completed');
      assert.equal(state.trials.length, 5);
      assert.equal(state.used.trialsFinished, 5);
      assert.equal(state.parallelism, 2);
      assert.equal(state.best?.trialId, result.best?.trialId);
      assert.equal(state.best?.loss, result.best?.loss);
      assert.deepEqual(state.excluded, [{ param: 'per_device_train_batch_size', value: 8 }]);
      for (const t of result.trials) {
        const v = state.trials.find((x) => x.trialId === t.trialId)!;
        assert.equal(v.status, t.status);
        assert.equal(v.loss, t.loss);
      }
    } finally {
      await workers.stop();
    }
  });
});
