/**
 * Gaussian-process regression with a Matérn-5/2 ARD kernel, standardized outputs and
 * hyperparameters fitted by maximizing the log marginal likelihood plus log prior (MAP).
 *
 * Notation (Rasmussen & Williams 2006, ch. 2 and 5):
 *   X ∈ R^{n×d} inputs (unit cube), y ∈ R^n standardized targets (mean 0, std 1),
 *   K = k(X, X) + σ_n² I = L Lᵀ,   α = K⁻¹ y.
 *   Posterior at x:  μ(x) = k_xᵀ α,   σ²(x) = s − k_xᵀ K⁻¹ k_x = s − ‖L⁻¹ k_x‖²   (latent f, no noise)
 *   log p(y | θ) = −½ yᵀα − Σ_i log L_ii − (n/2) log 2π                          (eq. 2.30)
 *   ∂ log p / ∂θ_j = ½ tr((ααᵀ − K⁻¹) ∂K/∂θ_j)                                   (eq. 5.9)
 *   with θ = [log ρ_1..ρ_d, log s, θ_n], σ_n² = σ_min² + e^{θ_n}:
 *     ∂K_ij/∂log ρ_k = s m'(r²_ij) ρ_k Δ²_ijk,   ∂K_ij/∂log s = s m(r²_ij),   ∂K/∂θ_n = e^{θ_n} I.
 * Gradients of the posterior w.r.t. a continuous input x_k (used by the acquisition search):
 *   ∂k_i/∂x_k = s m'(r²_i) · 2ρ_k (x_k − X_ik)
 *   ∂μ/∂x_k = Σ_i α_i ∂k_i/∂x_k,   ∂σ²/∂x_k = −2 (K⁻¹k_x)ᵀ ∂k_x/∂x_k.
 * The priors follow Optuna (optuna/_gp/gp.py, prior.py). The noise floor σ_min² is 1e-8, not
 * Optuna's 1e-6: in standardized units a floor of 1e-6 (σ_n = 1e-3 · std y) keeps the GP from
 * telling apart losses closer than ~1e-3 of their spread, so refinement near an optimum stalls
 * there (Branin at 100 evaluations: median regret 2.0e-5 with 1e-6, 5.5e-7 with 1e-8; see
 * docs/OPTIMIZER.md). Noisy losses are unaffected: their fitted noise lies far above either floor.
 */
import { choleskyWithJitter, cholInverse, solveLowerInPlace, solveUpperTInPlace } from './linalg';
import { matern52, matern52Grad, sqDist } from './kernel';
import { PriorKind, addLogPriorGrad, logPrior } from './prior';
import { minimizeBox } from './lbfgs';

export const MIN_NOISE_VAR = 1e-8;

/**
 * The GP's constant prior mean, i.e. what it predicts far from the data: 'mean' = the arithmetic
 * mean of the observed values (the usual choice, and Optuna's); 'worst' = the worst (largest)
 * observed value (De Ath, Fieldsend & Everson 2020, "What do you mean? The role of the mean
 * function in Bayesian optimisation", GECCO companion, arXiv:2004.08349: best for dimension ≥ 5
 * on their synthetic problems). With 'worst', unexplored regions look like the worst trial, not
 * like an average one, so EI stops spending evaluations on corners and faces of the box.
 */
export type PriorMean = 'mean' | 'worst';

export interface FitOptions {
  warmStart?: KernelParams;
  maxIter?: number;
  fixedNoise?: number;
  prior?: PriorKind;
  priorMean?: PriorMean;
}

export interface KernelParams {
  invSqLengthscales: Float64Array;
  scale: number;
  noiseVar: number;
}

export interface Prediction {
  mean: number;
  variance: number;
}

export interface PredictionWithGrad extends Prediction {
  dMean: Float64Array;
  dVariance: Float64Array;
}

/** A fitted GP: training data, hyperparameters, Cholesky factor and α. Immutable. */
export class GP {
  private constructor(
    readonly X: Float64Array,
    readonly n: number,
    readonly d: number,
    readonly isCat: Uint8Array,
    /** Standardized targets. */
    readonly y: Float64Array,
    readonly params: KernelParams,
    private readonly L: Float64Array,
    readonly alpha: Float64Array,
    /** y_raw = yMean + yStd · y. */
    readonly yMean: number,
    readonly yStd: number,
  ) {}

