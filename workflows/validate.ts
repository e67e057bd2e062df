/**
 * Validation of signal and update payloads, synchronous (update validators are not awaited) and
 * throwing ApplicationFailure (a plain Error would fail the workflow task instead of the update).
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { z } from 'zod';
import type { SearchSpace } from '../src/space';
import type { StageBudget, StopMode } from './types';

function invalid(what: string, error: z.ZodError): never {
  const problems = error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(payload)'}: ${i.message}`).join('; ');
  throw ApplicationFailure.create({ type: 'InvalidUpdate', message: `${what}: ${problems}`, nonRetryable: true });
}

const BudgetPatch = z
  .object({
    maxTrials: z.number().int().min(1).max(10_000).optional(),
    maxGpuHours: z.number().positive().finite().optional(),
    targetLoss: z.number().finite().optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'give at least one of maxTrials, maxGpuHours, targetLoss' });

export function validateBudgetPatch(patch: unknown): Partial<StageBudget> {
  const r = BudgetPatch.safeParse(patch);
  if (!r.success) invalid('setBudget', r.error);
  return r.data;
}

const Parallelism = z.object({ parallelism: z.number().int().min(1).max(1024) }).strict();

export function validateParallelism(payload: unknown): number {
  const r = Parallelism.safeParse(payload);
  if (!r.success) invalid('setParallelism', r.error);
  return r.data.parallelism;
}

const StopPayload = z.object({ mode: z.enum(['graceful', 'now']).optional() }).strict().optional();

/** Signals cannot be rejected; a malformed stop is read as the safe choice, a graceful stop. */
export function validateStopPayload(payload: unknown): StopMode {
  const r = StopPayload.safeParse(payload ?? undefined);
  return r.success ? (r.data?.mode ?? 'graceful') : 'graceful';
}

const Exclusion = z.object({ param: z.string().min(1), value: z.union([z.number().finite(), z.string()]) }).strict();

/** An exclusion must name a categorical or integer parameter, one of its values, and leave one. */
export function validateExclusion(
  space: SearchSpace,
  excluded: Array<{ param: string; value: number | string }>,
  payload: unknown,
): { param: string; value: number | string } {
  const r = Exclusion.safeParse(payload);
  if (!r.success) invalid('excludeValue', r.error);
  const { param, value } = r.data;
  const fail = (message: string): never => {
    throw ApplicationFailure.create({ type: 'InvalidUpdate', message: `excludeValue: ${message}`, nonRetryable: true });
  };
  const spec = space.params[param];
  if (!spec) return fail(`param: unknown parameter ${param} (known: ${Object.keys(space.params).join(', ')})`);
  let domain: Array<number | string>;
  if (spec.type === 'categorical') domain = spec.choices;
  else if (spec.type === 'int') domain = Array.from({ length: spec.high - spec.low + 1 }, (_, i) => spec.low + i);
  else return fail(`param: ${param} is a ${spec.type} parameter; only categorical and integer values can be excluded (narrow its range in the config instead)`);
  if (!domain.includes(value)) return fail(`value: ${JSON.stringify(value)} is not a value of ${param} (values: ${domain.join(', ')})`);
  const gone = new Set(excluded.filter((e) => e.param === param).map((e) => e.value));
  if (gone.has(value)) return fail(`value: ${JSON.stringify(value)} is already excluded`);
  if (domain.filter((v) => !gone.has(v) && v !== value).length === 0) return fail(`value: excluding ${JSON.stringify(value)} would leave ${param} with no value`);
  return { param, value };
}
