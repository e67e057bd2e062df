/**
 * The pipeline config file (YAML or JSON): the seed's three-stage plan, its search space, the
 * trainer command, budgets and parallelism. Validated with zod on every load; errors name the
 * file, the path inside it, and the problem.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import type { Config } from '../domain';
import { NAMED_INITIAL_CONFIGS, narrowSpace, seedSearchSpace, SpaceOverridesSchema, validateConfig } from '../space';
import { defaultTrainerSpec, simulatorTrainerSpec, TrainerSpecSchema, type TrainerSpec } from '../trainer';
import type { PipelineInput, StagePlan } from '../../workflows/types';

const configValue = z.union([z.number().finite(), z.string()]);

export const StageConfigSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, - and _ (it becomes part of workflow ids and folder names)'),
  title: z.string().default(''),
  datasetName: z.string().min(1).nullable().describe('Hugging Face dataset id; null stops the pipeline before it starts'),
  epochs: z.number().positive(),
  baseModel: z.string().min(1).optional().describe('only the first stage; later stages start from the previous best checkpoint'),
  budget: z.strictObject({
    maxTrials: z.number().int().min(1),
    maxGpuHours: z.number().positive().optional(),
    targetLoss: z.number().finite().optional(),
  }),
  parallelism: z.number().int().min(1).default(1),
  trialTimeLimitHours: z.number().positive().default(24),
  costAware: z.boolean().default(false),
  trialHeartbeatTimeoutSeconds: z.number().positive().optional().describe('how long a dead GPU worker goes unnoticed (default 120)'),
  maxConsecutiveFailures: z.number().int().min(0).optional().describe('circuit breaker: stop starting trials after this many fail in a row (default 3, 0 = off)'),
  warmStartTopK: z.number().int().min(0).default(3),
  initialConfigs: z.union([z.literal('named'), z.array(z.record(z.string(), configValue))]).default([]),
  space: SpaceOverridesSchema.optional(),
});

const TrainerConfigSchema = z.union([
  z.strictObject({
    preset: z.literal('simulator'),
    timeScale: z.number().positive().optional(),
    gpuGb: z.number().positive().optional(),
    seed: z.number().int().optional(),
  }),
  z.strictObject({ preset: z.literal('vibevoice'), overrides: TrainerSpecSchema.partial().optional() }),
  z.strictObject({ preset: z.literal('custom'), spec: TrainerSpecSchema }),
]);

export const PublishConfigSchema = z.strictObject({
  enabled: z.boolean().default(false),
  command: z.array(z.string()).min(1).default(['huggingface-cli', 'upload', '{repo}', '{checkpoint}', '.']),
  repoPattern: z.string().default('heiertech/vibevoice-7b-nob-qlora-{stage}-bayesopt'),
  nextStageFromPublished: z.boolean().default(false),
});

export const PipelineConfigSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, ., - and _ (it is the workflow id)'),
  artifactRoot: z.string().min(1).default('./artifacts'),
  seed: z.number().int().default(0),
  trainer: TrainerConfigSchema,
  stages: z.array(StageConfigSchema).min(1),
  publish: PublishConfigSchema.optional(),
});

export type PipelineConfig = z.infer<typeof PipelineConfigSchema>;
export type PipelineConfigInput = z.input<typeof PipelineConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function formatIssues(where: string, error: z.ZodError): string {
  return error.issues.map((i) => `${where}: ${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`).join('\n');
}

/** Validates an object as a pipeline config; `where` names its source in errors. */
export function parsePipelineConfig(input: unknown, where = 'pipeline config'): PipelineConfig {
  const r = PipelineConfigSchema.safeParse(input);
  if (!r.success) throw new ConfigError(formatIssues(where, r.error));
  const names = new Set<string>();
  r.data.stages.forEach((st, i) => {
    if (names.has(st.name)) throw new ConfigError(`${where}: stages.${i}.name: duplicate stage name ${st.name}`);
    names.add(st.name);
  });
  if (!r.data.stages[0]?.baseModel) throw new ConfigError(`${where}: stages.0.baseModel: the first stage needs a base model`);
  return r.data;
}

