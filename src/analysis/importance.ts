/**
 * Hyperparameter importance as a variance decomposition (fANOVA-style) of a surrogate of the loss.
 *
 * Method:
 *   1. Encode the succeeded trials' configs into the unit cube (encode.ts) and fit a GP to their
 *      losses (gp.ts: ARD squared-exponential, MAP hyperparameters).
 *   2. Treat the GP posterior mean μ(x) as the loss function and decompose its variance over the
 *      search space, sampled uniformly per parameter as the space defines it (log-uniform learning
 *      rate, uniform over categorical choices; constraints ignored, as fANOVA does):
 *        first-order Sobol index   S_i  = Var_{x_i}(E[μ | x_i]) / Var(μ)
 *        total-effect index        ST_i = E_{x_~i}(Var_{x_i}(μ | x_~i)) / Var(μ)
 *      estimated by Monte Carlo with two independent sample matrices A, B (N × d) and the matrices
 *      A_B^(i) (A with column i taken from B):
 *        S_i  ≈ (1/N) Σ_j μ(B_j) (μ(A_B^(i)_j) − μ(A_j)) / V          (Saltelli et al. 2010, eq. (b))
 *        ST_i ≈ (1/2N) Σ_j (μ(A_j) − μ(A_B^(i)_j))² / V                 (Jansen 1999)
 *      with V the sample variance of μ over A ∪ B.
 *   3. importance_i = max(S_i, 0) / Σ_k max(S_k, 0), the normalized first-order share (as Optuna's
 *      FanovaImportanceEvaluator reports it). Interactions show up as ST_i − S_i.
 *
 * References: Hutter, Hoos & Leyton-Brown, "An Efficient Approach for Assessing Hyperparameter
 * Importance", ICML 2014 (fANOVA); Saltelli et al., "Variance based sensitivity analysis of model
 * output", Comput. Phys. Commun. 181 (2010); Jansen, Comput. Phys. Commun. 117 (1999).
 *
 * With few trials (the seed's stage 1 has five) the GP is mostly prior and the estimate is rough:
 * the report says how many points it rests on.
 */
import type { Config } from '../domain';
import { Rng, type SearchSpace } from '../space';
import { coordinates, encodeConfig } from './encode';
import { fitGp } from './gp';

export interface ParamImportance {
  param: string;
  /** Normalized first-order share, sums to 1 over the parameters (0 when the surrogate is flat). */
  importance: number;
  /** First-order Sobol index S_i of the GP mean. */
  firstOrder: number;
  /** Total-effect Sobol index ST_i. */
  totalEffect: number;
  /** Fitted GP lengthscale in unit-cube units (shorter = the loss varies faster along it). */
  lengthscale: number;
}

export interface ImportanceResult {
  method: string;
  /** Trials the GP was fitted on. */
  points: number;
  /** Most important first. */
  params: ParamImportance[];
  /** Parameters left out: fixed in the space, or constant in the data. */
  constant: string[];
}

export interface ImportanceOptions {
  /** Monte-Carlo sample size N (default 2048). */
  samples?: number;
  seed?: number;
}

export const IMPORTANCE_METHOD =
  'first-order Sobol indices (fANOVA-style variance decomposition) of a GP posterior mean (ARD RBF, MAP fit), Monte-Carlo over the search space';

/**
 * Importance of each parameter of `space` for `loss`, from succeeded trials. Returns null with a
 * reason when there is too little data (fewer than 3 usable trials, or no parameter varies).
 */
export function parameterImportance(
  space: SearchSpace,
  trials: ReadonlyArray<{ config: Config; loss: number }>,
  opts: ImportanceOptions = {},
): ImportanceResult | { reason: string } {
  const allCoords = coordinates(space);
  const rows: { x: number[]; loss: number }[] = [];
  for (const t of trials) {
    if (!Number.isFinite(t.loss)) continue;
    const x = encodeConfig(allCoords, t.config);
    if (x) rows.push({ x, loss: t.loss });
  }
  if (rows.length < 3) return { reason: `needs at least 3 succeeded trials with every parameter of the space set (have ${rows.length})` };
  // Parameters that never vary in the data carry no evidence; the GP would just return its prior.
  const varying = allCoords.map((_, k) => rows.some((r) => Math.abs((r.x[k] as number) - ((rows[0] as { x: number[] }).x[k] as number)) > 1e-12));
  const coords = allCoords.filter((_, k) => varying[k]);
  const constant = [...Object.keys(space.params).filter((p) => !coords.some((c) => c.param === p))];
  if (coords.length === 0) return { reason: 'no parameter varies across the succeeded trials' };
  const X = rows.map((r) => r.x.filter((_, k) => varying[k]));
  const gp = fitGp(X, rows.map((r) => r.loss));

  const d = coords.length;
  const N = Math.max(64, Math.floor(opts.samples ?? 2048));
  const rng = new Rng(opts.seed ?? 0);
  const draw = () => coords.map((c) => c.sample(rng));
  const A = Array.from({ length: N }, draw);
  const B = Array.from({ length: N }, draw);
  const fA = A.map((x) => gp.mean(x));
  const fB = B.map((x) => gp.mean(x));
  const all = [...fA, ...fB];
  const mu = all.reduce((a, b) => a + b, 0) / all.length;
  const V = all.reduce((a, b) => a + (b - mu) ** 2, 0) / (all.length - 1);
  const first: number[] = [];
  const total: number[] = [];
  for (let i = 0; i < d; i++) {
    let s = 0;
    let st = 0;
    for (let j = 0; j < N; j++) {
      const xab = [...(A[j] as number[])];
      xab[i] = (B[j] as number[])[i] as number;
      const f = gp.mean(xab);
      s += (fB[j] as number) * (f - (fA[j] as number));
      st += ((fA[j] as number) - f) ** 2;
    }
    first.push(V > 1e-12 ? s / N / V : 0);
    total.push(V > 1e-12 ? st / (2 * N) / V : 0);
  }
  const pos = first.map((s) => Math.max(0, s));
  const sum = pos.reduce((a, b) => a + b, 0);
  const params: ParamImportance[] = coords.map((c, i) => ({
    param: c.param,
    importance: sum > 0 ? (pos[i] as number) / sum : 0,
    firstOrder: first[i] as number,
    totalEffect: total[i] as number,
    lengthscale: gp.lengthscales[i] as number,
  }));
  params.sort((a, b) => b.importance - a.importance || a.lengthscale - b.lengthscale);
  return { method: IMPORTANCE_METHOD, points: rows.length, params, constant };
}
