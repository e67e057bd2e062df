/**
 * Maximizes the acquisition over the mixed, constrained space, following Optuna's
 * optuna/_gp/optim_mixed.py:
 *
 * 1. Evaluate α at n_preliminary = 2048 feasible quasi-random points (scrambled Sobol mapped
 *    through SpaceTransform.fromUnit; infeasible points are skipped).
 * 2. Start local searches from the best point, from the given warm starts (e.g. the best
 *    observed configs), and from points drawn by roulette with probability ∝ e^{α − max α}:
 *    n_local_search = 10 in all.
 * 3. Local search alternates (a) L-BFGS over the continuous dimensions in preconditioned
 *    coordinates z = x/ℓ (ℓ = the GP's lengthscales, which equalizes curvature of the
 *    Matérn kernel's input x/ℓ) with the discrete dimensions fixed, and (b) for each discrete
 *    dimension, the best feasible value (all values when there are ≤ 16 or it is categorical;
 *    otherwise the ±4 neighbours plus 16 evenly spaced values), until nothing changes.
 * Every point the search accepts is feasible: a move that breaks a constraint scores −∞.
 */
import { AcquisitionFunction } from './acqf';
import { SpaceTransform } from './transform';
import { ScrambledSobol } from './sobol';
import { minimizeBox } from './lbfgs';
import { Rng } from '../space';

export interface OptimizeOptions {
  nPreliminary?: number;
  nLocalSearch?: number;
  /** Lengthscales ℓ_k (cube units) for preconditioning, one per dimension. */
  lengthscales: Float64Array;
  warmStarts?: Float64Array[];
  /** True when x (already snapped) satisfies the space's constraints. */
  feasible: (x: Float64Array) => boolean;
  /** Whether any constraint involves a continuous dimension (then gradient steps are checked). */
  constraintsOnContinuous: boolean;
  tol?: number;
}

export function optimizeAcqf(acq: AcquisitionFunction, tf: SpaceTransform, rng: Rng, opts: OptimizeOptions): { x: Float64Array; value: number } | null {
  const nPre = opts.nPreliminary ?? 2048;
  const nLocal = opts.nLocalSearch ?? 10;
  const sobol = new ScrambledSobol(tf.d, rng.nextU32());
  const cands: Float64Array[] = [];
  const vals: number[] = [];
  for (let i = 0; i < nPre * 8 && cands.length < nPre; i++) {
    const x = tf.fromUnit(sobol.point(i));
    if (!opts.feasible(x)) continue;
    cands.push(x);
    vals.push(acq.value(x));
  }
  if (cands.length === 0) return null;
  let maxI = 0;
  for (let i = 1; i < vals.length; i++) if ((vals[i] as number) > (vals[maxI] as number)) maxI = i;
  const fmax = vals[maxI] as number;
  const starts: Float64Array[] = [cands[maxI] as Float64Array];
  for (const w of opts.warmStarts ?? []) if (opts.feasible(w) && starts.length < nLocal) starts.push(Float64Array.from(w));
  // Roulette without replacement among the remaining candidates.
  if (Number.isFinite(fmax)) {
    const weights = vals.map((v, i) => (i === maxI || !Number.isFinite(v) ? 0 : Math.exp(v - fmax)));
    let total = weights.reduce((a, b) => a + b, 0);
    while (starts.length < nLocal && total > 0) {
      let r = rng.random() * total;
      let pick = -1;
      for (let i = 0; i < weights.length; i++) {
        const w = weights[i] as number;
        if (w <= 0) continue;
        r -= w;
        pick = i;
        if (r <= 0) break;
      }
      if (pick < 0) break;
      starts.push(cands[pick] as Float64Array);
      total -= weights[pick] as number;
      weights[pick] = 0;
    }
  }
  let best = { x: cands[maxI] as Float64Array, value: fmax };
  for (const s of starts) {
    const r = localSearchMixed(acq, tf, s, opts);
    if (r.value > best.value || !Number.isFinite(best.value)) best = r;
  }
  return best;
}