export function loadPipelineConfig(file: string): PipelineConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = /\.json$/i.test(file) ? JSON.parse(text) : YAML.parse(text, { prettyErrors: true });
  } catch (err) {
    throw new ConfigError(`${file}: not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
  return parsePipelineConfig(data, file);
}

export function trainerSpecOf(config: PipelineConfig): TrainerSpec {
  const t = config.trainer;
  if (t.preset === 'simulator') return simulatorTrainerSpec({ timeScale: t.timeScale, gpuGb: t.gpuGb, seed: t.seed });
  if (t.preset === 'vibevoice') return defaultTrainerSpec(t.overrides ?? {});
  return t.spec;
}

/**
 * Turns a validated config into the pipeline workflow's input: search spaces resolved (seed space
 * plus each stage's overrides), initial configs checked against them, paths made absolute.
 */
export function toPipelineInput(config: PipelineConfig, opts: { baseDir?: string; where?: string } = {}): PipelineInput {
  const where = opts.where ?? 'pipeline config';
  const stages: StagePlan[] = config.stages.map((st, i) => {
    let space;
    try {
      space = st.space ? narrowSpace(seedSearchSpace(), st.space, `${where}: stages.${i}.space`) : seedSearchSpace();
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
    const initial: Config[] = st.initialConfigs === 'named' ? NAMED_INITIAL_CONFIGS.map((n) => ({ ...n.config })) : st.initialConfigs;
    const kept: Config[] = [];
    initial.forEach((c, j) => {
      const problems = validateConfig(space, c);
      if (problems.length === 0) kept.push(c);
      else if (st.initialConfigs !== 'named') throw new ConfigError(`${where}: stages.${i}.initialConfigs.${j}: ${problems.join('; ')}`);
      // A named config outside a narrowed space is skipped, not an error.
    });
    return {
      name: st.name,
      title: st.title || st.name,
      datasetName: st.datasetName,
      epochs: st.epochs,
      baseModel: st.baseModel,
      space,
      initialConfigs: kept,
      warmStartTopK: st.warmStartTopK,
      budget: st.budget,
      parallelism: st.parallelism,
      trialTimeLimitSeconds: Math.round(st.trialTimeLimitHours * 3600),
      costAware: st.costAware,
      ...(st.trialHeartbeatTimeoutSeconds !== undefined ? { trialHeartbeatTimeoutSeconds: st.trialHeartbeatTimeoutSeconds } : {}),
      ...(st.maxConsecutiveFailures !== undefined ? { maxConsecutiveFailures: st.maxConsecutiveFailures } : {}),
    };
  });
  return {
    pipelineId: config.name,
    artifactRoot: path.resolve(opts.baseDir ?? process.cwd(), config.artifactRoot),
    seed: config.seed,
    trainer: trainerSpecOf(config),
    stages,
    publish: config.publish,
  };
}

/** The seed's plan (seed README, "Training Plan"), for `vibeopt init` and the demo. */
export function seedPipelineConfig(opts: { name?: string; simulator?: boolean; oslodataset?: string | null } = {}): PipelineConfigInput {
  return {
    name: opts.name ?? 'norwegian-vibevoice',
    artifactRoot: './artifacts',
    seed: 0,
    trainer: opts.simulator ? { preset: 'simulator' } : { preset: 'vibevoice' },
    stages: [
      {
        name: 'stage1',
        title: 'Full Norwegian (bokmål + nynorsk)',
        datasetName: 'heiertech/vibevoice-mcv-scripted-no-v24',
        epochs: 3,
        baseModel: 'marksverdhai/vibevoice-7b-bnb-8bit',
        budget: { maxTrials: 20, maxGpuHours: 240 },
        parallelism: 4,
        trialTimeLimitHours: 24,
        initialConfigs: 'named',
      },
      {
        name: 'stage2',
        title: 'Bokmål only',
        datasetName: 'heiertech/vibevoice-mcv-scripted-nb',
        epochs: 2,
        budget: { maxTrials: 12, maxGpuHours: 120 },
        parallelism: 4,
        trialTimeLimitHours: 24,
        warmStartTopK: 3,
      },
      {
        name: 'stage3',
        title: 'Østnorsk / Oslo dialect',
        datasetName: opts.oslodataset === undefined ? null : opts.oslodataset,
        epochs: 2,
        budget: { maxTrials: 8, maxGpuHours: 60 },
        parallelism: 4,
        trialTimeLimitHours: 24,
        warmStartTopK: 3,
      },
    ],
  };
}
