/**
 * Feasibility (crash) model and cost model, both GPs on the same inputs as the objective.
 *
 * Feasibility: every finished trial is a label c = −1 (succeeded) or c = +1 (crashed: infeasible,
 * failed, too_slow, or a non-finite loss). A GP regression on c (standardized, MAP-fitted like
 * the objective) gives c(x) ~ N(μ_c, σ_c²) and P(success | x) = Φ((0 − μ_c)/σ_c), the
 * constraint-GP approach of Gardner et al. 2014 that Optuna's GPSampler uses for its
 * constraints_func. Regression on ±1 labels is a cheap stand-in for a GP classifier: it is
 * smooth, so a crash region is avoided while its good neighbours stay attractive.
 *
 * Cost: a GP on log(duration in GPU-hours) of trials that ran to the end (succeeded or
 * too_slow); exp(E[log cost]) divides EI when the search is cost-aware.
 */
import { GP } from './gp';

export function fitFeasibility(Xs: Float64Array[], crashed: boolean[], d: number, isCat: Uint8Array): GP | undefined {
  if (!crashed.some((c) => c)) return undefined;
  const n = Xs.length;
  const X = new Float64Array(n * d);
  Xs.forEach((x, i) => X.set(x, i * d));
  return GP.fit(X, n, d, isCat, Float64Array.from(crashed, (c) => (c ? 1 : -1)));
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
