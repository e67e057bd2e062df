// The train activity in a MockActivityEnvironment, driving the simulator as a real process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { createTrainActivities } from '../../activities/train';
import type { TrainHeartbeat, TrainInput, TrainResult } from '../../activities/types';
import { simulatorTrainerSpec, type TrainerSpec } from '../../src/trainer';
import type { Config } from '../../src/domain';
import { processGone } from '../helpers/processes';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vibeopt-act-'));
const CONFIG: Config = { per_device_train_batch_size: 4, gradient_accumulation_steps: 2, learning_rate: 3e-5, ddpm_batch_mul: 4, diffusion_loss_weight: 1.4, ce_loss_weight: 0.05, voice_prompt_drop_rate: 0.1, lora_r: 16, lora_alpha: 32, warmup_ratio: 0.05, max_grad_norm: 1 };
const SECRET = 'secret-xyz';
const WORKER_ENV: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, HF_TOKEN: SECRET, WANDB_API_KEY: 'wandb-key-123456' };
let n = 0;

function input(over: Partial<TrainInput> = {}, sim: Record<string, string> = {}, spec?: TrainerSpec): TrainInput {
  return {
    pipelineId: 'p1',
    stage: { name: 'stage1', index: 0, datasetName: 'heiertech/vibevoice-mcv-scripted-no-v24', baseModel: 'marksverdhai/vibevoice-7b-bnb-8bit', epochs: 3 },
    trialId: `t${++n}`,
    trialNumber: n,
    config: CONFIG,
    oomLevel: 0,
    trainer: spec ?? simulatorTrainerSpec({ env: { VIBEOPT_SIM_TIME_SCALE: '1e9', VIBEOPT_SIM_DATASET_SIZE: '1600', ...sim } }),
    artifactRoot: root,
    ...over,
  };
}

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ApplicationFailure, `expected ApplicationFailure, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the activity to fail');
}

const acts = (over: Parameters<typeof createTrainActivities>[0] = {}) => createTrainActivities({ gpu: '0', env: WORKER_ENV, heartbeatIntervalMs: 30, sampleGpuMemory: false, ...over });

test('success: result, heartbeats with progress, seed-compatible files', async () => {
  const env = new MockActivityEnvironment();
  const beats: TrainHeartbeat[] = [];
  env.on('heartbeat', (d: TrainHeartbeat) => beats.push(d));
  const inp = input({}, { VIBEOPT_SIM_TIME_SCALE: '20000' });
  const r: TrainResult = await env.run(acts().train, inp);
  assert.equal(r.outputDir, path.join(root, 'p1', 'stage1', inp.trialId));
  assert.equal(r.checkpointPath, path.join(r.outputDir, 'lora'));
  assert.ok(Number.isFinite(r.loss) && r.loss > 0);
  assert.equal(r.metrics.totalSteps, 600);
  assert.equal(r.metrics.lossCurve.length, 60);
  assert.equal(r.metrics.resumedFromStep, null);
  assert.equal(r.metrics.peakGpuMemoryMiB, null);
  assert.ok(r.metrics.samplesPerSecond! > 0);
  assert.ok(beats.length >= 3, `heartbeats: ${beats.length}`);
  assert.ok(beats.some((b) => (b.step ?? 0) > 0 && b.maxSteps === 600 && b.loss !== null), 'a heartbeat carries progress');
  assert.ok(beats.some((b) => b.checkpoint?.includes('checkpoint-')), 'a heartbeat carries the latest checkpoint');
  const results = JSON.parse(fs.readFileSync(path.join(r.outputDir, 'results.json'), 'utf8')) as Record<string, unknown>;
  for (const k of ['experiment_id', 'stage', 'iteration', 'training_time_seconds', 'final_loss', 'exit_code', 'config']) assert.ok(k in results, k);
  assert.equal(results.final_loss, r.loss);
  assert.equal(results.exit_code, 0);
  assert.equal(results.iteration, inp.trialNumber);
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(r.outputDir, 'config.json'), 'utf8')), CONFIG);
  assert.match(fs.readFileSync(path.join(r.outputDir, 'training.log'), 'utf8'), /train_runtime/);
  assert.match((results.argv as string[]).join(' '), /--run_name bayesopt_stage1_t\d+/);
});

test('CUDA OOM → ApplicationFailure CudaOutOfMemory, nonRetryable, log tail in details', async () => {
  const env = new MockActivityEnvironment();
  const f = await failureOf(env.run(acts().train, input({ config: { ...CONFIG, per_device_train_batch_size: 32, ddpm_batch_mul: 8 } })));
  assert.equal(f.type, 'CudaOutOfMemory');
  assert.equal(f.nonRetryable, true);
  const d = f.details?.[0] as { logTail: string; reason: string };
  assert.match(d.logTail, /CUDA out of memory/);
});

test('bad flag → TrainerError nonRetryable; missing binary → TrainerNotFound nonRetryable', async () => {
  const bad = await failureOf(new MockActivityEnvironment().run(acts().train, input({ config: { ...CONFIG, nope: 1 } })));
  assert.equal(bad.type, 'TrainerError');
  assert.equal(bad.nonRetryable, true);
  assert.equal((bad.details?.[0] as { reason: string }).reason, 'bad_flag');
  const spec = { ...simulatorTrainerSpec(), launcher: ['/no/such/trainer'] };
  const nf = await failureOf(new MockActivityEnvironment().run(acts().train, input({}, {}, spec)));
  assert.equal(nf.type, 'TrainerNotFound');
  assert.equal(nf.nonRetryable, true);
});

test('NaN loss → TrainerError "nan loss"', async () => {
  const f = await failureOf(new MockActivityEnvironment().run(acts().train, input({ config: { ...CONFIG, learning_rate: 0.01 } })));
  assert.equal(f.type, 'TrainerError');
  assert.match(f.message, /nan loss/);
});

test('cancellation kills the trainer process group and rethrows CancelledFailure', async () => {
  const env = new MockActivityEnvironment();
  const inp = input({}, { VIBEOPT_SIM_TIME_SCALE: '15000', VIBEOPT_SIM_MIN_STEP_MS: '20', VIBEOPT_SIM_SPAWN_CHILD: '1' });
  const outDir = path.join(root, 'p1', 'stage1', inp.trialId);
  let pid: number | null = null;
  env.on('heartbeat', (d: TrainHeartbeat) => {
    if (pid === null && (d.step ?? 0) >= 5) {
      pid = (JSON.parse(fs.readFileSync(path.join(outDir, 'trainer.pid.json'), 'utf8')) as { pid: number }).pid;
      env.cancel();
    }
  });
  await assert.rejects(env.run(acts().train, inp), (e: unknown) => e instanceof CancelledFailure);
  assert.ok(pid !== null);
  assert.ok(processGone(pid), 'trainer gone');
  assert.ok(processGone(-pid), 'its process group gone');
  for (const c of JSON.parse(fs.readFileSync(path.join(outDir, 'sim_children.json'), 'utf8')) as number[]) assert.ok(processGone(c));
});

test('worker crash mid-way, retried attempt resumes from the newest checkpoint with the same total steps', async () => {
  const reference: TrainResult = await new MockActivityEnvironment().run(acts().train, input());
  const inp = input({}, { VIBEOPT_SIM_TIME_SCALE: '15000', VIBEOPT_SIM_MIN_STEP_MS: '4' });
  const outDir = path.join(root, 'p1', 'stage1', inp.trialId);
  const env1 = new MockActivityEnvironment();
  let last: TrainHeartbeat | undefined;
  let killed = false;
  env1.on('heartbeat', (d: TrainHeartbeat) => {
    last = d;
    if (!killed && d.checkpoint?.endsWith('checkpoint-200')) {
      killed = true;
      const { pid } = JSON.parse(fs.readFileSync(path.join(outDir, 'trainer.pid.json'), 'utf8')) as { pid: number };
      process.kill(-pid, 'SIGKILL');
    }
  });
  const f = await failureOf(env1.run(acts().train, inp));
  assert.equal(f.type, 'HostOutOfMemory');
  assert.equal(f.nonRetryable, false, 'Temporal retries it');
  const env2 = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: last });
  const fast = { ...inp, trainer: { ...inp.trainer, env: { ...inp.trainer.env, VIBEOPT_SIM_TIME_SCALE: '1e9', VIBEOPT_SIM_MIN_STEP_MS: '0' } } };
  // The config and OOM level are unchanged, so the checkpoints are this trial's.
  const r: TrainResult = await env2.run(acts().train, fast);
  assert.ok(r.metrics.resumedFromStep !== null && r.metrics.resumedFromStep >= 200 && r.metrics.resumedFromStep < 600, String(r.metrics.resumedFromStep));
  assert.equal(r.metrics.totalSteps, reference.metrics.totalSteps);
  assert.deepEqual(r.metrics.lossCurve, reference.metrics.lossCurve, 'the whole curve, as if never interrupted');
  assert.ok(r.durationSeconds >= 0);
  const log = fs.readFileSync(path.join(outDir, 'training.log'), 'utf8');
  assert.match(log, /--resume_from_checkpoint/);
});

test('retry without resume support (or at a new OOM level) restarts cleanly in an emptied folder', async () => {
  const inp = input({}, { VIBEOPT_SIM_HOST_OOM_AT_STEP: '250' });
  const f = await failureOf(new MockActivityEnvironment().run(acts().train, inp));
  assert.equal(f.type, 'HostOutOfMemory');
  const outDir = path.join(root, 'p1', 'stage1', inp.trialId);
  assert.ok(fs.existsSync(path.join(outDir, 'checkpoint-200')));
  const noResume = { ...inp, trainer: { ...inp.trainer, supportsResume: false, env: { ...inp.trainer.env, VIBEOPT_SIM_HOST_OOM_AT_STEP: '' } } };
  const r: TrainResult = await new MockActivityEnvironment({ attempt: 2 }).run(acts().train, noResume);
  assert.equal(r.metrics.resumedFromStep, null);
  assert.equal(r.metrics.totalSteps, 600);
  const halved = { ...noResume, oomLevel: 1, config: { ...CONFIG, per_device_train_batch_size: 2, gradient_accumulation_steps: 4 }, trainer: { ...noResume.trainer, supportsResume: true } };
  const r2: TrainResult = await new MockActivityEnvironment({ attempt: 3 }).run(acts().train, halved);
  assert.equal(r2.metrics.resumedFromStep, null, 'checkpoints of another batch size are not resumed');
});

test('secrets from the worker env never appear in TrainInput, TrainResult, heartbeats or failure details', async () => {
  // The simulator echoes HF_TOKEN (a verbose trainer), proving the secret reached the trainer.
  const okIn = input({}, { VIBEOPT_SIM_ECHO_ENV: 'HF_TOKEN,WANDB_API_KEY' });
  const beats: unknown[] = [];
  const env = new MockActivityEnvironment();
  env.on('heartbeat', (d) => beats.push(d));
  const ok: TrainResult = await env.run(acts().train, okIn);
  assert.match(fs.readFileSync(path.join(ok.outputDir, 'training.log'), 'utf8'), new RegExp(`HF_TOKEN=${SECRET}`), 'the trainer got the secret');
  const failIn = input({ config: { ...CONFIG, per_device_train_batch_size: 32, ddpm_batch_mul: 8 } }, { VIBEOPT_SIM_ECHO_ENV: 'HF_TOKEN,WANDB_API_KEY' });
  const f = await failureOf(new MockActivityEnvironment().run(acts().train, failIn));
  const everything = JSON.stringify([okIn, ok, beats, failIn, f.message, f.details, f.type]);
  assert.ok(!everything.includes(SECRET), 'HF_TOKEN leaked');
  assert.ok(!everything.includes('wandb-key-123456'), 'WANDB_API_KEY leaked');
  assert.match(JSON.stringify(f.details), /HF_TOKEN=\*\*\*/, 'the tail was redacted, not dropped');
});

test('unsafe ids are rejected before touching the file system', async () => {
  const f = await failureOf(new MockActivityEnvironment().run(acts().train, input({ trialId: '../../etc' })));
  assert.equal(f.type, 'TrainerError');
  assert.equal(f.nonRetryable, true);
});
