/**
 * A small Gaussian process for the analysis (importance.ts): ARD squared-exponential kernel on the
 * unit cube, hyperparameters fitted by maximum a posteriori on the log marginal likelihood.
 * (The optimizer's own GP will live in src/optimizer; this one only explains finished studies.)
 *
 * Notation (Rasmussen & Williams 2006, "Gaussian Processes for Machine Learning", ch. 2 and 5):
 *   X ∈ [0,1]^{n×d} inputs, y ∈ R^n standardized losses (mean 0, sd 1)
 *   k(x, x') = σf² · exp(−½ Σ_k (x_k − x'_k)² / ℓ_k²)          ARD squared exponential
 *   K = k(X, X) + σn² I,   K = L Lᵀ (Cholesky),   α = K⁻¹ y
 *   log p(y | θ) = −½ yᵀα − Σ_i log L_ii − (n/2) log 2π          (R&W eq. 2.30)
 *   ∂ log p / ∂θ_j = ½ tr((ααᵀ − K⁻¹) ∂K/∂θ_j)                   (R&W eq. 5.9)
 *   θ = (log ℓ_1..ℓ_d, log σf², log σn²);  ∂K/∂log ℓ_k = K_f ∘ D_k / ℓ_k²,  D_k = (x_k − x'_k)²
 *   ∂K/∂log σf² = K_f,   ∂K/∂log σn² = σn² I                      (K_f: K without the noise)
 * Priors (log-normal, weak; they keep ℓ finite when a handful of points cannot identify it):
 *   log ℓ_k ~ N(log 0.5, 1²),  log σf² ~ N(0, 1²),  log σn² ~ N(log 0.01, 2²)
 * Posterior mean: μ(x) = k(x, X) α  (in standardized units).
 */

export interface FittedGp {
  /** Lengthscale per input dimension, in unit-cube units (small = the loss changes fast along it). */
  lengthscales: number[];
  signalVariance: number;
  noiseVariance: number;
  logMarginalLikelihood: number;
  /** Posterior mean of the standardized loss at x. */
  mean(x: readonly number[]): number;
  /** Standardization used: loss = yMean + yStd · standardized. */
  yMean: number;
  yStd: number;
}

/** Lower-triangular Cholesky factor of a symmetric positive definite matrix, or null. */
export function cholesky(a: number[][]): number[][] | null {
  const n = a.length;
  const l: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    const li = l[i] as number[];
    for (let j = 0; j <= i; j++) {
      const lj = l[j] as number[];
      let s = (a[i] as number[])[j] as number;
      for (let k = 0; k < j; k++) s -= (li[k] as number) * (lj[k] as number);
      if (i === j) {
        if (!(s > 0)) return null;
        li[i] = Math.sqrt(s);
      } else li[j] = s / (lj[j] as number);
    }
  }
  return l;
}

/** Solves L Lᵀ x = b. */
function cholSolve(l: number[][], b: readonly number[]): number[] {
  const n = l.length;
  const z = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    let s = b[i] as number;
    const li = l[i] as number[];
    for (let k = 0; k < i; k++) s -= (li[k] as number) * (z[k] as number);
    z[i] = s / (li[i] as number);
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = z[i] as number;
    for (let k = i + 1; k < n; k++) s -= ((l[k] as number[])[i] as number) * (x[k] as number);
    x[i] = s / ((l[i] as number[])[i] as number);
  }
  return x;
}

const PRIOR_LOG_ELL = { mean: Math.log(0.5), sd: 1 };
const PRIOR_LOG_SF2 = { mean: 0, sd: 1 };
const PRIOR_LOG_SN2 = { mean: Math.log(0.01), sd: 2 };
const MIN_NOISE = 1e-6;

interface Eval {
  objective: number;
  grad: number[];
  lml: number;
  l: number[][];
  alpha: number[];
}

