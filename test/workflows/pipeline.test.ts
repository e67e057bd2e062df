/**
 * The walking skeleton end to end on a real dev server: a pipeline of three stages, each running
 * trials whose train activity spawns the trainer simulator as a real child process.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import type { DevServer } from '../../workers/devserver';
import { pipelineWorkflow } from '../../workflows/pipeline';
import type { TrialInput } from '../../workflows/types';
import { startTestServer, startWorkers } from '../helpers/env';
import { smallPipeline } from '../helpers/pipeline';

describe('pipeline on a real dev server', () => {
  let server: DevServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.stop();
  });

  it('runs three stages in order, passing each best checkpoint to the next stage', async () => {
    const queue = 'pipeline-order';
    const workers = await startWorkers(server, { gpus: 2, cpuQueue: queue, gpuQueue: `${queue}-gpu` });
    try {
      const input = smallPipeline('order', { trials: [3, 2, 2], queue });
      const client = server.env.client;
      const result = await client.workflow.execute(pipelineWorkflow, { workflowId: input.pipelineId, taskQueue: queue, args: [input] });

      assert.deepEqual(result.stages.map((s) => s.stage), ['stage1', 'stage2', 'stage3']);
      for (const st of result.stages) {
        assert.ok(st.best, `${st.stage} has a best trial`);
        const ok = st.trials.filter((t) => t.status === 'succeeded');
        const minLoss = Math.min(...ok.map((t) => t.loss!));
        assert.equal(st.best!.loss, minLoss, `${st.stage}: best is the lowest loss`);
        assert.match(st.best!.trialId, new RegExp(`^order-${st.stage}-trial-\\d{3}$`));
        assert.ok(existsSync(st.best!.checkpointPath!), `${st.stage}: best checkpoint ${st.best!.checkpointPath} exists`);
      }
      // Stage 1 ran the named initial configs first.
      assert.equal(result.stages[0]!.trials.length, 3);

      // Stages ran in order: each started after the previous one closed.
      const times = await Promise.all(
        ['stage1', 'stage2', 'stage3'].map(async (s) => (await client.workflow.getHandle(`order-${s}`).describe())),
      );
      for (let i = 1; i < times.length; i++) {
        assert.ok(times[i]!.startTime.getTime() >= times[i - 1]!.closeTime!.getTime(), `stage ${i + 1} started after stage ${i} closed`);
      }

      // Every trial of stage k+1 was given stage k's best checkpoint as its base model...
      for (let k = 1; k < 3; k++) {
        const prevBest = result.stages[k - 1]!.best!.checkpointPath;
        for (const t of result.stages[k]!.trials) {
          const history = await client.workflow.getHandle(t.trialId).fetchHistory();
          const started = history.events![0]!.workflowExecutionStartedEventAttributes!;
          const trialInput = defaultPayloadConverter.fromPayload<TrialInput>(started.input!.payloads![0]!);
          assert.equal(trialInput.stage.baseModel, prevBest, `${t.trialId} base model`);
          // ...and the trainer process really got it on its command line.
          const log = readFileSync(path.join(t.result!.outputDir, 'training.log'), 'utf8');
          assert.ok(log.includes(prevBest!), `${t.trialId}: training.log mentions the base checkpoint`);
        }
      }
      // Stage 2 was warm-started with stage 1's best config.
      assert.deepEqual(result.stages[1]!.trials[0]!.config, result.stages[0]!.best!.finalConfig);

      const summary = JSON.parse(readFileSync(path.join(input.artifactRoot, input.pipelineId, 'results_summary.json'), 'utf8'));
      assert.equal(summary.stages.length, 3);
      assert.ok(readFileSync(path.join(input.artifactRoot, input.pipelineId, 'BEST_CONFIG.md'), 'utf8').includes('--do_train'));
    } finally {
      await workers.stop();
    }
  });

  it('refuses to start when a stage has no dataset, before any trial runs', async () => {
    const queue = 'pipeline-nodataset';
    const workers = await startWorkers(server, { gpus: 1, cpuQueue: queue, gpuQueue: `${queue}-gpu` });
    try {
      const input = smallPipeline('nodataset', { queue });
      input.stages[2]!.datasetName = null;
      await assert.rejects(
        server.env.client.workflow.execute(pipelineWorkflow, { workflowId: input.pipelineId, taskQueue: queue, args: [input] }),
        (err: Error & { cause?: Error }) => /stage3 has no dataset/.test(err.cause?.message ?? ''),
      );
      const children = await server.env.client.workflow.count(`WorkflowId STARTS_WITH "nodataset-"`).catch(() => ({ count: 0 }));
      assert.equal(children.count, 0);
    } finally {
      await workers.stop();
    }
  });
});
