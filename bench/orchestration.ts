/**
 * Orchestration benchmarks: what the Temporal machinery costs against the GPU time it manages.
 * Prints one JSON document on stdout (progress on stderr).
 *
 *   npx tsx bench/orchestration.ts [--which overhead,utilization,scale] [--runs 3]
 *
 * - overhead: a trainer that exits at once; trials per second through the full trial path (trial
 *   child workflow, train activity on a GPU worker, suggest activity, stage bookkeeping), and the
 *   gap between one trainer's exit and the next trainer's start on the same GPU worker.
 * - utilization: 8 GPU workers, trial durations spread over 5x (the trainer sleeps 1..5 units by
 *   trial number, the same for both loops); busy time / wall time of our asynchronous stage vs the
 *   batch-synchronous baseline (bench/workflows.ts), measured in the same run.
 * - scale: one stage of 500 trials, parallelism 16, a trainer that exits at once; wall time,
 *   continue-as-new count, history events and bytes per run, process memory.
 *
 * Everything runs on a dev server (in memory) with in-process workers: one CPU worker (the
 * production factory, workflows bundled with the baseline) and one GPU worker per simulated GPU,
 * each on its own connection. Trainer start/end times come from the trainer itself (a log line).
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { seedSearchSpace } from '../src/space';
import { simulatorTrainerSpec, type TrainerSpec } from '../src/trainer';
import { createCpuWorker } from '../workers/cpu';
import { startDevServer, type DevServer } from '../workers/devserver';
import { createGpuWorker } from '../workers/gpu';
import type { StageInput } from '../workflows/types';

type Which = 'overhead' | 'utilization' | 'scale';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const log = (s: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
const median = (xs: number[]) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN;
};
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

const tmp = mkdtempSync(path.join(os.tmpdir(), 'vibeopt-bench-'));

/**
 * A trainer that sleeps `unitMs × (1 + (3·trialNumber mod 5))` (0 for unitMs 0), writes lora/,
 * prints the final dict and appends "<gpu> <start ns> <end ns> <output dir>" to $BENCH_LOG.
 */
function benchTrainer(unitMs: number, logFile: string): TrainerSpec {
  const script = path.join(tmp, `trainer-${unitMs}.sh`);
  writeFileSync(
    script,
    `#!/bin/sh
S=$(date +%s%N)
OUT=""
while [ $# -gt 0 ]; do [ "$1" = "--output_dir" ] && OUT="$2"; shift; done
N=$(expr "\${OUT##*-trial-}" + 0)
if [ "$BENCH_UNIT_MS" -gt 0 ]; then sleep $(awk "BEGIN { print $BENCH_UNIT_MS * (1 + (3 * $N) % 5) / 1000 }"); fi
mkdir -p "$OUT/lora"
echo "{'train_runtime': 0.01, 'train_loss': 0.$(expr 50 + $N % 40), 'epoch': 1.0}"
echo "$CUDA_VISIBLE_DEVICES $S $(date +%s%N) $OUT" >> "$BENCH_LOG"
`,
  );
  chmodSync(script, 0o755);
  return { ...simulatorTrainerSpec(), launcher: [script], env: { BENCH_LOG: logFile, BENCH_UNIT_MS: String(unitMs) }, supportsResume: false, killGraceSeconds: 1 };
}

interface TrainerRun {
  gpu: string;
  start: number;
  end: number;
}

function readTrainerLog(file: string): TrainerRun[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [gpu, s, e] = l.split(' ');
      return { gpu: gpu!, start: Number(s) / 1e6, end: Number(e) / 1e6 };
    });
}

/** Gaps (ms) between a trainer's end and the next trainer's start on the same GPU. */
function gapsPerGpu(runs: TrainerRun[]): number[] {
  const byGpu = new Map<string, TrainerRun[]>();
  for (const r of runs) byGpu.set(r.gpu, [...(byGpu.get(r.gpu) ?? []), r]);
  const gaps: number[] = [];
  for (const rs of byGpu.values()) {
    rs.sort((a, b) => a.start - b.start);
    for (let i = 1; i < rs.length; i++) gaps.push(rs[i]!.start - rs[i - 1]!.end);
  }
  return gaps;
}

