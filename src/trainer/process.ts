/**
 * Runs one trainer process: spawned from an argument array (never a shell), detached in its own
 * process group, output streamed into training.log and the parser, progress reported, and the whole
 * group terminated (SIGTERM, then SIGKILL after a grace period) on abort, time limit, stall or NaN.
 * Even after a normal exit the group is swept, so no stray child of the trainer keeps a GPU.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LineSplitter, TrainerLogState, type LossPoint, type StreamName, type TrainerProgress } from './logParser';
import { classifyOutcome, type StopReason, type TrainerOutcome } from './outcome';
import { newestCheckpoint } from './checkpoints';
import { argValue } from './argv';
import type { TrainerMetric, TrainerSpec } from './spec';
import type { GpuMemorySampler } from './gpuMemory';

export interface RunTrainerOptions {
  argv: string[];
  cwd?: string;
  env: NodeJS.ProcessEnv;
  outputDir: string;
  logFile: string;
  /** Append to an existing training.log (a resumed attempt) instead of truncating it. */
  appendLog?: boolean;
  signal: AbortSignal;
  killGraceMs?: number;
  /** Called on every parsed change, at most every `progressIntervalMs`, and once at the end. */
  onProgress?: (p: TrainerProgress) => void;
  progressIntervalMs?: number;
  gpuMemorySampler?: GpuMemorySampler | null;
  /** Stop (TrainerTimeout 'stalled') when nothing is printed for this long. */
  stallTimeoutMs?: number;
  /** Stop (TrainerTimeout 'time_limit') after this long. */
  timeLimitMs?: number;
  stopOnNanLoss?: boolean;
  metric?: TrainerMetric;
  loggingSteps?: number;
  samplesPerStep?: number;
}

export interface TrainerRunResult {
  outcome: TrainerOutcome;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  pid: number | null;
  durationSeconds: number;
  progress: TrainerProgress;
  /** The final dict (`train_runtime`, `train_loss`, ...), if printed. */
  finalMetrics: Record<string, number | string | boolean | null> | null;
  lossCurve: LossPoint[];
  logTail: string;
  peakGpuMemoryMiB: number | null;
}

/** The file where the running trainer's process group is recorded (for orphan cleanup). */
export const PID_FILE = 'trainer.pid.json';

