/**
 * vibevoice-sim: a stand-in for `python -m vibevoice.finetune.train_vibevoice` that needs no GPU
 * and no Python. Same flags (unknown ones rejected like HfArgumentParser does), same console output
 * (Python-dict log lines on stdout, tqdm bars with \r on stderr, the final train_runtime dict),
 * same checkpoint layout (checkpoint-N/lora/..., trainer_state.json), the real CUDA OOM traceback,
 * `--resume_from_checkpoint`, all at a configurable time scale.
 *
 * Simulator-only knobs are environment variables, so the flag set stays the real trainer's:
 *   VIBEOPT_SIM_TIME_SCALE   simulated seconds per wall second (default 15000: a 3-epoch stage-1
 *                            trial of ~8 simulated hours takes ~2 s)
 *   VIBEOPT_SIM_GPU_GB       GPU memory in GB (default 80)
 *   VIBEOPT_SIM_SEED         noise seed (default 0); results are deterministic for (seed, config)
 *   VIBEOPT_SIM_DATASET_SIZE samples per epoch (default 27800; 579 steps at B=144 for 3 epochs)
 *   VIBEOPT_SIM_LOG_STYLE    'plain' ({'loss': 0.73}) or 'quoted' ({'loss': '0.73'}); default quoted
 *   VIBEOPT_SIM_UPSTREAM=1   behave like upstream VibeVoice: reject the fork-only --load_in_4bit
 *   VIBEOPT_SIM_HANG_AT_STEP=N  stop printing and hang at step N (stall tests)
 *   VIBEOPT_SIM_GARBAGE=1    interleave garbage lines and partial dicts with the output
 *   VIBEOPT_SIM_FAIL_RATE=p  fraction of runs (by seed, config, output dir) that crash with a traceback
 *   VIBEOPT_SIM_HOST_OOM_AT_STEP=N  SIGKILL itself at step N (the kernel's OOM killer)
 *   VIBEOPT_SIM_IGNORE_SIGTERM=1    ignore SIGTERM (tests the SIGKILL escalation)
 *   VIBEOPT_SIM_SPAWN_CHILD=1       start a helper child process (a data-loader worker) in its group
 *   VIBEOPT_SIM_MIN_STEP_MS  minimum wall milliseconds per step (default 0)
 *   VIBEOPT_SIM_ECHO_ENV=A,B print these variables to stderr at start (a verbose trainer; redaction tests)
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  type SimConfig,
  hash32,
  rng,
  gauss,
  configKey,
  maxSteps as computeMaxSteps,
  learningRateAt,
  peakMemoryGb,
  samplesPerSecond,
  lossModel,
  lossAt,
} from './model';

const PROG = 'train_vibevoice.py';
const BOOL_FLAGS = new Set([
  'do_train', 'do_eval', 'bf16', 'fp16', 'gradient_checkpointing', 'gradient_clipping', 'remove_unused_columns',
  'train_diffusion_head', 'load_in_4bit', 'overwrite_output_dir', 'push_to_hub', 'tf32',
]);
const VALUE_FLAGS = new Set([
  'model_name_or_path', 'processor_name_or_path', 'dataset_name', 'dataset_config_name', 'text_column_name',
  'audio_column_name', 'voice_prompts_column_name', 'eval_split_name', 'output_dir', 'per_device_train_batch_size',
  'per_device_eval_batch_size', 'gradient_accumulation_steps', 'learning_rate', 'num_train_epochs', 'max_steps',
  'logging_steps', 'save_steps', 'eval_steps', 'save_total_limit', 'save_strategy', 'eval_strategy', 'logging_strategy',
  'report_to', 'run_name', 'ddpm_batch_mul', 'diffusion_loss_weight', 'ce_loss_weight', 'voice_prompt_drop_rate',
  'lora_r', 'lora_alpha', 'lora_dropout', 'lora_target_modules', 'lr_scheduler_type', 'warmup_ratio', 'warmup_steps',
  'max_grad_norm', 'weight_decay', 'seed', 'resume_from_checkpoint', 'dataloader_num_workers', 'hub_model_id',
]);
const FORK_ONLY = new Set(['load_in_4bit']);

type Args = Map<string, string>;

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}
function err(s: string): void {
  process.stderr.write(s);
}

function usageError(message: string): never {
  // HfArgumentParser: argparse errors exit 2; leftover arguments raise ValueError (exit 1).
  err(`Traceback (most recent call last):\n  File "<frozen runpy>", line 198, in _run_module_as_main\n  File "<frozen runpy>", line 88, in _run_code\n  File "/workspace/VibeVoice/vibevoice/finetune/${PROG}", line 1012, in <module>\n    main()\n  File "/workspace/VibeVoice/vibevoice/finetune/${PROG}", line 402, in main\n    model_args, data_args, training_args = parser.parse_args_into_dataclasses()\n  File "/usr/local/lib/python3.11/site-packages/transformers/hf_argparser.py", line 352, in parse_args_into_dataclasses\n    raise ValueError(f"Some specified arguments are not used by the HfArgumentParser: {remaining_args}")\nValueError: ${message}\n`);
  process.exit(1);
}

function parseArgs(argv: string[]): Args {
  const args: Args = new Map();
  const upstream = process.env.VIBEOPT_SIM_UPSTREAM === '1';
  const unknown: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith('--')) {
      unknown.push(a);
      continue;
    }
    const [name, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
    const next = argv[i + 1];
    if (BOOL_FLAGS.has(name) && !(upstream && FORK_ONLY.has(name))) {
      let v = inline ?? 'True';
      if (inline === undefined && next !== undefined && !next.startsWith('--')) {
        v = next;
        i++;
      }
      if (!/^(true|false|yes|no|1|0|t|f|y|n)$/i.test(v)) {
        err(`usage: ${PROG} [-h] ...\n${PROG}: error: argument --${name}: Truthy value expected: got ${v} but expected one of yes/no, true/false, t/f, y/n, 1/0 (case insensitive).\n`);
        process.exit(2);
      }
      args.set(name, /^(true|yes|1|t|y)$/i.test(v) ? 'True' : 'False');
    } else if (VALUE_FLAGS.has(name)) {
      const v = inline ?? next;
      if (v === undefined || (inline === undefined && v.startsWith('--'))) {
        err(`usage: ${PROG} [-h] ...\n${PROG}: error: argument --${name}: expected one argument\n`);
        process.exit(2);
      }
      if (inline === undefined) i++;
      args.set(name, v);
    } else {
      unknown.push(a);
      if (inline === undefined && next !== undefined && !next.startsWith('--')) {
        unknown.push(next);
        i++;
      }
    }
  }
  if (unknown.length > 0) usageError(`Some specified arguments are not used by the HfArgumentParser: ${pyList(unknown)}`);
  for (const req of ['model_name_or_path', 'output_dir']) {
    if (!args.has(req)) {
      err(`usage: ${PROG} [-h] ...\n${PROG}: error: the following arguments are required: --${req}\n`);
      process.exit(2);
    }
  }
  return args;
}

function pyList(xs: string[]): string {
  return `[${xs.map((x) => `'${x}'`).join(', ')}]`;
}

function num(args: Args, name: string, dflt: number): number {
  const v = args.get(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n)) {
    err(`usage: ${PROG} [-h] ...\n${PROG}: error: argument --${name}: invalid float value: '${v}'\n`);
    process.exit(2);
  }
  return n;
}

/** Python repr of a float (see src/trainer/argv.ts pythonFloat). */
function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const [mant, e] = x.toExponential().split('e') as [string, string];
  const exp = Number(e);
  if (exp < -4 || exp >= 16) return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  const s = String(x);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/** Python's `f"{x:.4g}"`, the format newer transformers use for logged values. */
