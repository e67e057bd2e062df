/**
 * The train activity: runs one trial's trainer on this GPU worker (src/trainer does the work; this
 * file is the Temporal glue). Heartbeats progress, stops the trainer's process group on
 * cancellation, resumes a retried attempt from the newest complete checkpoint when the trainer
 * supports it, and turns every ending into a result or a typed ApplicationFailure.
 *
 * Output folder: <artifactRoot>/<pipelineId>/<stage.name>/<trialId>, reused by every attempt and
 * OOM level of the trial. A new OOM level (or a trainer without resume support, or a first attempt)
 * starts in an emptied folder: a checkpoint from another batch size is not resumable, and only the
 * attempt that produced the result leaves files there (config.json, results.json, training.log,
 * lora/, checkpoint-N/). `attempt.json` records which config/OOM level the checkpoints belong to.
 *
 * Recommended activity options (see the report in the PR): startToCloseTimeout ≥ the longest
 * trial + margin (e.g. 48 h for the real trainer), heartbeatTimeout 2–5 min, retry maximumAttempts
 * 3 with nonRetryableErrorTypes ['CudaOutOfMemory', 'TrainerNotFound'] (also set per failure).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { trialProgressSignal } from '../workflows/messages';
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import {
  argValue,
  buildTrainerArgv,
  buildTrainerEnv,
  downsampleCurve,
  killOrphanedTrainer,
  lossCurveFromState,
  newestCheckpoint,
  nvidiaSmiSampler,
  runTrainer,
  writeTrialConfig,
  writeTrialResults,
  type TrainerOutcome,
  type TrainerProgress,
  type TrainerRunResult,
} from '../src/trainer';
import type { Config } from '../src/domain';
import type { TrainFailureDetails, TrainFailureType, TrainHeartbeat, TrainInput, TrainResult, TrialProgressReport } from './types';

export interface TrainActivityOptions {
  /** This worker's GPU (CUDA_VISIBLE_DEVICES for the trainer). */
  gpu?: string;
  /** Overrides TrainInput.artifactRoot (a worker that mounts the artifact store elsewhere). */
  artifactRoot?: string;
  /** The worker's environment, where secrets live (default process.env). */
  env?: NodeJS.ProcessEnv;
  heartbeatIntervalMs?: number;
  /** Sample peak GPU memory with nvidia-smi (default true; null where nvidia-smi is absent). */
  sampleGpuMemory?: boolean;
}

/** Marker describing what the checkpoints in an output folder belong to. */
interface AttemptMarker {
  trialId: string;
  oomLevel: number;
  config: Config;
  attempt: number;
  /** Wall seconds spent by earlier attempts on these checkpoints. */
  elapsedSeconds: number;
}

const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._=+-]*$/;

function segment(name: string, value: string): string {
  if (!SAFE_SEGMENT.test(value) || value.includes('..')) {
    throw ApplicationFailure.create({
      type: 'TrainerError',
      nonRetryable: true,
      message: `TrainInput.${name} '${value}' is not a safe folder name (letters, digits, . _ = + -)`,
    });
  }
  return value;
}

function readMarker(dir: string): AttemptMarker | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'attempt.json'), 'utf8')) as AttemptMarker;
  } catch {
    return null;
  }
}

function writeMarker(dir: string, m: AttemptMarker): void {
  fs.writeFileSync(path.join(dir, 'attempt.json.tmp'), JSON.stringify(m, null, 2));
  fs.renameSync(path.join(dir, 'attempt.json.tmp'), path.join(dir, 'attempt.json'));
}

function sameConfig(a: Config, b: Config): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

function emptyDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const name of fs.readdirSync(dir)) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
}

/** Replaces every secret value (the passEnv variables' values in the worker env) with ***. */
export function makeRedactor(passEnv: readonly string[], workerEnv: NodeJS.ProcessEnv): (s: string) => string {
  const secrets: string[] = [];
  for (const pattern of passEnv) {
    const names = pattern.endsWith('*')
      ? Object.keys(workerEnv).filter((k) => k.startsWith(pattern.slice(0, -1)))
      : [pattern];
    for (const k of names) {
      const v = workerEnv[k];
      // Short values (WANDB_MODE=offline, a GPU index) are settings, not secrets.
      if (v !== undefined && v.length >= 8 && /KEY|TOKEN|SECRET|PASSWORD|AUTH/i.test(k)) secrets.push(v);
    }
  }
  secrets.sort((a, b) => b.length - a.length);
  return (s: string) => secrets.reduce((acc, v) => acc.split(v).join('***'), s);
}

const FAILURE_TYPE: Record<Exclude<TrainerOutcome['kind'], 'succeeded' | 'cancelled'>, TrainFailureType> = {
  cuda_oom: 'CudaOutOfMemory',
  host_oom: 'HostOutOfMemory',
  trainer_error: 'TrainerError',
  timeout: 'TrainerTimeout',
  not_found: 'TrainerNotFound',
};

