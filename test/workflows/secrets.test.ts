/**
 * Secrets stay in the GPU worker's environment: they reach the trainer process, but never the
 * workflow inputs, results, heartbeats, failures or any other event of any history.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DevServer } from '../../workers/devserver';
import { pipelineWorkflow } from '../../workflows/pipeline';
import type { StageResult } from '../../workflows/types';
import { startTestServer, startWorkers } from '../helpers/env';
import { smallPipeline } from '../helpers/pipeline';

const SECRET = 'hf_SECRET_do_not_leak_4242';
const WANDB = 'wandb-key-SECRET-777';

describe('secrets', () => {
  let server: DevServer;
  const saved = { HF_TOKEN: process.env.HF_TOKEN, WANDB_API_KEY: process.env.WANDB_API_KEY, VIBEOPT_SIM_ECHO_ENV: process.env.VIBEOPT_SIM_ECHO_ENV };
  before(async () => {
    server = await startTestServer();
    // The in-process GPU workers read these from their (this) process's environment.
    process.env.HF_TOKEN = SECRET;
    process.env.WANDB_API_KEY = WANDB;
    // The simulator prints these to stderr at start, as a verbose trainer would.
    process.env.VIBEOPT_SIM_ECHO_ENV = 'HF_TOKEN,WANDB_API_KEY';
  });
  after(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await server?.stop();
  });

  it('reach the trainer but never appear in any workflow history', async () => {
    const queue = 'secrets';
    const workers = await startWorkers(server, { gpus: 2, cpuQueue: queue, gpuQueue: `${queue}-gpu` });
    try {
      const input = smallPipeline('secrets', { trials: [2, 1, 1], queue });
      // On a 20 GB simulated GPU the first config fails at every rung (failure details with log
      // tails go into the history) and the second succeeds at batch 1 (results and heartbeats).
      const conservative = input.stages[0]!.initialConfigs[0]!;
      input.stages[0]!.initialConfigs = [{ ...conservative, lora_r: 64, lora_alpha: 128, per_device_train_batch_size: 8, ddpm_batch_mul: 8 }, conservative];
      input.trainer = { ...input.trainer, env: { ...input.trainer.env, VIBEOPT_SIM_GPU_GB: '20' } };
      // Later stages may or may not find a config that fits 20 GB; either ending is fine here.
      await server.env.client.workflow.execute(pipelineWorkflow, { workflowId: input.pipelineId, taskQueue: queue, args: [input] }).catch(() => undefined);
      const stage1: StageResult = await server.env.client.workflow.getHandle('secrets-stage1').result();
      assert.deepEqual(stage1.trials.map((t) => t.status), ['infeasible', 'succeeded']);

      const ids: string[] = [];
      for await (const wf of server.env.client.workflow.list({ query: 'WorkflowId STARTS_WITH "secrets"' })) ids.push(wf.workflowId);
      assert.ok(ids.length >= 3, `found ${ids.length} workflows`);
      let events = 0;
      for (const id of ids) {
        const history = await server.env.client.workflow.getHandle(id).fetchHistory();
        events += history.events?.length ?? 0;
        const text = JSON.stringify(history);
        assert.ok(!text.includes(SECRET), `HF_TOKEN leaked into ${id}`);
        assert.ok(!text.includes(WANDB), `WANDB_API_KEY leaked into ${id}`);
      }
      assert.ok(events > 20);

      // ...while the trainer did get them (its own log is the worker's, on the worker's disk).
      const trialDir = path.join(input.artifactRoot, 'secrets', 'stage1');
      const logs = ['secrets-stage1-trial-001', 'secrets-stage1-trial-002']
        .map((t) => path.join(trialDir, t, 'training.log'))
        .filter((f) => existsSync(f))
        .map((f) => readFileSync(f, 'utf8'));
      assert.ok(logs.some((l) => /env HF_TOKEN=/.test(l)), 'the trainer printed its HF_TOKEN variable');
    } finally {
      await workers.stop();
    }
  });
});
