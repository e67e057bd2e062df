/**
 * Maps configs into the unit cube [0, 1]^d, one coordinate per tuned parameter, and samples the
 * cube the way the search space samples configs (for the Monte-Carlo estimates in importance.ts).
 *
 *   float/int:          u = (t(x) − t(low)) / (t(high) − t(low)),  t = log if the spec says log, else identity
 *   categorical (k>1):  numeric choices: u = (x − min) / (max − min); string choices: u = index / (k − 1)
 *   fixed, or k = 1:    not a coordinate (carries no information)
 */
import type { Config } from '../domain';
import type { ParamSpec, SearchSpace } from '../space';
import type { Rng } from '../space';

export interface Coordinate {
  param: string;
  spec: ParamSpec;
  /** Value → [0, 1], or null when the value is missing or outside the domain's type. */
  encode(v: number | string | undefined): number | null;
  /** A uniform draw over the parameter's domain, already encoded. */
  sample(rng: Rng): number;
}

function coordinate(param: string, spec: ParamSpec): Coordinate | null {
  switch (spec.type) {
    case 'fixed':
      return null;
    case 'categorical': {
      const k = spec.choices.length;
      if (k < 2) return null;
      const nums = spec.choices.every((c) => typeof c === 'number') ? (spec.choices as number[]) : null;
      if (nums) {
        // Numeric choices: by value, so a value off the list (batch 1 after the OOM ladder) still encodes.
        const lo = Math.min(...nums);
        const hi = Math.max(...nums);
        const enc = (x: number) => Math.min(1, Math.max(0, (x - lo) / (hi - lo)));
        return {
          param,
          spec,
          encode: (v) => {
            const x = typeof v === 'string' ? Number(v) : v;
            return typeof x === 'number' && Number.isFinite(x) ? enc(x) : null;
          },
          sample: (rng) => enc(nums[rng.int(k)] as number),
        };
      }
      return {
        param,
        spec,
        encode: (v) => {
          const i = spec.choices.indexOf(v as string);
          return i < 0 ? null : i / (k - 1);
        },
        sample: (rng) => rng.int(k) / (k - 1),
      };
    }
    case 'float':
    case 'int': {
      const t = spec.log ? Math.log : (x: number) => x;
      const lo = t(spec.low);
      const hi = t(spec.high);
      if (!(hi > lo)) return null;
      const enc = (x: number) => Math.min(1, Math.max(0, (t(x) - lo) / (hi - lo)));
      return {
        param,
        spec,
        encode: (v) => {
          const x = typeof v === 'string' ? Number(v) : v;
          if (typeof x !== 'number' || !Number.isFinite(x) || (spec.log && x <= 0)) return null;
          return enc(x);
        },
        sample: (rng) => {
          if (spec.type === 'float') return rng.random();
          // Integers: uniform over the integers (log-uniform when log), then encoded.
          const u = rng.random();
          const x = spec.log ? Math.exp(lo + u * (hi - lo)) : spec.low + u * (spec.high - spec.low + 1) - 0.5;
          return enc(Math.min(spec.high, Math.max(spec.low, Math.round(x))));
        },
      };
    }
  }
}

/** The coordinates of a space, in its parameter order. */
export function coordinates(space: SearchSpace): Coordinate[] {
  return Object.entries(space.params)
    .map(([p, s]) => coordinate(p, s))
    .filter((c): c is Coordinate => c !== null);
}

/** A config as a point of the cube, or null if any coordinate's value is missing or invalid. */
export function encodeConfig(coords: readonly Coordinate[], config: Config): number[] | null {
  const x: number[] = [];
  for (const c of coords) {
    const u = c.encode(config[c.param]);
    if (u === null) return null;
    x.push(u);
  }
  return x;
}
