#!/usr/bin/env node
/** The vibeopt command line. `vibeopt <command> --help` documents each command. */
import { Command, InvalidArgumentError } from 'commander';

function int(name: string, min = 0) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}`);
    return n;
  };
}
function positive(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number`);
    return n;
  };
}

const program = new Command();
program
  .name('vibeopt')
  .description('Durable multi-stage Bayesian hyperparameter search for VibeVoice QLoRA fine-tuning, on Temporal.')
  .showHelpAfterError();

function connectionOptions(cmd: Command) {
  return cmd
    .option('--address <host:port>', 'Temporal frontend (default: TEMPORAL_ADDRESS, temporal.toml profile, or localhost:7233)')
    .option('--namespace <ns>', 'Temporal namespace (default: TEMPORAL_NAMESPACE or "default")')
    .option('--profile <name>', 'temporal.toml profile (default: TEMPORAL_PROFILE or "default")');
}

program
  .command('demo')
  .description('Run the whole pipeline on the embedded default: dev server + workers + simulated trainer, all three stages.')
  .option('--gpus <n>', 'simulated GPUs (GPU worker processes)', int('--gpus', 1), 2)
  .option('--trials <n>', 'trials in stage 1 (stages 2 and 3 run fewer)', int('--trials', 1), 8)
  .option('--time-scale <x>', 'simulated seconds per wall-clock second (default: the simulator\'s)', positive('--time-scale'))
  .option('--port <port>', 'dev server gRPC port (default 7233, or a free one)', int('--port', 1))
  .option('--ui-port <port>', 'Web UI port (default 8233, or a free one)', int('--ui-port', 1))
  .option('--keep-server', 'keep the dev server and Web UI up after the run, until Ctrl-C', false)
  .action(async (o) => {
    const { runDemo } = await import('./demo');
    await runDemo({ gpus: o.gpus, trials: o.trials, timeScale: o.timeScale, port: o.port, uiPort: o.uiPort, keepServer: o.keepServer });
  });

connectionOptions(
  program
    .command('worker')
    .description('Run a worker: --queue cpu (workflows, suggest, artifacts) or --queue gpu (the train activity, one trial at a time).')
    .requiredOption('--queue <queue>', 'cpu or gpu')
    .option('--gpu <id>', 'GPU index for this worker (sets CUDA_VISIBLE_DEVICES of its trainer)')
    .option('--gpus <ids>', 'start one GPU worker process per listed GPU, e.g. 0,1,2,3'),
).action(async (o) => {
  if (o.queue !== 'cpu' && o.queue !== 'gpu') throw new InvalidArgumentError('--queue must be cpu or gpu');
  const gpus = o.gpus ? String(o.gpus).split(',').map((s: string) => s.trim()).filter(Boolean) : undefined;
  const { runWorkerCommand } = await import('./worker');
  await runWorkerCommand({ queue: o.queue, gpu: o.gpu, gpus, address: o.address, namespace: o.namespace, profile: o.profile });
});

program
  .command('server')
  .description('Run the embedded Temporal dev server (the provisioned temporal CLI) with SQLite persistence and the Web UI.')
  .option('--port <port>', 'gRPC port', int('--port', 1), 7233)
  .option('--ui-port <port>', 'Web UI port', int('--ui-port', 1), 8233)
  .option('--db <file>', 'SQLite file (default .state/temporal.sqlite)')
  .action(async (o) => {
    const { startDevServer } = await import('../../workers/devserver');
    const server = await startDevServer({ port: o.port, uiPort: o.uiPort, dbFilename: o.db });
    console.log(`Temporal dev server at ${server.address} (namespace ${server.namespace}); Web UI at ${server.uiUrl}; state in ${server.dbFilename}`);
    const stop = async () => {
      await server.stop();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop());
    process.once('SIGTERM', () => void stop());
  });

program
  .command('suggest')
  .description('The optimizer as a JSON filter: a request on stdin ({space?, observations, pending, count, seed, ...}), suggestions on stdout.')
  .action(async () => {
    const { suggestMain } = await import('./suggest');
    process.exitCode = await suggestMain();
  });

program.parseAsync(process.argv).catch((err) => {
  console.error(`vibeopt: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
