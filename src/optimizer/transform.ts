/**
 * Search space ↔ unit cube. Each non-fixed parameter is one dimension:
 *
 *   float        x = (v − lo)/(hi − lo), or (log v − log lo)/(log hi − log lo) when log-scale
 *   int          x = (v − (lo − ½))/(hi − lo + 1) (log: same on log(v), with lo − ½ and hi + ½),
 *                so each integer owns an equal-width cell, as in Optuna's search_space.py
 *   ordinal      numeric categorical (e.g. batch size 2, 4, 6, 8): x = (v − min)/(max − min); the
 *                kernel then sees 4 as closer to 2 than 8 is, which a Hamming distance cannot
 *   categorical  string (or mixed) choices: x = choice index, Hamming distance in the kernel
 *
 * decode() snaps every dimension to a valid value (clamp floats, round ints, nearest ordinal
 * choice, nearest categorical index), so a decoded config is always in the domain. fromUnit()
 * maps a uniform point u ∈ [0,1)^d to the cube so that every choice of a discrete dimension is
 * equally likely (used for Sobol and random sampling).
 */
import { Config } from '../domain';
import { ParamSpec, SearchSpace } from '../space';

export type DimKind = 'float' | 'int' | 'ordinal' | 'categorical';

export interface Dim {
  name: string;
  kind: DimKind;
  spec: ParamSpec;
  /** Discrete dimensions: the values, and their cube coordinates (sorted ascending for int/ordinal). */
  values?: (number | string)[];
  grid?: Float64Array;
}

export class SpaceTransform {
  readonly dims: Dim[];
  readonly d: number;
  readonly isCat: Uint8Array;
  readonly continuous: number[];
  readonly discrete: number[];
  private readonly fixed: [string, number | string][];

  constructor(readonly space: SearchSpace) {
    this.dims = [];
    this.fixed = [];
    for (const [name, spec] of Object.entries(space.params)) {
      if (spec.type === 'fixed') {
        this.fixed.push([name, spec.value]);
        continue;
      }
      if (spec.type === 'float') this.dims.push({ name, kind: 'float', spec });
      else if (spec.type === 'int') {
        const values: number[] = [];
        for (let v = spec.low; v <= spec.high; v++) values.push(v);
        const dim: Dim = { name, kind: 'int', spec, values };
        dim.grid = Float64Array.from(values, (v) => encodeNumeric(dim, v));
        this.dims.push(dim);
      } else if (spec.choices.every((c) => typeof c === 'number')) {
        const values = [...(spec.choices as number[])].sort((a, b) => a - b);
        const lo = values[0] as number;
        const hi = values[values.length - 1] as number;
        this.dims.push({ name, kind: 'ordinal', spec, values, grid: Float64Array.from(values, (v) => (hi > lo ? (v - lo) / (hi - lo) : 0.5)) });
      } else {
        this.dims.push({ name, kind: 'categorical', spec, values: [...spec.choices], grid: Float64Array.from(spec.choices, (_, i) => i) });
      }
    }
    this.d = this.dims.length;
    this.isCat = Uint8Array.from(this.dims, (dim) => (dim.kind === 'categorical' ? 1 : 0));
    this.continuous = [];
    this.discrete = [];
    this.dims.forEach((dim, i) => (dim.kind === 'float' ? this.continuous : this.discrete).push(i));
  }

  /** Cube coordinates of config, or null when a value cannot be placed (missing, non-numeric, unknown choice). */
  encode(config: Config): Float64Array | null {
    const x = new Float64Array(this.d);
    for (let i = 0; i < this.d; i++) {
      const dim = this.dims[i] as Dim;
      const v = config[dim.name];
      if (dim.kind === 'categorical' || dim.kind === 'ordinal') {
        const j = (dim.values as (number | string)[]).indexOf(v as number | string);
        if (j < 0) return null;
        x[i] = (dim.grid as Float64Array)[j] as number;
      } else {
        if (typeof v !== 'number' || !Number.isFinite(v)) return null;
        if ((dim.spec as { log?: boolean }).log && !(v > 0)) return null;
        x[i] = encodeNumeric(dim, v);
      }
    }
    return x;
  }

  /** A valid config from cube coordinates (fixed parameters included). */
  decode(x: Float64Array): Config {
    const c: Config = {};
    for (let i = 0; i < this.d; i++) {
      const dim = this.dims[i] as Dim;
      const xi = Number.isFinite(x[i]) ? (x[i] as number) : 0.5;
      if (dim.kind === 'float') {
        const s = dim.spec as { low: number; high: number; log?: boolean };
        const t = Math.min(Math.max(xi, 0), 1);
        const v = s.log ? Math.exp(Math.log(s.low) + t * (Math.log(s.high) - Math.log(s.low))) : s.low + t * (s.high - s.low);
        c[dim.name] = Math.min(Math.max(v, s.low), s.high);
      } else {
        c[dim.name] = (dim.values as (number | string)[])[nearestIndex(dim.grid as Float64Array, xi, dim.kind === 'categorical')] as number | string;
      }
    }
    for (const [name, v] of this.fixed) c[name] = v;
    return c;
  }

  /** Moves discrete coordinates onto their grid and clamps continuous ones to [0,1], in place. */
  snap(x: Float64Array): Float64Array {
    for (let i = 0; i < this.d; i++) {
      const dim = this.dims[i] as Dim;
      const xi = Number.isFinite(x[i]) ? (x[i] as number) : 0.5;
      if (dim.kind === 'float') x[i] = Math.min(Math.max(xi, 0), 1);
      else {
        const g = dim.grid as Float64Array;
        x[i] = g[nearestIndex(g, xi, dim.kind === 'categorical')] as number;
      }
    }
    return x;
  }

  /** Uniform u ∈ [0,1)^d → cube point with every discrete choice equally likely. */
  fromUnit(u: ArrayLike<number>): Float64Array {
    const x = new Float64Array(this.d);
    for (let i = 0; i < this.d; i++) {
      const dim = this.dims[i] as Dim;
      const ui = Math.min(Math.max(u[i] as number, 0), 1 - 1e-16);
      if (dim.kind === 'float') x[i] = ui;
      else {
        const g = dim.grid as Float64Array;
        x[i] = g[Math.min(g.length - 1, Math.floor(ui * g.length))] as number;
      }
    }
    return x;
  }
}

function encodeNumeric(dim: Dim, v: number): number {
  const s = dim.spec as { low: number; high: number; log?: boolean };
  let lo = s.low;
  let hi = s.high;
  if (dim.kind === 'int') {
    lo -= 0.5;
    hi += 0.5;
  }
  if (s.log) return (Math.log(v) - Math.log(lo)) / (Math.log(hi) - Math.log(lo));
  return (v - lo) / (hi - lo);
}

/** Index of the grid value nearest to x (grid ascending, or indices 0..k−1 for categoricals). */
function nearestIndex(grid: Float64Array, x: number, isIndex: boolean): number {
  const k = grid.length;
  if (isIndex) return Math.min(k - 1, Math.max(0, Math.round(x)));
  let lo = 0;
  let hi = k - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((grid[mid] as number) <= x) lo = mid;
    else hi = mid;
  }
  return Math.abs(x - (grid[lo] as number)) <= Math.abs(x - (grid[hi] as number)) ? lo : hi;
}
