/**
 * What a pipeline leaves on disk (the seed's layout) and the optional publish step, run with a
 * stand-in upload command that records its arguments.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DevServer } from '../../workers/devserver';
import { pipelineWorkflow } from '../../workflows/pipeline';
import type { TrialInput } from '../../workflows/types';
import { defaultPayloadConverter } from '@temporalio/common';
import { startTestServer, startWorkers, tempDir } from '../helpers/env';
import { smallPipeline } from '../helpers/pipeline';

const RECORDER = path.resolve(__dirname, '..', 'fixtures', 'record-publish.sh');

describe('artifacts and publishing', () => {
  let server: DevServer;
  const saved = { log: process.env.VIBEOPT_PUBLISH_LOG, token: process.env.HF_TOKEN };
  const log = path.join(tempDir(), 'publish.log');
  before(async () => {
    server = await startTestServer();
    process.env.VIBEOPT_PUBLISH_LOG = log;
    process.env.HF_TOKEN = 'hf_test_token';
  });
  after(async () => {
    if (saved.log === undefined) delete process.env.VIBEOPT_PUBLISH_LOG;
    else process.env.VIBEOPT_PUBLISH_LOG = saved.log;
    if (saved.token === undefined) delete process.env.HF_TOKEN;
    else process.env.HF_TOKEN = saved.token;
    await server?.stop();
  });

  it('writes the seed layout, BEST_CONFIG.md, and publishes each best lora/ for the next stage to start from', async () => {
    const queue = 'artifacts';
    const workers = await startWorkers(server, { gpus: 2, cpuQueue: queue, gpuQueue: `${queue}-gpu` });
    try {
      const input = smallPipeline('art', { trials: [2, 2, 1], queue });
      input.publish = { enabled: true, command: [RECORDER, 'upload', '{repo}', '{checkpoint}', '.'], repoPattern: 'heiertech/vibevoice-7b-nob-qlora-{stage}-bayesopt', nextStageFromPublished: true };
      const result = await server.env.client.workflow.execute(pipelineWorkflow, { workflowId: input.pipelineId, taskQueue: queue, args: [input] });
      const root = path.join(input.artifactRoot, input.pipelineId);

      // Per trial: config.json, results.json (seed fields + ours), training.log, lora/.
      for (const st of result.stages) {
        for (const t of st.trials) {
          const dir = path.join(root, st.stage, t.trialId);
          for (const f of ['config.json', 'results.json', 'training.log']) assert.ok(existsSync(path.join(dir, f)), `${t.trialId}/${f}`);
          const res = JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8'));
          for (const k of ['experiment_id', 'stage', 'iteration', 'training_time_seconds', 'final_loss', 'exit_code', 'config']) assert.ok(k in res, `results.json has ${k}`);
          assert.equal(res.experiment_id, t.trialId);
          assert.equal(res.final_loss, t.loss);
          assert.ok(existsSync(path.join(dir, 'lora', 'adapter_config.json')));
        }
        const summary = JSON.parse(readFileSync(path.join(root, st.stage, 'results_summary.json'), 'utf8'));
        assert.equal(summary.results.length, st.trials.length);
        assert.equal(summary.best.experiment_id, st.best!.trialId);
      }
      const best = readFileSync(path.join(root, 'BEST_CONFIG.md'), 'utf8');
      for (const st of result.stages) {
        assert.ok(best.includes(`## ${st.stage}`));
        assert.ok(best.includes(st.best!.trialId));
        assert.ok(best.includes(String(st.best!.loss)));
      }
      assert.match(best, /--do_train/);
      assert.match(best, /--model_name_or_path heiertech\/vibevoice-7b-nob-qlora-stage1-bayesopt/, 'stage 2 is reproduced from the published stage 1');

      // Publishing: one upload per stage, with the repo and the best lora/, HF_TOKEN from the worker's env.
      const calls = readFileSync(log, 'utf8').split('call\n').filter(Boolean);
      assert.equal(calls.length, 3);
      result.stages.forEach((st, i) => {
        assert.ok(calls[i]!.includes(`arg=heiertech/vibevoice-7b-nob-qlora-${st.stage}-bayesopt\n`));
        assert.ok(calls[i]!.includes(`arg=${st.best!.checkpointPath}\n`));
        assert.ok(calls[i]!.includes('token=set'));
        assert.equal(st.nextBaseModel, `heiertech/vibevoice-7b-nob-qlora-${st.stage}-bayesopt`);
      });
      // Stage 2's trials started from the published id.
      const history = await server.env.client.workflow.getHandle(result.stages[1]!.trials[0]!.trialId).fetchHistory();
      const trialInput = defaultPayloadConverter.fromPayload<TrialInput>(history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!);
      assert.equal(trialInput.stage.baseModel, 'heiertech/vibevoice-7b-nob-qlora-stage1-bayesopt');
    } finally {
      await workers.stop();
    }
  });
});
