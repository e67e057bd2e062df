/** Continue-as-new keeps every observation; launching a pipeline twice gives one pipeline. */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { DevServer } from '../../workers/devserver';
import { pipelineWorkflow } from '../../workflows/pipeline';
import { stageWorkflow } from '../../workflows/stage';
import { startTestServer, startWorkers } from '../helpers/env';
import { stageInput } from '../helpers/stage';
import { smallPipeline } from '../helpers/pipeline';

/** Visibility is eventually consistent: poll until the count satisfies `ok` (or give up after 10 s). */
async function countEventually(server: DevServer, query: string, ok: (n: number) => boolean): Promise<number> {
  let n = -1;
  for (let i = 0; i < 100; i++) {
    n = (await server.env.client.workflow.count(query)).count;
    if (ok(n)) return n;
    await sleep(100);
  }
  return n;
}

describe('continue-as-new', () => {
  let server: DevServer;
  before(async () => {
    // Suggest continue-as-new after 60 events, so a 12-trial stage continues several times.
    server = await startTestServer({ dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 60 } });
  });
  after(async () => {
    await server?.stop();
  });

  it('a stage that continues as new keeps every observation, none lost or repeated', async () => {
    const queue = 'stage-can';
    const workers = await startWorkers(server, { gpus: 3, cpuQueue: queue, gpuQueue: `${queue}-gpu` });
    try {
      const input = stageInput({ pipelineId: 'can', queue, maxTrials: 12, parallelism: 3, timeScale: 8000 });
      const result = await server.env.client.workflow.execute(stageWorkflow, { workflowId: 'can-stage1', taskQueue: queue, args: [input] });
      const runs = await countEventually(server, 'WorkflowId = "can-stage1"', (n) => n >= 2);
      assert.ok(runs >= 2, `the stage continued as new (${runs} runs)`);
      assert.deepEqual(result.trials.map((t) => t.trialNumber), Array.from({ length: 12 }, (_, i) => i + 1));
      assert.equal(new Set(result.trials.map((t) => t.trialId)).size, 12);
      assert.ok(result.trials.every((t) => t.status === 'succeeded'));
      assert.equal(await countEventually(server, 'WorkflowId STARTS_WITH "can-stage1-trial-"', (n) => n === 12), 12, 'each trial ran once');
    } finally {
      await workers.stop();
    }
  });
});

describe('launching', () => {
  let server: DevServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.stop();
  });

  it('launching the same pipeline twice, concurrently, gives one pipeline', async () => {
    const queue = 'launch-twice';
    const workers = await startWorkers(server, { gpus: 2, cpuQueue: queue, gpuQueue: `${queue}-gpu` });
    try {
      const input = smallPipeline('twice', { trials: [2, 1, 1], queue });
      const launch = () =>
        server.env.client.workflow.start(pipelineWorkflow, { workflowId: input.pipelineId, taskQueue: queue, args: [input], workflowIdConflictPolicy: 'USE_EXISTING' });
      const [a, b] = await Promise.all([launch(), launch()]);
      assert.equal(a.firstExecutionRunId, b.firstExecutionRunId);
      await a.result();
      assert.equal(await countEventually(server, 'WorkflowId = "twice"', (n) => n === 1), 1);
      assert.equal(await countEventually(server, 'WorkflowId = "twice-stage1"', (n) => n === 1), 1);
    } finally {
      await workers.stop();
    }
  });
});