function g4(x: number): string {
  if (!Number.isFinite(x)) return pyFloat(x);
  if (x === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(x)));
  const trim = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (exp < -4 || exp >= 4) {
    const [m, e] = x.toExponential(3).split('e') as [string, string];
    const n = Number(e);
    return `${trim(m)}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  return trim(x.toPrecision(4));
}

function pyDict(entries: Array<[string, number]>, quoted: boolean): string {
  // Newer transformers print values as 4-significant-digit strings ('loss': '2.007', 'epoch': '3');
  // older ones print the floats themselves.
  const body = entries
    .map(([k, v]) => {
      if (quoted) return `'${k}': '${g4(v)}'`;
      const s = Number.isInteger(v) && !['epoch', 'loss', 'train_loss'].includes(k) ? String(v) : pyFloat(v);
      return `'${k}': ${s}`;
    })
    .join(', ');
  return `{${body}}`;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function fmtClock(sec: number): string {
  const s = Math.max(0, Math.round(sec));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(ss)}` : `${two(m)}:${two(ss)}`;
}

function bar(n: number, total: number, elapsed: number, secPerIt: number | null, desc = ''): string {
  const pct = Math.floor((100 * n) / total);
  const filled = Math.floor((10 * n) / total);
  const rate = secPerIt === null ? '?it/s' : secPerIt >= 1 ? `${secPerIt.toFixed(2)}s/it` : `${(1 / secPerIt).toFixed(2)}it/s`;
  const eta = secPerIt === null ? '?' : fmtClock((total - n) * secPerIt);
  return `\r${desc ? `${desc}: ` : ''}${String(pct).padStart(3)}%|${'█'.repeat(filled)}${' '.repeat(10 - filled)}| ${n}/${total} [${fmtClock(elapsed)}<${eta}, ${rate}]`;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function writeCheckpoint(outputDir: string, step: number, state: object, cfg: SimConfig): void {
  const dir = path.join(outputDir, `checkpoint-${step}`);
  writeLora(path.join(dir, 'lora'), cfg);
  for (const f of ['optimizer.pt', 'scheduler.pt', 'rng_state.pth']) fs.writeFileSync(path.join(dir, f), `sim ${f} step ${step}\n`);
  // Written last (and atomically): its presence marks the checkpoint complete.
  const tmp = path.join(dir, 'trainer_state.json.tmp');
  fs.writeFileSync(tmp, `${JSON.stringify(sortKeys(state), null, 2)}\n`);
  fs.renameSync(tmp, path.join(dir, 'trainer_state.json'));
}

function writeLora(dir: string, cfg: SimConfig): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'adapter_config.json'),
    JSON.stringify({ peft_type: 'LORA', r: cfg.r, lora_alpha: cfg.alpha, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'], simulated: true }, null, 2),
  );
  fs.writeFileSync(path.join(dir, 'adapter_model.safetensors'), Buffer.alloc(64));
  for (const sub of ['diffusion_head', 'acoustic_connector', 'semantic_connector']) {
    fs.mkdirSync(path.join(dir, sub), { recursive: true });
    fs.writeFileSync(path.join(dir, sub, 'model.safetensors'), Buffer.alloc(16));
  }
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  }
  return v;
}

