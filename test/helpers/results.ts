/** Synthetic results folders, in the seed's old experiments/ layout and in our pipeline layout. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../src/domain';
import { NAMED_INITIAL_CONFIGS, Rng, sampleFeasibleConfig, seedSearchSpace } from '../../src/space';

const named = (i: number): Config => ({ ...(NAMED_INITIAL_CONFIGS[i]?.config ?? {}) });

function writeJson(file: string, v: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(v, null, 2)}\n`);
}

/**
 * The seed's experiments/ folder after iteration 1, as the old scripts left it:
 *   conservative   final_loss 0.80
 *   aggressive     final_loss 0.65                              (best)
 *   high_capacity  final_loss null; training.log ends with train_loss '0.7123' (quoted form)
 *   fast_converge  exit 1, CUDA OOM traceback in training.log
 *   balanced       results.json is garbage
 */
export function writeSeedExperiments(root: string): string {
  const exp = path.join(root, 'experiments');
  const names = ['conservative', 'aggressive', 'high_capacity', 'fast_converge', 'balanced'];
  names.forEach((name, i) => {
    writeJson(path.join(exp, 'configs', `stage1_config${i + 1}.json`), { name, ...named(i) });
    const dir = path.join(exp, `bayesopt_stage1_${name}_20250101_12000${i}`);
    writeJson(path.join(dir, 'config.json'), { name, ...named(i) });
    mkdirSync(path.join(dir, 'lora'), { recursive: true });
    const base = { experiment_id: `bayesopt_stage1_${name}_20250101_12000${i}`, stage: 'stage1', iteration: 1, config: named(i) };
    const logLines = [
      'Loading checkpoint shards: 100%|██████████| 4/4 [00:10<00:00,  2.50s/it]',
      "{'loss': 1.2, 'grad_norm': 1.0, 'learning_rate': 2e-05, 'epoch': 0.5}",
      "{'train/ce_loss': 0.2, 'train/diffusion_loss': 0.9, 'epoch': 0.5}",
      "{'eval_loss': 0.5, 'epoch': 1.0}",
      "{'loss': 0.95, 'grad_norm': 0.9, 'learning_rate': 2e-05, 'epoch': 1.5}",
    ];
    switch (name) {
      case 'conservative':
        writeJson(path.join(dir, 'results.json'), { ...base, training_time_seconds: 30000, final_loss: 0.8, exit_code: 0 });
        writeFileSync(path.join(dir, 'training.log'), `${logLines.join('\n')}\n{'train_runtime': 30000.0, 'train_samples_per_second': 3.1, 'train_steps_per_second': 0.02, 'train_loss': 0.8, 'epoch': 3.0}\n`);
        break;
      case 'aggressive':
        writeJson(path.join(dir, 'results.json'), { ...base, training_time_seconds: 26000, final_loss: 0.65, exit_code: 0 });
        writeFileSync(path.join(dir, 'training.log'), `${logLines.join('\n')}\n`);
        break;
      case 'high_capacity':
        writeJson(path.join(dir, 'results.json'), { ...base, training_time_seconds: 41000, final_loss: null, exit_code: 0 });
        writeFileSync(
          path.join(dir, 'training.log'),
          `${logLines.join('\r\n')}\r 70/579 [1:02:11<7:32:10, 53.30s/it]\n{'loss': '0.74', 'grad_norm': '0.8', 'epoch': '2.9'}\n` +
            `{'train_runtime': '41000.5', 'train_samples_per_second': '2.2', 'train_steps_per_second': '0.01', 'train_loss': '0.7123', 'epoch': '3.0'}\n`,
        );
        break;
      case 'fast_converge':
        writeJson(path.join(dir, 'results.json'), { ...base, training_time_seconds: 300, final_loss: null, exit_code: 1 });
        writeFileSync(
          path.join(dir, 'training.log'),
          `${logLines[0]}\nTraceback (most recent call last):\n  File "train.py", line 1\ntorch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB\n`,
        );
        break;
      case 'balanced':
        writeFileSync(path.join(dir, 'results.json'), '{"experiment_id": "bayesopt_stage1_balanced", "final_loss": 0.7,,, garbage');
        writeFileSync(path.join(dir, 'training.log'), `${logLines.join('\n')}\n`);
        break;
    }
  });
  // The old analyzer's summary (replaced by ours).
  writeJson(path.join(exp, 'results_summary.json'), { total_experiments: 0, results: [] });
  return exp;
}

/** A synthetic "true" loss: driven by learning_rate (log scale, optimum ≈ 3e-5), a little by lora_r. */
export function syntheticLoss(c: Config, noise = 0): number {
  const lr = Math.log(Number(c.learning_rate) / 3e-5);
  const r = (Number(c.lora_r) - 32) / 56;
  return 0.55 + 2.0 * lr * lr + 0.03 * r * r + noise;
}

/** n feasible configs of the seed space with syntheticLoss (plus small noise), for importance tests. */
export function syntheticObservations(n: number, seed = 1): { config: Config; loss: number }[] {
  const rng = new Rng(seed);
  const space = seedSearchSpace();
  return Array.from({ length: n }, () => {
    const config = sampleFeasibleConfig(space, rng);
    return { config, loss: syntheticLoss(config, 0.005 * rng.normal()) };
  });
}

