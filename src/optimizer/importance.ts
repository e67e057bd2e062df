/**
 * Parameter importance from the fitted GP's ARD lengthscales (automatic relevance determination,
 * Neal 1996; Rasmussen & Williams 2006, §5.1): a short lengthscale ℓ_k means the loss changes
 * quickly along parameter k. importance_k = (1/ℓ_k) / Σ_j (1/ℓ_j) over the searched parameters,
 * in the unit-cube units of transform.ts (so a log-scale parameter is judged on its log scale).
 * Fixed parameters get 0. With fewer than 2 succeeded trials every searched parameter gets an
 * equal share.
 */
import { Observation } from '../domain';
import { SearchSpace } from '../space';
import { GP } from './gp';
import { prepare } from './suggest';

export function parameterImportance(space: SearchSpace, observations: Observation[]): Record<string, number> {
  const data = prepare(space, observations, []);
  const { tf } = data;
  const out: Record<string, number> = {};
  for (const name of Object.keys(space.params)) out[name] = 0;
  if (tf.d === 0) return out;
  const n = data.xs.length;
  if (n < 2) {
    for (const dim of tf.dims) out[dim.name] = 1 / tf.d;
    return out;
  }
  const X = new Float64Array(n * tf.d);
  data.xs.forEach((x, i) => X.set(x, i * tf.d));
  const gp = GP.fit(X, n, tf.d, tf.isCat, Float64Array.from(data.ys));
  const inv = Array.from(gp.params.invSqLengthscales, (r) => Math.sqrt(r));
  const total = inv.reduce((a, b) => a + b, 0);
  tf.dims.forEach((dim, k) => {
    out[dim.name] = total > 0 && Number.isFinite(total) ? (inv[k] as number) / total : 1 / tf.d;
  });
  return out;
}