  /**
   * Builds the posterior for fixed hyperparameters. yStd/yMean are the standardization already
   * applied to y. Never throws: if K cannot be factored even with jitter, the noise is raised.
   */
  static withParams(X: Float64Array, n: number, d: number, isCat: Uint8Array, y: Float64Array, params: KernelParams, yMean = 0, yStd = 1): GP {
    let p = params;
    for (let attempt = 0; attempt < 6; attempt++) {
      const K = kernelMatrix(X, n, d, isCat, p);
      const chol = choleskyWithJitter(K, n);
      if (chol) {
        const alpha = solveUpperTInPlace(chol.L, n, solveLowerInPlace(chol.L, n, Float64Array.from(y)));
        if (alpha.every(Number.isFinite)) return new GP(X, n, d, isCat, y, p, chol.L, alpha, yMean, yStd);
      }
      p = { ...p, noiseVar: Math.max(p.noiseVar * 100, 1e-4) };
    }
    // Unreachable for finite inputs; fall back to a prior-only GP rather than emit NaN.
    return new GP(new Float64Array(0), 0, d, isCat, new Float64Array(0), p, new Float64Array(0), new Float64Array(0), yMean, yStd);
  }

  /**
   * Standardizes yRaw and fits hyperparameters by MAP (log marginal likelihood + log prior) with
   * box-constrained L-BFGS from the default start (ρ = 1, s = 1, σ_n² = 1, as Optuna) and, if given,
   * from a warm start; keeps the best.
   */
  static fit(X: Float64Array, n: number, d: number, isCat: Uint8Array, yRaw: Float64Array, opts: FitOptions = {}): GP {
    const { y, mean, std } = standardize(yRaw, opts.priorMean);
    const starts: KernelParams[] = [{ invSqLengthscales: new Float64Array(d).fill(1), scale: 1, noiseVar: 1 }];
    if (opts.warmStart) starts.push(opts.warmStart);
    let best: { theta: Float64Array; value: number } | null = null;
    const deltas = pairwiseSqDiffs(X, n, d, isCat);
    const lower = new Float64Array(d + 2);
    const upper = new Float64Array(d + 2);
    for (let k = 0; k < d; k++) {
      lower[k] = Math.log(1e-4);
      upper[k] = Math.log(1e4);
    }
    lower[d] = Math.log(1e-3);
    upper[d] = Math.log(1e3);
    lower[d + 1] = Math.log(1e-12);
    upper[d + 1] = Math.log(10);
    const fixedNoise = opts.fixedNoise;
    const prior = opts.prior ?? 'default';
    const objective = (theta: Float64Array) => negLogPosterior(theta, deltas, n, d, y, fixedNoise, prior);
    if (n > 0) {
      for (const s of starts) {
        const theta0 = toTheta(s, d);
        const r = minimizeBox(objective, theta0, lower, upper, { maxIter: opts.maxIter ?? 60, pgtol: 1e-2, ftol: 1e-9 });
        if (Number.isFinite(r.value) && (!best || r.value < best.value)) best = { theta: r.x, value: r.value };
      }
    }
    const params = best ? fromTheta(best.theta, d, fixedNoise) : (starts[0] as KernelParams);
    return GP.withParams(X, n, d, isCat, y, params, mean, std);
  }

  /** Same hyperparameters and standardization, extra training points (y in standardized units). */
  condition(Xnew: Float64Array, yNew: Float64Array): GP {
    const m = yNew.length;
    if (m === 0) return this;
    const X = new Float64Array((this.n + m) * this.d);
    X.set(this.X);
    X.set(Xnew, this.n * this.d);
    const y = new Float64Array(this.n + m);
    y.set(this.y);
    y.set(yNew, this.n);
    return GP.withParams(X, this.n + m, this.d, this.isCat, y, this.params, this.yMean, this.yStd);
  }

  /** Posterior of the latent function at x, in standardized units. */
  predict(x: Float64Array): Prediction {
    const { n } = this;
    const s = this.params.scale;
    if (n === 0) return { mean: 0, variance: s };
    const kx = new Float64Array(n);
    let mean = 0;
    for (let i = 0; i < n; i++) {
      const k = s * matern52(sqDist(this.X, i, x, this.params.invSqLengthscales, this.isCat));
      kx[i] = k;
      mean += k * (this.alpha[i] as number);
    }
    solveLowerInPlace(this.L, n, kx);
    let q = 0;
    for (let i = 0; i < n; i++) q += (kx[i] as number) * (kx[i] as number);
    return { mean, variance: Math.max(s - q, 1e-12 * s) };
  }