export function localSearchMixed(acq: AcquisitionFunction, tf: SpaceTransform, x0: Float64Array, opts: OptimizeOptions): { x: Float64Array; value: number } {
  let x: Float64Array = Float64Array.from(x0);
  let fx = acq.value(x);
  const tol = opts.tol ?? 1e-4;
  const CONT = -1;
  let last: number | null = null;
  for (let iter = 0; iter < 100; iter++) {
    if (last === CONT) break;
    if (tf.continuous.length > 0) {
      const r = gradientAscent(acq, tf, x, fx, opts, tol);
      if (r.value > fx) {
        x = r.x;
        fx = r.value;
        last = CONT;
      }
    }
    let stop = false;
    for (const i of tf.discrete) {
      if (last === i) {
        stop = true;
        break;
      }
      const r = discreteSearch(acq, tf, x, fx, i, opts);
      if (r.value > fx) {
        x = r.x;
        fx = r.value;
        last = i;
      }
    }
    if (stop || last === null) break;
  }
  return { x, value: fx };
}

function gradientAscent(acq: AcquisitionFunction, tf: SpaceTransform, x0: Float64Array, f0: number, opts: OptimizeOptions, tol: number): { x: Float64Array; value: number } {
  const idx = tf.continuous;
  const ls = Float64Array.from(idx, (k) => Math.min(Math.max(opts.lengthscales[k] as number, 1e-3), 1e3));
  const x = Float64Array.from(x0);
  const lower = new Float64Array(idx.length);
  const upper = Float64Array.from(ls, (l) => 1 / l);
  const z0 = Float64Array.from(idx, (k, j) => (x0[k] as number) / (ls[j] as number));
  const neg = (z: Float64Array) => {
    for (let j = 0; j < idx.length; j++) x[idx[j] as number] = Math.min(Math.max((z[j] as number) * (ls[j] as number), 0), 1);
    if (opts.constraintsOnContinuous && !opts.feasible(x)) return { value: Infinity, grad: new Float64Array(idx.length) };
    const r = acq.valueWithGrad(x, idx);
    if (!Number.isFinite(r.value)) return { value: Infinity, grad: new Float64Array(idx.length) };
    return { value: -r.value, grad: Float64Array.from(idx, (k, j) => -(r.grad[k] as number) * (ls[j] as number)) };
  };
  const r = minimizeBox(neg, z0, lower, upper, { maxIter: 200, pgtol: Math.sqrt(tol), ftol: 1e-12 });
  const out = Float64Array.from(x0);
  for (let j = 0; j < idx.length; j++) out[idx[j] as number] = Math.min(Math.max((r.x[j] as number) * (ls[j] as number), 0), 1);
  if (opts.constraintsOnContinuous && !opts.feasible(out)) return { x: x0, value: f0 };
  const v = -r.value;
  return v > f0 && Number.isFinite(v) ? { x: out, value: v } : { x: x0, value: f0 };
}

function discreteSearch(acq: AcquisitionFunction, tf: SpaceTransform, x0: Float64Array, f0: number, i: number, opts: OptimizeOptions): { x: Float64Array; value: number } {
  const dim = tf.dims[i];
  const grid = dim?.grid as Float64Array;
  const k = grid.length;
  let cur = 0;
  let bestD = Infinity;
  for (let j = 0; j < k; j++) {
    const dd = Math.abs((grid[j] as number) - (x0[i] as number));
    if (dd < bestD) {
      bestD = dd;
      cur = j;
    }
  }
  let tries: number[];
  if (k <= 16 || dim?.kind === 'categorical') tries = Array.from({ length: k }, (_, j) => j);
  else {
    const set = new Set<number>();
    for (let o = -4; o <= 4; o++) if (cur + o >= 0 && cur + o < k) set.add(cur + o);
    for (let j = 0; j < 16; j++) set.add(Math.round((j * (k - 1)) / 15));
    tries = [...set];
  }
  let best = { x: x0, value: f0 };
  const x = Float64Array.from(x0);
  for (const j of tries) {
    if (j === cur) continue;
    x[i] = grid[j] as number;
    if (!opts.feasible(x)) continue;
    const v = acq.value(x);
    if (v > best.value) best = { x: Float64Array.from(x), value: v };
  }
  return best;
}
