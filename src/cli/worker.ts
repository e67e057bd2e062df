/** `vibeopt worker`: a CPU worker, or GPU workers (one per GPU, each its own process). */
import { spawn, type ChildProcess } from 'node:child_process';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { connectWorker, type ConnectOptions } from '../../workers/connection';
import { createCpuWorker } from '../../workers/cpu';
import { createGpuWorker } from '../../workers/gpu';
import { cliInvocation } from './spawn';

export interface WorkerCommandOptions extends ConnectOptions {
  queue: 'cpu' | 'gpu';
  gpu?: string;
  gpus?: string[];
}

export async function runWorkerCommand(opts: WorkerCommandOptions): Promise<void> {
  if (opts.queue === 'gpu' && opts.gpus && opts.gpus.length > 0) {
    await superviseGpuWorkers(opts, opts.gpus);
    return;
  }
  Runtime.install({ shutdownSignals: ['SIGINT', 'SIGTERM'], logger: new DefaultLogger((process.env.VIBEOPT_LOG_LEVEL as 'WARN' | undefined) ?? 'WARN') });
  const { connection, namespace } = await connectWorker(opts);
  const worker =
    opts.queue === 'cpu'
      ? await createCpuWorker({ connection, namespace })
      : await createGpuWorker({ connection, namespace, gpu: opts.gpu });
  console.log(`vibeopt ${opts.queue} worker${opts.gpu !== undefined ? ` (GPU ${opts.gpu})` : ''} polling task queue "${opts.queue}" on ${namespace}`);
  await worker.run();
  await connection.close();
}

/** `--gpus 0,1,2,3`: one child process per GPU; a signal stops them all. */
async function superviseGpuWorkers(opts: WorkerCommandOptions, gpus: string[]): Promise<void> {
  const children: ChildProcess[] = gpus.map((gpu) => {
    const args = ['worker', '--queue', 'gpu', '--gpu', gpu];
    if (opts.address) args.push('--address', opts.address);
    if (opts.namespace) args.push('--namespace', opts.namespace);
    if (opts.profile) args.push('--profile', opts.profile);
    const [cmd, ...pre] = cliInvocation();
    return spawn(cmd!, [...pre, ...args], { stdio: 'inherit' });
  });
  const stop = (sig: NodeJS.Signals) => children.forEach((c) => c.kill(sig));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  const codes = await Promise.all(children.map((c) => new Promise<number>((resolve) => c.on('exit', (code) => resolve(code ?? 1)))));
  if (codes.some((c) => c !== 0)) process.exitCode = 1;
}