  /** Posterior and its gradient w.r.t. the continuous inputs listed in dims (others get 0). */
  predictWithGrad(x: Float64Array, dims: ArrayLike<number>): PredictionWithGrad {
    const { n, d } = this;
    const s = this.params.scale;
    const rho = this.params.invSqLengthscales;
    const dMean = new Float64Array(d);
    const dVariance = new Float64Array(d);
    if (n === 0) return { mean: 0, variance: s, dMean, dVariance };
    const kx = new Float64Array(n);
    const dm = new Float64Array(n);
    let mean = 0;
    for (let i = 0; i < n; i++) {
      const r2 = sqDist(this.X, i, x, rho, this.isCat);
      const k = s * matern52(r2);
      kx[i] = k;
      dm[i] = s * matern52Grad(r2);
      mean += k * (this.alpha[i] as number);
    }
    const v = solveLowerInPlace(this.L, n, Float64Array.from(kx));
    let q = 0;
    for (let i = 0; i < n; i++) q += (v[i] as number) * (v[i] as number);
    const w = solveUpperTInPlace(this.L, n, v); // K⁻¹ k_x
    const variance = s - q;
    for (let j = 0; j < dims.length; j++) {
      const k = dims[j] as number;
      const xk = x[k] as number;
      const twoRho = 2 * (rho[k] as number);
      let gm = 0;
      let gv = 0;
      for (let i = 0; i < n; i++) {
        const dk = (dm[i] as number) * twoRho * (xk - (this.X[i * d + k] as number));
        gm += (this.alpha[i] as number) * dk;
        gv += (w[i] as number) * dk;
      }
      dMean[k] = gm;
      dVariance[k] = -2 * gv;
    }
    if (variance < 1e-12 * s) {
      dVariance.fill(0);
      return { mean, variance: 1e-12 * s, dMean, dVariance };
    }
    return { mean, variance, dMean, dVariance };
  }

  /** Log marginal likelihood at the fitted hyperparameters (standardized units). */
  logMarginalLikelihood(): number {
    let lml = 0;
    for (let i = 0; i < this.n; i++) lml -= 0.5 * (this.y[i] as number) * (this.alpha[i] as number) + Math.log(this.L[i * this.n + i] as number);
    return lml - 0.5 * this.n * Math.log(2 * Math.PI);
  }

  toRaw(v: number): number {
    return this.yMean + this.yStd * v;
  }
}

/**
 * y = (yRaw − m) / std, std = the population standard deviation, m = the mean of yRaw, or its
 * maximum for the 'worst' prior mean (then every standardized value is ≤ 0 and the GP's zero
 * prior mean sits at the worst observation).
 */
export function standardize(yRaw: Float64Array, priorMean: PriorMean = 'mean'): { y: Float64Array; mean: number; std: number } {
  const n = yRaw.length;
  if (n === 0) return { y: new Float64Array(0), mean: 0, std: 1 };
  let mean = 0;
  let max = -Infinity;
  for (const v of yRaw) {
    mean += v;
    if (v > max) max = v;
  }
  mean /= n;
  let v2 = 0;
  for (const v of yRaw) v2 += (v - mean) * (v - mean);
  let std = Math.sqrt(v2 / n);
  if (!(std > 1e-12 * Math.max(1, Math.abs(mean)))) std = 1;
  const m = priorMean === 'worst' ? max : mean;
  return { y: Float64Array.from(yRaw, (v) => (v - m) / std), mean: m, std };
}

export function kernelMatrix(X: Float64Array, n: number, d: number, isCat: Uint8Array, p: KernelParams): Float64Array {
  const K = new Float64Array(n * n);
  const xi = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < d; k++) xi[k] = X[i * d + k] as number;
    K[i * n + i] = p.scale + p.noiseVar;
    for (let j = 0; j < i; j++) {
      const v = p.scale * matern52(sqDist(X, j, xi, p.invSqLengthscales, isCat));
      K[i * n + j] = v;
      K[j * n + i] = v;
    }
  }
  return K;
}

/** Δ²_ijk for i > j, stored per dimension as a packed lower triangle of length n(n−1)/2. */
export function pairwiseSqDiffs(X: Float64Array, n: number, d: number, isCat: Uint8Array): Float64Array[] {
  const m = (n * (n - 1)) / 2;
  const out = Array.from({ length: d }, () => new Float64Array(m));
  let p = 0;
  for (let i = 1; i < n; i++) {
    for (let j = 0; j < i; j++, p++) {
      for (let k = 0; k < d; k++) {
        const diff = (X[i * d + k] as number) - (X[j * d + k] as number);
        (out[k] as Float64Array)[p] = isCat[k] ? (diff === 0 ? 0 : 1) : diff * diff;
      }
    }
  }
  return out;
}

