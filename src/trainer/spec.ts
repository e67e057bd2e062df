/**
 * TrainerSpec: how to launch one trainer, as configuration rather than code (TRAINER.md, "How the
 * team launches one trial"). The spec travels through workflow inputs, so it holds no secrets:
 * secret values are named in `passEnv` and read from the GPU worker's own environment.
 */
import * as path from 'node:path';
import { z } from 'zod';

/** A value that the argv builder fills in from the stage, the trial or the run. */
export const ArgRefSchema = z.enum(['outputDir', 'runName', 'datasetName', 'baseModel', 'epochs']);
export type ArgRef = z.infer<typeof ArgRefSchema>;

/**
 * One entry of the ordered argument template.
 * - `{ flag, value }`: a fixed flag; `value: null` is a bare flag (`--do_train`).
 * - `{ flag, ref }`: a per-stage/per-trial value (`--output_dir <trial dir>`).
 * - `{ hyperparameter }`: the tuned parameter's value, at this position, under
 *   `hyperparameterFlags[name] ?? name`; left out when the config lacks it (the trainer's default).
 * `fork: true` marks flags that only some trainers accept (`--load_in_4bit`): emitted only when the
 * flag is listed in the spec's `forkFlags`, because an unknown flag makes the parser exit 1.
 */
export const ArgTemplateSchema = z.union([
  z.object({
    flag: z.string().min(1),
    value: z.union([z.string(), z.number(), z.boolean(), z.null()]),
    fork: z.boolean().optional(),
  }),
  z.object({ flag: z.string().min(1), ref: ArgRefSchema, fork: z.boolean().optional() }),
  z.object({ hyperparameter: z.string().min(1), fork: z.boolean().optional() }),
]);
export type ArgTemplate = z.infer<typeof ArgTemplateSchema>;

export const TrainerMetricSchema = z.enum(['train_loss', 'loss', 'eval_loss']);
export type TrainerMetric = z.infer<typeof TrainerMetricSchema>;

export const DEFAULT_PASS_ENV = ['HF_TOKEN', 'WANDB_API_KEY', 'WANDB_MODE', 'WANDB_PROJECT', 'HF_HOME'] as const;

/** Hyperparameters printed as Python floats (`1.0`, `4e-05`) even when integral. */
export const DEFAULT_FLOAT_PARAMS = [
  'learning_rate',
  'warmup_ratio',
  'max_grad_norm',
  'diffusion_loss_weight',
  'ce_loss_weight',
  'voice_prompt_drop_rate',
  'lora_dropout',
  'weight_decay',
] as const;

export const TrainerSpecSchema = z.object({
  /** Program and its leading arguments, e.g. ['python', '-u', '-m', 'vibevoice.finetune.train_vibevoice']. */
  launcher: z.array(z.string().min(1)).min(1),
  /** Ordered argument template (fixed flags, per-trial values and tuned-parameter positions). */
  fixedArgs: z.array(ArgTemplateSchema),
  /** Search-space parameter name → trainer flag (without `--`); absent names map to themselves. */
  hyperparameterFlags: z.record(z.string(), z.string()).default({}),
  /** Parameters formatted as floats. */
  floatParams: z.array(z.string()).default([...DEFAULT_FLOAT_PARAMS]),
  /** Fork-only flags this trainer declares it accepts (see ArgTemplate.fork). */
  forkFlags: z.array(z.string()).default([]),
  /** Whether `--resume_from_checkpoint <dir>/checkpoint-N` works with this trainer. */
  supportsResume: z.boolean().default(false),
  /** Which number is the trial's loss: the final dict's train_loss, the last logged loss, or eval_loss. */
  metric: TrainerMetricSchema.default('train_loss'),
  /** Non-secret environment for the trainer (e.g. WANDB_PROJECT). Wins over passEnv. */
  env: z.record(z.string(), z.string()).default({}),
  /**
   * Names of worker environment variables passed through (secrets live here, by name only).
   * A trailing `*` passes every variable with that prefix.
   */
  passEnv: z.array(z.string()).default([...DEFAULT_PASS_ENV]),
  /** Working directory of the trainer (e.g. the VibeVoice checkout); default: the worker's. */
  cwd: z.string().optional(),
  /** Kill the trainer when it prints nothing for this long (a hung NCCL, a dead data loader). */
  stallTimeoutSeconds: z.number().positive().default(1800),
  /** SIGTERM → SIGKILL grace period when stopping the trainer. */
  killGraceSeconds: z.number().nonnegative().default(30),
  /** Stop the run as soon as a logged `loss` is NaN or infinite. */
  stopOnNanLoss: z.boolean().default(true),
});
export type TrainerSpec = z.infer<typeof TrainerSpecSchema>;
export type TrainerSpecInput = z.input<typeof TrainerSpecSchema>;

/** The module launched by the team (TRAINER.md). */
export const VIBEVOICE_LAUNCHER = ['python', '-u', '-m', 'vibevoice.finetune.train_vibevoice'];

/** The eleven tuned hyperparameters, in TRAINER.md order. */
export const VIBEVOICE_HYPERPARAMETERS = [
  'per_device_train_batch_size',
  'gradient_accumulation_steps',
  'learning_rate',
  'ddpm_batch_mul',
  'diffusion_loss_weight',
  'ce_loss_weight',
  'voice_prompt_drop_rate',
  'lora_r',
  'lora_alpha',
  'warmup_ratio',
  'max_grad_norm',
] as const;

