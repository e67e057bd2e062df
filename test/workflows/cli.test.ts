/**
 * The vibeopt CLI as a user runs it, as child processes against a real dev server with real
 * workers and the simulator: init → start (twice: attach) → watch (not a terminal) → status →
 * the stage updates → stop-stage → stop --now; and config errors that name file, path and problem.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import YAML from 'yaml';
import type { DevServer } from '../../workers/devserver';
import { pipelineStateQuery, stageStateQuery } from '../../workflows/messages';
import type { PipelineResult } from '../../workflows/types';
import { runCli, vibeoptArgs } from '../helpers/cli';
import { startTestServer, startWorkers, tempDir } from '../helpers/env';
import { waitFor } from '../helpers/processes';

describe('vibeopt CLI against a real dev server', () => {
  let server: DevServer;
  let stopWorkers: () => Promise<void>;
  const dir = tempDir('vibeopt-cli-');
  before(async () => {
    server = await startTestServer();
    // The CLI launches on the default task queues; this server is this file's alone.
    stopWorkers = (await startWorkers(server, { gpus: 2, cpuQueue: 'cpu', gpuQueue: 'gpu' })).stop;
  });
  after(async () => {
    await stopWorkers?.();
    await server?.stop();
  });

  it('init writes a documented config that validates; start, watch, status, updates, stop-stage and stop work', async () => {
    const file = path.join(dir, 'pipeline.yaml');
    const init = await runCli(['init', '--simulator', '-o', file]);
    assert.equal(init.code, 0, init.stderr);
    const text = readFileSync(file, 'utf8');
    assert.match(text, /# Hugging Face dataset id/);
    assert.match(text, /TBD in the seed/);
    // A small, slow-enough plan: stage 1 long enough to steer it.
    const cfg = YAML.parse(text);
    cfg.name = 'cli-pipeline';
    cfg.trainer = { preset: 'simulator', timeScale: 1500 };
    cfg.stages[0].budget = { maxTrials: 30 };
    cfg.stages[0].parallelism = 2;
    cfg.stages[1].budget = { maxTrials: 30 };
    cfg.stages[2].datasetName = 'test/oslo';
    cfg.stages[2].budget = { maxTrials: 2 };
    writeFileSync(file, YAML.stringify(cfg));
    const addr = ['--address', server.address];

    const start = await runCli(['start', '-c', file, ...addr]);
    assert.equal(start.code, 0, start.stderr);
    assert.match(start.stdout, /started pipeline cli-pipeline/);
    assert.match(start.stdout, /Web UI: http:\/\/localhost:\d+\/namespaces\/default\/workflows\/cli-pipeline/);
    const again = await runCli(['start', '-c', file, ...addr]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /attached to running pipeline cli-pipeline/);

    // watch, piped (not a terminal): plain lines until the pipeline ends.
    const [cmd, argv] = vibeoptArgs(['watch', '-p', 'cli-pipeline', ...addr]);
    const watcher = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let watched = '';
    watcher.stdout.on('data', (d) => (watched += d));
    watcher.stderr.on('data', (d) => (watched += d));
    const watchDone = new Promise<number | null>((resolve) => watcher.on('close', resolve));

    const client = server.env.client;
    const stage1 = client.workflow.getHandle('cli-pipeline-stage1');
    await waitFor('a running trial', async () => (await stage1.query(stageStateQuery)).trials.some((t) => t.state === 'running'));

    const status = await runCli(['status', '-p', 'cli-pipeline', ...addr]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /pipeline cli-pipeline: running/);
    assert.match(status.stdout, /stage1\s+running/);
    assert.match(status.stdout, /▶ cli-pipeline-stage1-trial-\d{3}/);

    // Updates: a bad value is refused by the CLI with the field named; good ones reach the stage.
    const bad = await runCli(['set-parallelism', '-p', 'cli-pipeline', '0', ...addr]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /parallelism must be an integer ≥ 1/);
    const badExclude = await runCli(['exclude', '-p', 'cli-pipeline', 'per_device_train_batch_size', '5', ...addr]);
    assert.notEqual(badExclude.code, 0);
    assert.match(badExclude.stderr, /excludeValue: value: 5 is not a value of per_device_train_batch_size/);
    const par = await runCli(['set-parallelism', '-p', 'cli-pipeline', '1', ...addr]);
    assert.equal(par.code, 0, par.stderr);
    const budget = await runCli(['set-budget', '-p', 'cli-pipeline', '--max-gpu-hours', '100', ...addr]);
    assert.equal(budget.code, 0, budget.stderr);
    assert.equal(JSON.parse(budget.stdout).maxGpuHours, 100);
    const ex = await runCli(['exclude', '-p', 'cli-pipeline', 'per_device_train_batch_size', '8', ...addr]);
    assert.equal(ex.code, 0, ex.stderr);
    const state = await stage1.query(stageStateQuery);
    assert.equal(state.parallelism, 1);
    assert.equal(state.budget.maxGpuHours, 100);
    assert.deepEqual(state.excluded, [{ param: 'per_device_train_batch_size', value: 8 }]);

    // stop-stage (graceful): stage 1 ends early, the pipeline goes on to stage 2.
    const stopStage = await runCli(['stop-stage', '-p', 'cli-pipeline', ...addr]);
    assert.equal(stopStage.code, 0, stopStage.stderr);
    const r1 = await stage1.result();
    assert.equal(r1.stoppedBy, 'user');
    assert.ok(r1.trials.length < 30);
    await waitFor('stage 2 running', async () => (await client.workflow.getHandle('cli-pipeline').query(pipelineStateQuery)).currentStage === 'stage2');

    // stop --now: stage 2's running trials are cancelled and stage 3 never starts.
    await waitFor('a stage 2 trial', async () => (await client.workflow.getHandle('cli-pipeline-stage2').query(stageStateQuery)).trials.some((t) => t.state === 'running'));
    const stop = await runCli(['stop', '-p', 'cli-pipeline', '--now', ...addr]);
    assert.equal(stop.code, 0, stop.stderr);
    const result: PipelineResult = await client.workflow.getHandle('cli-pipeline').result();
    assert.equal(result.stopped, true);
    assert.deepEqual(result.stages.map((s) => s.stage), ['stage1', 'stage2']);
    assert.ok(result.stages[1]!.trials.some((t) => t.status === 'cancelled'));
    const p = await client.workflow.getHandle('cli-pipeline').query(pipelineStateQuery);
    assert.equal(p.stages[2]!.status, 'skipped');

    assert.equal(await watchDone, 0, watched);
    assert.match(watched, /== stage1: Full Norwegian/);
    assert.match(watched, /cli-pipeline-stage1-trial-001 started \(initial\)/);
    assert.match(watched, /cli-pipeline-stage1-trial-\d{3} done: loss \d\.\d{4}/);
    assert.match(watched, /== stage2: Bokmål only/);
    assert.match(watched, /cancelled/);
    assert.match(watched, /pipeline cli-pipeline completed/);
    assert.ok(!watched.includes('\u001b['), 'no terminal escapes when not on a terminal');
  });

  it('config errors name the file, the path and the problem; nothing is started', async () => {
    const write = (name: string, text: string) => {
      const f = path.join(dir, name);
      writeFileSync(f, text);
      return f;
    };
    const base = YAML.parse((await runCli(['init', '--simulator', '-o', path.join(dir, 'base.yaml')])).code === 0 ? readFileSync(path.join(dir, 'base.yaml'), 'utf8') : '');
    const cases: Array<[string, unknown, RegExp]> = [
      ['negative.yaml', { ...base, stages: [{ ...base.stages[0], budget: { maxTrials: -1 } }] }, /negative\.yaml: stages\.0\.budget\.maxTrials: .*>=1/i],
      ['unknown.yaml', { ...base, stagez: [] }, /unknown\.yaml: .*stagez/],
      ['badspace.yaml', { ...base, stages: [{ ...base.stages[0], space: { narrow: { learning_rate: { low: 1, high: 2 } } } }] }, /badspace\.yaml: stages\.0\.space.*learning_rate/],
      [
        'infeasible.yaml',
        { ...base, stages: [{ ...base.stages[0], space: { fix: { per_device_train_batch_size: 2, gradient_accumulation_steps: 16 } } }] },
        /infeasible\.yaml: stages\.0\.space.*(no feasible point|constraint)/,
      ],
    ];
    for (const [name, cfg, re] of cases) {
      const f = write(name, YAML.stringify(cfg));
      const r = await runCli(['start', '-c', f, '--address', server.address]);
      assert.equal(r.code, 1, `${name}: ${r.stdout}`);
      assert.match(r.stderr, re, name);
    }
    const malformed = write('malformed.yaml', 'name: [unclosed\n');
    const r = await runCli(['start', '-c', malformed, '--address', server.address]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /malformed\.yaml: not valid YAML/);
    const missing = await runCli(['start', '-c', path.join(dir, 'nope.yaml'), '--address', server.address]);
    assert.match(missing.stderr, /nope\.yaml: cannot read/);
    let count = 0;
    for await (const _ of server.env.client.workflow.list({ query: 'WorkflowId = "norwegian-vibevoice"' })) count++;
    assert.equal(count, 0, 'no pipeline was started by a bad config');
  });
});
