/**
 * Test harness: one real dev server (the provisioned temporal CLI, via workers/devserver), the
 * workflow bundle built once, and real workers on real task queues in this process. Each test
 * gets its own task queues so tests never steal each other's tasks.
 */
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap, Runtime, DefaultLogger, NativeConnection, type Worker } from '@temporalio/worker';
import { startDevServer, type DevServer } from '../../workers/devserver';
import { createCpuWorker } from '../../workers/cpu';
import { createGpuWorker } from '../../workers/gpu';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
let runtimeInstalled = false;

export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: new DefaultLogger('WARN') });
  return bundle;
}

export async function startTestServer(opts: { dynamicConfig?: Record<string, unknown>; dbFilename?: string } = {}): Promise<DevServer> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  return startDevServer({ dbFilename: opts.dbFilename ?? ':memory:', dynamicConfig: opts.dynamicConfig });
}

export { tempDir } from './tmp';

/**
 * Starts a CPU worker and `gpus` GPU workers (each on its own connection, as separate processes
 * would be: the SDK allows one worker per task queue and connection); returns a stop function.
 */
export async function startWorkers(server: DevServer, opts: { gpus: number; cpuQueue: string; gpuQueue?: string }): Promise<{ workers: Worker[]; stop: () => Promise<void> }> {
  const workers: Worker[] = [];
  const connections: NativeConnection[] = [];
  const running: Promise<void>[] = [];
  const stop = async () => {
    workers.forEach((w) => {
      if (w.getState() === 'RUNNING') w.shutdown();
    });
    await Promise.allSettled(running);
    await Promise.allSettled(connections.map((c) => c.close()));
  };
  try {
    const cpu = await createCpuWorker({ connection: server.env.nativeConnection, namespace: server.namespace, workflowBundle: await workflowBundle(), taskQueue: opts.cpuQueue });
    workers.push(cpu);
    running.push(cpu.run());
    for (let g = 0; g < opts.gpus; g++) {
      const connection = await NativeConnection.connect({ address: server.address });
      connections.push(connection);
      const w = await createGpuWorker({ connection, namespace: server.namespace, gpu: String(g), taskQueue: opts.gpuQueue, heartbeatIntervalMs: 500 });
      workers.push(w);
      running.push(w.run());
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { workers, stop };
}
