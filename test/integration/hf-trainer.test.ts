// The real library, not only our idea of it: a genuine transformers.Trainer (tiny model, synthetic
// data, CPU) launched through the same train activity and runTrainer as the VibeVoice trainer.
// Needs the project-local Python environment: `npm run setup:python` (creates .venv-trainer/).
// Run with `npm run test:hf`. Skipped, with this message, when the environment is absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { createTrainActivities } from '../../activities/train';
import type { TrainHeartbeat, TrainInput, TrainResult } from '../../activities/types';
import {
  TrainerSpecSchema,
  buildTrainerArgv,
  buildTrainerEnv,
  listCheckpoints,
  lossCurveFromState,
  newestCheckpoint,
  projectRoot,
  runTrainer,
  type TrainerSpec,
} from '../../src/trainer';

const ROOT = projectRoot();
const PYTHON = path.join(ROOT, '.venv-trainer', 'bin', 'python');
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'hf_tiny_trainer.py');
const skip = fs.existsSync(PYTHON) ? false : `no ${PYTHON}: run \`npm run setup:python\` first (installs CPU torch + transformers)`;
if (skip) console.log(`# hf-trainer integration tests skipped: ${skip}`);

/** 256 samples, batch 8 × accumulation 2 → 16 steps/epoch, 48 steps; loss every 2, checkpoints every 10. */
function hfSpec(extraEnv: Record<string, string> = {}): TrainerSpec {
  return TrainerSpecSchema.parse({
    launcher: [PYTHON, '-u', FIXTURE],
    fixedArgs: [
      { flag: 'model_name_or_path', ref: 'baseModel' },
      { flag: 'dataset_name', ref: 'datasetName' },
      { flag: 'output_dir', ref: 'outputDir' },
      { hyperparameter: 'per_device_train_batch_size' },
      { hyperparameter: 'gradient_accumulation_steps' },
      { hyperparameter: 'learning_rate' },
      { flag: 'num_train_epochs', ref: 'epochs' },
      { flag: 'logging_steps', value: 2 },
      { flag: 'save_steps', value: 10 },
      { flag: 'report_to', value: 'none' },
      { flag: 'run_name', ref: 'runName' },
      { flag: 'remove_unused_columns', value: 'False' },
      { flag: 'do_train', value: null },
      { flag: 'lr_scheduler_type', value: 'cosine' },
      { hyperparameter: 'max_grad_norm' },
    ],
    supportsResume: true,
    metric: 'train_loss',
    env: { HF_TINY_SAMPLES: '256', ...extraEnv },
    passEnv: ['HF_TOKEN', 'HF_HOME', 'HF_TINY_*'],
    stallTimeoutSeconds: 120,
    killGraceSeconds: 10,
  });
}

const CONFIG = { per_device_train_batch_size: 8, gradient_accumulation_steps: 2, learning_rate: 0.01, max_grad_norm: 1 };
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vibeopt-hf-'));
let n = 0;
const input = (spec: TrainerSpec, config: TrainInput['config'] = CONFIG): TrainInput => ({
  pipelineId: 'hf',
  stage: { name: 'stage1', index: 0, datasetName: 'synthetic', baseModel: 'tiny-random', epochs: 3 },
  trialId: `t${++n}`,
  trialNumber: n,
  config,
  oomLevel: 0,
  trainer: spec,
  artifactRoot: root,
});
const acts = () => createTrainActivities({ env: { PATH: process.env.PATH, HOME: process.env.HOME }, heartbeatIntervalMs: 200, sampleGpuMemory: false });
const gone = (pid: number) => {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
};
const pidOf = (dir: string) => (JSON.parse(fs.readFileSync(path.join(dir, 'trainer.pid.json'), 'utf8')) as { pid: number }).pid;

let reference: TrainResult | undefined;

test('genuine output: dict lines, \\r progress bars, final dict and checkpoints are understood', { skip }, async () => {
  const beats: TrainHeartbeat[] = [];
  const env = new MockActivityEnvironment();
  env.on('heartbeat', (d: TrainHeartbeat) => beats.push(d));
  const r: TrainResult = await env.run(acts().train, input(hfSpec({ HF_TINY_STEP_SLEEP: '0.03' })));
  reference = r;
  assert.ok(Number.isFinite(r.loss) && r.loss > 0, `train_loss ${r.loss}`);
  assert.equal(r.metrics.totalSteps, 48, 'steps from the genuine tqdm bar');
  assert.ok(r.metrics.samplesPerSecond! > 0);
  assert.deepEqual(listCheckpoints(r.outputDir).map((c) => c.step), [10, 20, 30, 40, 48]);
  const state = newestCheckpoint(r.outputDir)!.state;
  assert.equal(state.max_steps, 48);
  assert.deepEqual(r.metrics.lossCurve, lossCurveFromState(state));
  assert.deepEqual(r.metrics.lossCurve.map((p) => p.step), Array.from({ length: 24 }, (_, i) => 2 * (i + 1)));
  assert.ok(beats.some((b) => b.maxSteps === 48 && (b.step ?? 0) > 0), 'heartbeats carried bar progress');
  assert.ok(fs.existsSync(r.checkpointPath));
});

