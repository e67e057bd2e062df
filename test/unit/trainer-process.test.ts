// End-to-end: the simulator as a real child process through runTrainer (the same code as the real trainer).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  buildTrainerArgv,
  buildTrainerEnv,
  newestCheckpoint,
  listCheckpoints,
  readTrainerState,
  runTrainer,
  simulatorTrainerSpec,
  type RunTrainerOptions,
  type TrainerProgress,
} from '../../src/trainer';
import type { Config } from '../../src/domain';
import { processGone } from '../helpers/processes';

const STAGE = { name: 'stage1', datasetName: 'heiertech/vibevoice-mcv-scripted-no-v24', baseModel: 'marksverdhai/vibevoice-7b-bnb-8bit', epochs: 3 };
/** 1600 samples, bs 4 × ga 2 → 200 steps/epoch, 600 steps; checkpoints every 100. */
const SMALL: Config = { per_device_train_batch_size: 4, gradient_accumulation_steps: 2, learning_rate: 3e-5, ddpm_batch_mul: 4, lora_r: 16, lora_alpha: 32, warmup_ratio: 0.05, max_grad_norm: 1 };
const FAST_ENV = { VIBEOPT_SIM_TIME_SCALE: '10000', VIBEOPT_SIM_DATASET_SIZE: '1600' };

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'vibeopt-proc-'));
let n = 0;

function setup(config: Config, simEnv: Record<string, string>, extra: Partial<RunTrainerOptions> = {}, resumeFrom?: string, outputDir?: string) {
  const spec = simulatorTrainerSpec({ env: { ...FAST_ENV, ...simEnv } });
  const dir = outputDir ?? path.join(tmpRoot, `t${++n}`);
  const argv = buildTrainerArgv({ spec, stage: STAGE, config, outputDir: dir, runName: `bayesopt_stage1_t${n}`, resumeFrom });
  const env = buildTrainerEnv({ spec, workerEnv: process.env, gpu: '0', runName: 'r' });
  const ac = new AbortController();
  const opts: RunTrainerOptions = { argv, env, outputDir: dir, logFile: path.join(dir, 'training.log'), signal: ac.signal, killGraceMs: 500, loggingSteps: 10, progressIntervalMs: 50, ...extra };
  return { opts, ac, dir };
}

test('success: loss, steps, checkpoints with trainer_state.json, lora/, training.log', async () => {
  const seen: TrainerProgress[] = [];
  const { opts, dir } = setup(SMALL, {}, { onProgress: (p) => seen.push(p) });
  const r = await runTrainer(opts);
  assert.equal(r.outcome.kind, 'succeeded', JSON.stringify(r.outcome));
  assert.equal(r.exitCode, 0);
  assert.ok(r.outcome.kind === "succeeded" && r.outcome.loss > 0 && r.outcome.loss < 20, JSON.stringify(r.outcome));
  assert.equal(r.progress.step, 600);
  assert.equal(r.progress.maxSteps, 600);
  assert.equal(r.progress.epoch, 3);
  assert.deepEqual(listCheckpoints(dir).map((c) => c.step), [100, 200, 300, 400, 500, 600]);
  const state = readTrainerState(path.join(dir, 'checkpoint-600'));
  assert.equal(state?.max_steps, 600);
  assert.equal(state?.log_history?.length, 60);
  assert.ok(fs.existsSync(path.join(dir, 'lora', 'adapter_config.json')));
  assert.equal(r.lossCurve.length, 60);
  assert.deepEqual(r.lossCurve.map((p) => p.step), Array.from({ length: 60 }, (_, i) => 10 * (i + 1)));
  assert.ok(r.lossCurve[0]!.loss > r.lossCurve.at(-1)!.loss, 'loss decreases');
  assert.ok(seen.length >= 2, `progress reported while running (${seen.length})`);
  assert.match(fs.readFileSync(opts.logFile, 'utf8'), /train_runtime/);
  assert.ok(processGone(r.pid!));
  assert.equal(r.peakGpuMemoryMiB, null, 'no sampler: unknown, not invented');
});

