/**
 * Log expected improvement (LogEI), numerically stable for vanishing improvements, and the log
 * probability of feasibility.
 *
 * Notation (minimization): posterior f(x) ~ N(μ, σ²), best observed value f*,
 *   u = (f* − μ)/σ,   EI = σ h(u),   h(u) = φ(u) + u Φ(u)     (Jones et al. 1998)
 *   LogEI = log σ + log h(u)
 * h(u) underflows for u ≲ −38, and φ(u) + uΦ(u) cancels catastrophically well before that.
 * Following Ament et al. 2023, "Unexpected Improvements to Expected Improvement for Bayesian
 * Optimization" (NeurIPS), eq. 9 and BoTorch's _log_ei_helper:
 *   u ≥ −1:  log h(u) computed directly.
 *   u < −1:  h(u) = φ(u) (1 − |u| Φ(u)/φ(u)) and Φ(u)/φ(u) = √(π/2) erfcx(−u/√2), so
 *            log h(u) = log φ(u) + log1mexp(w),  w = log(|u| √(π/2) erfcx(−u/√2)) < 0,
 *            and for u < −1/√ε (where 1 − |u|Φ/φ ≈ 1/u²):  log h(u) ≈ log φ(u) − 2 log|u|.
 * Derivative: dh/du = Φ(u), so d log h/du = Φ(u)/h(u) = r / (1 − |u| r) for u < −1 with
 * r = Φ(u)/φ(u), computed as exp(log r − log1mexp(w)).
 */

const SQRT2 = Math.SQRT2;
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const SQRT_PI_OVER_2 = Math.sqrt(Math.PI / 2);
const INV_SQRT_PI = 1 / Math.sqrt(Math.PI);

/**
 * Scaled complementary error function erfcx(x) = e^{x²} erfc(x), for x ≥ 0 accurate to ~1e-14
 * relative: Maclaurin series of erf for x < 2 (erfc(2) ≈ 4.7e-3, so 1 − erf keeps ~14 digits),
 * Laplace's continued fraction erfc(x) = e^{−x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …))))
 * for x ≥ 2 (Abramowitz & Stegun 7.1.14). For x < 0, erfcx(x) = 2e^{x²} − erfcx(−x).
 */
export function erfcx(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) {
    if (x < -26) return Infinity;
    return 2 * Math.exp(x * x) - erfcx(-x);
  }
  if (x < 2) {
    // erf(x) = 2/√π Σ (−1)^n x^{2n+1} / (n! (2n+1))
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let n = 1; n < 60; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.exp(x2) * (1 - 2 * INV_SQRT_PI * sum);
  }
  if (x > 1e8) return INV_SQRT_PI / x;
  // Backward evaluation of the continued fraction with enough terms for x ≥ 2.
  const terms = x < 3 ? 120 : x < 6 ? 60 : 30;
  let f = x;
  for (let k = terms; k >= 1; k--) f = x + k / 2 / f;
  return INV_SQRT_PI / f;
}

/** Standard normal CDF Φ(u) = ½ erfc(−u/√2). */
export function normalCdf(u: number): number {
  const t = -u / SQRT2;
  if (t >= 0) return 0.5 * Math.exp(-t * t) * erfcx(t);
  return 1 - 0.5 * Math.exp(-t * t) * erfcx(-t);
}

/** log φ(u). */
export function logNormalPdf(u: number): number {
  return -0.5 * u * u - LOG_SQRT_2PI;
}

/** log Φ(u), stable for very negative u: log Φ(u) = log(½ erfcx(−u/√2)) − u²/2. */
export function logNormalCdf(u: number): number {
  if (u < -1) return Math.log(0.5 * erfcx(-u / SQRT2)) - 0.5 * u * u;
  return Math.log1p(-0.5 * Math.exp(-0.5 * u * u) * erfcx(u / SQRT2));
}

/** d log Φ(u)/du = φ(u)/Φ(u), stable for very negative u. */
export function dLogNormalCdf(u: number): number {
  if (u < -1) return 1 / (SQRT_PI_OVER_2 * erfcx(-u / SQRT2));
  return Math.exp(logNormalPdf(u) - logNormalCdf(u));
}

/** log(1 − e^{w}) for w < 0 (Mächler 2012). */
function log1mexp(w: number): number {
  return w > -Math.LN2 ? Math.log(-Math.expm1(w)) : Math.log1p(-Math.exp(w));
}

const NEG_INV_SQRT_EPS = -1 / Math.sqrt(Number.EPSILON);

/** log h(u) with h(u) = φ(u) + uΦ(u), and its derivative d log h / du. */
export function logH(u: number): { value: number; deriv: number } {
  if (u >= -1) {
    const Phi = normalCdf(u);
    const h = Math.exp(logNormalPdf(u)) + u * Phi;
    return { value: Math.log(h), deriv: Phi / h };
  }
  if (u < NEG_INV_SQRT_EPS) {
    // 1 − |u|Φ/φ ≈ 1/u² and Φ/h ≈ |u|.
    return { value: logNormalPdf(u) - 2 * Math.log(-u), deriv: -u };
  }
  const logR = Math.log(SQRT_PI_OVER_2 * erfcx(-u / SQRT2)); // log Φ(u)/φ(u)
  const w = Math.log(-u) + logR;
  const l1 = log1mexp(w);
  return { value: logNormalPdf(u) + l1, deriv: Math.exp(logR - l1) };
}

/** Analytic EI (for tests and reference): σ h(u). */
export function expectedImprovement(mean: number, sigma: number, best: number): number {
  const u = (best - mean) / sigma;
  return sigma * (Math.exp(logNormalPdf(u)) + u * normalCdf(u));
}

/**
 * LogEI for minimization and its partial derivatives w.r.t. μ and σ².
 *   ∂LogEI/∂μ = −(d log h/du)/σ
 *   ∂LogEI/∂σ² = (1/(2σ²)) (1 − u · d log h/du)
 */
export function logEI(mean: number, variance: number, best: number): { value: number; dMean: number; dVariance: number } {
  const v = Math.max(variance, 1e-300);
  const sigma = Math.sqrt(v);
  const u = (best - mean) / sigma;
  const { value, deriv } = logH(u);
  return { value: Math.log(sigma) + value, dMean: -deriv / sigma, dVariance: (1 - u * deriv) / (2 * v) };
}

/**
 * Log probability that a constraint GP c(x) ~ N(μ_c, σ_c²) is below threshold t:
 *   log P(c ≤ t) = log Φ((t − μ_c)/σ_c)          (Gardner et al. 2014, "Bayesian Optimization with
 *   Inequality Constraints"; Optuna's GPSampler uses the same for constraints_func).
 */
export function logProbBelow(mean: number, variance: number, threshold: number): { value: number; dMean: number; dVariance: number } {
  const v = Math.max(variance, 1e-300);
  const sigma = Math.sqrt(v);
  const u = (threshold - mean) / sigma;
  const g = dLogNormalCdf(u);
  return { value: logNormalCdf(u), dMean: -g / sigma, dVariance: (-u * g) / (2 * v) };
}
