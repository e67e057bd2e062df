/**
 * Box-constrained L-BFGS (projected two-loop recursion + backtracking Armijo line search along
 * the projected path). Small and dependency-free; used for GP hyperparameters and for the
 * continuous part of the acquisition search.
 *
 * Nocedal & Wright, "Numerical Optimization" (2nd ed.), Alg. 7.4 (two-loop recursion); the
 * projection is the simple "projected L-BFGS" variant (Kelley 1999, §5.5), not full L-BFGS-B:
 * components at an active bound whose gradient pushes outward are frozen for the step.
 */

export interface Objective {
  (x: Float64Array): { value: number; grad: Float64Array };
}

export interface LbfgsOptions {
  maxIter?: number;
  memory?: number;
  /** Stop when the projected gradient's ∞-norm is below this. */
  pgtol?: number;
  /** Stop when the relative decrease of f in one step is below this. */
  ftol?: number;
}

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  iterations: number;
}

export function minimizeBox(f: Objective, x0: Float64Array, lower: Float64Array, upper: Float64Array, opts: LbfgsOptions = {}): LbfgsResult {
  const d = x0.length;
  const maxIter = opts.maxIter ?? 200;
  const m = opts.memory ?? 10;
  const pgtol = opts.pgtol ?? 1e-5;
  const ftol = opts.ftol ?? 1e-10;
  const clip = (v: number, i: number) => Math.min(Math.max(v, lower[i] as number), upper[i] as number);

  let x = Float64Array.from(x0, (v, i) => clip(v, i));
  let { value: fx, grad: g } = f(x);
  if (!Number.isFinite(fx)) return { x, value: fx, iterations: 0 };
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  let it = 0;
  for (; it < maxIter; it++) {
    // Projected gradient and the set of frozen (active, outward-pushing) components.
    const free = new Uint8Array(d);
    let pgInf = 0;
    for (let i = 0; i < d; i++) {
      const gi = g[i] as number;
      const atLow = (x[i] as number) <= (lower[i] as number) && gi > 0;
      const atHigh = (x[i] as number) >= (upper[i] as number) && gi < 0;
      free[i] = atLow || atHigh ? 0 : 1;
      if (free[i]) pgInf = Math.max(pgInf, Math.abs(gi));
    }
    if (pgInf < pgtol) break;

    // Two-loop recursion on the free components: dir = -H g.
    const q = Float64Array.from(g, (v, i) => (free[i] ? v : 0));
    const alphas = new Array<number>(S.length);
    for (let k = S.length - 1; k >= 0; k--) {
      const a = (rho[k] as number) * dot(S[k] as Float64Array, q);
      alphas[k] = a;
      axpy(-a, Y[k] as Float64Array, q);
    }
    if (S.length > 0) {
      const sk = S[S.length - 1] as Float64Array;
      const yk = Y[Y.length - 1] as Float64Array;
      const gamma = dot(sk, yk) / dot(yk, yk);
      for (let i = 0; i < d; i++) q[i] = (q[i] as number) * gamma;
    } else {
      // First step: scale so the initial step has unit ∞-norm at most.
      const s = Math.min(1, 1 / pgInf);
      for (let i = 0; i < d; i++) q[i] = (q[i] as number) * s;
    }
    for (let k = 0; k < S.length; k++) {
      const b = (rho[k] as number) * dot(Y[k] as Float64Array, q);
      axpy((alphas[k] as number) - b, S[k] as Float64Array, q);
    }
    const dir = Float64Array.from(q, (v, i) => (free[i] ? -v : 0));
    if (!(dot(dir, g) < 0)) {
      // Not a descent direction: reset memory, take the scaled steepest-descent step.
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      const s = Math.min(1, 1 / pgInf);
      for (let i = 0; i < d; i++) dir[i] = free[i] ? -(g[i] as number) * s : 0;
    }

    // Backtracking Armijo search along the projected path.
    let t = 1;
    let accepted = false;
    let xn = x;
    let fn = fx;
    let gn = g;
    for (let ls = 0; ls < 30; ls++) {
      xn = Float64Array.from(x, (v, i) => clip(v + t * (dir[i] as number), i));
      const r = f(xn);
      fn = r.value;
      gn = r.grad;
      let decrease = 0;
      for (let i = 0; i < d; i++) decrease += (g[i] as number) * ((xn[i] as number) - (x[i] as number));
      if (Number.isFinite(fn) && fn <= fx + 1e-4 * decrease && gn.every(Number.isFinite)) {
        accepted = true;
        break;
      }
      t *= 0.5;
    }
    if (!accepted) break;
    const s = Float64Array.from(xn, (v, i) => v - (x[i] as number));
    const y = Float64Array.from(gn, (v, i) => v - (g[i] as number));
    const sy = dot(s, y);
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
      if (S.length > m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
    }
    const rel = (fx - fn) / Math.max(1, Math.abs(fx), Math.abs(fn));
    x = xn;
    fx = fn;
    g = gn;
    if (rel < ftol) {
      it++;
      break;
    }
  }
  return { x, value: fx, iterations: it };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i] = (y[i] as number) + a * (x[i] as number);
}