test('deterministic for (seed, config): same loss twice, another seed differs', async () => {
  const a = await runTrainer(setup(SMALL, { VIBEOPT_SIM_TIME_SCALE: '1e9' }).opts);
  const b = await runTrainer(setup(SMALL, { VIBEOPT_SIM_TIME_SCALE: '1e9' }).opts);
  const c = await runTrainer(setup(SMALL, { VIBEOPT_SIM_TIME_SCALE: '1e9', VIBEOPT_SIM_SEED: '7' }).opts);
  assert.ok(a.outcome.kind === 'succeeded' && b.outcome.kind === 'succeeded' && c.outcome.kind === 'succeeded');
  assert.equal(a.outcome.loss, b.outcome.loss);
  assert.notEqual(a.outcome.loss, c.outcome.loss);
});

test('plain log style and garbage lines parse the same', async () => {
  const r = await runTrainer(setup(SMALL, { VIBEOPT_SIM_TIME_SCALE: '1e9', VIBEOPT_SIM_LOG_STYLE: 'plain', VIBEOPT_SIM_GARBAGE: '1' }).opts);
  assert.equal(r.outcome.kind, 'succeeded', JSON.stringify(r.outcome));
  assert.equal(r.lossCurve.length, 60);
});

test('OOM run (large batch × ddpm_batch_mul × rank) is classified as CUDA OOM', async () => {
  const r = await runTrainer(setup({ ...SMALL, per_device_train_batch_size: 32, ddpm_batch_mul: 8, lora_r: 64 }, {}).opts);
  assert.equal(r.outcome.kind, 'cuda_oom', JSON.stringify(r.outcome));
  assert.equal(r.exitCode, 1);
  assert.match(r.logTail, /torch\.OutOfMemoryError: CUDA out of memory/);
});

test('a smaller simulated GPU OOMs where 80 GB does not', async () => {
  const r = await runTrainer(setup(SMALL, { VIBEOPT_SIM_GPU_GB: '16', VIBEOPT_SIM_TIME_SCALE: '1e9' }).opts);
  assert.equal(r.outcome.kind, 'cuda_oom');
});

test('unknown flag: exit 1 before training, classified as a bad flag', async () => {
  const r = await runTrainer(setup({ ...SMALL, not_a_flag: 3 }, {}).opts);
  assert.equal(r.exitCode, 1);
  assert.ok(r.outcome.kind === 'trainer_error' && r.outcome.reason === 'bad_flag', JSON.stringify(r.outcome));
  assert.match(r.outcome.message, /not_a_flag/);
  const up = await runTrainer(setup(SMALL, { VIBEOPT_SIM_UPSTREAM: '1' }).opts);
  assert.ok(up.outcome.kind === 'trainer_error' && up.outcome.reason === 'bad_flag' && /load_in_4bit/.test(up.outcome.message));
});

test('NaN loss (learning rate far too high) stops the run as TrainerError nan loss', async () => {
  const { opts } = setup({ ...SMALL, learning_rate: 0.01 }, { VIBEOPT_SIM_MIN_STEP_MS: '2' });
  const r = await runTrainer(opts);
  assert.ok(r.outcome.kind === 'trainer_error' && r.outcome.reason === 'nan_loss', JSON.stringify(r.outcome));
  assert.ok(r.progress.step! < 600, 'stopped early, not after wasting the whole run');
  assert.ok(processGone(r.pid!));
});

test('missing trainer binary: not_found with a clear message, no crash', async () => {
  const { opts } = setup(SMALL, {});
  const r = await runTrainer({ ...opts, argv: ['/nonexistent/python', '-u', '-m', 'x'] });
  assert.equal(r.outcome.kind, 'not_found');
  assert.match((r.outcome as { message: string }).message, /ENOENT/);
});

test('cancel: the whole process group (trainer and its helper child) is gone, checked by pid', async () => {
  const { opts, ac, dir } = setup(SMALL, { VIBEOPT_SIM_MIN_STEP_MS: '20', VIBEOPT_SIM_SPAWN_CHILD: '1' }, {
    onProgress: (p) => {
      if ((p.step ?? 0) >= 20) ac.abort();
    },
  });
  const r = await runTrainer(opts);
  assert.equal(r.outcome.kind, 'cancelled');
  const children = JSON.parse(fs.readFileSync(path.join(dir, 'sim_children.json'), 'utf8')) as number[];
  assert.ok(processGone(r.pid!), 'trainer pid gone');
  assert.ok(processGone(-r.pid!), 'process group gone');
  for (const c of children) assert.ok(processGone(c), `helper child ${c} gone`);
});