/** Whether Temporal may retry this failure. OOM: no (the workflow halves the batch instead). */
function retryable(o: TrainerOutcome): boolean {
  switch (o.kind) {
    case 'host_oom':
      return true; // another tenant may have caused it; retried attempts resume
    case 'trainer_error':
      return o.reason === 'exit_code' || o.reason === 'spawn_failed';
    case 'timeout':
      return o.reason === 'stalled';
    default:
      return false;
  }
}

export function createTrainActivities(opts: TrainActivityOptions = {}) {
  const defaultHeartbeatIntervalMs = opts.heartbeatIntervalMs ?? 5000;

  async function train(input: TrainInput): Promise<TrainResult> {
    const ctx = Context.current();
    // Heartbeat well within the activity's heartbeat timeout, however short the workflow set it.
    const timeoutMs = ctx.info.heartbeatTimeoutMs;
    const heartbeatIntervalMs = timeoutMs ? Math.max(100, Math.min(defaultHeartbeatIntervalMs, Math.floor(timeoutMs / 3))) : defaultHeartbeatIntervalMs;
    const { spec } = { spec: input.trainer };
    const workerEnv = opts.env ?? process.env;
    const redact = makeRedactor(spec.passEnv, workerEnv);
    const root = path.resolve(opts.artifactRoot ?? input.artifactRoot);
    const outputDir = path.join(root, segment('pipelineId', input.pipelineId), segment('stage.name', input.stage.name), segment('trialId', input.trialId));
    const attempt = ctx.info.attempt;
    const started = Date.now();
    const graceMs = spec.killGraceSeconds * 1000;

    // A trainer orphaned by a crashed worker on this host still holds the GPU: stop it first.
    fs.mkdirSync(outputDir, { recursive: true });
    const orphan = await killOrphanedTrainer(outputDir, graceMs);
    if (orphan !== null) ctx.log.warn('stopped an orphaned trainer from an earlier attempt', { pid: orphan, outputDir });

    // Resume or restart.
    const marker = readMarker(outputDir);
    const previous = ctx.info.heartbeatDetails as TrainHeartbeat | undefined;
    const retried = attempt > 1 || previous !== undefined;
    const matches = marker !== null && marker.oomLevel === input.oomLevel && sameConfig(marker.config, input.config);
    const ck = spec.supportsResume && retried && matches ? newestCheckpoint(outputDir) : null;
    let elapsedBefore = 0;
    if (ck) {
      elapsedBefore = marker?.elapsedSeconds ?? 0;
      ctx.log.info('resuming trial from checkpoint', { checkpoint: ck.dir, step: ck.step, attempt });
    } else {
      emptyDir(outputDir);
    }
    writeTrialConfig(outputDir, input.config);
    const baseMarker: AttemptMarker = { trialId: input.trialId, oomLevel: input.oomLevel, config: input.config, attempt, elapsedSeconds: elapsedBefore };
    writeMarker(outputDir, baseMarker);

    const runName = `bayesopt_${input.stage.name}_${input.trialId}`;
    let argv: string[];
    try {
      argv = buildTrainerArgv({ spec, stage: input.stage, config: input.config, outputDir, runName, resumeFrom: ck?.dir });
    } catch (e) {
      throw ApplicationFailure.create({ type: 'TrainerError', nonRetryable: true, message: `cannot build the trainer command: ${(e as Error).message}` });
    }
    const env = buildTrainerEnv({ spec, workerEnv, gpu: opts.gpu, runName });
    const bs = Number(input.config.per_device_train_batch_size ?? NaN);
    const ga = Number(input.config.gradient_accumulation_steps ?? 1);
    const nproc = Number(/--nproc[_-]per[_-]node[= ](\d+)/.exec(spec.launcher.join(' '))?.[1] ?? 1);
    const loggingSteps = Number(argValue(argv, 'logging_steps') ?? NaN);

    let progress: TrainerProgress = { step: ck?.step ?? null, maxSteps: ck?.state.max_steps ?? null, epoch: ck?.state.epoch ?? null, loss: null, samplesPerSecond: null, checkpoint: ck?.dir ?? null };
    const heartbeat = () => {
      const details: TrainHeartbeat = { ...progress, attempt, oomLevel: input.oomLevel };
      ctx.heartbeat(details);
    };
    heartbeat();
    // Progress for the stage's state query (and so the Web UI), rate-limited: history is not a log.
    let lastReport = 0;
    let lastReportedCheckpoint: string | null = null;
    const report = () => {
      const r = input.progressReport;
      if (!r || progress.step === null) return;
      const due = Date.now() - lastReport >= r.intervalSeconds * 1000 || (progress.checkpoint !== null && progress.checkpoint !== lastReportedCheckpoint);
      if (!due) return;
      lastReport = Date.now();
      lastReportedCheckpoint = progress.checkpoint;
      const payload: TrialProgressReport = { trialId: input.trialId, ...progress };
      try {
        void ctx.client.workflow.getHandle(r.workflowId).signal(trialProgressSignal, payload).catch(() => undefined);
      } catch {
        // no client in this context (a mock environment): progress stays in the heartbeat only
      }
    };
    const hbTimer = setInterval(() => {
      heartbeat();
      report();
      try {
        writeMarker(outputDir, { ...baseMarker, elapsedSeconds: elapsedBefore + (Date.now() - started) / 1000 });
      } catch {
        /* best effort */
      }
    }, heartbeatIntervalMs);

    let run: TrainerRunResult;
    try {
      run = await runTrainer({
        argv,
        cwd: spec.cwd,
        env,
        outputDir,
        logFile: path.join(outputDir, 'training.log'),
        appendLog: ck !== null,
        signal: ctx.cancellationSignal,
        killGraceMs: graceMs,
        onProgress: (p) => {
          progress = p;
        },
        progressIntervalMs: Math.min(1000, heartbeatIntervalMs),
        gpuMemorySampler: opts.sampleGpuMemory === false ? null : nvidiaSmiSampler({ gpu: env.CUDA_VISIBLE_DEVICES }),
        stallTimeoutMs: spec.stallTimeoutSeconds * 1000,
        timeLimitMs: input.timeLimitSeconds !== undefined ? Math.max(0, input.timeLimitSeconds - elapsedBefore) * 1000 : undefined,
        stopOnNanLoss: spec.stopOnNanLoss,
        metric: spec.metric,
        loggingSteps: Number.isFinite(loggingSteps) ? loggingSteps : undefined,
        samplesPerStep: Number.isFinite(bs) ? bs * ga * nproc : undefined,
      });
    } finally {
      clearInterval(hbTimer);
    }
    progress = run.progress;
    const durationSeconds = elapsedBefore + (Date.now() - started) / 1000;
    writeMarker(outputDir, { ...baseMarker, elapsedSeconds: durationSeconds });

    // The whole trial's curve: the final checkpoint's log_history when it covers the run.
    const finalCk = newestCheckpoint(outputDir);
    const stateCurve = finalCk && finalCk.step === run.progress.step ? lossCurveFromState(finalCk.state) : [];
    const lossCurve = downsampleCurve(stateCurve.length >= run.lossCurve.length ? stateCurve : run.lossCurve, 200);
    const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
    const loraDir = path.join(outputDir, 'lora');
    let outcome = run.outcome;
    if (outcome.kind === 'succeeded' && !fs.existsSync(loraDir)) {
      outcome = { kind: 'trainer_error', reason: 'no_artifact', message: `trainer succeeded but wrote no ${loraDir}` };
    }
    const metrics = {
      samplesPerSecond: num(run.finalMetrics?.train_samples_per_second) ?? run.progress.samplesPerSecond,
      totalSteps: run.progress.step ?? run.progress.maxSteps ?? 0,
      peakGpuMemoryMiB: run.peakGpuMemoryMiB,
      lossCurve,
      resumedFromStep: ck?.step ?? null,
      trainRuntimeSeconds: num(run.finalMetrics?.train_runtime),
    };
    const failureType = outcome.kind === 'succeeded' ? null : outcome.kind === 'cancelled' ? 'Cancelled' : FAILURE_TYPE[outcome.kind];
    writeTrialResults(outputDir, {
      experiment_id: input.trialId,
      stage: input.stage.name,
      iteration: input.trialNumber,
      training_time_seconds: durationSeconds,
      final_loss: outcome.kind === 'succeeded' ? outcome.loss : null,
      exit_code: run.exitCode,
      config: input.config,
      status: outcome.kind === 'succeeded' ? 'succeeded' : 'failed',
      failure_type: failureType,
      failure_message: outcome.kind === 'succeeded' ? null : redact(outcome.message),
      metric: spec.metric,
      samples_per_second: metrics.samplesPerSecond,
      total_steps: metrics.totalSteps,
      peak_gpu_memory_mib: metrics.peakGpuMemoryMiB,
      resumed_from_step: metrics.resumedFromStep,
      oom_level: input.oomLevel,
      attempt,
      lora_path: outcome.kind === 'succeeded' ? loraDir : null,
      loss_curve: lossCurve,
      final_metrics: run.finalMetrics,
      argv,
      finished_at: new Date().toISOString(),
    });

    if (outcome.kind === 'succeeded') {
      return { trialId: input.trialId, loss: outcome.loss, durationSeconds, checkpointPath: loraDir, outputDir, metrics };
    }
    if (outcome.kind === 'cancelled') {
      const reason: unknown = ctx.cancellationSignal.reason;
      throw reason instanceof CancelledFailure ? reason : new CancelledFailure('CANCELLED');
    }
    const details: TrainFailureDetails = {
      reason: outcome.kind === 'trainer_error' || outcome.kind === 'timeout' ? outcome.reason : outcome.kind,
      logTail: redact(run.logTail),
      exitCode: run.exitCode,
      signal: run.signal,
      outputDir,
      step: run.progress.step,
      maxSteps: run.progress.maxSteps,
      oomLevel: input.oomLevel,
      durationSeconds,
    };
    throw ApplicationFailure.create({
      type: FAILURE_TYPE[outcome.kind],
      message: redact(outcome.message),
      nonRetryable: !retryable(outcome),
      details: [details],
    });
  }

  return { train };
}
