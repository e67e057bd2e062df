/**
 * The JSON command's core (`vibeopt suggest`): JSON request on stdin → JSON suggestions on stdout,
 * so any tool or language can drive the optimizer.
 *
 * Request:  { space?, observations?, pending?, count, seed, initialConfigs?: Config[] | "named", costAware? }
 *           (space defaults to the seed space; "named" means the five named stage-1 configs)
 * Response: { suggestions: [{ config, source, acquisition? }] }
 */
import { z } from 'zod';
import { Config, Observation } from '../domain';
import { NAMED_INITIAL_CONFIGS, SearchSpace, formatZodError, parseSearchSpace, seedSearchSpace, validateConfig } from '../space';
import { suggest } from './suggest';

/** An error in the caller's input (the CLI exits 2 on it). */
export class SuggestInputError extends Error {
  override name = 'SuggestInputError';
}

const ValueSchema = z.union([z.number(), z.string()]);
const ConfigSchema = z.record(z.string(), ValueSchema);

export const ObservationSchema = z
  .object({
    trialId: z.string().default(''),
    config: ConfigSchema,
    status: z.enum(['succeeded', 'infeasible', 'failed', 'too_slow', 'cancelled']),
    loss: z.number().nullable().default(null),
    durationSeconds: z.number().nonnegative().default(0),
  })
  .superRefine((o, ctx) => {
    if (o.status === 'succeeded' && o.loss === null) ctx.addIssue({ code: 'custom', path: ['loss'], message: 'required when status is "succeeded"' });
  });

export const SuggestCommandSchema = z.strictObject({
  space: z.unknown().optional(),
  observations: z.array(ObservationSchema).default([]),
  pending: z.array(ConfigSchema).default([]),
  count: z.number().int().min(1).max(1000),
  seed: z.number().int(),
  initialConfigs: z.union([z.literal('named'), z.array(ConfigSchema)]).optional(),
  costAware: z.boolean().optional(),
});

export function runSuggestCommand(stdinText: string): string {
  let json: unknown;
  try {
    json = JSON.parse(stdinText);
  } catch (e) {
    throw new SuggestInputError(`suggest request: not valid JSON: ${(e as Error).message}`);
  }
  const r = SuggestCommandSchema.safeParse(json);
  if (!r.success) throw new SuggestInputError(`suggest request: ${formatZodError(r.error)}`);
  const req = r.data;
  let space: SearchSpace;
  try {
    space = req.space === undefined ? seedSearchSpace() : parseSearchSpace(req.space, 'suggest request field "space"');
  } catch (e) {
    throw new SuggestInputError((e as Error).message.replace(/^search space \(suggest request field "space"\): /, 'suggest request: space.'));
  }
  let initialConfigs: Config[] | undefined;
  if (req.initialConfigs === 'named') initialConfigs = NAMED_INITIAL_CONFIGS.map((n) => ({ ...n.config }));
  else if (req.initialConfigs) {
    initialConfigs = req.initialConfigs;
    initialConfigs.forEach((c, i) => {
      const problems = validateConfig(space, c);
      if (problems.length > 0) throw new SuggestInputError(`suggest request: initialConfigs.${i}: ${problems.join('; ')}`);
    });
  }
  const suggestions = suggest({
    space,
    observations: req.observations as Observation[],
    pending: req.pending,
    count: req.count,
    seed: req.seed,
    initialConfigs,
    costAware: req.costAware,
  });
  return JSON.stringify({ suggestions });
}
