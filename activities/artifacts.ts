/**
 * Artifact activities (CPU task queue): the seed's file layout under the artifact root, written
 * by activities because workflows do no I/O.
 *
 *   <artifactRoot>/<pipeline>/<stage>/<trial>/{config.json,results.json,training.log,lora/}
 *   <artifactRoot>/<pipeline>/<stage>/results_summary.json
 *   <artifactRoot>/<pipeline>/results_summary.json
 *   <artifactRoot>/<pipeline>/BEST_CONFIG.md
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { buildTrainerArgv, formatCommand, writeJsonAtomic, type TrainerSpec } from '../src/trainer';
import type { PipelineResult, PublishSpec, StagePlan, StageResult, TrialOutcome } from '../workflows/types';

function trialRow(t: TrialOutcome) {
  return {
    experiment_id: t.trialId,
    status: t.status,
    final_loss: t.loss,
    training_time_seconds: t.durationSeconds,
    samples_per_second: t.result?.metrics.samplesPerSecond ?? null,
    peak_gpu_memory_mib: t.result?.metrics.peakGpuMemoryMiB ?? null,
    oom_level: t.oomLevel,
    config: t.finalConfig,
    suggested_config: t.config,
    checkpoint: t.checkpointPath,
    error: t.error,
  };
}

export function stageSummary(result: StageResult) {
  const ranked = [...result.trials].sort((a, b) => (a.loss ?? Infinity) - (b.loss ?? Infinity));
  return {
    stage: result.stage,
    title: result.title,
    total_experiments: result.trials.length,
    successful: result.trials.filter((t) => t.status === 'succeeded').length,
    gpu_hours: result.gpuHours,
    stopped_by: result.stoppedBy,
    halted: result.halted?.reason ?? null,
    best: result.best ? trialRow(result.best) : null,
    results: ranked.map(trialRow),
  };
}

export async function writeStageSummary(args: { pipelineId: string; artifactRoot: string; result: StageResult }): Promise<string> {
  const file = path.join(args.artifactRoot, args.pipelineId, args.result.stage, 'results_summary.json');
  writeJsonAtomic(file, stageSummary(args.result));
  return file;
}

export async function checkCheckpoint(args: { path: string; stage: string }): Promise<void> {
  // A published repo id (owner/name) is not a local path; the trainer resolves it.
  if (!path.isAbsolute(args.path) && !args.path.startsWith('.')) return;
  if (!existsSync(args.path) || !statSync(args.path).isDirectory()) {
    throw ApplicationFailure.create({
      type: 'MissingCheckpoint',
      nonRetryable: true,
      message: `${args.stage} cannot start: the previous stage's best checkpoint ${args.path} is missing. Restore it (is the artifact root shared by every worker?) and restart the pipeline.`,
    });
  }
}

export async function writePipelineSummary(args: { artifactRoot: string; result: PipelineResult; trainer: TrainerSpec; plans: StagePlan[] }): Promise<string> {
  const dir = path.join(args.artifactRoot, args.result.pipelineId);
  writeJsonAtomic(path.join(dir, 'results_summary.json'), {
    pipeline: args.result.pipelineId,
    stopped: args.result.stopped,
    stages: args.result.stages.map(stageSummary),
  });
  const md = bestConfigMarkdown(args);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'BEST_CONFIG.md'), md);
  return path.join(dir, 'BEST_CONFIG.md');
}

export function bestConfigMarkdown(args: { result: PipelineResult; trainer: TrainerSpec; plans: StagePlan[]; artifactRoot: string }): string {
  const lines = [`# Best configurations: ${args.result.pipelineId}`, ''];
  for (const [i, stage] of args.result.stages.entries()) {
    const plan = args.plans.find((p) => p.name === stage.stage);
    lines.push(`## ${stage.stage}: ${stage.title}`, '');
    const b = stage.best;
    if (!b || !plan) {
      lines.push(`No successful trial (${stage.trials.length} trials, stopped by ${stage.stoppedBy}).`, '');
      continue;
    }
    const m = b.result?.metrics;
    lines.push(
      `| | |`,
      `|---|---|`,
      `| trial | ${b.trialId} |`,
      `| final loss | ${b.loss} |`,
      `| training time | ${(b.durationSeconds / 3600).toFixed(2)} h (${b.durationSeconds.toFixed(0)} s) |`,
      `| throughput | ${m?.samplesPerSecond ?? 'unknown'} samples/s |`,
      `| peak GPU memory | ${m?.peakGpuMemoryMiB != null ? `${m.peakGpuMemoryMiB} MiB` : 'unknown'} |`,
      `| checkpoint | \`${b.checkpointPath}\` |`,
      `| trials in stage | ${stage.trials.length} (${stage.gpuHours.toFixed(2)} GPU-hours) |`,
      '',
      '```json',
      JSON.stringify(b.finalConfig, null, 2),
      '```',
      '',
      'Reproduce:',
      '',
      '```sh',
      formatCommand(
        buildTrainerArgv({
        spec: args.trainer,
        stage: { name: plan.name, datasetName: plan.datasetName ?? '', baseModel: i === 0 ? (plan.baseModel ?? '') : (args.result.stages[i - 1]?.nextBaseModel ?? ''), epochs: plan.epochs },
        config: b.finalConfig,
        outputDir: b.result?.outputDir ?? '<output dir>',
        runName: `bayesopt_${plan.name}_${b.trialId}`,
        }),
      ),
      '```',
      '',
    );
  }
  return lines.join('\n');
}

/**
 * Uploads the best lora/ with the configured command (an argument array, never a shell string).
 * HF_TOKEN comes from the worker's environment. Returns the repo id.
 */
export async function publishCheckpoint(args: { publish: PublishSpec; checkpointPath: string; stage: string; pipelineId: string }): Promise<string> {
  const repo = args.publish.repoPattern.replaceAll('{stage}', args.stage).replaceAll('{pipeline}', args.pipelineId);
  const argv = args.publish.command.map((a) => a.replaceAll('{checkpoint}', args.checkpointPath).replaceAll('{repo}', repo).replaceAll('{stage}', args.stage));
  const [cmd, ...rest] = argv;
  if (!cmd) throw ApplicationFailure.create({ type: 'PublishFailed', nonRetryable: true, message: 'publish.command is empty' });
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(cmd, rest, { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let output = '';
    child.stdout.on('data', (d) => (output = (output + d).slice(-4000)));
    child.stderr.on('data', (d) => (output = (output + d).slice(-4000)));
    child.on('error', (err) => resolve({ code: null, output: String(err) }));
    child.on('close', (c) => resolve({ code: c, output }));
  });
  if (code !== 0) {
    throw ApplicationFailure.create({ type: 'PublishFailed', nonRetryable: true, message: `publish command ${cmd} exited ${code}: ${output.trim().split('\n').slice(-5).join(' | ')}` });
  }
  return repo;
}