/** Negative log posterior of θ and its gradient (or null when K is not positive definite). */
function evaluate(theta: readonly number[], X: readonly number[][], y: readonly number[]): Eval | null {
  const n = X.length;
  const d = (X[0] ?? []).length;
  const ell2 = theta.slice(0, d).map((t) => Math.exp(2 * t));
  const sf2 = Math.exp(theta[d] as number);
  const sn2 = Math.max(MIN_NOISE, Math.exp(theta[d + 1] as number));
  const kf: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let r = 0;
      for (let k = 0; k < d; k++) {
        const diff = ((X[i] as number[])[k] as number) - ((X[j] as number[])[k] as number);
        r += (diff * diff) / (ell2[k] as number);
      }
      const v = sf2 * Math.exp(-0.5 * r);
      (kf[i] as number[])[j] = v;
      (kf[j] as number[])[i] = v;
    }
  }
  const K = kf.map((row, i) => row.map((v, j) => (i === j ? v + sn2 : v)));
  const l = cholesky(K);
  if (!l) return null;
  const alpha = cholSolve(l, y);
  let lml = -0.5 * y.reduce((s, yi, i) => s + yi * (alpha[i] as number), 0) - 0.5 * n * Math.log(2 * Math.PI);
  for (let i = 0; i < n; i++) lml -= Math.log((l[i] as number[])[i] as number);
  // W = ααᵀ − K⁻¹
  const kinv: number[][] = [];
  for (let j = 0; j < n; j++) {
    const e = new Array<number>(n).fill(0);
    e[j] = 1;
    kinv.push(cholSolve(l, e));
  }
  const W = (i: number, j: number) => (alpha[i] as number) * (alpha[j] as number) - ((kinv[j] as number[])[i] as number);
  const grad = new Array<number>(d + 2).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const w = W(i, j);
      const kij = (kf[i] as number[])[j] as number;
      for (let k = 0; k < d; k++) {
        const diff = ((X[i] as number[])[k] as number) - ((X[j] as number[])[k] as number);
        grad[k] = (grad[k] as number) + 0.5 * w * kij * ((diff * diff) / (ell2[k] as number));
      }
      grad[d] = (grad[d] as number) + 0.5 * w * kij;
    }
    grad[d + 1] = (grad[d + 1] as number) + 0.5 * W(i, i) * sn2;
  }
  // Priors: add log N(θ; m, s²) and its gradient, then negate for minimization.
  const prior = (t: number, p: { mean: number; sd: number }) => -0.5 * ((t - p.mean) / p.sd) ** 2;
  const dprior = (t: number, p: { mean: number; sd: number }) => -(t - p.mean) / (p.sd * p.sd);
  let logPost = lml;
  for (let k = 0; k < d + 2; k++) {
    const p = k < d ? PRIOR_LOG_ELL : k === d ? PRIOR_LOG_SF2 : PRIOR_LOG_SN2;
    logPost += prior(theta[k] as number, p);
    grad[k] = (grad[k] as number) + dprior(theta[k] as number, p);
  }
  return { objective: -logPost, grad: grad.map((g) => -g), lml, l, alpha };
}

/**
 * Fits the GP to (X, losses) by Adam on the negative log posterior (a few hundred steps; n is the
 * number of finished trials, tens, so each step is a Cholesky of an n×n matrix).
 */
export function fitGp(X: readonly number[][], losses: readonly number[], opts: { iterations?: number } = {}): FittedGp {
  const n = X.length;
  if (n === 0 || n !== losses.length) throw new Error(`fitGp: need as many losses as points (got ${n} points, ${losses.length} losses)`);
  const d = (X[0] as number[]).length;
  const yMean = losses.reduce((a, b) => a + b, 0) / n;
  const yVar = losses.reduce((a, b) => a + (b - yMean) ** 2, 0) / n;
  const yStd = yVar > 0 ? Math.sqrt(yVar) : 1;
  const y = losses.map((v) => (v - yMean) / yStd);
  let theta = [...new Array<number>(d).fill(Math.log(0.5)), 0, Math.log(0.01)];
  let best = evaluate(theta, X, y);
  if (!best) throw new Error('fitGp: kernel matrix not positive definite at the initial hyperparameters');
  let bestTheta = [...theta];
  let cur: Eval = best;
  const m = new Array<number>(d + 2).fill(0);
  const v = new Array<number>(d + 2).fill(0);
  const lr = 0.05;
  const iterations = opts.iterations ?? 300;
  for (let t = 1; t <= iterations; t++) {
    const next = theta.map((th, k) => {
      const g = cur.grad[k] as number;
      m[k] = 0.9 * (m[k] as number) + 0.1 * g;
      v[k] = 0.999 * (v[k] as number) + 0.001 * g * g;
      const mh = (m[k] as number) / (1 - 0.9 ** t);
      const vh = (v[k] as number) / (1 - 0.999 ** t);
      // Bounded: ℓ ∈ [e^-5, e^4], σn² ≥ MIN_NOISE.
      const stepped = th - (lr * mh) / (Math.sqrt(vh) + 1e-8);
      return k < d ? Math.min(4, Math.max(-5, stepped)) : Math.min(6, Math.max(Math.log(MIN_NOISE), stepped));
    });
    const e = evaluate(next, X, y);
    if (!e) break;
    theta = next;
    cur = e;
    if (e.objective < best.objective) {
      best = e;
      bestTheta = [...next];
    }
  }
  const ell = bestTheta.slice(0, d).map(Math.exp);
  const sf2 = Math.exp(bestTheta[d] as number);
  const sn2 = Math.max(MIN_NOISE, Math.exp(bestTheta[d + 1] as number));
  const alpha = best.alpha;
  const mean = (x: readonly number[]): number => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      let r = 0;
      const xi = X[i] as number[];
      for (let k = 0; k < d; k++) {
        const diff = (x[k] as number) - (xi[k] as number);
        r += (diff * diff) / ((ell[k] as number) * (ell[k] as number));
      }
      s += sf2 * Math.exp(-0.5 * r) * (alpha[i] as number);
    }
    return s;
  };
  return { lengthscales: ell, signalVariance: sf2, noiseVariance: sn2, logMarginalLikelihood: best.lml, mean, yMean, yStd };
}
