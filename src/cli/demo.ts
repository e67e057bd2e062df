/**
 * `vibeopt demo` (the README's main command): provisions the temporal CLI, starts the dev server
 * with the Web UI, starts one CPU worker and N GPU workers as processes, runs all three stages
 * with the trainer simulator, prints progress and each stage's best, and exits 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { parsePipelineConfig, seedPipelineConfig, toPipelineInput } from '../config/pipeline';
import { projectRoot } from '../devserver/provision';
import { startDevServer } from '../../workers/devserver';
import { CPU_TASK_QUEUE } from '../../workers/cpu';
import { pipelineWorkflow } from '../../workflows/pipeline';
import type { PipelineInput, PipelineResult } from '../../workflows/types';
import { cliInvocation } from './spawn';
import { formatConfig, ProgressPrinter } from './progress';

export interface DemoOptions {
  gpus: number;
  keepServer: boolean;
  port?: number;
  uiPort?: number;
  trials?: number;
  timeScale?: number;
}

function freePort(preferred: number): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', () => {
        const addr = srv.address();
        srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : port));
      });
    });
  return tryPort(preferred).catch(() => tryPort(0));
}

/** The demo's plan: the seed's three stages on the simulator, small budgets, `gpus` at a time. */
export function demoPipelineInput(opts: { name: string; gpus: number; trials?: number; timeScale?: number }): PipelineInput {
  const base = seedPipelineConfig({ name: opts.name, simulator: true, oslodataset: 'demo/oslo-dialect-simulated' });
  base.trainer = { preset: 'simulator', ...(opts.timeScale ? { timeScale: opts.timeScale } : {}) };
  const trials = [opts.trials ?? 8, Math.max(2, Math.round((opts.trials ?? 8) * 0.75)), Math.max(2, Math.round((opts.trials ?? 8) * 0.5))];
  base.stages.forEach((st, i) => {
    st.budget = { maxTrials: trials[i]! };
    st.parallelism = opts.gpus;
    st.warmStartTopK = i === 0 ? 0 : 2;
  });
  return toPipelineInput(parsePipelineConfig(base, 'demo config'), { baseDir: projectRoot() });
}

export async function runDemo(opts: DemoOptions): Promise<void> {
  const root = projectRoot();
  const t0 = Date.now();
  const port = opts.port ?? (await freePort(7233));
  const uiPort = opts.uiPort ?? (await freePort(port + 1000));
  console.log(`starting the Temporal dev server (SQLite: .state/temporal.sqlite) ...`);
  const server = await startDevServer({ port, uiPort, log: (l) => console.log(l) });
  console.log(`Temporal server at ${server.address}; Web UI at ${server.uiUrl}`);

  const children: ChildProcess[] = [];
  const stopChildren = async () => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGTERM');
            setTimeout(() => c.kill('SIGKILL'), 15_000).unref();
          }),
      ),
    );
  };
  let shuttingDown = false;
  const shutdown = async (code: number) => {
    if (shuttingDown) return;
    shuttingDown = true;
    await stopChildren();
    await server.stop();
    process.exit(code);
  };
  process.once('SIGINT', () => void shutdown(130));
  process.once('SIGTERM', () => void shutdown(143));

  const [cmd, ...pre] = cliInvocation();
  const env = { ...process.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: server.namespace };
  const startWorker = (args: string[]) => {
    const child = spawn(cmd!, [...pre, 'worker', ...args], { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
    children.push(child);
  };
  startWorker(['--queue', 'cpu']);
  for (let g = 0; g < opts.gpus; g++) startWorker(['--queue', 'gpu', '--gpu', String(g)]);
  console.log(`started 1 CPU worker and ${opts.gpus} GPU worker processes (simulated GPUs)`);

  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  const input = demoPipelineInput({ name: `demo-${stamp}`, gpus: opts.gpus, trials: opts.trials, timeScale: opts.timeScale });
  const handle = await server.env.client.workflow.start(pipelineWorkflow, {
    workflowId: input.pipelineId,
    taskQueue: CPU_TASK_QUEUE,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: `vibeopt demo: ${input.stages.length} stages on the simulator`,
  });
  console.log(`pipeline ${input.pipelineId} started: ${server.uiUrl}/namespaces/${server.namespace}/workflows/${input.pipelineId}`);

  const progress = new ProgressPrinter(server.env.client, input, (line) => console.log(line));
  const poller = setInterval(() => void progress.poll(), 1000);
  let result: PipelineResult;
  try {
    result = await handle.result();
  } catch (err) {
    clearInterval(poller);
    const cause = err instanceof WorkflowFailedError ? (err.cause?.message ?? err.message) : String(err);
    console.error(`pipeline failed: ${cause}`);
    await shutdown(1);
    return;
  }
  clearInterval(poller);
  await progress.poll();
  console.log('');
  console.log(`pipeline ${result.pipelineId} completed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  for (const st of result.stages) {
    const b = st.best;
    console.log(
      `  ${st.stage} (${st.title}): ${st.trials.length} trials, best ${b ? `${b.trialId} loss ${b.loss?.toFixed(4)} (${formatConfig(b.finalConfig)})` : 'none'}`,
    );
    if (b?.checkpointPath) console.log(`      checkpoint ${path.relative(root, b.checkpointPath)}`);
  }
  console.log(`  summary: ${path.relative(root, path.join(input.artifactRoot, input.pipelineId, 'BEST_CONFIG.md'))}`);
  console.log(`Web UI: ${server.uiUrl}/namespaces/${server.namespace}/workflows`);
  await stopChildren();
  if (opts.keepServer) {
    console.log('workers stopped; the dev server and Web UI stay up until Ctrl-C');
    server.serveUntilSignal();
    return;
  }
  await server.stop();
  process.exit(0);
}
