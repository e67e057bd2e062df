/**
 * The search space as data: parameter specs and constraints, with a zod schema that validates
 * them and names the offending field.
 *
 * Notation: a space S = (P, C) has parameters P (name → spec) and constraints C. A config x is
 * valid when every parameter in P has a value in its domain, and feasible when it is valid and
 * every constraint in C holds.
 *
 *   product_range:  min ≤ Π_{p ∈ params} x_p ≤ max        (e.g. effective batch = batch × accum)
 *   ratio_range:    min ≤ x_num / x_den ≤ max              (e.g. lora_alpha / lora_r ∈ [2, 4])
 */
import { z } from 'zod';

export interface FloatParam {
  type: 'float';
  low: number;
  high: number;
  /** Search on a log scale (requires low > 0). */
  log?: boolean;
}
export interface IntParam {
  type: 'int';
  low: number;
  high: number;
  log?: boolean;
}
export interface CategoricalParam {
  type: 'categorical';
  choices: (number | string)[];
}
export interface FixedParam {
  type: 'fixed';
  value: number | string;
}
export type ParamSpec = FloatParam | IntParam | CategoricalParam | FixedParam;

export interface ProductRangeConstraint {
  type: 'product_range';
  params: string[];
  min?: number;
  max?: number;
}
export interface RatioRangeConstraint {
  type: 'ratio_range';
  numerator: string;
  denominator: string;
  min?: number;
  max?: number;
}
export type Constraint = ProductRangeConstraint | RatioRangeConstraint;

export interface SearchSpace {
  params: Record<string, ParamSpec>;
  constraints: Constraint[];
}

const finite = z.number().refine((v) => Number.isFinite(v), { message: 'must be a finite number' });

export const FloatParamSchema = z
  .strictObject({ type: z.literal('float'), low: finite, high: finite, log: z.boolean().optional() })
  .superRefine((p, ctx) => {
    if (!(p.low < p.high)) ctx.addIssue({ code: 'custom', path: ['high'], message: `must be > low (${p.low}); use type: fixed for a single value` });
    if (p.log && !(p.low > 0)) ctx.addIssue({ code: 'custom', path: ['low'], message: 'must be > 0 for a log-scale parameter' });
  });

export const IntParamSchema = z
  .strictObject({ type: z.literal('int'), low: z.number().int(), high: z.number().int(), log: z.boolean().optional() })
  .superRefine((p, ctx) => {
    if (!(p.low <= p.high)) ctx.addIssue({ code: 'custom', path: ['high'], message: `must be ≥ low (${p.low})` });
    if (p.log && !(p.low >= 1)) ctx.addIssue({ code: 'custom', path: ['low'], message: 'must be ≥ 1 for a log-scale parameter' });
  });

export const CategoricalParamSchema = z
  .strictObject({ type: z.literal('categorical'), choices: z.array(z.union([finite, z.string()])).min(1, 'needs at least one choice') })
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.choices.forEach((c, i) => {
      const key = `${typeof c}:${String(c)}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['choices', i], message: `duplicate choice ${JSON.stringify(c)}` });
      seen.add(key);
    });
  });

export const FixedParamSchema = z.strictObject({ type: z.literal('fixed'), value: z.union([finite, z.string()]) });

export const ParamSpecSchema = z.discriminatedUnion('type', [FloatParamSchema, IntParamSchema, CategoricalParamSchema, FixedParamSchema]);

const rangeRefine = (c: { min?: number; max?: number }, ctx: z.RefinementCtx) => {
  if (c.min === undefined && c.max === undefined) ctx.addIssue({ code: 'custom', path: ['min'], message: 'set min, max, or both' });
  if (c.min !== undefined && c.max !== undefined && c.min > c.max) ctx.addIssue({ code: 'custom', path: ['max'], message: `must be ≥ min (${c.min})` });
};

export const ProductRangeConstraintSchema = z
  .strictObject({ type: z.literal('product_range'), params: z.array(z.string().min(1)).min(1), min: finite.optional(), max: finite.optional() })
  .superRefine(rangeRefine);

export const RatioRangeConstraintSchema = z
  .strictObject({
    type: z.literal('ratio_range'),
    numerator: z.string().min(1),
    denominator: z.string().min(1),
    min: finite.optional(),
    max: finite.optional(),
  })
  .superRefine(rangeRefine);

export const ConstraintSchema = z.discriminatedUnion('type', [ProductRangeConstraintSchema, RatioRangeConstraintSchema]);

/** Numeric domain [lo, hi] of a parameter, or null when it can take string values. */
export function numericBounds(spec: ParamSpec): [number, number] | null {
  switch (spec.type) {
    case 'float':
    case 'int':
      return [spec.low, spec.high];
    case 'categorical':
      if (spec.choices.some((c) => typeof c !== 'number')) return null;
      return [Math.min(...(spec.choices as number[])), Math.max(...(spec.choices as number[]))];
    case 'fixed':
      return typeof spec.value === 'number' ? [spec.value, spec.value] : null;
  }
}

export const SearchSpaceSchema = z
  .strictObject({
    params: z.record(z.string().min(1), ParamSpecSchema).refine((p) => Object.keys(p).length > 0, { message: 'needs at least one parameter' }),
    constraints: z.array(ConstraintSchema).default([]),
  })
  .superRefine((s, ctx) => {
    const checkRef = (name: string, path: (string | number)[], positive: boolean) => {
      const spec = s.params[name];
      if (!spec) {
        ctx.addIssue({ code: 'custom', path, message: `unknown parameter "${name}" (known: ${Object.keys(s.params).join(', ')})` });
        return;
      }
      const b = numericBounds(spec);
      if (!b) ctx.addIssue({ code: 'custom', path, message: `parameter "${name}" must be numeric to appear in a constraint` });
      else if (positive && !(b[0] > 0)) ctx.addIssue({ code: 'custom', path, message: `parameter "${name}" must be > 0 everywhere to be a denominator` });
    };
    s.constraints.forEach((c, i) => {
      if (c.type === 'product_range') c.params.forEach((p, j) => checkRef(p, ['constraints', i, 'params', j], false));
      else {
        checkRef(c.numerator, ['constraints', i, 'numerator'], false);
        checkRef(c.denominator, ['constraints', i, 'denominator'], true);
      }
    });
  });

/** Formats a zod error as "path: message; path: message". */
export function formatZodError(err: z.ZodError): string {
  return err.issues
    .map((iss) => {
      const path = iss.path.map(String).join('.');
      return path ? `${path}: ${iss.message}` : iss.message;
    })
    .join('; ');
}
