/**
 * Bad input at run time, each with a clear error and nothing recorded lost: a trainer binary that
 * does not exist, a trainer that prints garbage or nothing, NaN and inf losses, the circuit breaker
 * when every trial fails, a checkpoint folder that is missing when the next stage starts, and
 * signal payloads of the wrong shape. In-process workers (fast enough for every `npm test`).
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import * as artifacts from '../../activities/artifacts';
import { cpuActivities } from '../../workers/cpu';
import type { DevServer } from '../../workers/devserver';
import { pipelineStateQuery, stageStateQuery, stopPipelineSignal, stopStageSignal } from '../../workflows/messages';
import { pipelineWorkflow } from '../../workflows/pipeline';
import { stageWorkflow } from '../../workflows/stage';
import type { TrainerSpec } from '../../src/trainer';
import { simulatorTrainerSpec } from '../../src/trainer';
import { startTestServer, startWorkers, workflowBundle } from '../helpers/env';
import { smallPipeline } from '../helpers/pipeline';
import { waitFor } from '../helpers/processes';
import { processesMentioning, stageInput } from '../helpers/stage';
import { tempDir } from '../helpers/tmp';
import { NAMED } from './setup';

/** A trainer script: `body` runs with $OUT set to the --output_dir argument. */
function scriptTrainer(name: string, body: string): TrainerSpec {
  const file = path.join(tempDir('vibeopt-fake-trainer-'), name);
  writeFileSync(file, `#!/bin/sh\nOUT=""\nwhile [ $# -gt 0 ]; do [ "$1" = "--output_dir" ] && OUT="$2"; shift; done\n${body}\n`);
  chmodSync(file, 0o755);
  return { ...simulatorTrainerSpec(), launcher: [file], stallTimeoutSeconds: 20 };
}