function killGroup(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** True while any process of the group `pgid` is alive. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** SIGTERM the group, wait up to graceMs for it to vanish, then SIGKILL. Resolves when gone (or after SIGKILL). */
export async function terminateGroup(pgid: number, graceMs: number): Promise<void> {
  if (!killGroup(pgid, 'SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!groupAlive(pgid)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  killGroup(pgid, 'SIGKILL');
  for (let i = 0; i < 40 && groupAlive(pgid); i++) await new Promise((r) => setTimeout(r, 25));
}

/**
 * A trainer left running by a worker that died (its process group outlives it) still holds the GPU.
 * Before a new attempt in the same output directory, stop the group recorded there — if it is on
 * this host, still alive, and its leader's command line names this output directory (pid reuse).
 */
export async function killOrphanedTrainer(outputDir: string, graceMs: number): Promise<number | null> {
  const file = path.join(outputDir, PID_FILE);
  let rec: { pid?: number; host?: string };
  try {
    rec = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof rec;
  } catch {
    return null;
  }
  const pid = rec.pid;
  if (typeof pid !== 'number' || rec.host !== os.hostname() || !groupAlive(pid)) return null;
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (!cmdline.includes(outputDir)) return null;
  } catch {
    return null; // leader gone or no /proc: do not guess
  }
  await terminateGroup(pid, graceMs);
  return pid;
}

export async function runTrainer(opts: RunTrainerOptions): Promise<TrainerRunResult> {
  const started = Date.now();
  const [program, ...args] = opts.argv;
  if (program === undefined) throw new Error('runTrainer: empty argv');
  const graceMs = opts.killGraceMs ?? 30_000;
  const resumeArg = argValue(opts.argv, 'resume_from_checkpoint');
  const startStep = resumeArg === undefined ? 0 : Number(/checkpoint-(\d+)\/?$/.exec(resumeArg)?.[1] ?? NaN);
  const log = new TrainerLogState({
    loggingSteps: opts.loggingSteps,
    samplesPerStep: opts.samplesPerStep,
    startStep: Number.isFinite(startStep) ? startStep : undefined,
  });
  fs.mkdirSync(opts.outputDir, { recursive: true });
  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const logFd = fs.openSync(opts.logFile, opts.appendLog ? 'a' : 'w');
  const writeLog = (s: string | Buffer) => {
    try {
      if (typeof s === 'string') fs.writeSync(logFd, s);
      else fs.writeSync(logFd, s);
    } catch {
      /* a full disk must not kill the run; the parser still sees the output */
    }
  };
  writeLog(`# ${new Date().toISOString()} argv: ${JSON.stringify(opts.argv)}\n`);

  let stoppedBecause: StopReason | null = null;
  let spawnError: NodeJS.ErrnoException | null = null;
  let lastOutputAt = Date.now();
  let lastReported = 0;
  let dirty = true;
  const report = (force = false) => {
    if (!opts.onProgress) return;
    const now = Date.now();
    if (!force && (!dirty || now - lastReported < (opts.progressIntervalMs ?? 1000))) return;
    dirty = false;
    lastReported = now;
    opts.onProgress({ ...log.progress });
  };

  const child = spawn(program, args, {
    cwd: opts.cwd,
    env: opts.env,
    detached: true, // own process group: the group id is the child's pid
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid ?? null;
  if (pid !== null) {
    fs.writeFileSync(path.join(opts.outputDir, PID_FILE), JSON.stringify({ pid, host: os.hostname(), startedAt: new Date(started).toISOString() }));
  }

  let stopping: Promise<void> | null = null;
  const stop = (why: StopReason) => {
    if (stopping || pid === null) return;
    stoppedBecause = why;
    writeLog(`\n# vibeopt: stopping trainer (${why}): SIGTERM to process group ${pid}\n`);
    stopping = terminateGroup(pid, graceMs);
  };

  const onLine = (stream: StreamName) => (line: string) => {
    log.line(stream, line);
    dirty = true;
    if (log.nonFiniteLoss && (opts.stopOnNanLoss ?? true)) stop('nan_loss');
    report();
  };
  const splitters = { stdout: new LineSplitter(onLine('stdout')), stderr: new LineSplitter(onLine('stderr')) };
  for (const name of ['stdout', 'stderr'] as const) {
    child[name]?.on('data', (chunk: Buffer) => {
      lastOutputAt = Date.now();
      writeLog(chunk);
      splitters[name].write(chunk);
    });
  }

  const onAbort = () => stop('cancelled');
  if (opts.signal.aborted) onAbort();
  else opts.signal.addEventListener('abort', onAbort, { once: true });

  const timers: NodeJS.Timeout[] = [];
  if (opts.timeLimitMs !== undefined) timers.push(setTimeout(() => stop('time_limit'), opts.timeLimitMs));
  timers.push(
    setInterval(() => {
      if (opts.stallTimeoutMs !== undefined && Date.now() - lastOutputAt > opts.stallTimeoutMs) stop('stalled');
      const ck = newestCheckpoint(opts.outputDir);
      if (ck && ck.dir !== log.progress.checkpoint) {
        log.progress.checkpoint = ck.dir;
        dirty = true;
      }
      report();
    }, Math.min(1000, opts.progressIntervalMs ?? 1000)),
  );
  const sampler = opts.gpuMemorySampler ?? null;
  sampler?.start();

  const { exitCode, signal } = await new Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    let settled = false;
    child.once('error', (err: NodeJS.ErrnoException) => {
      spawnError = err;
      if (!settled && pid === null) {
        settled = true;
        resolve({ exitCode: null, signal: null });
      }
    });
    child.once('exit', (code, sig) => {
      if (settled) return;
      settled = true;
      // Wait for the pipes to drain, but not for a grandchild that inherited them.
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        resolve({ exitCode: code, signal: sig });
      };
      child.once('close', finish);
      setTimeout(finish, 2000).unref();
    });
  });

  opts.signal.removeEventListener('abort', onAbort);
  for (const t of timers) clearTimeout(t);
  if (stopping) await stopping;
  // Sweep the group: a trainer's own children (data loader workers, wandb service) must not outlive it.
  if (pid !== null && groupAlive(pid)) await terminateGroup(pid, graceMs);
  splitters.stdout.end();
  splitters.stderr.end();
  sampler?.stop();
  if (spawnError) writeLog(`# vibeopt: spawn failed: ${(spawnError as Error).message}\n`);
  writeLog(`# ${new Date().toISOString()} exit code ${exitCode} signal ${signal}\n`);
  fs.closeSync(logFd);
  try {
    fs.rmSync(path.join(opts.outputDir, PID_FILE), { force: true });
  } catch {
    /* ignore */
  }

  const ck = newestCheckpoint(opts.outputDir);
  if (ck) log.progress.checkpoint = ck.dir;
  report(true);
  const outcome = classifyOutcome({
    exitCode,
    signal,
    stoppedBecause,
    spawnError,
    log,
    metric: opts.metric ?? 'train_loss',
    program,
  });
  return {
    outcome,
    exitCode,
    signal,
    pid,
    durationSeconds: (Date.now() - started) / 1000,
    progress: { ...log.progress },
    finalMetrics: log.finalDict,
    lossCurve: [...log.lossCurve],
    logTail: log.logTail(),
    peakGpuMemoryMiB: sampler?.peakMiB() ?? null,
  };
}

/** Names that every process needs and that carry no secret. */
const BASE_ENV = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'SHELL', 'VIRTUAL_ENV', 'CONDA_PREFIX', 'LD_LIBRARY_PATH', 'CUDA_HOME'];

