/**
 * Records workflow histories for the replay tests: runs a small pipeline on a fresh dev server and
 * saves the histories of the pipeline, each stage and one trial per stage (plus a stage that
 * continued as new) under test/fixtures/histories/. Run after a deliberate workflow change:
 *   npm run record-histories
 * Older fixtures are kept: a running pipeline's history must still replay after a change.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { startTestServer, startWorkers } from '../test/helpers/env';
import { stageInput } from '../test/helpers/stage';
import { smallPipeline } from '../test/helpers/pipeline';
import { pipelineWorkflow } from '../workflows/pipeline';
import { stageWorkflow } from '../workflows/stage';

async function main() {
  const tag = process.argv[2] ?? new Date().toISOString().slice(0, 10);
  const outDir = path.join(__dirname, '..', 'test', 'fixtures', 'histories');
  const server = await startTestServer({ dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 60 } });
  const queue = 'record';
  const workers = await startWorkers(server, { gpus: 2, cpuQueue: queue, gpuQueue: `${queue}-gpu` });
  const client = server.env.client;
  const save = async (workflowId: string, runId?: string) => {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const file = path.join(outDir, `${tag}-${workflowId}${runId ? `-${runId.slice(0, 8)}` : ''}.json`);
    writeFileSync(file, historyToJSON(history));
    console.log(`saved ${path.relative(process.cwd(), file)} (${history.events?.length} events)`);
  };
  try {
    const input = smallPipeline('rec', { trials: [3, 2, 2], queue });
    const result = await client.workflow.execute(pipelineWorkflow, { workflowId: input.pipelineId, taskQueue: queue, args: [input] });
    await save(input.pipelineId);
    for (const st of result.stages) {
      await save(`${input.pipelineId}-${st.stage}`);
      await save(st.trials[0]!.trialId);
    }
    // A stage long enough to continue as new: save its first run too.
    const can = stageInput({ pipelineId: 'rec-can', queue, maxTrials: 8, parallelism: 2, timeScale: 8000 });
    const handle = await client.workflow.start(stageWorkflow, { workflowId: 'rec-can-stage1', taskQueue: queue, args: [can] });
    await handle.result();
    await save('rec-can-stage1', handle.firstExecutionRunId);
  } finally {
    await workers.stop();
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