test('the streamed loss curve matches trainer_state.json (parser vs library, step by step)', { skip }, async () => {
  const spec = hfSpec();
  const dir = path.join(root, 'direct');
  const argv = buildTrainerArgv({ spec, stage: { name: 's', datasetName: 'synthetic', baseModel: 'tiny', epochs: 3 }, config: CONFIG, outputDir: dir, runName: 'r' });
  const res = await runTrainer({ argv, env: buildTrainerEnv({ spec, workerEnv: process.env, runName: 'r' }), outputDir: dir, logFile: path.join(dir, 'training.log'), signal: new AbortController().signal, loggingSteps: 2 });
  assert.equal(res.outcome.kind, 'succeeded', JSON.stringify(res.outcome));
  const fromState = lossCurveFromState(newestCheckpoint(dir)!.state);
  assert.deepEqual(res.lossCurve.map((p) => p.step), fromState.map((p) => p.step));
  for (const [i, p] of res.lossCurve.entries()) {
    assert.ok(Math.abs(p.loss - fromState[i]!.loss) <= 5e-4 * Math.max(1, Math.abs(p.loss)), `step ${p.step}: ${p.loss} vs ${fromState[i]!.loss}`);
  }
  const log = fs.readFileSync(path.join(dir, 'training.log'), 'utf8');
  assert.match(log, /\{'train_runtime': /);
  assert.match(log, /\r/, 'the genuine bar is redrawn with \\r');
});

test('a flag the genuine parser does not know is a bad flag (transformers 5 dropped --warmup_ratio)', { skip }, async () => {
  const f = await new MockActivityEnvironment().run(acts().train, input(hfSpec(), { ...CONFIG, warmup_ratio: 0.05 })).then(
    () => assert.fail('expected failure'),
    (e: unknown) => e as ApplicationFailure,
  );
  assert.ok(f instanceof ApplicationFailure);
  assert.equal(f.type, 'TrainerError');
  assert.equal(f.nonRetryable, true);
  assert.equal((f.details?.[0] as { reason: string }).reason, 'bad_flag');
  assert.match(f.message, /warmup_ratio/);
});

test('cancellation stops the genuine trainer: no process left', { skip }, async () => {
  const env = new MockActivityEnvironment();
  const inp = input(hfSpec({ HF_TINY_STEP_SLEEP: '0.3' }));
  const dir = path.join(root, 'hf', 'stage1', inp.trialId);
  let pid: number | null = null;
  env.on('heartbeat', (d: TrainHeartbeat) => {
    if (pid === null && (d.step ?? 0) >= 3) {
      pid = pidOf(dir);
      env.cancel();
    }
  });
  await assert.rejects(env.run(acts().train, inp), (e: unknown) => e instanceof CancelledFailure);
  assert.ok(pid !== null && gone(pid) && gone(-pid));
});

test('killed after a checkpoint, the retried attempt resumes with --resume_from_checkpoint and ends at the same step', { skip }, async () => {
  const inp = input(hfSpec({ HF_TINY_STEP_SLEEP: '0.15' }));
  const dir = path.join(root, 'hf', 'stage1', inp.trialId);
  const env1 = new MockActivityEnvironment();
  let last: TrainHeartbeat | undefined;
  let killed = false;
  env1.on('heartbeat', (d: TrainHeartbeat) => {
    last = d;
    if (!killed && d.checkpoint?.endsWith('checkpoint-20')) {
      killed = true;
      process.kill(-pidOf(dir), 'SIGKILL');
    }
  });
  const f = await env1.run(acts().train, inp).then(
    () => assert.fail('expected the killed attempt to fail'),
    (e: unknown) => e as ApplicationFailure,
  );
  assert.equal(f.type, 'HostOutOfMemory');
  const resumeFrom = newestCheckpoint(dir)!.step;
  assert.ok(resumeFrom >= 20 && resumeFrom < 48);
  const fast = { ...inp, trainer: { ...inp.trainer, env: { ...inp.trainer.env, HF_TINY_STEP_SLEEP: '0' } } };
  const r: TrainResult = await new MockActivityEnvironment({ attempt: 2, heartbeatDetails: last }).run(acts().train, fast);
  assert.equal(r.metrics.resumedFromStep, resumeFrom);
  assert.equal(r.metrics.totalSteps, 48);
  assert.match(fs.readFileSync(path.join(dir, 'training.log'), 'utf8'), /--resume_from_checkpoint/);
  if (reference) assert.deepEqual(r.metrics.lossCurve.map((p) => p.step), reference.metrics.lossCurve.map((p) => p.step));
});
