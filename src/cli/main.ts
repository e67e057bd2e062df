#!/usr/bin/env node
/** The vibeopt command line. `vibeopt <command> --help` documents each command. */
import { Command, InvalidArgumentError } from 'commander';
import type { ConnectOptions } from '../../workers/connection';

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

/** The --address/--namespace/--profile values of a command that has connectionOptions(). */
function connection(o: ConnectOptions): ConnectOptions {
  return { address: o.address, namespace: o.namespace, profile: o.profile };
}

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
  await runWorkerCommand({ queue: o.queue, gpu: o.gpu, gpus, ...connection(o) });
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
    server.serveUntilSignal();
  });

connectionOptions(
  program
    .command('start')
    .description('Launch the pipeline described by a config file, or attach to it if it is already running (the workflow id is its name).')
    .requiredOption('-c, --config <file>', 'pipeline config (YAML or JSON; see `vibeopt init`)'),
).action(async (o) => {
  const { startCommand } = await import('./client-commands');
  await startCommand({ config: o.config, ...connection(o) });
});

function pipelineOption(cmd: Command) {
  return connectionOptions(cmd.requiredOption('-p, --pipeline <id>', 'pipeline name (its workflow id)'));
}

pipelineOption(program.command('status').description('Print the pipeline, its stages, the running trials with step, loss and ETA.'))
  .option('--json', 'print the raw state as JSON', false)
  .action(async (o) => {
    const { statusCommand } = await import('./client-commands');
    await statusCommand({ pipeline: o.pipeline, json: o.json, ...connection(o) });
  });

pipelineOption(program.command('watch').description('Follow the pipeline live until it ends: a redrawn view on a terminal, one line per event otherwise.'))
  .option('--plain', 'one line per event even on a terminal', false)
  .action(async (o) => {
    const { watchCommand } = await import('./client-commands');
    await watchCommand({ pipeline: o.pipeline, plain: o.plain, ...connection(o) });
  });

pipelineOption(program.command('stop-stage').description('Stop the running stage (or --stage NAME); the pipeline goes on with the next stage.'))
  .option('--stage <name>', 'stage name (default: the running one)')
  .option('--now', 'cancel running trials and kill their processes (default: let them finish)', false)
  .action(async (o) => {
    const { stopStageCommand } = await import('./client-commands');
    await stopStageCommand({ pipeline: o.pipeline, stage: o.stage, now: o.now, ...connection(o) });
  });

pipelineOption(program.command('stop').description('Stop the pipeline: the running stage stops and no later stage starts.'))
  .option('--now', 'cancel running trials (default: let them finish)', false)
  .action(async (o) => {
    const { stopPipelineCommand } = await import('./client-commands');
    await stopPipelineCommand({ pipeline: o.pipeline, now: o.now, ...connection(o) });
  });

pipelineOption(program.command('set-budget').description('Change the running stage\'s budget.'))
  .option('--stage <name>', 'stage name (default: the running one)')
  .option('--max-trials <n>', 'trials to start in the stage', int('--max-trials', 1))
  .option('--max-gpu-hours <h>', 'GPU-hours for the stage', positive('--max-gpu-hours'))
  .option('--target-loss <loss>', 'end the stage once a trial reaches this loss', (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new InvalidArgumentError('--target-loss must be a number');
    return n;
  })
  .action(async (o) => {
    const patch = Object.fromEntries(Object.entries({ maxTrials: o.maxTrials, maxGpuHours: o.maxGpuHours, targetLoss: o.targetLoss }).filter(([, v]) => v !== undefined));
    if (Object.keys(patch).length === 0) throw new InvalidArgumentError('give at least one of --max-trials, --max-gpu-hours, --target-loss');
    const { stageUpdateCommand } = await import('./client-commands');
    await stageUpdateCommand({ pipeline: o.pipeline, stage: o.stage, update: { kind: 'budget', patch }, ...connection(o) });
  });

pipelineOption(program.command('set-parallelism').description('Change how many trials of the running stage run at once.'))
  .option('--stage <name>', 'stage name (default: the running one)')
  .argument('<n>', 'trials at once (one per GPU)', int('parallelism', 1))
  .action(async (n, o) => {
    const { stageUpdateCommand } = await import('./client-commands');
    await stageUpdateCommand({ pipeline: o.pipeline, stage: o.stage, update: { kind: 'parallelism', parallelism: n }, ...connection(o) });
  });