function toTheta(p: KernelParams, d: number): Float64Array {
  const t = new Float64Array(d + 2);
  for (let k = 0; k < d; k++) t[k] = Math.log(p.invSqLengthscales[k] as number);
  t[d] = Math.log(p.scale);
  t[d + 1] = Math.log(Math.max(p.noiseVar - MIN_NOISE_VAR, 1e-12));
  return t;
}

function fromTheta(t: Float64Array, d: number, fixedNoise?: number): KernelParams {
  return {
    invSqLengthscales: Float64Array.from({ length: d }, (_, k) => Math.exp(t[k] as number)),
    scale: Math.exp(t[d] as number),
    noiseVar: fixedNoise ?? MIN_NOISE_VAR + Math.exp(t[d + 1] as number),
  };
}

/** −(log p(y|θ) + log p(θ)) and its gradient w.r.t. θ. */
export function negLogPosterior(theta: Float64Array, deltas: Float64Array[], n: number, d: number, y: Float64Array, fixedNoise?: number, prior: PriorKind = 'default'): { value: number; grad: Float64Array } {
  const p = fromTheta(theta, d, fixedNoise);
  const expNoise = Math.exp(theta[d + 1] as number);
  const bad = { value: Infinity, grad: new Float64Array(d + 2) };
  const rho = p.invSqLengthscales;
  const s = p.scale;
  // K from the packed differences.
  const m = (n * (n - 1)) / 2;
  const r2 = new Float64Array(m);
  for (let k = 0; k < d; k++) {
    const dk = deltas[k] as Float64Array;
    const rk = rho[k] as number;
    for (let q = 0; q < m; q++) r2[q] = (r2[q] as number) + rk * (dk[q] as number);
  }
  const K = new Float64Array(n * n);
  const mprime = new Float64Array(m);
  let q = 0;
  for (let i = 1; i < n; i++) {
    for (let j = 0; j < i; j++, q++) {
      const v = s * matern52(r2[q] as number);
      K[i * n + j] = v;
      K[j * n + i] = v;
      mprime[q] = s * matern52Grad(r2[q] as number);
    }
  }
  for (let i = 0; i < n; i++) K[i * n + i] = s + p.noiseVar;
  const chol = choleskyWithJitter(K, n);
  if (!chol) return bad;
  const L = chol.L;
  const alpha = solveUpperTInPlace(L, n, solveLowerInPlace(L, n, Float64Array.from(y)));
  let lml = -0.5 * n * Math.log(2 * Math.PI);
  for (let i = 0; i < n; i++) lml -= 0.5 * (y[i] as number) * (alpha[i] as number) + Math.log(L[i * n + i] as number);
  const value = -(lml + logPrior(rho, s, p.noiseVar, prior));
  if (!Number.isFinite(value)) return bad;

  // W = ααᵀ − K⁻¹; ∂lml/∂θ = ½ Σ_ij W_ij ∂K_ij/∂θ (off-diagonal pairs counted twice).
  const Kinv = cholInverse(L, n);
  const grad = new Float64Array(d + 2);
  const wOff = new Float64Array(m);
  q = 0;
  for (let i = 1; i < n; i++) {
    const ai = alpha[i] as number;
    for (let j = 0; j < i; j++, q++) wOff[q] = ai * (alpha[j] as number) - (Kinv[i * n + j] as number);
  }
  let trDiag = 0;
  for (let i = 0; i < n; i++) trDiag += (alpha[i] as number) * (alpha[i] as number) - (Kinv[i * n + i] as number);
  for (let k = 0; k < d; k++) {
    const dk = deltas[k] as Float64Array;
    let g = 0;
    for (let r = 0; r < m; r++) g += (wOff[r] as number) * (mprime[r] as number) * (dk[r] as number);
    grad[k] = g * (rho[k] as number); // ½ · 2 (symmetry) · Σ_{i>j}
  }
  let gs = 0;
  q = 0;
  for (let i = 1; i < n; i++) for (let j = 0; j < i; j++, q++) gs += (wOff[q] as number) * (K[i * n + j] as number);
  grad[d] = gs + 0.5 * trDiag * s;
  grad[d + 1] = fixedNoise === undefined ? 0.5 * trDiag * expNoise : 0;
  const priorGrad = new Float64Array(d + 2);
  addLogPriorGrad(rho, s, p.noiseVar, fixedNoise === undefined ? expNoise : 0, priorGrad, prior);
  for (let k = 0; k < d + 2; k++) grad[k] = -((grad[k] as number) + (priorGrad[k] as number));
  return { value, grad };
}
