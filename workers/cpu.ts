/**
 * The CPU worker: every workflow (pipeline, stage, trial), the suggest activity (GP fit and
 * acquisition) and the artifact activities, on the `cpu` task queue.
 */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import * as artifacts from '../activities/artifacts';
import * as suggest from '../activities/suggest';

export const CPU_TASK_QUEUE = 'cpu';

export function cpuActivities() {
  return { ...suggest, ...artifacts };
}

export async function createCpuWorker(opts: {
  connection: NativeConnection;
  namespace: string;
  workflowBundle?: WorkerOptions['workflowBundle'];
  taskQueue?: string;
}): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue ?? CPU_TASK_QUEUE,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    activities: cpuActivities(),
    // The GP fit is CPU-bound: two at a time on a small machine.
    maxConcurrentActivityTaskExecutions: 2,
    shutdownGraceTime: '10s',
  });
}
