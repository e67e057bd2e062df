/**
 * Per-stage overrides of a search space: narrow a range, fix a parameter, exclude categorical
 * values (e.g. a batch size that keeps OOMing), add a parameter, add constraints. The result is
 * re-validated, so an override that leaves no feasible point is rejected.
 */
import { z } from 'zod';
import { ConstraintSchema, ParamSpec, ParamSpecSchema, SearchSpace, Constraint, formatZodError } from './schema';

export interface SpaceOverrides {
  /** New bounds inside the current ones (float/int). low === high turns the parameter fixed. */
  narrow?: Record<string, { low?: number; high?: number }>;
  /** Fix a parameter to one value (must be in its current domain). */
  fix?: Record<string, number | string>;
  /** Remove values from a categorical (or small int) parameter. */
  exclude?: Record<string, (number | string)[]>;
  /** New parameters, e.g. one that only this stage tunes. */
  add?: Record<string, ParamSpec>;
  /** Extra constraints, appended to the space's. */
  constraints?: Constraint[];
}

const value = z.union([z.number(), z.string()]);
export const SpaceOverridesSchema = z.strictObject({
  narrow: z.record(z.string(), z.strictObject({ low: z.number().optional(), high: z.number().optional() })).optional(),
  fix: z.record(z.string(), value).optional(),
  exclude: z.record(z.string(), z.array(value).min(1)).optional(),
  add: z.record(z.string(), ParamSpecSchema).optional(),
  constraints: z.array(ConstraintSchema).optional(),
});

/**
 * Applies overrides to space and returns a new, validated space. `validate` is parseSearchSpace
 * (injected to avoid an import cycle). Throws an Error naming the offending override.
 */
export function applyOverrides(
  space: SearchSpace,
  overridesInput: unknown,
  validate: (input: unknown, source?: string) => SearchSpace,
  source?: string,
): SearchSpace {
  const where = source ? `space overrides (${source})` : 'space overrides';
  const parsed = SpaceOverridesSchema.safeParse(overridesInput);
  if (!parsed.success) throw new Error(`${where}: ${formatZodError(parsed.error)}`);
  const ov = parsed.data;
  const params: Record<string, ParamSpec> = structuredClone(space.params);
  const fail = (path: string, msg: string): never => {
    throw new Error(`${where}: ${path}: ${msg}`);
  };

  for (const [name, spec] of Object.entries(ov.add ?? {})) {
    if (name in params) fail(`add.${name}`, 'parameter already exists; use narrow, fix or exclude');
    params[name] = spec as ParamSpec;
  }
  for (const [name, b] of Object.entries(ov.narrow ?? {})) {
    const spec = params[name];
    if (!spec) fail(`narrow.${name}`, `unknown parameter (known: ${Object.keys(params).join(', ')})`);
    else if (spec.type !== 'float' && spec.type !== 'int') fail(`narrow.${name}`, `only float and int parameters can be narrowed (this one is ${spec.type})`);
    else {
      const low = b.low ?? spec.low;
      const high = b.high ?? spec.high;
      if (low < spec.low) fail(`narrow.${name}.low`, `${low} is below the current low ${spec.low}; narrowing cannot widen`);
      if (high > spec.high) fail(`narrow.${name}.high`, `${high} is above the current high ${spec.high}; narrowing cannot widen`);
      if (low > high) fail(`narrow.${name}.high`, `must be ≥ low (${low})`);
      if (spec.type === 'int' && (!Number.isInteger(low) || !Number.isInteger(high))) fail(`narrow.${name}`, 'int bounds must be integers');
      params[name] = low === high ? { type: 'fixed', value: low } : { ...spec, low, high };
    }
  }
  for (const [name, vals] of Object.entries(ov.exclude ?? {})) {
    const spec = params[name];
    if (!spec) fail(`exclude.${name}`, `unknown parameter (known: ${Object.keys(params).join(', ')})`);
    else if (spec.type === 'categorical') {
      for (const v of vals) if (!spec.choices.includes(v)) fail(`exclude.${name}`, `${JSON.stringify(v)} is not one of ${JSON.stringify(spec.choices)}`);
      const rest = spec.choices.filter((c) => !vals.includes(c));
      if (rest.length === 0) fail(`exclude.${name}`, 'would exclude every choice');
      params[name] = { type: 'categorical', choices: rest };
    } else if (spec.type === 'int' && spec.high - spec.low < 256) {
      const rest: number[] = [];
      for (let v = spec.low; v <= spec.high; v++) if (!vals.includes(v)) rest.push(v);
      if (rest.length === 0) fail(`exclude.${name}`, 'would exclude every value');
      params[name] = { type: 'categorical', choices: rest };
    } else fail(`exclude.${name}`, `values can only be excluded from categorical or small int parameters (this one is ${spec.type})`);
  }
  for (const [name, v] of Object.entries(ov.fix ?? {})) {
    const spec = params[name];
    if (!spec) fail(`fix.${name}`, `unknown parameter (known: ${Object.keys(params).join(', ')})`);
    else {
      const ok =
        spec.type === 'fixed' ? spec.value === v
        : spec.type === 'categorical' ? spec.choices.includes(v)
        : typeof v === 'number' && v >= spec.low && v <= spec.high && (spec.type === 'float' || Number.isInteger(v));
      if (!ok) fail(`fix.${name}`, `${JSON.stringify(v)} is not in the parameter's current domain`);
      params[name] = { type: 'fixed', value: v };
    }
  }
  const constraints = [...structuredClone(space.constraints), ...((ov.constraints ?? []) as Constraint[])];
  return validate({ params, constraints }, source ? `${source}, after overrides` : 'after overrides');
}
