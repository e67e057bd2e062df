/**
 * Matérn-5/2 kernel with automatic relevance determination (one lengthscale per dimension).
 *
 * Notation: x, x' ∈ [0,1]^d (unit cube; categorical dimensions hold a choice index), ρ_k = 1/ℓ_k²,
 * s the kernel scale.
 *
 *   r² = Σ_{k continuous} ρ_k (x_k − x'_k)² + Σ_{k categorical} ρ_k 1[x_k ≠ x'_k]
 *   k(x, x') = s · m(r²),   m(r²) = (1 + √5 r + 5/3 r²) e^{−√5 r}
 *
 * (Rasmussen & Williams 2006, eq. 4.17; the Hamming distance for categorical dimensions is what
 * Optuna's optuna/_gp/gp.py uses.) The derivative w.r.t. r² avoids the 1/r of ∂r/∂r²:
 *
 *   dm/d(r²) = −(5/6) (1 + √5 r) e^{−√5 r}
 */

const SQRT5 = Math.sqrt(5);

export function matern52(r2: number): number {
  const r = Math.sqrt(r2);
  return (1 + SQRT5 * r + (5 / 3) * r2) * Math.exp(-SQRT5 * r);
}

/** dm/d(r²). */
export function matern52Grad(r2: number): number {
  const r = Math.sqrt(r2);
  return -(5 / 6) * (1 + SQRT5 * r) * Math.exp(-SQRT5 * r);
}

/** Squared scaled distance r² between row i of X (n×d, row-major) and point x. */
export function sqDist(X: Float64Array, i: number, x: Float64Array, rho: Float64Array, isCat: Uint8Array): number {
  const d = x.length;
  const off = i * d;
  let r2 = 0;
  for (let k = 0; k < d; k++) {
    const diff = (X[off + k] as number) - (x[k] as number);
    r2 += (rho[k] as number) * (isCat[k] ? (diff === 0 ? 0 : 1) : diff * diff);
  }
  return r2;
}