/** Busy / (gpus × window) over [from, to], trainer intervals clipped to it. */
function utilization(runs: TrainerRun[], gpus: number, from: number, to: number): number {
  const busy = runs.reduce((sum, r) => sum + Math.max(0, Math.min(r.end, to) - Math.max(r.start, from)), 0);
  return busy / (gpus * (to - from));
}

function stageInput(opts: { id: string; maxTrials: number; parallelism: number; trainer: TrainerSpec; gpuQueue: string }): StageInput {
  return {
    pipelineId: opts.id,
    artifactRoot: path.join(tmp, 'artifacts'),
    seed: 1,
    trainer: opts.trainer,
    index: 0,
    baseModel: 'marksverdhai/vibevoice-7b-bnb-8bit',
    warmStart: [],
    gpuTaskQueue: opts.gpuQueue,
    plan: {
      name: 'stage1',
      title: 'bench',
      datasetName: 'bench/dataset',
      epochs: 1,
      space: seedSearchSpace(),
      initialConfigs: [],
      warmStartTopK: 0,
      budget: { maxTrials: opts.maxTrials },
      parallelism: opts.parallelism,
      trialTimeLimitSeconds: 3600,
      costAware: false,
    },
  };
}

class Harness {
  private workers: Worker[] = [];
  private running: Promise<void>[] = [];
  private connections: NativeConnection[] = [];
  private constructor(
    readonly server: DevServer,
    readonly queue: string,
  ) {}

  static async start(server: DevServer, queue: string, gpus: number): Promise<Harness> {
    const h = new Harness(server, queue);
    const bundle = await workflowBundle();
    const cpu = await createCpuWorker({ connection: server.env.nativeConnection, namespace: server.namespace, workflowBundle: bundle, taskQueue: queue });
    h.workers.push(cpu);
    for (let g = 0; g < gpus; g++) {
      const connection = await NativeConnection.connect({ address: server.address });
      h.connections.push(connection);
      h.workers.push(await createGpuWorker({ connection, namespace: server.namespace, gpu: String(g), taskQueue: `${queue}-gpu` }));
    }
    h.running = h.workers.map((w) => w.run());
    return h;
  }

  async stop(): Promise<void> {
    this.workers.forEach((w) => w.getState() === 'RUNNING' && w.shutdown());
    await Promise.allSettled(this.running);
    await Promise.allSettled(this.connections.map((c) => c.close()));
  }
}

let bundlePromise: ReturnType<typeof bundleWorkflowCode> | undefined;
function workflowBundle() {
  bundlePromise ??= bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), logger: new DefaultLogger('WARN') });
  return bundlePromise;
}

let peakRssMiB = 0;
const rssTimer = setInterval(() => (peakRssMiB = Math.max(peakRssMiB, process.memoryUsage().rss / 2 ** 20)), 250);

async function runStage(h: Harness, id: string, workflow: 'stageWorkflow' | 'batchSyncStageWorkflow', input: StageInput): Promise<{ wallMs: number }> {
  const t0 = Date.now();
  await h.server.env.client.workflow.execute(workflow, { workflowId: id, taskQueue: h.queue, args: [input] });
  return { wallMs: Date.now() - t0 };
}