describe('bad input at run time', () => {
  let server: DevServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.stop();
  });

  async function runStage(queue: string, opts: Parameters<typeof stageInput>[0], trainer?: TrainerSpec) {
    const workers = await startWorkers(server, { gpus: 1, cpuQueue: queue, gpuQueue: `${queue}-gpu` });
    try {
      const input = stageInput(opts);
      if (trainer) input.trainer = trainer;
      const handle = await server.env.client.workflow.start(stageWorkflow, { workflowId: `${opts.pipelineId}-stage1`, taskQueue: queue, args: [input] });
      const result = await handle.result();
      return { input, result, state: await handle.query(stageStateQuery) };
    } finally {
      await workers.stop();
    }
  }

  it('a trainer binary that does not exist: each trial fails with TrainerNotFound naming the path; the stage goes on', async () => {
    const trainer = { ...simulatorTrainerSpec(), launcher: ['/nonexistent/vibevoice-trainer'] };
    const { result, state } = await runStage('bad-notfound', { pipelineId: 'notfound', queue: 'bad-notfound', maxTrials: 2, parallelism: 1, initialConfigs: NAMED.slice(0, 2) }, trainer);
    assert.equal(result.trials.length, 2, 'the stage went on to its budget');
    assert.equal(result.stoppedBy, 'budget');
    for (const t of result.trials) {
      assert.equal(t.status, 'failed');
      assert.match(t.error ?? '', /^TrainerNotFound: trainer program not found: \/nonexistent\/vibevoice-trainer/);
    }
    assert.deepEqual(state.trials.map((t) => t.error), result.trials.map((t) => t.error), 'the reason is visible in stageState');
    assert.equal(state.halted, null);
  });

  it('circuit breaker: trials failing one after another stop the stage from spending its budget, the reason in stageState', async () => {
    const trainer = { ...simulatorTrainerSpec(), launcher: ['/nonexistent/vibevoice-trainer'] };
    const { result, state } = await runStage('bad-breaker', { pipelineId: 'breaker', queue: 'bad-breaker', maxTrials: 20, parallelism: 1 }, trainer);
    assert.equal(result.stoppedBy, 'failing');
    assert.equal(result.trials.length, 3, 'three failed trials, then no more (default maxConsecutiveFailures 3)');
    assert.match(result.halted?.reason ?? '', /3 trials in a row failed .*TrainerNotFound/);
    assert.match(state.halted?.reason ?? '', /3 trials in a row failed/);
    assert.equal(state.used.trialsStarted, 3);
    assert.equal(state.phase, 'completed');
  });

  it('a trainer that prints only garbage, or nothing, and exits 0: the trial fails with a clear reason', async () => {
    const garbage = scriptTrainer('garbage.sh', `printf 'garbage \\001\\002 {loss: }\\n{\\x27loss\\x27: \\n%s\\n' "$(head -c 300 /dev/zero | tr '\\0' 'x')"; exit 0`);
    const g = await runStage('bad-garbage', { pipelineId: 'garbage', queue: 'bad-garbage', maxTrials: 1, parallelism: 1, initialConfigs: NAMED.slice(0, 1) }, garbage);
    assert.equal(g.result.trials[0]!.status, 'failed');
    assert.match(g.result.trials[0]!.error ?? '', /^TrainerError: .*(final|train_runtime)/i);
    assert.equal(g.result.trials[0]!.failure?.reason, 'no_final_dict');

    const silent = scriptTrainer('silent.sh', 'exit 0');
    const s = await runStage('bad-silent', { pipelineId: 'silent', queue: 'bad-silent', maxTrials: 1, parallelism: 1, initialConfigs: NAMED.slice(0, 1) }, silent);
    assert.equal(s.result.trials[0]!.status, 'failed');
    assert.equal(s.result.trials[0]!.failure?.reason, 'no_final_dict');
    const results = JSON.parse(readFileSync(path.join(s.input.artifactRoot, 'silent', 'stage1', 'silent-stage1-trial-001', 'results.json'), 'utf8')) as { status: string; failure_type: string };
    assert.equal(results.status, 'failed', 'the failure is recorded in the trial folder');
    assert.equal(results.failure_type, 'TrainerError');
  });

  it('garbage interleaved with real output (the simulator\'s VIBEOPT_SIM_GARBAGE): the trial still succeeds', async () => {
    const trainer = simulatorTrainerSpec({ timeScale: 20000, env: { VIBEOPT_SIM_GARBAGE: '1' } });
    const { result } = await runStage('bad-noisy', { pipelineId: 'noisy', queue: 'bad-noisy', maxTrials: 1, parallelism: 1, initialConfigs: NAMED.slice(0, 1) }, trainer);
    assert.equal(result.trials[0]!.status, 'succeeded', result.trials[0]!.error ?? '');
    assert.ok(Number.isFinite(result.trials[0]!.loss));
  });

  it('NaN and inf losses: the trainer is stopped, the trial fails as nan_loss, and it does not trip the circuit breaker', async () => {
    const trainer = scriptTrainer(
      'nan.sh',
      `case "$OUT" in *trial-001) V=nan ;; *trial-002) V="'inf'" ;; *) V=-inf ;; esac
echo "{'loss': 1.5, 'grad_norm': 1.0, 'learning_rate': 1e-05, 'epoch': 0.1}"
echo "{'loss': $V, 'grad_norm': nan, 'learning_rate': 1e-05, 'epoch': 0.2}"
sleep 30
echo "{'train_runtime': 31.0, 'train_loss': 1.0, 'epoch': 1.0}"`,
    );
    const started = Date.now();
    const { input, result, state } = await runStage('bad-nan', { pipelineId: 'nan', queue: 'bad-nan', maxTrials: 4, parallelism: 1, initialConfigs: NAMED.slice(0, 4) }, trainer);
    assert.ok(Date.now() - started < 25_000, 'the trainers were stopped at the first non-finite loss, not left to run');
    assert.equal(result.trials.length, 4, 'four NaN/inf trials in a row did not halt the stage');
    assert.equal(state.halted, null);
    for (const t of result.trials) {
      assert.equal(t.status, 'failed');
      assert.equal(t.failure?.reason, 'nan_loss');
      assert.match(t.error ?? '', /nan loss/);
    }
    assert.match(result.trials[1]!.error ?? '', /Infinity/);
    assert.deepEqual(processesMentioning(input.artifactRoot), [], 'no trainer left running');
  });

  it('a checkpoint folder missing when the next stage starts: the pipeline fails with MissingCheckpoint naming it; stage 1 stays recorded', async () => {
    const queue = 'bad-missing-ckpt';
    const workers = await startWorkers(server, { gpus: 1, cpuQueue: `${queue}-unused`, gpuQueue: `${queue}-gpu` });
    // The pipeline's CPU worker, with checkCheckpoint preceded by deleting the folder it checks:
    // exactly "the folder vanished between stage 1's end and stage 2's start".
    const deleted: string[] = [];
    const cpu = await Worker.create({
      connection: server.env.nativeConnection,
      namespace: server.namespace,
      taskQueue: queue,
      workflowBundle: await workflowBundle(),
      activities: {
        ...cpuActivities(),
        checkCheckpoint: async (args: Parameters<typeof artifacts.checkCheckpoint>[0]) => {
          rmSync(args.path, { recursive: true, force: true });
          deleted.push(args.path);
          return artifacts.checkCheckpoint(args);
        },
      },
    });
    const running = cpu.run();
    try {
      const input = smallPipeline('missingckpt', { trials: [1, 1, 1], parallelism: 1, queue });
      const handle = await server.env.client.workflow.start(pipelineWorkflow, { workflowId: input.pipelineId, taskQueue: queue, args: [input] });
      await assert.rejects(handle.result(), (err: Error) => {
        assert.ok(err instanceof WorkflowFailedError, String(err));
        const cause = (err.cause as Error & { cause?: Error & { type?: string } }).cause;
        assert.equal(cause?.type, 'MissingCheckpoint');
        assert.match(cause?.message ?? '', /stage2 cannot start: the previous stage's best checkpoint .*lora is missing/);
        return true;
      });
      assert.equal(deleted.length, 1);
      assert.match(deleted[0]!, /missingckpt-stage1-trial-001\/lora$/);
      const state = await handle.query(pipelineStateQuery);
      assert.equal(state.stages[0]!.status, 'completed', 'stage 1 stays recorded as completed');
      assert.equal(state.stages[0]!.checkpointPath, deleted[0]);
      assert.equal(state.stages[1]!.status, 'running');
      assert.equal((await server.env.client.workflow.count('WorkflowId = "missingckpt-stage2"')).count, 0, 'stage 2 never started');
      const summary = JSON.parse(readFileSync(path.join(input.artifactRoot, 'missingckpt', 'stage1', 'results_summary.json'), 'utf8')) as { total_experiments: number };
      assert.equal(summary.total_experiments, 1, "stage 1's results are on disk");
      assert.ok(existsSync(path.join(input.artifactRoot, 'missingckpt', 'stage1', 'missingckpt-stage1-trial-001', 'results.json')));
    } finally {
      cpu.shutdown();
      await running;
      await workers.stop();
    }
  });

  it('stop signals of the wrong shape are read as a graceful stop; the stage and the pipeline keep their state', async () => {
    const queue = 'bad-signal';
    const workers = await startWorkers(server, { gpus: 2, cpuQueue: queue, gpuQueue: `${queue}-gpu` });
    try {
      const input = smallPipeline('badsignal', { trials: [10, 1, 1], parallelism: 2, queue, timeScale: 6000 });
      const handle = await server.env.client.workflow.start(pipelineWorkflow, { workflowId: input.pipelineId, taskQueue: queue, args: [input] });
      const stage = server.env.client.workflow.getHandle('badsignal-stage1');
      await waitFor('two running trials', async () => (await stage.query(stageStateQuery)).trials.filter((t) => t.state === 'running').length === 2);
      await stage.signal(stopStageSignal, { mode: 'explode', extra: [1, 2] } as never);
      await stage.signal(stopStageSignal, 'garbage' as never);
      const stageState = await stage.query(stageStateQuery);
      assert.equal(stageState.stopMode, 'graceful');
      await handle.signal(stopPipelineSignal, 42 as never);
      const result = await handle.result();
      assert.equal(result.stopped, true);
      assert.equal(result.stages.length, 1);
      const s1 = result.stages[0]!;
      assert.equal(s1.stoppedBy, 'user');
      assert.ok(s1.trials.length >= 2 && s1.trials.length < 10);
      assert.ok(s1.trials.every((t) => t.status === 'succeeded'), 'graceful: the running trials finished');
      const state = await handle.query(pipelineStateQuery);
      assert.deepEqual(state.stages.map((s) => s.status), ['completed', 'skipped', 'skipped']);
      assert.equal(state.stages[0]!.bestTrialId, s1.best?.trialId);
    } finally {
      await workers.stop();
    }
  });
});