pipelineOption(program.command('enqueue').description('Run this config next in the running stage.'))
  .option('--stage <name>', 'stage name (default: the running one)')
  .argument('<json>', 'the config as JSON, e.g. \'{"learning_rate":3e-5,...}\' with every parameter, or @file.json')
  .action(async (json, o) => {
    const { readFileSync } = await import('node:fs');
    let config: unknown;
    try {
      config = JSON.parse(json.startsWith('@') ? readFileSync(json.slice(1), 'utf8') : json);
    } catch (err) {
      throw new InvalidArgumentError(`the config is not valid JSON: ${(err as Error).message}`);
    }
    if (!config || typeof config !== 'object' || Array.isArray(config)) throw new InvalidArgumentError('the config must be a JSON object of parameter → value');
    const { stageUpdateCommand } = await import('./client-commands');
    await stageUpdateCommand({ pipeline: o.pipeline, stage: o.stage, update: { kind: 'enqueue', config: config as Record<string, number | string> }, ...connection(o) });
  });

pipelineOption(program.command('exclude').description('Never suggest this value again in the running stage, e.g. a batch size that keeps running out of memory.'))
  .option('--stage <name>', 'stage name (default: the running one)')
  .argument('<param>', 'parameter name, e.g. per_device_train_batch_size')
  .argument('<value>', 'value to exclude, e.g. 8')
  .action(async (param, value, o) => {
    const v = value !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
    const { stageUpdateCommand } = await import('./client-commands');
    await stageUpdateCommand({ pipeline: o.pipeline, stage: o.stage, update: { kind: 'exclude', param, value: v }, ...connection(o) });
  });

program
  .command('init')
  .description('Write a pipeline config reproducing the seed\'s three-stage plan, every field documented.')
  .option('-o, --out <file>', 'where to write it (.yaml or .json)', 'vibeopt.yaml')
  .option('--simulator', 'use the bundled trainer simulator instead of the real VibeVoice trainer', false)
  .option('--force', 'overwrite an existing file', false)
  .action(async (o) => {
    const { initCommand } = await import('./init');
    initCommand({ out: o.out, simulator: o.simulator, force: o.force });
  });

program
  .command('analyze')
  .description('Rank trials by final loss, estimate parameter importance, correlations and next configs; writes results_summary.json. Works on a pipeline folder, a stage folder or the seed\'s old experiments/ folder.')
  .argument('<dir>', 'results folder')
  .option('--json', 'print the summary as JSON', false)
  .option('--suggest <n>', 'next configs to suggest per stage (0 for none)', int('--suggest', 0), 5)
  .option('--out <file>', 'where to write results_summary.json (default: <dir>/results_summary.json, or <dir>/analysis/ beside a pipeline\'s own)')
  .option('--stage <name>', 'analyze only this stage')
  .option('--seed <n>', 'seed of the optimizer and the importance estimate', int('--seed', 0), 0)
  .action(async (dir, o) => {
    const { analyzeCommand } = await import('./analyze');
    process.exitCode = await analyzeCommand({ dir, json: o.json, suggest: o.suggest, out: o.out, stage: o.stage, seed: o.seed });
  });

program
  .command('report')
  .description('Write a self-contained HTML report with plots: optimization history, loss curves, parallel coordinates, importance, the OOM map over batch × ddpm_batch_mul, per-stage summaries.')
  .argument('<dir>', 'results folder')
  .requiredOption('-o, --out <file.html>', 'the HTML file to write')
  .action(async (dir, o) => {
    const { reportCommand } = await import('./report');
    process.exitCode = await reportCommand({ dir, out: o.out });
  });

program
  .command('generate-scripts')
  .description('The seed\'s manual flow: configs/<stage>_configN.json, scripts/train_<stage>_configN.sh and run_<stage>_parallel.sh, from the named configs (iteration 1) or the optimizer\'s suggestions (later iterations).')
  .option('--out <dir>', 'experiments folder to write into', 'experiments')
  .option('--iteration <n>', '1: the five named configs; 2 or more: suggestions from the results so far', int('--iteration', 1), 1)
  .option('--stage <name>', 'stage of the pipeline config (default: the first)')
  .option('--results-dir <dir>', 'where earlier trials are (default: --out)')
  .option('--count <n>', 'configs to generate', int('--count', 1), 5)
  .option('-c, --config <file>', 'pipeline config (default: the seed\'s plan with the real trainer)')
  .option('--seed <n>', 'optimizer seed (default: the pipeline config\'s)', int('--seed', 0))
  .action(async (o) => {
    const { generateScriptsCommand } = await import('./generate-scripts');
    process.exitCode = await generateScriptsCommand({ out: o.out, iteration: o.iteration, stage: o.stage, resultsDir: o.resultsDir, count: o.count, config: o.config, seed: o.seed });
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