const LORA_TARGETS = 'q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj';

/**
 * The team's command from TRAINER.md, flag for flag and in its order, with the tuned values at their
 * positions. Keeps the traps: `--do_train`, `--gradient_clipping` (bare; without it max_grad_norm is
 * ignored), `--remove_unused_columns False`, and the fork-only `--load_in_4bit True`.
 */
export function vibevoiceArgs(): ArgTemplate[] {
  return [
    { flag: 'model_name_or_path', ref: 'baseModel' },
    { flag: 'processor_name_or_path', value: 'vibevoice/VibeVoice-7B' },
    { flag: 'dataset_name', ref: 'datasetName' },
    { flag: 'text_column_name', value: 'text' },
    { flag: 'audio_column_name', value: 'audio' },
    { flag: 'voice_prompts_column_name', value: 'audio' },
    { flag: 'output_dir', ref: 'outputDir' },
    { hyperparameter: 'per_device_train_batch_size' },
    { hyperparameter: 'gradient_accumulation_steps' },
    { hyperparameter: 'learning_rate' },
    { flag: 'num_train_epochs', ref: 'epochs' },
    { flag: 'logging_steps', value: 10 },
    { flag: 'save_steps', value: 100 },
    { flag: 'eval_steps', value: 100 },
    { flag: 'report_to', value: 'wandb' },
    { flag: 'run_name', ref: 'runName' },
    { flag: 'remove_unused_columns', value: 'False' },
    { flag: 'bf16', value: 'True' },
    { flag: 'do_train', value: null },
    { flag: 'gradient_clipping', value: null },
    { flag: 'gradient_checkpointing', value: 'True' },
    { hyperparameter: 'ddpm_batch_mul' },
    { hyperparameter: 'diffusion_loss_weight' },
    { flag: 'train_diffusion_head', value: 'True' },
    { hyperparameter: 'ce_loss_weight' },
    { hyperparameter: 'voice_prompt_drop_rate' },
    { hyperparameter: 'lora_r' },
    { hyperparameter: 'lora_alpha' },
    { flag: 'lora_target_modules', value: LORA_TARGETS },
    { flag: 'lr_scheduler_type', value: 'cosine' },
    { hyperparameter: 'warmup_ratio' },
    { hyperparameter: 'max_grad_norm' },
    { flag: 'load_in_4bit', value: 'True', fork: true },
  ];
}

/** The real trainer, as the team runs it (the fork with `--load_in_4bit`; resume not declared). */
export function defaultTrainerSpec(overrides: Partial<TrainerSpecInput> = {}): TrainerSpec {
  return TrainerSpecSchema.parse({
    launcher: VIBEVOICE_LAUNCHER,
    fixedArgs: vibevoiceArgs(),
    forkFlags: ['load_in_4bit'],
    supportsResume: false,
    metric: 'train_loss',
    ...overrides,
  });
}

/** The project root (src/trainer/../..). */
export function projectRoot(): string {
  return path.resolve(__dirname, '..', '..');
}

/** Path of the simulator executable shipped with the project. */
export function simulatorPath(): string {
  return path.join(projectRoot(), 'bin', 'vibevoice-sim');
}

export interface SimulatorSpecOptions {
  /** Simulator time scale (simulated seconds per wall second); else VIBEOPT_SIM_TIME_SCALE or its default. */
  timeScale?: number;
  /** Simulated GPU size in GB (else VIBEOPT_SIM_GPU_GB, default 80). */
  gpuGb?: number;
  /** Seed (else VIBEOPT_SIM_SEED, default 0). */
  seed?: number;
  supportsResume?: boolean;
  metric?: TrainerMetric;
  /** Extra simulator knobs as environment variables (VIBEOPT_SIM_*). */
  env?: Record<string, string>;
  stallTimeoutSeconds?: number;
  killGraceSeconds?: number;
}

/**
 * The bundled simulator with exactly the team's flags. Simulator knobs are environment variables
 * (the flag set must look like the real trainer's); worker-side VIBEOPT_SIM_* pass through.
 */
export function simulatorTrainerSpec(opts: SimulatorSpecOptions = {}): TrainerSpec {
  const env: Record<string, string> = { ...(opts.env ?? {}) };
  if (opts.timeScale !== undefined) env.VIBEOPT_SIM_TIME_SCALE = String(opts.timeScale);
  if (opts.gpuGb !== undefined) env.VIBEOPT_SIM_GPU_GB = String(opts.gpuGb);
  if (opts.seed !== undefined) env.VIBEOPT_SIM_SEED = String(opts.seed);
  return TrainerSpecSchema.parse({
    launcher: [simulatorPath()],
    fixedArgs: vibevoiceArgs(),
    forkFlags: ['load_in_4bit'],
    supportsResume: opts.supportsResume ?? true,
    metric: opts.metric ?? 'train_loss',
    env,
    passEnv: [...DEFAULT_PASS_ENV, 'VIBEOPT_SIM_*'],
    stallTimeoutSeconds: opts.stallTimeoutSeconds ?? 60,
    killGraceSeconds: opts.killGraceSeconds ?? 5,
  });
}
