/**
 * Validity and feasibility of configs, and a check that a space has at least one feasible point.
 *
 * A config is valid when each parameter's value lies in its domain (float: finite, low ≤ v ≤ high;
 * int: integer in [low, high]; categorical: one of the choices; fixed: the value) and no unknown
 * key is present. It is feasible when it is valid and every constraint holds (with a relative
 * tolerance of 1e-9, so that 64 = 2 × 32 is not lost to rounding).
 */
import { Config } from '../domain';
import { Rng } from './rng';
import { Constraint, ParamSpec, SearchSpace } from './schema';

const REL_TOL = 1e-9;

function le(a: number, b: number): boolean {
  return a <= b + REL_TOL * Math.max(1, Math.abs(a), Math.abs(b));
}

/** Problems with a single value for a parameter; empty when it is in the domain. */
export function validateValue(name: string, spec: ParamSpec, v: unknown): string[] {
  if (v === undefined) return [`${name}: missing`];
  switch (spec.type) {
    case 'float':
      if (typeof v !== 'number' || !Number.isFinite(v)) return [`${name}: must be a finite number, got ${JSON.stringify(v)}`];
      if (v < spec.low || v > spec.high) return [`${name}: ${v} is outside [${spec.low}, ${spec.high}]`];
      return [];
    case 'int':
      if (typeof v !== 'number' || !Number.isInteger(v)) return [`${name}: must be an integer, got ${JSON.stringify(v)}`];
      if (v < spec.low || v > spec.high) return [`${name}: ${v} is outside [${spec.low}, ${spec.high}]`];
      return [];
    case 'categorical':
      if (!spec.choices.some((c) => c === v)) return [`${name}: ${JSON.stringify(v)} is not one of ${JSON.stringify(spec.choices)}`];
      return [];
    case 'fixed':
      if (v !== spec.value) return [`${name}: must be ${JSON.stringify(spec.value)} (fixed), got ${JSON.stringify(v)}`];
      return [];
  }
}

/** Describes how constraint c is violated by config, or null when it holds. */
export function constraintViolation(c: Constraint, config: Config): string | null {
  const num = (p: string): number | null => {
    const v = config[p];
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  };
  let value: number;
  let label: string;
  if (c.type === 'product_range') {
    let prod = 1;
    for (const p of c.params) {
      const v = num(p);
      if (v === null) return `product_range(${c.params.join(' × ')}): ${p} is not a number`;
      prod *= v;
    }
    value = prod;
    label = c.params.join(' × ');
  } else {
    const a = num(c.numerator);
    const b = num(c.denominator);
    if (a === null || b === null || b === 0) return `ratio_range(${c.numerator} / ${c.denominator}): not a finite ratio`;
    value = a / b;
    label = `${c.numerator} / ${c.denominator}`;
  }
  if (c.min !== undefined && !le(c.min, value)) return `${label} = ${value} is below ${c.min}`;
  if (c.max !== undefined && !le(value, c.max)) return `${label} = ${value} is above ${c.max}`;
  return null;
}

/** All problems with config in space; empty when it is valid and feasible. */
export function validateConfig(space: SearchSpace, config: Config): string[] {
  const problems: string[] = [];
  if (config === null || typeof config !== 'object') return ['config: must be an object'];
  for (const [name, spec] of Object.entries(space.params)) problems.push(...validateValue(name, spec, config[name]));
  for (const key of Object.keys(config)) if (!(key in space.params)) problems.push(`${key}: unknown parameter`);
  if (problems.length > 0) return problems;
  for (const c of space.constraints) {
    const v = constraintViolation(c, config);
    if (v) problems.push(`constraint ${v}`);
  }
  return problems;
}

export function isFeasible(space: SearchSpace, config: Config): boolean {
  return validateConfig(space, config).length === 0;
}

/** True when all constraints hold (values assumed valid). Cheaper than validateConfig. */
export function satisfiesConstraints(space: SearchSpace, config: Config): boolean {
  for (const c of space.constraints) if (constraintViolation(c, config) !== null) return false;
  return true;
}

/** A canonical string for a config, so configs can be compared by value (floats to 12 digits). */
export function configKey(space: SearchSpace, config: Config): string {
  const names = Object.keys(space.params).sort();
  return names
    .map((n) => {
      const v = config[n];
      if (typeof v === 'number') return `${n}=${Number.isInteger(v) ? v : Number(v.toPrecision(12))}`;
      return `${n}=${JSON.stringify(v)}`;
    })
    .join('|');
}