async function overhead(server: DevServer, runs: number) {
  const gpus = 4;
  const trials = 60;
  const h = await Harness.start(server, 'bench-overhead', gpus);
  const results = [];
  try {
    for (let r = 0; r < runs; r++) {
      const logFile = path.join(tmp, `overhead-${r}.log`);
      const id = `overhead-${r}`;
      const { wallMs } = await runStage(h, id, 'stageWorkflow', stageInput({ id, maxTrials: trials, parallelism: gpus, trainer: benchTrainer(0, logFile), gpuQueue: 'bench-overhead-gpu' }));
      const tr = readTrainerLog(logFile);
      const gaps = gapsPerGpu(tr);
      const res = { run: r + 1, trials: tr.length, wallSeconds: round(wallMs / 1000), trialsPerSecond: round(trials / (wallMs / 1000)), gapMsMedian: round(median(gaps), 1), gapMsP90: round(quantile(gaps, 0.9), 1), gapCount: gaps.length };
      log(`overhead run ${r + 1}: ${JSON.stringify(res)}`);
      results.push(res);
    }
  } finally {
    await h.stop();
  }
  const gap = median(results.map((x) => x.gapMsMedian));
  return {
    setup: { gpus, parallelism: gpus, trialsPerRun: trials, trainer: 'exits at once (sh script)' },
    runs: results,
    median: {
      trialsPerSecond: median(results.map((x) => x.trialsPerSecond)),
      gapMs: gap,
      gapMsP90: median(results.map((x) => x.gapMsP90)),
      /** The gap as a share of a one-hour trial's GPU time. */
      costPercentOfHourLongTrial: round((100 * gap) / 3_600_000, 5),
    },
  };
}

async function utilizationBench(server: DevServer, runs: number) {
  const gpus = 8;
  const trials = 40;
  const unitMs = Number(arg('unit-ms', '2000'));
  const h = await Harness.start(server, 'bench-util', gpus);
  const results: Array<Record<string, unknown>> = [];
  try {
    for (let r = 0; r < runs; r++) {
      const row: Record<string, unknown> = { run: r + 1 };
      for (const mode of ['async', 'batchSync'] as const) {
        const logFile = path.join(tmp, `util-${mode}-${r}.log`);
        const id = `util-${mode}-${r}`;
        const input = stageInput({ id, maxTrials: trials, parallelism: gpus, trainer: benchTrainer(unitMs, logFile), gpuQueue: 'bench-util-gpu' });
        const { wallMs } = await runStage(h, id, mode === 'async' ? 'stageWorkflow' : 'batchSyncStageWorkflow', input);
        const tr = readTrainerLog(logFile);
        const first = Math.min(...tr.map((x) => x.start));
        const last = Math.max(...tr.map((x) => x.end));
        const lastStart = Math.max(...tr.map((x) => x.start));
        row[mode] = {
          trials: tr.length,
          wallSeconds: round(wallMs / 1000),
          trainerSpanSeconds: round((last - first) / 1000),
          /** busy / (8 × span from the first trainer start to the last trainer end). */
          utilization: round(utilization(tr, gpus, first, last)),
          /** The same, while work remained to start (up to the last trainer start): no end-of-stage tail. */
          utilizationWhileWorkQueued: round(utilization(tr, gpus, first, lastStart)),
          gapMsMedian: round(median(gapsPerGpu(tr)), 1),
        };
      }
      log(`utilization run ${r + 1}: ${JSON.stringify(row)}`);
      results.push(row);
    }
  } finally {
    await h.stop();
  }
  const pick = (mode: string, k: string) => median(results.map((x) => (x[mode] as Record<string, number>)[k]!));
  return {
    setup: { gpus, parallelism: gpus, trialsPerRun: trials, durations: `${unitMs / 1000}–${(5 * unitMs) / 1000} s (1..5 × ${unitMs} ms by trial number)` },
    runs: results,
    median: {
      async: { utilization: pick('async', 'utilization'), utilizationWhileWorkQueued: pick('async', 'utilizationWhileWorkQueued'), wallSeconds: pick('async', 'wallSeconds') },
      batchSync: { utilization: pick('batchSync', 'utilization'), utilizationWhileWorkQueued: pick('batchSync', 'utilizationWhileWorkQueued'), wallSeconds: pick('batchSync', 'wallSeconds') },
    },
  };
}