export interface TrainerEnvInput {
  spec: TrainerSpec;
  /** The GPU worker's own environment (where secrets live). */
  workerEnv: NodeJS.ProcessEnv;
  /** This worker's GPU (CUDA_VISIBLE_DEVICES); default: the worker's own CUDA_VISIBLE_DEVICES. */
  gpu?: string;
  runName: string;
}

/**
 * The trainer's environment: a small base, the spec's passEnv names from the worker, the spec's
 * non-secret env, then CUDA_VISIBLE_DEVICES, PYTHONUNBUFFERED=1 and the W&B run name. When the
 * trainer reports to W&B and neither a key nor a mode is set, W&B goes offline instead of failing
 * with `api_key not configured (no-tty)`.
 */
export function buildTrainerEnv(i: TrainerEnvInput): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of BASE_ENV) if (i.workerEnv[k] !== undefined) env[k] = i.workerEnv[k];
  for (const pattern of i.spec.passEnv) {
    if (pattern.endsWith('*')) {
      const prefix = pattern.slice(0, -1);
      for (const [k, v] of Object.entries(i.workerEnv)) if (k.startsWith(prefix) && v !== undefined) env[k] = v;
    } else if (i.workerEnv[pattern] !== undefined) env[pattern] = i.workerEnv[pattern];
  }
  Object.assign(env, i.spec.env);
  const gpu = i.gpu ?? i.workerEnv.CUDA_VISIBLE_DEVICES;
  if (gpu !== undefined) env.CUDA_VISIBLE_DEVICES = gpu;
  env.PYTHONUNBUFFERED = '1';
  env.WANDB_NAME = i.runName;
  if (env.WANDB_API_KEY === undefined && env.WANDB_MODE === undefined) env.WANDB_MODE = 'offline';
  return env;
}
