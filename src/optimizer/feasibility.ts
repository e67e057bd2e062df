/**
 * Feasibility (crash) model and cost model, both on the same unit-cube inputs as the objective.
 *
 * Feasibility: every finished trial is a label y = +1 (succeeded) or y = −1 (crashed: infeasible,
 * failed, too_slow, or a non-finite loss). A GP classifier with a probit likelihood and the
 * Laplace approximation (Rasmussen & Williams 2006, §3.4, Algorithms 3.1 and 3.2):
 *
 *   latent f ~ GP(0, k),  p(y_i | f_i) = Φ(y_i f_i)
 *   mode f̂ by Newton:  W = −∇∇ log p(y|f),  B = I + W^½ K W^½ = L Lᵀ,
 *                      b = W f + ∇log p,  a = b − W^½ L⁻ᵀ L⁻¹ W^½ K b,  f ← K a
 *   with r_i = φ(f_i)/Φ(y_i f_i):  ∇_i = y_i r_i,  W_ii = r_i² + y_i f_i r_i   (eq. 3.16)
 *   prediction:  μ* = k*ᵀ ∇log p(y|f̂),  v = L⁻¹ W^½ k*,  σ*² = k** − vᵀv
 *                P(success | x) = Φ(μ* / √(1 + σ*²))                            (eq. 3.82 for probit)
 *   Laplace evidence:  log q(y|X) = −½ aᵀf̂ + Σ log Φ(y_i f̂_i) − Σ log L_ii     (eq. 3.32)
 * Lengthscales come from a MAP-fitted GP regression on the ±1 labels (gp.ts); the latent scale s
 * (from {2, 8}) and a lengthscale stretch (×1 or ×2) are picked by the Laplace evidence. A crash makes the latent strongly negative
 * at and near that point, so a region where trials keep crashing gets a small P(success), while
 * its succeeded neighbours keep theirs. Before the first crash there is no model (P = 1).
 *
 * Cost: a GP on log(duration in GPU-hours) of trials that ran to the end (succeeded or
 * too_slow); exp(E[log cost]) divides EI when the search is cost-aware.
 */
import { GP, KernelParams, kernelMatrix } from './gp';
import { matern52, matern52Grad, sqDist } from './kernel';
import { choleskyWithJitter, solveLowerInPlace, solveUpperTInPlace } from './linalg';
import { dLogNormalCdf, logNormalCdf } from './acquisition';

export interface FeasibilityModel {
  /** log P(success | x) and its gradient w.r.t. the continuous dims listed. */
  logProbSuccess(x: Float64Array, dims?: ArrayLike<number>): { value: number; grad: Float64Array };
}

export class LaplaceClassifier implements FeasibilityModel {
  private constructor(
    private readonly X: Float64Array,
    private readonly n: number,
    private readonly d: number,
    private readonly isCat: Uint8Array,
    private readonly params: KernelParams,
    /** ∇ log p(y | f̂). */
    private readonly dlp: Float64Array,
    private readonly sqrtW: Float64Array,
    /** Cholesky factor of B = I + W^½ K W^½. */
    private readonly L: Float64Array,
    readonly evidence: number,
    /** Posterior mode f̂ (to warm-start the next fit). */
    readonly mode: Float64Array,
  ) {}