test('cancel escalates to SIGKILL when the trainer ignores SIGTERM', async () => {
  const { opts, ac } = setup(SMALL, { VIBEOPT_SIM_MIN_STEP_MS: '20', VIBEOPT_SIM_IGNORE_SIGTERM: '1' }, { killGraceMs: 300 });
  setTimeout(() => ac.abort(), 400);
  const t0 = Date.now();
  const r = await runTrainer(opts);
  assert.equal(r.outcome.kind, 'cancelled');
  assert.equal(r.signal, 'SIGKILL');
  assert.ok(Date.now() - t0 < 5000);
  assert.ok(processGone(-r.pid!));
});

test('a hung trainer (no output) is stopped as stalled', async () => {
  const { opts } = setup(SMALL, { VIBEOPT_SIM_HANG_AT_STEP: '5', VIBEOPT_SIM_MIN_STEP_MS: '5' }, { stallTimeoutMs: 600 });
  const r = await runTrainer(opts);
  assert.ok(r.outcome.kind === 'timeout' && r.outcome.reason === 'stalled', JSON.stringify(r.outcome));
  assert.ok(processGone(-r.pid!));
});

test('SIGKILL from outside (host OOM killer) is host OOM', async () => {
  const r = await runTrainer(setup(SMALL, { VIBEOPT_SIM_HOST_OOM_AT_STEP: '50' }).opts);
  assert.equal(r.outcome.kind, 'host_oom', JSON.stringify(r.outcome));
});

test('killed mid-way, rerun with --resume_from_checkpoint: resumes from the last checkpoint, same total steps', async () => {
  const fullRun = setup(SMALL, { VIBEOPT_SIM_TIME_SCALE: '1e9' });
  const full = await runTrainer(fullRun.opts);
  assert.equal(full.outcome.kind, 'succeeded');
  let killed = false;
  const first = setup(SMALL, { VIBEOPT_SIM_MIN_STEP_MS: '4' }, {
    onProgress: (p) => {
      if (!killed && p.checkpoint?.endsWith('checkpoint-200')) {
        killed = true;
        // The trainer dies mid-way (as when its worker's host fails): SIGKILL its group.
        const { pid } = JSON.parse(fs.readFileSync(path.join(first.dir, 'trainer.pid.json'), 'utf8')) as { pid: number };
        process.kill(-pid, 'SIGKILL');
      }
    },
  });
  const firstRun = runTrainer(first.opts);
  const r1 = await firstRun;
  assert.equal(r1.outcome.kind, 'host_oom');
  const ck = newestCheckpoint(first.dir);
  assert.ok(ck && ck.step >= 200 && ck.step < 600, `stopped mid-way at ${ck?.step}`);
  const second = setup(SMALL, { VIBEOPT_SIM_TIME_SCALE: '1e9' }, { appendLog: true }, ck.dir, first.dir);
  const r2 = await runTrainer(second.opts);
  assert.equal(r2.outcome.kind, 'succeeded', JSON.stringify(r2.outcome));
  assert.equal(r2.progress.step, full.progress.step);
  const finalState = readTrainerState(path.join(first.dir, 'checkpoint-600'));
  assert.equal(finalState?.global_step, 600);
  assert.equal(finalState?.max_steps, 600);
  // Same curve as the uninterrupted run: the resumed run continued, it did not restart.
  const fullState = readTrainerState(path.join(fullRun.dir, 'checkpoint-600'));
  assert.deepEqual(finalState?.log_history, fullState?.log_history);
  assert.match(fs.readFileSync(second.opts.logFile, 'utf8'), /Continuing training from global step/);
  assert.ok(r2.lossCurve[0]!.step > ck.step, 'the resumed run logs only the remaining steps');
});
