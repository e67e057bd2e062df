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
 */

export function logPrior(invSqLengthscales: Float64Array, scale: number, noiseVar: number): number {
  let lp = 0;
  for (const r of invSqLengthscales) lp -= 0.1 / r + 0.1 * r;
  lp += Math.log(scale) - scale;
  lp += 0.1 * Math.log(noiseVar) - 30 * noiseVar;
  return lp;
}

/** Writes ∂ log prior / ∂θ into grad (θ = [log ρ_1..d, log s, θ_n]); expNoise = e^{θ_n}. */
export function addLogPriorGrad(invSqLengthscales: Float64Array, scale: number, noiseVar: number, expNoise: number, grad: Float64Array): void {
  const d = invSqLengthscales.length;
  for (let k = 0; k < d; k++) {
    const r = invSqLengthscales[k] as number;
    grad[k] = (grad[k] as number) + 0.1 / r - 0.1 * r;
  }
  grad[d] = (grad[d] as number) + 1 - scale;
  grad[d + 1] = (grad[d + 1] as number) + (0.1 / noiseVar - 30) * expNoise;
}