function oomTraceback(needGb: number, gpuGb: number, u: () => number): string {
  const total = gpuGb * 0.9899;
  const inUse = Math.min(total - 0.3, total * (0.97 + 0.02 * u()));
  const tried = Math.min(Math.max(0.02, needGb - gpuGb), 0.5 + u() * 3);
  return [
    'Traceback (most recent call last):',
    '  File "<frozen runpy>", line 198, in _run_module_as_main',
    '  File "<frozen runpy>", line 88, in _run_code',
    `  File "/workspace/VibeVoice/vibevoice/finetune/${PROG}", line 1012, in <module>`,
    '    main()',
    `  File "/workspace/VibeVoice/vibevoice/finetune/${PROG}", line 987, in main`,
    '    trainer.train()',
    '  File "/usr/local/lib/python3.11/site-packages/transformers/trainer.py", line 2245, in train',
    '    return inner_training_loop(',
    '  File "/usr/local/lib/python3.11/site-packages/transformers/trainer.py", line 2560, in _inner_training_loop',
    '    tr_loss_step = self.training_step(model, inputs, num_items_in_batch)',
    '  File "/usr/local/lib/python3.11/site-packages/torch/nn/modules/module.py", line 1773, in _call_impl',
    '    return forward_call(*args, **kwargs)',
    `torch.OutOfMemoryError: CUDA out of memory. Tried to allocate ${tried.toFixed(2)} GiB. GPU 0 has a total capacity of ${total.toFixed(2)} GiB of which ${(total - inUse).toFixed(2)} GiB is free. Including non-PyTorch memory, this process has ${inUse.toFixed(2)} GiB memory in use. Of the allocated memory ${(inUse - 3.1).toFixed(2)} GiB is allocated by PyTorch, and ${(2.4 + u()).toFixed(2)} GiB is reserved by PyTorch but unallocated. If reserved but unallocated memory is large try setting PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to avoid fragmentation.  See documentation for Memory Management  (https://pytorch.org/docs/stable/notes/cuda.html#environment-variables)`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const env = process.env;
  const scale = Number(env.VIBEOPT_SIM_TIME_SCALE ?? 15000);
  const gpuGb = Number(env.VIBEOPT_SIM_GPU_GB ?? 80);
  const seed = Number(env.VIBEOPT_SIM_SEED ?? 0);
  const datasetSize = Number(env.VIBEOPT_SIM_DATASET_SIZE ?? 27800);
  const quoted = (env.VIBEOPT_SIM_LOG_STYLE ?? 'quoted') !== 'plain';
  const garbage = env.VIBEOPT_SIM_GARBAGE === '1';
  const minStepMs = Number(env.VIBEOPT_SIM_MIN_STEP_MS ?? 0);
  if (env.VIBEOPT_SIM_IGNORE_SIGTERM === '1') process.on('SIGTERM', () => err('\nSIGTERM ignored (VIBEOPT_SIM_IGNORE_SIGTERM)\n'));

  const outputDir = path.resolve(args.get('output_dir') as string);
  const baseModel = args.get('model_name_or_path') as string;
  const cfg: SimConfig = {
    bs: num(args, 'per_device_train_batch_size', 8),
    ga: num(args, 'gradient_accumulation_steps', 1),
    lr: num(args, 'learning_rate', 5e-5),
    m: num(args, 'ddpm_batch_mul', 1),
    diffusionWeight: num(args, 'diffusion_loss_weight', 1.0),
    ceWeight: num(args, 'ce_loss_weight', 1.0),
    dropRate: num(args, 'voice_prompt_drop_rate', 0.0),
    r: num(args, 'lora_r', 8),
    alpha: num(args, 'lora_alpha', 32),
    warmup: num(args, 'warmup_ratio', 0),
    maxGradNorm: num(args, 'max_grad_norm', 1.0),
    epochs: num(args, 'num_train_epochs', 3),
    gradientClipping: args.get('gradient_clipping') === 'True',
    gradientCheckpointing: args.get('gradient_checkpointing') === 'True',
    fromCheckpoint: fs.existsSync(baseModel),
    dataset: typeof args.get('dataset_name') === 'string' ? (args.get('dataset_name') as string) : undefined,
  };
  const loggingSteps = num(args, 'logging_steps', 500);
  const saveSteps = num(args, 'save_steps', 500);
  const simSec = (s: number) => Math.max(0, (s * 1000) / scale); // simulated seconds → wall ms

  if (env.VIBEOPT_SIM_SPAWN_CHILD === '1') {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    fs.mkdirSync(outputDir, { recursive: true });
    fs.writeFileSync(path.join(outputDir, 'sim_children.json'), JSON.stringify([child.pid]));
  }

  for (const name of (env.VIBEOPT_SIM_ECHO_ENV ?? '').split(',').filter(Boolean)) err(`env ${name}=${env[name] ?? ''}\n`);
  // Model loading (stderr, like the real thing), ~2 simulated minutes.
  err(`Loading processor from ${args.get('processor_name_or_path') ?? baseModel}\n`);
  for (let k = 1; k <= 4; k++) {
    await sleep(simSec(30));
    err(bar(k, 4, 30 * k, 30, 'Loading checkpoint shards'));
  }
  err('\n');
  if (garbage) out('W&B offline. Running your script from this directory will only write metadata locally.\n{\'broken\': ');
  if (args.get('do_train') !== 'True') {
    err('INFO: --do_train not set; nothing to do.\n');
    process.exit(0); // the real trap: exit 0 having trained nothing
  }
  fs.mkdirSync(outputDir, { recursive: true });

  const total = computeMaxSteps(datasetSize, cfg);
  const perEpoch = total / cfg.epochs;
  const lm = lossModel(cfg, seed);
  const sps = samplesPerSecond(cfg);
  const samplesPerStep = cfg.bs * cfg.ga;
  const secPerStep = samplesPerStep / sps;
  const memGb = peakMemoryGb(cfg);
  const key = configKey(cfg);
  const runU = rng(hash32(`run|${seed}|${key}|${outputDir}`));

  // Where this run fails, if it does.
  let oomStep: number | null = null;
  if (memGb > gpuGb) oomStep = 1;
  else if (memGb > gpuGb * 0.96 && runU() < 0.5) oomStep = 1 + Math.floor(runU() * Math.min(total, 50)); // a long batch
  const failRate = Number(env.VIBEOPT_SIM_FAIL_RATE ?? 0);
  const crashStep = failRate > 0 && runU() < failRate ? 1 + Math.floor(runU() * total) : null;
  const hangStep = env.VIBEOPT_SIM_HANG_AT_STEP ? Number(env.VIBEOPT_SIM_HANG_AT_STEP) : null;
  const hostOomStep = env.VIBEOPT_SIM_HOST_OOM_AT_STEP ? Number(env.VIBEOPT_SIM_HOST_OOM_AT_STEP) : null;
  const nanStep = lm.nanAt === null ? null : Math.max(1, Math.floor(lm.nanAt * total));

  // Resume.
  let start = 0;
  let logHistory: Array<Record<string, number>> = [];
  const resume = args.get('resume_from_checkpoint');
  if (resume !== undefined) {
    let state: { global_step: number; log_history: Array<Record<string, number>> };
    try {
      state = JSON.parse(fs.readFileSync(path.join(resume, 'trainer_state.json'), 'utf8')) as typeof state;
    } catch (e) {
      err(`Traceback (most recent call last):\n  File "/usr/local/lib/python3.11/site-packages/transformers/trainer.py", line 2147, in train\n    raise ValueError(f"No valid checkpoint found in output directory ({args.output_dir})")\nValueError: Can't find a valid checkpoint at ${resume} (${(e as Error).message})\n`);
      process.exit(1);
    }
    start = state.global_step;
    logHistory = state.log_history ?? [];
    err(`Continuing training from checkpoint, will skip to saved global_step\n  Continuing training from epoch ${Math.floor(start / perEpoch)}\n  Continuing training from global step ${start}\n`);
  }
  err(`***** Running training *****\n  Num examples = ${datasetSize}\n  Num Epochs = ${cfg.epochs}\n  Instantaneous batch size per device = ${cfg.bs}\n  Gradient Accumulation steps = ${cfg.ga}\n  Total optimization steps = ${total}\n  Number of trainable parameters = ${Math.round(cfg.r * 2.6e6)}\n`);

  const wallStart = Date.now();
  let simElapsed = 0;
  let lossSum = 0; // like HF: only the steps run by this process count, divided by global_step
  err(bar(start, total, 0, null));
  for (let step = start + 1; step <= total; step++) {
    simElapsed += secPerStep;
    const target = wallStart + Math.max(simSec(simElapsed), (step - start) * minStepMs);
    const wait = target - Date.now();
    if (wait > 4) await sleep(wait);
    if (oomStep !== null && step >= oomStep) {
      err('\n' + oomTraceback(memGb, gpuGb, runU));
      process.exit(1);
    }
    if (hostOomStep !== null && step >= hostOomStep) process.kill(process.pid, 'SIGKILL');
    if (crashStep !== null && step >= crashStep) {
      err(`\nTraceback (most recent call last):\n  File "/usr/local/lib/python3.11/site-packages/torch/utils/data/dataloader.py", line 1480, in _next_data\n    return self._process_data(data)\nRuntimeError: DataLoader worker (pid ${process.pid + 1}) is killed by signal: Bus error. (VIBEOPT_SIM_FAIL_RATE)\n`);
      process.exit(1);
    }
    if (hangStep !== null && step >= hangStep) {
      for (;;) await sleep(60_000);
    }
    const p = step / total;
    const noise = gauss(rng(hash32(`step|${seed}|${key}|${step}`)));
    const isNan = nanStep !== null && step >= nanStep;
    const l = lossAt(p, cfg, lm, noise);
    const loss = isNan ? NaN : l.loss;
    lossSum += loss;
    err(bar(step, total, simElapsed, secPerStep));
    if (step % loggingSteps === 0) {
      const epoch = step / perEpoch;
      const lr = learningRateAt(step, total, cfg);
      const gradNorm = isNan ? NaN : 0.6 + 0.5 * Math.exp(-4 * p) + 0.05 * noise;
      out(pyDict([['train/ce_loss', round(l.ce, 4)], ['train/diffusion_loss', round(l.diff, 4)], ['epoch', round(epoch, 2)]], quoted));
      out(pyDict([['loss', round(loss, 4)], ['grad_norm', round(gradNorm, 4)], ['learning_rate', Number(lr.toPrecision(4))], ['epoch', round(epoch, 2)]], quoted));
      logHistory.push({ epoch: round(epoch, 4), grad_norm: round(gradNorm, 4), learning_rate: lr, loss: round(loss, 4), step });
      if (garbage) out(`\u001b[33mwandb\u001b[0m: \x00garbage {'loss': nan nan} ${'#'.repeat(step % 7)}`);
    }
    if (step % saveSteps === 0 || step === total) {
      writeCheckpoint(outputDir, step, { best_metric: null, epoch: step / perEpoch, global_step: step, log_history: logHistory, logging_steps: loggingSteps, max_steps: total, num_train_epochs: cfg.epochs, save_steps: saveSteps, train_batch_size: cfg.bs }, cfg);
    }
  }
  err('\n');
  const runtime = (total - start) * secPerStep;
  const trainLoss = lossSum / total;
  out(pyDict([['train_runtime', round(runtime, 4)], ['train_samples_per_second', round(((total - start) * samplesPerStep) / runtime, 3)], ['train_steps_per_second', round((total - start) / runtime, 3)], ['train_loss', trainLoss], ['epoch', round(cfg.epochs, 2)]], quoted));
  writeLora(path.join(outputDir, 'lora'), cfg);
  err(`Saved LoRA adapter to ${path.join(outputDir, 'lora')}\n`);
}

main().catch((e: unknown) => {
  err(`Traceback (most recent call last):\nRuntimeError: vibevoice-sim internal error: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
