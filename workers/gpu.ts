/**
 * A GPU worker: the train activity on the `gpu` task queue, one trial at a time, bound to one GPU
 * (CUDA_VISIBLE_DEVICES of the trainer). Start one process per GPU, on as many hosts as there are;
 * all of them poll the same queue. Secrets (HF_TOKEN, WANDB_API_KEY) stay in this process's env.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { createTrainActivities } from '../activities/train';
import { GPU_TASK_QUEUE } from '../workflows/trial';

export async function createGpuWorker(opts: {
  connection: NativeConnection;
  namespace: string;
  gpu?: string;
  taskQueue?: string;
  heartbeatIntervalMs?: number;
  identity?: string;
}): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue ?? GPU_TASK_QUEUE,
    activities: createTrainActivities({ gpu: opts.gpu, heartbeatIntervalMs: opts.heartbeatIntervalMs }),
    maxConcurrentActivityTaskExecutions: 1,
    // Heartbeats reach the server at most this stale (the SDK's default is 60 s): `vibeopt status`
    // and the Web UI read progress from them. One small RPC per GPU every 10 s.
    maxHeartbeatThrottleInterval: '10s',
    defaultHeartbeatThrottleInterval: '10s',
    // On SIGTERM the trial's process group is killed and the attempt retried elsewhere.
    shutdownGraceTime: '30s',
    identity: opts.identity ?? `gpu-${opts.gpu ?? 'any'}@${process.pid}`,
  });
}
