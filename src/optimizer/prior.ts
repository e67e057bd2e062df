/**
 * Priors on the GP's kernel hyperparameters, as in Optuna's optuna/_gp/prior.py
 * (default_log_prior), with their gradients in the log-parameterization the fit uses.
 *
 * Notation: ρ_k = 1/ℓ_k² (inverse squared lengthscale of dimension k), s (kernel scale),
 * σ_n² (noise variance, standardized-output units).
 *
 *   log p(ρ) = Σ_k −(0.1/ρ_k + 0.1 ρ_k)      pulls ρ_k towards 1 and away from 0 and ∞
 *   log p(s) = Gamma(s; α=2, β=1)            = (2−1) log s − s
 *   log p(σ_n²) = Gamma(σ_n²; α=1.1, β=30)   = 0.1 log σ_n² − 30 σ_n²   (favours small noise)
 *
 * Gradients w.r.t. θ = log ρ_k, log s, and θ_n with σ_n² = σ_min² + e^{θ_n}:
 *   ∂/∂log ρ_k = 0.1/ρ_k − 0.1 ρ_k;   ∂/∂log s = 1 − s;   ∂/∂θ_n = (0.1/σ_n² − 30) e^{θ_n}.
 *
 * 'long' swaps the lengthscale term for the dimension-scaled log-normal prior of Hvarfner et al.
 * 2024, "Vanilla Bayesian Optimization Performs Great in High Dimensions" (Optuna's
 * hvarfner_log_prior): log ℓ_k ~ N(μ, 3) with μ = √2 + ½ log d, i.e. lengthscales are long unless
 * the data say otherwise. Up to a constant, with λ = log ℓ_k = −½ log ρ_k:
 *   log p = −λ²/6 + (μ/3 − 1) λ,   ∂/∂log ρ_k = −½ (−λ/3 + μ/3 − 1).
 * The feasibility classifier uses it: with a few dozen labels in ~10 dimensions, the default
 * prior lets irrelevant dimensions keep short lengthscales, and the classifier then cannot
 * generalize from crashes to the region around them.
 */
export type PriorKind = 'default' | 'long';

export function logPrior(invSqLengthscales: Float64Array, scale: number, noiseVar: number, kind: PriorKind = 'default'): number {
  let lp = 0;
  const d = invSqLengthscales.length;
  const mu = Math.SQRT2 + 0.5 * Math.log(d);
  for (const r of invSqLengthscales) {
    if (kind === 'long') {
      const lam = -0.5 * Math.log(r);
      lp += (-lam * lam) / 6 + (mu / 3 - 1) * lam;
    } else lp -= 0.1 / r + 0.1 * r;
  }
  lp += Math.log(scale) - scale;
  lp += 0.1 * Math.log(noiseVar) - 30 * noiseVar;
  return lp;
}

/** Writes ∂ log prior / ∂θ into grad (θ = [log ρ_1..d, log s, θ_n]); expNoise = e^{θ_n}. */
export function addLogPriorGrad(invSqLengthscales: Float64Array, scale: number, noiseVar: number, expNoise: number, grad: Float64Array, kind: PriorKind = 'default'): void {
  const d = invSqLengthscales.length;
  const mu = Math.SQRT2 + 0.5 * Math.log(d);
  for (let k = 0; k < d; k++) {
    const r = invSqLengthscales[k] as number;
    if (kind === 'long') {
      const lam = -0.5 * Math.log(r);
      grad[k] = (grad[k] as number) - 0.5 * (-lam / 3 + mu / 3 - 1);
    } else grad[k] = (grad[k] as number) + 0.1 / r - 0.1 * r;
  }
  grad[d] = (grad[d] as number) + 1 - scale;
  grad[d + 1] = (grad[d + 1] as number) + (0.1 / noiseVar - 30) * expNoise;
}