/** Candidate values of one parameter for the feasibility search: all of a small discrete domain, a grid otherwise. */
function gridValues(spec: ParamSpec): (number | string)[] {
  switch (spec.type) {
    case 'fixed':
      return [spec.value];
    case 'categorical':
      return spec.choices;
    case 'int': {
      const n = spec.high - spec.low + 1;
      if (n <= 257) return Array.from({ length: n }, (_, i) => spec.low + i);
      return Array.from({ length: 129 }, (_, i) => Math.round(spec.low + ((spec.high - spec.low) * i) / 128));
    }
    case 'float': {
      const out: number[] = [];
      for (let i = 0; i <= 64; i++) {
        const t = i / 64;
        out.push(spec.log ? Math.exp(Math.log(spec.low) + t * (Math.log(spec.high) - Math.log(spec.low))) : spec.low + t * (spec.high - spec.low));
      }
      return out;
    }
  }
}

function constraintParams(c: Constraint): string[] {
  return c.type === 'product_range' ? c.params : [c.numerator, c.denominator];
}

/**
 * Groups constrained parameters into connected components (two parameters are connected when a
 * constraint mentions both), so feasibility can be searched per component.
 */
export function constraintComponents(space: SearchSpace): { params: string[]; constraints: Constraint[] }[] {
  const parent = new Map<string, string>();
  const find = (a: string): string => {
    let r = a;
    while (parent.get(r) !== r) r = parent.get(r) as string;
    parent.set(a, r);
    return r;
  };
  for (const c of space.constraints) for (const p of constraintParams(c)) if (!parent.has(p)) parent.set(p, p);
  for (const c of space.constraints) {
    const ps = constraintParams(c);
    for (let i = 1; i < ps.length; i++) parent.set(find(ps[i] as string), find(ps[0] as string));
  }
  const groups = new Map<string, { params: string[]; constraints: Constraint[] }>();
  for (const p of parent.keys()) {
    const r = find(p);
    if (!groups.has(r)) groups.set(r, { params: [], constraints: [] });
    groups.get(r)?.params.push(p);
  }
  for (const c of space.constraints) groups.get(find(constraintParams(c)[0] as string))?.constraints.push(c);
  return [...groups.values()];
}

/**
 * Finds one feasible config or returns null. Each constraint component is searched exhaustively
 * on a grid when that grid has ≤ 200 000 points, then by 20 000 seeded random draws. This can
 * miss feasible regions thinner than the grid for float parameters; such spaces are rejected
 * with a message that says so.
 */
export function findFeasiblePoint(space: SearchSpace): Config | null {
  const config: Config = {};
  for (const [name, spec] of Object.entries(space.params)) config[name] = (gridValues(spec)[0] as number | string);
  const rng = new Rng(12345);
  for (const comp of constraintComponents(space)) {
    const grids = comp.params.map((p) => gridValues(space.params[p] as ParamSpec));
    const size = grids.reduce((a, g) => a * g.length, 1);
    const ok = (): boolean => comp.constraints.every((c) => constraintViolation(c, config) === null);
    let found = false;
    if (size <= 200_000) {
      const idx = new Array<number>(grids.length).fill(0);
      for (let k = 0; k < size && !found; k++) {
        let r = k;
        for (let i = 0; i < grids.length; i++) {
          const g = grids[i] as (number | string)[];
          idx[i] = r % g.length;
          r = Math.floor(r / g.length);
          config[comp.params[i] as string] = g[idx[i] as number] as number | string;
        }
        found = ok();
      }
    }
    for (let k = 0; k < 20_000 && !found; k++) {
      comp.params.forEach((p) => {
        const spec = space.params[p] as ParamSpec;
        config[p] = sampleValue(spec, rng);
      });
      found = ok();
    }
    if (!found) return null;
  }
  return config;
}

/** One value drawn uniformly from a parameter's domain (log-uniform when log is set). */
export function sampleValue(spec: ParamSpec, rng: Rng): number | string {
  switch (spec.type) {
    case 'fixed':
      return spec.value;
    case 'categorical':
      return spec.choices[rng.int(spec.choices.length)] as number | string;
    case 'float': {
      if (spec.log) return clamp(Math.exp(Math.log(spec.low) + rng.random() * (Math.log(spec.high) - Math.log(spec.low))), spec.low, spec.high);
      return clamp(spec.low + rng.random() * (spec.high - spec.low), spec.low, spec.high);
    }
    case 'int': {
      if (spec.log) {
        const lo = Math.log(spec.low - 0.5);
        const hi = Math.log(spec.high + 0.5);
        return clamp(Math.round(Math.exp(lo + rng.random() * (hi - lo))), spec.low, spec.high);
      }
      return spec.low + rng.int(spec.high - spec.low + 1);
    }
  }
}

export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