  /** Newton iterations for the posterior mode (Algorithm 3.1); null if B cannot be factored. */
  static fit(X: Float64Array, n: number, d: number, isCat: Uint8Array, y: Float64Array, params: KernelParams, f0?: Float64Array): LaplaceClassifier | null {
    const K = kernelMatrix(X, n, d, isCat, { ...params, noiseVar: 1e-8 * params.scale });
    let f: Float64Array = f0 && f0.length === n ? Float64Array.from(f0) : new Float64Array(n);
    let result: LaplaceClassifier | null = null;
    for (let it = 0; it < 50; it++) {
      const grad = new Float64Array(n);
      const sqrtW = new Float64Array(n);
      let loglik = 0;
      for (let i = 0; i < n; i++) {
        const yi = y[i] as number;
        const fi = f[i] as number;
        const r = dLogNormalCdf(yi * fi); // φ(f)/Φ(yf)
        grad[i] = yi * r;
        sqrtW[i] = Math.sqrt(Math.max(r * r + yi * fi * r, 1e-12));
        loglik += logNormalCdf(yi * fi);
      }
      const B = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j <= i; j++) {
          const v = (sqrtW[i] as number) * (K[i * n + j] as number) * (sqrtW[j] as number) + (i === j ? 1 : 0);
          B[i * n + j] = v;
          B[j * n + i] = v;
        }
      }
      const chol = choleskyWithJitter(B, n);
      if (!chol) return result;
      const L = chol.L;
      // Evidence at the current f, with a = K⁻¹f represented as ∇ at the mode (eq. 3.32 uses f̂).
      let logdet = 0;
      for (let i = 0; i < n; i++) logdet += Math.log(L[i * n + i] as number);
      let quad = 0;
      for (let i = 0; i < n; i++) quad += (grad[i] as number) * (f[i] as number);
      result = new LaplaceClassifier(X, n, d, isCat, params, grad, sqrtW, L, -0.5 * quad + loglik - logdet, f);
      // Newton step: b = W f + ∇;  a = b − W^½ L⁻ᵀ L⁻¹ (W^½ K b);  f ← K a.
      const b = Float64Array.from(f, (fi, i) => (sqrtW[i] as number) ** 2 * fi + (grad[i] as number));
      const t = Float64Array.from(matVec(K, n, b), (v, i) => v * (sqrtW[i] as number));
      solveUpperTInPlace(L, n, solveLowerInPlace(L, n, t));
      const a = Float64Array.from(b, (v, i) => v - (sqrtW[i] as number) * (t[i] as number));
      const fNew = matVec(K, n, a);
      if (!fNew.every(Number.isFinite)) return result;
      let change = 0;
      for (let i = 0; i < n; i++) change = Math.max(change, Math.abs((fNew[i] as number) - (f[i] as number)));
      f = fNew;
      if (change < 1e-10) break;
    }
    return result;
  }

  logProbSuccess(x: Float64Array, dims: ArrayLike<number> = []): { value: number; grad: Float64Array } {
    const { n, d } = this;
    const s = this.params.scale;
    const rho = this.params.invSqLengthscales;
    const kx = new Float64Array(n);
    const dm = new Float64Array(n);
    let mu = 0;
    for (let i = 0; i < n; i++) {
      const r2 = sqDist(this.X, i, x, rho, this.isCat);
      kx[i] = s * matern52(r2);
      dm[i] = s * matern52Grad(r2);
      mu += (kx[i] as number) * (this.dlp[i] as number);
    }
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = (kx[i] as number) * (this.sqrtW[i] as number);
    solveLowerInPlace(this.L, n, v);
    let vv = 0;
    for (let i = 0; i < n; i++) vv += (v[i] as number) * (v[i] as number);
    const variance = Math.max(s - vv, 0);
    const denom = Math.sqrt(1 + variance);
    const z = mu / denom;
    const value = logNormalCdf(z);
    const grad = new Float64Array(d);
    if (dims.length === 0) return { value, grad };
    // u = W^½ L⁻ᵀ v, so ∂σ²/∂x_k = −2 Σ_i u_i ∂k_i/∂x_k.
    const u = solveUpperTInPlace(this.L, n, v);
    for (let i = 0; i < n; i++) u[i] = (u[i] as number) * (this.sqrtW[i] as number);
    const g = dLogNormalCdf(z);
    const dzdmu = 1 / denom;
    const dzdvar = -0.5 * mu / (denom * denom * denom);
    for (let j = 0; j < dims.length; j++) {
      const k = dims[j] as number;
      const twoRho = 2 * (rho[k] as number);
      let gm = 0;
      let gv = 0;
      for (let i = 0; i < n; i++) {
        const dk = (dm[i] as number) * twoRho * ((x[k] as number) - (this.X[i * d + k] as number));
        gm += (this.dlp[i] as number) * dk;
        gv += (u[i] as number) * dk;
      }
      const dvar = variance > 0 ? -2 * gv : 0;
      grad[k] = g * (dzdmu * gm + dzdvar * dvar);
    }
    return { value, grad };
  }
}

export function fitFeasibility(Xs: Float64Array[], crashed: boolean[], d: number, isCat: Uint8Array): FeasibilityModel | undefined {
  if (!crashed.some((c) => c)) return undefined;
  const n = Xs.length;
  const X = new Float64Array(n * d);
  Xs.forEach((x, i) => X.set(x, i * d));
  const y = Float64Array.from(crashed, (c) => (c ? -1 : 1));
  // Lengthscales from a GP regression on the labels, with the long-lengthscale prior (prior.ts).
  const reg = GP.fit(X, n, d, isCat, y, { prior: 'long', maxIter: 15 });
  let best: LaplaceClassifier | null = null;
  for (const stretch of [1, 2]) {
    const invSqLengthscales = Float64Array.from(reg.params.invSqLengthscales, (r) => r / (stretch * stretch));
    for (const scale of [2, 8]) {
      const c = LaplaceClassifier.fit(X, n, d, isCat, y, { ...reg.params, invSqLengthscales, scale }, best?.mode);
      if (c && Number.isFinite(c.evidence) && (!best || c.evidence > best.evidence)) best = c;
    }
  }
  return best ?? undefined;
}

export function fitCost(Xs: Float64Array[], durationsSeconds: number[], d: number, isCat: Uint8Array): GP | undefined {
  const rows: number[] = [];
  durationsSeconds.forEach((s, i) => {
    if (Number.isFinite(s) && s > 0) rows.push(i);
  });
  if (rows.length < 2) return undefined;
  const X = new Float64Array(rows.length * d);
  rows.forEach((r, i) => X.set(Xs[r] as Float64Array, i * d));
  return GP.fit(X, rows.length, d, isCat, Float64Array.from(rows, (r) => Math.log((durationsSeconds[r] as number) / 3600)));
}

function matVec(K: Float64Array, n: number, x: Float64Array): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += (K[i * n + j] as number) * (x[j] as number);
    out[i] = s;
  }
  return out;
}