/** Simulated peak memory (MiB) of a config; above 80 GiB is an OOM. */
function memoryMiB(c: Config): number {
  return 30000 + 1300 * Number(c.per_device_train_batch_size) * Number(c.ddpm_batch_mul) + 150 * Number(c.lora_r);
}

/**
 * A pipeline folder in our layout: <root>/<pipeline>/<stage>/<trial>/{config.json,results.json,
 * training.log}, with loss curves in results.json (except one trial, whose curve is only in
 * training.log), OOM ladder levels, infeasible trials, and stage results_summary.json files.
 */
export function writePipelineResults(root: string, opts: { pipeline?: string; trialsPerStage?: number[]; seed?: number } = {}): string {
  const pipeline = opts.pipeline ?? 'norwegian-vibevoice';
  const dir = path.join(root, pipeline);
  const rng = new Rng(opts.seed ?? 7);
  const space = seedSearchSpace();
  const per = opts.trialsPerStage ?? [10, 6];
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  let clock = t0;
  per.forEach((count, si) => {
    const stage = `stage${si + 1}`;
    const rows: unknown[] = [];
    for (let k = 0; k < count; k++) {
      const trialId = `${stage}-trial-${String(k).padStart(3, '0')}`;
      const tdir = path.join(dir, stage, trialId);
      let config = k < 5 && si === 0 ? named(k) : sampleFeasibleConfig(space, rng);
      // OOM ladder: halve the batch (doubling accumulation) until it fits or batch 1 still OOMs.
      let oomLevel = 0;
      while (memoryMiB(config) > 81920 && Number(config.per_device_train_batch_size) > 1) {
        config = { ...config, per_device_train_batch_size: Math.max(1, Math.floor(Number(config.per_device_train_batch_size) / 2)), gradient_accumulation_steps: Number(config.gradient_accumulation_steps) * 2 };
        oomLevel++;
      }
      // A few configs that OOM even at batch size 1 (the ladder ran to the bottom): infeasible.
      const forcedOom = (si === 0 && k === 7) || (si === 1 && k === 2);
      if (forcedOom) {
        while (Number(config.per_device_train_batch_size) > 1) {
          config = { ...config, per_device_train_batch_size: Math.max(1, Math.floor(Number(config.per_device_train_batch_size) / 2)), gradient_accumulation_steps: Number(config.gradient_accumulation_steps) * 2 };
          oomLevel++;
        }
      }
      const infeasible = forcedOom || memoryMiB(config) > 81920;
      const loss = infeasible ? null : syntheticLoss(config, 0.01 * rng.normal()) - 0.1 * si;
      const hours = 4 + 6 * rng.random();
      clock += hours * 3600 * 1000;
      const steps = 300;
      const curve = loss === null ? [] : Array.from({ length: 30 }, (_, i) => ({ step: (i + 1) * 10, loss: loss + 1.5 * Math.exp(-(i + 1) / 6) + 0.01 * rng.normal() }));
      mkdirSync(tdir, { recursive: true });
      writeFileSync(path.join(tdir, 'config.json'), JSON.stringify(config));
      const curveInLogOnly = k === 1;
      writeFileSync(
        path.join(tdir, 'training.log'),
        `${curve.map((p) => `{'loss': '${p.loss.toFixed(4)}', 'grad_norm': '1.0', 'learning_rate': '2e-05', 'epoch': '${(p.step / 100).toFixed(2)}'}`).join('\n')}\n` +
          (infeasible ? 'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 3.00 GiB\n' : `{'train_runtime': ${hours * 3600}, 'train_samples_per_second': 2.5, 'train_loss': ${loss}, 'epoch': 3.0}\n`),
      );
      const results = {
        experiment_id: trialId,
        stage,
        iteration: k + 1,
        training_time_seconds: hours * 3600,
        final_loss: loss,
        exit_code: infeasible ? 1 : 0,
        config,
        status: infeasible ? 'failed' : 'succeeded',
        failure_type: infeasible ? 'CudaOutOfMemory' : null,
        failure_message: infeasible ? 'CUDA out of memory at per_device_train_batch_size 1' : null,
        metric: 'train_loss',
        samples_per_second: infeasible ? null : 5 * Number(config.per_device_train_batch_size) / (1 + Number(config.ddpm_batch_mul) / 4),
        total_steps: steps,
        peak_gpu_memory_mib: infeasible ? null : memoryMiB(config),
        resumed_from_step: null,
        oom_level: oomLevel,
        attempt: 1,
        lora_path: infeasible ? null : path.join(tdir, 'lora'),
        loss_curve: curveInLogOnly ? [] : curve,
        final_metrics: null,
        argv: ['python', '-u', '-m', 'vibevoice.finetune.train_vibevoice', '--logging_steps', '10'],
        finished_at: new Date(clock).toISOString(),
      };
      writeJson(path.join(tdir, 'results.json'), results);
      rows.push({ experiment_id: trialId, status: infeasible ? 'infeasible' : 'succeeded', final_loss: loss, training_time_seconds: hours * 3600, config });
    }
    writeJson(path.join(dir, stage, 'results_summary.json'), { stage, title: stage, total_experiments: count, results: rows });
  });
  writeJson(path.join(dir, 'results_summary.json'), { pipeline, stopped: false, stages: [] });
  return dir;
}
