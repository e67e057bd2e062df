/**
 * Dense linear algebra for the GP: Cholesky with jitter (factorization by ml-matrix), triangular
 * solves and the inverse from the factor on flat row-major Float64Arrays (the hot loops).
 *
 * Notation: K is n×n symmetric positive semi-definite, K = L Lᵀ with L lower triangular.
 *   K⁻¹ b = L⁻ᵀ (L⁻¹ b);   log|K| = 2 Σ log L_ii;   K⁻¹ = L⁻ᵀ L⁻¹.
 * When K is numerically singular (duplicate inputs, tiny noise) we add jitter·mean(diag K)·I,
 * starting at 1e-10 and multiplying by 10 up to 1e-2 (the usual GPy/GPyTorch recipe).
 */
import { CholeskyDecomposition, Matrix } from 'ml-matrix';

export interface CholeskyResult {
  /** Row-major lower-triangular factor. */
  L: Float64Array;
  n: number;
  /** Jitter added to the diagonal (absolute), 0 when none was needed. */
  jitter: number;
}

function tryCholesky(K: Float64Array, n: number, add: number): Float64Array | null {
  const m = new Matrix(n, n);
  // Symmetrize from the lower triangle (ml-matrix rejects matrices that are not exactly symmetric).
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const v = K[i * n + j] as number;
      m.set(i, j, v);
      m.set(j, i, v);
    }
    m.set(i, i, (K[i * n + i] as number) + add);
  }
  let chol: CholeskyDecomposition;
  try {
    chol = new CholeskyDecomposition(m);
  } catch {
    return null;
  }
  if (!chol.isPositiveDefinite()) return null;
  const L = new Float64Array(n * n);
  const lm = chol.lowerTriangularMatrix;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = lm.get(i, j);
      if (!Number.isFinite(v)) return null;
      L[i * n + j] = v;
    }
    if (!((L[i * n + i] as number) > 0)) return null;
  }
  return L;
}

/** Cholesky factor of K, adding jitter if needed. Returns null only if K has non-finite entries or stays indefinite at the largest jitter. */
export function choleskyWithJitter(K: Float64Array, n: number): CholeskyResult | null {
  for (let i = 0; i < n * n; i++) if (!Number.isFinite(K[i] as number)) return null;
  if (n === 0) return { L: new Float64Array(0), n, jitter: 0 };
  let meanDiag = 0;
  for (let i = 0; i < n; i++) meanDiag += K[i * n + i] as number;
  meanDiag = Math.max(meanDiag / n, 1e-12);
  let L = tryCholesky(K, n, 0);
  if (L) return { L, n, jitter: 0 };
  for (let rel = 1e-10; rel <= 1e-2 * 1.0001; rel *= 10) {
    L = tryCholesky(K, n, rel * meanDiag);
    if (L) return { L, n, jitter: rel * meanDiag };
  }
  return null;
}

/** Solves L x = b in place (forward substitution). */
export function solveLowerInPlace(L: Float64Array, n: number, b: Float64Array): Float64Array {
  for (let i = 0; i < n; i++) {
    let s = b[i] as number;
    const off = i * n;
    for (let k = 0; k < i; k++) s -= (L[off + k] as number) * (b[k] as number);
    b[i] = s / (L[off + i] as number);
  }
  return b;
}

/** Solves Lᵀ x = b in place (back substitution). */
export function solveUpperTInPlace(L: Float64Array, n: number, b: Float64Array): Float64Array {
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i] as number;
    for (let k = i + 1; k < n; k++) s -= (L[k * n + i] as number) * (b[k] as number);
    b[i] = s / (L[i * n + i] as number);
  }
  return b;
}

/** K⁻¹ b given the factor of K. */
export function cholSolve(L: Float64Array, n: number, b: Float64Array): Float64Array {
  return solveUpperTInPlace(L, n, solveLowerInPlace(L, n, Float64Array.from(b)));
}

/** K⁻¹ (symmetric, row-major) from the factor: invert L, then K⁻¹ = L⁻ᵀ L⁻¹. */
export function cholInverse(L: Float64Array, n: number): Float64Array {
  // M = L⁻¹ (lower triangular), column by column of the identity.
  const M = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    M[i * n + i] = 1 / (L[i * n + i] as number);
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let k = j; k < i; k++) s += (L[i * n + k] as number) * (M[k * n + j] as number);
      M[i * n + j] = -s / (L[i * n + i] as number);
    }
  }
  // Kinv[i][j] = Σ_{k ≥ max(i,j)} M[k][i] M[k][j]
  const Kinv = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const off = k * n;
    for (let i = 0; i <= k; i++) {
      const mki = M[off + i] as number;
      if (mki === 0) continue;
      for (let j = 0; j <= i; j++) Kinv[i * n + j] = (Kinv[i * n + j] as number) + mki * (M[off + j] as number);
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) Kinv[j * n + i] = Kinv[i * n + j] as number;
  return Kinv;
}
