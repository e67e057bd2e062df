/**
 * Search spaces: types, zod validation, feasibility, per-stage overrides, the seed space.
 * Pure TypeScript, no Temporal imports.
 */
import { SearchSpace, SearchSpaceSchema, formatZodError } from './schema';
import { findFeasiblePoint } from './validate';
import { applyOverrides, SpaceOverrides } from './narrow';

export * from './schema';
export { validateConfig, isFeasible, satisfiesConstraints, configKey, findFeasiblePoint, validateValue, constraintViolation, sampleValue } from './validate';
export { sampleFeasibleConfig } from './sample';
export { seedSearchSpace, NAMED_INITIAL_CONFIGS } from './seed';
export { SpaceOverridesSchema } from './narrow';
export type { SpaceOverrides } from './narrow';
export { Rng } from './rng';

/**
 * Validates input as a search space. Throws an Error whose message names the source and the
 * offending path, e.g. `search space (stage1.yaml): params.learning_rate.low: must be > 0 for a
 * log-scale parameter`; also rejects a space whose constraints leave no feasible point.
 */
export function parseSearchSpace(input: unknown, source?: string): SearchSpace {
  const where = source ? `search space (${source})` : 'search space';
  const r = SearchSpaceSchema.safeParse(input);
  if (!r.success) throw new Error(`${where}: ${formatZodError(r.error)}`);
  const space = r.data as SearchSpace;
  if (!findFeasiblePoint(space)) {
    throw new Error(`${where}: constraints: no feasible point (no config satisfies all of ${JSON.stringify(space.constraints)}); widen a range or relax a constraint`);
  }
  return space;
}

/** Applies per-stage overrides (narrow / fix / exclude / add / constraints) and re-validates. */
export function narrowSpace(space: SearchSpace, overrides: SpaceOverrides | unknown, source?: string): SearchSpace {
  return applyOverrides(space, overrides, parseSearchSpace, source);
}