async function scale(server: DevServer) {
  const gpus = 16;
  const trials = Number(arg('scale-trials', '500'));
  const h = await Harness.start(server, 'bench-scale', gpus);
  const id = 'scale-stage1';
  const logFile = path.join(tmp, 'scale.log');
  peakRssMiB = 0;
  try {
    const t0 = Date.now();
    const handle = await server.env.client.workflow.start('stageWorkflow', {
      workflowId: id,
      taskQueue: h.queue,
      args: [stageInput({ id: 'scale', maxTrials: trials, parallelism: gpus, trainer: benchTrainer(0, logFile), gpuQueue: 'bench-scale-gpu' })],
    });
    const progress = setInterval(() => log(`scale: ${readTrainerLog(logFile).length}/${trials} trainers done, rss ${Math.round(peakRssMiB)} MiB`), 15_000);
    const result = (await handle.result()) as { trials: unknown[]; stoppedBy: string };
    clearInterval(progress);
    const wallMs = Date.now() - t0;
    // Every run of the stage (continue-as-new chain): events and bytes of each history.
    const perRun: Array<{ runId: string; events: number; bytes: number }> = [];
    for await (const info of server.env.client.workflow.list({ query: `WorkflowId = "${id}"` })) {
      const d = await server.env.client.workflow.getHandle(id, info.runId).describe();
      perRun.push({ runId: info.runId, events: d.historyLength, bytes: d.historySize ?? 0 });
    }
    const tr = readTrainerLog(logFile);
    return {
      setup: { gpus, parallelism: gpus, trials, trainer: 'exits at once (sh script)', continueAsNewThresholds: 'server defaults (4,096 events / 4 MiB suggested)' },
      result: {
        trialsRecorded: result.trials.length,
        trainersRun: tr.length,
        stoppedBy: result.stoppedBy,
        wallSeconds: round(wallMs / 1000, 1),
        trialsPerSecond: round(trials / (wallMs / 1000)),
        stageRuns: perRun.length,
        continueAsNew: perRun.length - 1,
        maxHistoryEvents: Math.max(...perRun.map((r) => r.events)),
        maxHistoryBytes: Math.max(...perRun.map((r) => r.bytes)),
        perRun,
        gapMsMedian: round(median(gapsPerGpu(tr)), 1),
        /** The benchmark process: client, the CPU worker and the 16 GPU workers together. */
        peakRssMiB: Math.round(peakRssMiB),
      },
    };
  } finally {
    await h.stop();
  }
}

async function main(): Promise<string> {
  const which = arg('which', 'overhead,utilization,scale').split(',').map((s) => s.trim()) as Which[];
  const runs = Number(arg('runs', '3'));
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const server = await startDevServer({ dbFilename: ':memory:' });
  const out: Record<string, unknown> = { date: new Date().toISOString(), host: { cpus: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version }, runs };
  try {
    await workflowBundle();
    if (which.includes('overhead')) out.overhead = await overhead(server, runs);
    if (which.includes('utilization')) out.utilization = await utilizationBench(server, runs);
    if (which.includes('scale')) out.scale = await scale(server);
  } finally {
    clearInterval(rssTimer);
    await server.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
  return `${JSON.stringify(out, null, 2)}\n`;
}

/**
 * The dev server (started by the SDK's core) inherits stdout and prints its banner there; to keep
 * stdout pure JSON the benchmark runs in a child process whose stdout goes to our stderr and whose
 * result comes back on fd 3.
 */
if (process.env.VIBEOPT_BENCH_CHILD === '1') {
  main()
    .then((json) => writeSync(3, json))
    .catch((err) => {
      process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    });
} else {
  clearInterval(rssTimer);
  rmSync(tmp, { recursive: true, force: true });
  const child = spawn(process.execPath, [...process.execArgv, __filename, ...process.argv.slice(2)], {
    env: { ...process.env, VIBEOPT_BENCH_CHILD: '1' },
    stdio: ['ignore', 2, 2, 'pipe'],
  });
  let json = '';
  child.stdio[3]!.on('data', (b: Buffer) => (json += b.toString()));
  const stop = (sig: NodeJS.Signals) => child.kill(sig);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  child.on('exit', (code) => {
    if (json) process.stdout.write(json);
    process.exit(code ?? 1);
  });
}
