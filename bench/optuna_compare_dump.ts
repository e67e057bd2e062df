/**
 * Dumps a state of our optimizer on Hartmann6 and our GP fit on it, for bench/optuna_compare.py.
 *
 *   npx tsx bench/optuna_compare_dump.ts SEED NTRIALS OUT.json [OPTUNA_PARAMS.json]
 *
 * Writes X (unit cube, n×6), y (raw losses), our fitted hyperparameters, our −log posterior
 * (−(lml + log prior), lml with the 2π constant) at our params and, when OPTUNA_PARAMS.json
 * (from optuna_compare.py: {isl, scale, noise}) is given, at Optuna's params too, and the
 * posterior mean/variance and LogEI of both parameter sets at a few test points.
 */
import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import { suggest } from '../src/optimizer/suggest';
import { GP, KernelParams, negLogPosterior, pairwiseSqDiffs, standardize } from '../src/optimizer/gp';
import { logEI } from '../src/optimizer/acquisition';
import { SpaceTransform } from '../src/optimizer/transform';
import { hartmann6 } from './problems';
import { Observation } from '../src/domain';

const [seedS, nS, out, optunaFile] = process.argv.slice(2);
const seed = Number(seedS);
const N = Number(nS);
const obs: Observation[] = [];
for (let i = 0; i < N; i++) {
  const [s] = suggest({ space: hartmann6.space, observations: obs, pending: [], count: 1, seed });
  if (!s) break;
  obs.push({ trialId: String(i), config: s.config, status: 'succeeded', loss: hartmann6.f(s.config), durationSeconds: 1 });
}
const tf = new SpaceTransform(hartmann6.space);
const d = tf.d;
const xs = obs.map((o) => tf.encode(o.config) as Float64Array);
const yRaw = Float64Array.from(obs, (o) => o.loss as number);
const n = xs.length;
const X = new Float64Array(n * d);
xs.forEach((x, i) => X.set(x, i * d));
const gp = GP.fit(X, n, d, tf.isCat, yRaw);
const { y } = standardize(yRaw);
const deltas = pairwiseSqDiffs(X, n, d, tf.isCat);
const nlp = (p: KernelParams) => {
  const t = new Float64Array(d + 2);
  for (let k = 0; k < d; k++) t[k] = Math.log(p.invSqLengthscales[k] as number);
  t[d] = Math.log(p.scale);
  t[d + 1] = Math.log(p.noiseVar - 1e-6);
  return negLogPosterior(t, deltas, n, d, y);
};
const best = Math.min(...y);
const bestI = y.indexOf(best);
const tests: number[][] = [[0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573], Array.from(xs[bestI] as Float64Array), [0.5, 0.5, 0.5, 0.5, 0.5, 0.5], [0.4, 0.8, 0.8, 0.6, 0.0, 0.0]];
// Optuna's posterior is for the minimized -y: mean flips sign; LogEI with threshold max(-y) = -best.
const evalAt = (g: GP) =>
  tests.map((x) => {
    const p = g.predict(Float64Array.from(x));
    return { mean: p.mean, var: p.variance, logEI: logEI(p.mean, p.variance + 1e-12, best).value };
  });
const res: Record<string, unknown> = {
  seed, n, X: xs.map((x) => Array.from(x)), y: Array.from(yRaw), ystd: Array.from(y), tests,
  ours: { isl: Array.from(gp.params.invSqLengthscales), scale: gp.params.scale, noise: gp.params.noiseVar, negLogPost: nlp(gp.params).value, lml: gp.logMarginalLikelihood(), pred: evalAt(gp) },
  bestSoFar: Math.min(...Array.from(yRaw)) - hartmann6.optimum,
};
const nextS = suggest({ space: hartmann6.space, observations: obs, pending: [], count: 1, seed })[0];
res.oursNext = nextS ? Array.from(tf.encode(nextS.config) as Float64Array) : null;
if (optunaFile && existsSync(optunaFile)) {
  const o = JSON.parse(readFileSync(optunaFile, 'utf8'));
  const p: KernelParams = { invSqLengthscales: Float64Array.from(o.isl), scale: o.scale, noiseVar: o.noise };
  const g2 = GP.withParams(X, n, d, tf.isCat, y, p);
  res.atOptunaParams = { negLogPost: nlp(p).value, lml: g2.logMarginalLikelihood(), pred: evalAt(g2) };
}
writeFileSync(out as string, JSON.stringify(res, null, 1));
console.log(JSON.stringify({ ours: { ...(res.ours as object), pred: undefined }, atOptunaParams: res.atOptunaParams ? { ...(res.atOptunaParams as object), pred: undefined } : undefined, bestSoFar: res.bestSoFar }));
